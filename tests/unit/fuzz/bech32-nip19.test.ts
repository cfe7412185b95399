/**
 * Fuzzing bech32 (bech32.ts) and the NIP-19 decoders (nip19.ts): for any text, each decoder
 * returns a valid result or throws a VeilError with one of its documented codes, nothing else.
 * Inputs are mostly mutations of valid strings (character edits, and byte edits of the payload
 * re-encoded with a correct checksum, which reach the TLV and key checks behind the checksum).
 * A returned result must round-trip to the input; a single substituted data character (which
 * bech32 always detects) must never decode.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as ntNip19 from 'nostr-tools/nip19';
import { bech32Decode, bech32Encode } from '../../../src/lib/crypto/bech32';
import {
  MAX_TLV_BECH32_CHARS,
  decodeNevent,
  decodeNote,
  decodeNprofile,
  decodeNpub,
  decodeNsec,
  encodeNprofile,
  encodeNpub,
  encodeNsec,
  parseContactInput
} from '../../../src/lib/crypto/nip19';
import { generateSecretKey, getXOnlyPublicKey } from '../../../src/lib/crypto/keys';
import { bytesToHex, hexToBytes, randomBytes } from '../../../src/lib/shared/bytes';
import type { VeilErrorCode } from '../../../src/lib/shared/errors';
import { FUZZ_RUNS, edits, mutateBytes, mutateString, outcome, replaceChar, timed } from '../../helpers/fuzz';

const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const NOISE = CHARSET + 'bio1QPZ:/ #=-_\u00e9\u202e\u0000';
const TIMEOUT = 120_000;
/** note and nevent are not contact or key inputs (nothing in the app pastes them); fewer runs. */
const SECONDARY_RUNS = 10_000;

const sks = Array.from({ length: 4 }, () => generateSecretKey());
const pubs = sks.map((sk) => bytesToHex(getXOnlyPublicKey(sk)));
const npubs = pubs.map(encodeNpub);
const nsecs = sks.map(encodeNsec);
const notes = Array.from({ length: 4 }, () => ntNip19.noteEncode(bytesToHex(randomBytes(32))));
const nprofiles = pubs.map((p, i) => encodeNprofile({ pubkey: p, relays: ['wss://relay.example', `ws://127.0.0.1:${7000 + i}`].slice(0, i % 3) }));
const nevents = pubs.map((p, i) =>
  ntNip19.neventEncode({ id: bytesToHex(randomBytes(32)), relays: ['wss://r.example'].slice(0, i % 2), author: i % 2 ? p : undefined, kind: i ? 14 : undefined })
);

type Case = { s: string; subst: boolean };

/**
 * Texts near `valid`: character edits (bech32 alphabet and punctuation), one substitution in the data
 * part (marked `subst`: must be rejected), payload byte edits under a correct checksum (with the
 * right or a wrong prefix), case changes, and plain random text.
 */
function near(valid: readonly string[], hrp: string): fc.Arbitrary<Case> {
  const base = fc.constantFrom(...valid);
  const decodable = valid.filter((s) => outcome(() => bech32Decode(s, 5000), ['INVALID_INPUT']).ok);
  const reencoded = fc
    .tuple(fc.constantFrom(...decodable), edits(3), fc.constantFrom(hrp, hrp, hrp, 'npub', 'nsec', 'note', 'nprofile', 'nevent', 'naddr', 'ncryptsec', 'a'))
    .map(([s, es, h]) => ({ s: bech32Encode(h, mutateBytes(bech32Decode(s, 5000).bytes, es)), subst: false }));
  return fc.oneof(
    { weight: 4, arbitrary: fc.tuple(base, edits(3)).map(([s, es]) => ({ s: mutateString(s, es, NOISE), subst: false })) },
    {
      weight: 2,
      arbitrary: fc.tuple(fc.constantFrom(...decodable), fc.nat(), fc.nat()).map(([s, p, v]) => {
        const sep = s.lastIndexOf('1') + 1;
        return { s: s.slice(0, sep) + replaceChar(s.slice(sep), p, v, CHARSET), subst: true };
      })
    },
    { weight: 3, arbitrary: reencoded },
    { weight: 1, arbitrary: fc.tuple(base, fc.boolean()).map(([s, up]) => ({ s: up ? s.toUpperCase() : `nostr:${s}`, subst: false })) },
    { weight: 1, arbitrary: fc.string({ maxLength: 80 }).map((s) => ({ s, subst: false })) },
    { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...CHARSET), maxLength: 70 }).map((s) => ({ s: `${hrp}1${s}`, subst: false })) }
  );
}

function fuzz<T>(arb: fc.Arbitrary<Case>, f: (s: string) => T, allowed: VeilErrorCode[], check: (s: string, v: T) => void, numRuns = FUZZ_RUNS): void {
  fc.assert(
    fc.property(arb, ({ s, subst }) => {
      const r = outcome(() => f(s), allowed);
      if (!r.ok) return true;
      if (subst) return false; // a substituted character was accepted
      check(s, r.value);
      return true;
    }),
    { numRuns }
  );
}

