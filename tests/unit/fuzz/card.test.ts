/**
 * Fuzzing the contact card link parser (crypto/card.ts: findContactCard, decodeContactCard).
 * For any text only INVALID_CONTACT_CARD / TOO_LARGE escape, and a card that decodes is the
 * original signed record: only the display name, which is outside the signature, may differ.
 *
 * A card is mostly signed bytes (pubkey, signature, keys), and a change there costs a Schnorr
 * verification to refuse, so the full-count run aims at the structure (inserted, deleted and cut
 * bytes and characters; set bytes at the version, counts, lengths, schemes and relay indexes) and a
 * second run with fewer cases changes bytes anywhere in place.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { base64UrlDecode, base64UrlEncode, decodeContactCard, encodeContactCard, findContactCard, type ContactCard } from '../../../src/lib/crypto/card';
import { buildInboxRecord, isSafeDisplayText, type InboxDevice } from '../../../src/lib/crypto/inbox';
import { LocalSigner } from '../../../src/lib/crypto/signer';
import { generateSecretKey, getXOnlyPublicKey } from '../../../src/lib/crypto/keys';
import { bytesToHex, randomBytes } from '../../../src/lib/shared/bytes';
import type { VeilErrorCode } from '../../../src/lib/shared/errors';
import { structuralOffsets } from '../../helpers/card-layout';
import { FUZZ_RUNS, edits, mutateBytes, mutateString, outcome, timed, type Edit } from '../../helpers/fuzz';

const TIMEOUT = 300_000;
const IN_PLACE_RUNS = 300;
const CODES: VeilErrorCode[] = ['INVALID_CONTACT_CARD', 'TOO_LARGE'];
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

const ek = () => bytesToHex(getXOnlyPublicKey(generateSecretKey()));
const device = (label: string, relays: string[]): InboxDevice => ({ id: bytesToHex(randomBytes(8)), ek: ek(), addedAt: 1_700_000_000, label, relays });
async function card(devices: InboxDevice[], removed: { id: string; removedAt: number }[], name: string): Promise<string> {
  const ev = await new LocalSigner(generateSecretKey()).signEvent(buildInboxRecord({ devices, removed }, 1_700_000_500));
  return encodeContactCard(ev, name);
}
const payloads = [
  await card([device('laptop', ['wss://relay.example'])], [], ''),
  await card([device('phone', ['wss://relay.example', 'ws://127.0.0.1:7777']), device('', ['ws://127.0.0.1:7777'])], [{ id: bytesToHex(randomBytes(8)), removedAt: 5 }], 'Alice 🌻')
];
const bins = payloads.map(base64UrlDecode);
const originals = payloads.map(decodeContactCard);

const structure = bins.map(structuralOffsets);

/** Everything the signature covers, to compare a decoded card with the original. */
const signed = (c: ContactCard) => JSON.stringify([c.pubkey, c.createdAt, c.devices, c.removed, c.relays, c.event.id, c.event.sig]);
const isOriginal = (c: ContactCard) => originals.some((o) => signed(o) === signed(c)) && isSafeDisplayText(c.name);

const shifting = (es: Edit[]) => es.map(([k, p, v]): Edit => [2 + (k % 4), p, v]);
const structural = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(fc.nat(1), edits(2)).map(([i, es]) => base64UrlEncode(mutateBytes(bins[i]!, shifting(es)))) },
  {
    weight: 4,
    arbitrary: fc.tuple(fc.nat(1), fc.nat(), fc.nat(255), fc.nat(2)).map(([i, p, v, n]) => {
      const b = bins[i]!.slice();
      for (let k = 0; k <= n; k++) b[structure[i]![(p + k * 7) % structure[i]!.length]!] = k === 0 ? v : v % 3;
      return base64UrlEncode(b);
    })
  },
  { weight: 2, arbitrary: fc.tuple(fc.nat(1), edits(2)).map(([i, es]) => mutateString(payloads[i]!, es.map(([k, p, v]): Edit => [1 + (k % 4), p, v]), B64URL + '=+/.')) },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...B64URL), maxLength: 400 }) },
  { weight: 1, arbitrary: fc.constantFrom('', 'A', 'AQ', 'x'.repeat(1367), payloads[0]! + 'A') }
);
/** A payload inside pasted text, as the link or the web+veil: form. */
const text = fc.tuple(structural, fc.constantFrom('https://veil.example/#c=', 'web+veil:c=', 'WEB+VEIL:C=', '#c='), fc.string({ maxLength: 10 }), fc.constantFrom('', ' ', ' thanks', '&x=1', '\n')).map(([p, m, pre, post]) => `${pre} ${m}${p}${post}`);

describe('contact card fuzz', () => {
  it(
    `findContactCard on card links (${FUZZ_RUNS} runs, structural mutations): typed codes only; only the original record decodes`,
    () => {
      let decoded = 0;
      timed('findContactCard', () =>
        fc.assert(
          fc.property(fc.oneof(text, fc.string({ maxLength: 60 })), (t) => {
            const r = outcome(() => findContactCard(t), CODES);
            if (!r.ok || r.value === null) return true;
            decoded++;
            return isOriginal(r.value);
          }),
          { numRuns: FUZZ_RUNS }
        )
      );
      console.log(`[fuzz] findContactCard: ${decoded} decoded`);
    },
    TIMEOUT
  );

  it(
    `decodeContactCard with bytes changed in place anywhere (${IN_PLACE_RUNS} runs): a signed byte changed never decodes`,
    () => {
      const inPlace = fc.tuple(fc.nat(1), fc.nat(), fc.nat(255)).map(([i, p, v]) => {
        const b = bins[i]!.slice();
        b[p % b.length] = v;
        return { i, b };
      });
      timed('decodeContactCard in place', () =>
        fc.assert(
          fc.property(inPlace, ({ i, b }) => {
            const r = outcome(() => decodeContactCard(base64UrlEncode(b)), CODES);
            if (!r.ok) return true;
            // Only the name bytes (the tail, outside the signature) may have changed.
            const nameLength = structure[i]!.at(-1)!;
            const diff = b.findIndex((x, k) => x !== bins[i]![k]);
            return isOriginal(r.value) && (diff === -1 || diff > nameLength);
          }),
          { numRuns: IN_PLACE_RUNS }
        )
      );
    },
    TIMEOUT
  );

  it('the unmutated cards decode (the fuzz bases are valid)', () => {
    for (const p of payloads) expect(isOriginal(decodeContactCard(p))).toBe(true);
    expect(findContactCard(`see https://veil.example/#c=${payloads[1]} ok`)!.name).toBe('Alice 🌻');
  });
});