describe(`bech32 / NIP-19 fuzz (${FUZZ_RUNS} runs each)`, () => {
  it(
    'bech32Decode: INVALID_INPUT or a result that re-encodes to the input',
    () => {
      const all = [...npubs, ...nprofiles, ...nevents];
      timed('bech32Decode', () =>
        fuzz(near(all, 'npub'), (s) => bech32Decode(s, 200), ['INVALID_INPUT'], (s, v) => expect(bech32Encode(v.hrp, v.bytes)).toBe(s.toLowerCase()))
      );
    },
    TIMEOUT
  );

  it(
    'decodeNpub: INVALID_NPUB / INVALID_INPUT, or the pubkey whose npub is the input',
    () => {
      timed('decodeNpub', () =>
        fuzz(near(npubs, 'npub'), decodeNpub, ['INVALID_NPUB', 'INVALID_INPUT'], (s, v) => expect(encodeNpub(v)).toBe(s.toLowerCase()))
      );
    },
    TIMEOUT
  );

  it(
    'decodeNsec: INVALID_KEY / INVALID_INPUT, or the key whose nsec is the input',
    () => {
      timed('decodeNsec', () =>
        fuzz(near(nsecs, 'nsec'), decodeNsec, ['INVALID_KEY', 'INVALID_INPUT'], (s, v) => expect(encodeNsec(v)).toBe(s.toLowerCase()))
      );
    },
    TIMEOUT
  );

  it(
    `decodeNote (${SECONDARY_RUNS} runs): INVALID_INPUT, or the id whose note is the input`,
    () => {
      timed('decodeNote', () =>
        fuzz(near(notes, 'note'), decodeNote, ['INVALID_INPUT'], (s, v) => expect(ntNip19.noteEncode(v)).toBe(s.toLowerCase()), SECONDARY_RUNS)
      );
    },
    TIMEOUT
  );

  it(
    'decodeNprofile: INVALID_NPUB / INVALID_INPUT, or a valid pubkey with at most 8 ws/wss hints',
    () => {
      timed('decodeNprofile', () =>
        fuzz(near(nprofiles, 'nprofile'), decodeNprofile, ['INVALID_NPUB', 'INVALID_INPUT'], (s, v) => {
          expect(v.pubkey).toMatch(/^[0-9a-f]{64}$/);
          expect(encodeNpub(v.pubkey)).toMatch(/^npub1/);
          expect(v.relays.length).toBeLessThanOrEqual(8);
          for (const r of v.relays) expect(r).toMatch(/^wss?:\/\/\S+$/);
          expect(s.length).toBeLessThanOrEqual(MAX_TLV_BECH32_CHARS + 8);
        })
      );
    },
    TIMEOUT
  );

  it(
    `decodeNevent (${SECONDARY_RUNS} runs): INVALID_INPUT, or a 64-hex id with bounded hints`,
    () => {
      timed('decodeNevent', () =>
        fuzz(near(nevents, 'nevent'), decodeNevent, ['INVALID_INPUT'], (_s, v) => {
          expect(v.id).toMatch(/^[0-9a-f]{64}$/);
          if (v.author !== undefined) expect(v.author).toMatch(/^[0-9a-f]{64}$/);
          if (v.kind !== undefined) expect(Number.isSafeInteger(v.kind) && v.kind >= 0).toBe(true);
          expect(v.relays.length).toBeLessThanOrEqual(8);
        }, SECONDARY_RUNS)
      );
    },
    TIMEOUT
  );

  it(
    'parseContactInput: typed codes only; an accepted text names a valid pubkey; secrets never pass',
    () => {
      const forms = [...npubs, ...nprofiles, ...pubs, ...nsecs, ...npubs.map((n) => `hi, add me: nostr:${n} thanks`)];
      const arb = fc.oneof(near(forms, 'npub'), near(nsecs, 'nsec'));
      const allowed: VeilErrorCode[] = ['INVALID_INPUT', 'INVALID_NPUB', 'INVALID_KEY', 'NSEC_WHERE_CONTACT_EXPECTED', 'INVALID_CONTACT_CARD', 'TOO_LARGE'];
      timed('parseContactInput', () =>
        fuzz(arb, parseContactInput, allowed, (s, v) => {
          expect(v.pubkey).toMatch(/^[0-9a-f]{64}$/);
          expect(() => encodeNpub(v.pubkey)).not.toThrow();
          expect(s.toLowerCase()).not.toMatch(/(^|[^a-z0-9_-])n(crypt)?sec1/);
          // A hex form is the pubkey itself; a bech32 form encodes it.
          if (v.type === 'hex') expect(hexToBytes(v.pubkey)).toEqual(hexToBytes(s.trim().replace(/^nostr:/i, '').toLowerCase()));
          if (v.type === 'npub') expect(s.toLowerCase()).toContain(encodeNpub(v.pubkey));
        })
      );
    },
    TIMEOUT
  );
});
