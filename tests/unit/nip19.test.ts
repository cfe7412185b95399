/**
 * nip19.ts: typed decoders and parseContactInput (every accepted form, secrets refused, helpful
 * errors for cut-off and mistyped npubs), with fast-check round trips and garbage inputs.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as ntNip19 from 'nostr-tools/nip19';
import {
  bech32ProblemOf,
  decodeNevent,
  decodeNote,
  decodeNprofile,
  decodeNpub,
  decodeNsec,
  encodeNprofile,
  encodeNpub,
  encodeNsec,
  parseContactInput
} from '../../src/lib/crypto/nip19';
import { generateSecretKey, getXOnlyPublicKey, isValidPublicKey } from '../../src/lib/crypto/keys';
import { bech32Encode } from '../../src/lib/crypto/bech32';
import { bytesToHex } from '../../src/lib/shared/bytes';
import { VeilError, isVeilError } from '../../src/lib/shared/errors';

const NPUB = 'npub10elfcs4fr0l0r8af98jlmgdh9c8tcxjvz9qkw038js35mp4dma8qzvjptg';
const HEX = '7e7e9c42a91bfef19fa929e5fda1b72e0ebc1a4c1141673e2794234d86addf4e';

function err(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return null;
}

const pubkeyArb = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .filter((b) => isValidPublicKey(b))
  .map((b) => bytesToHex(b));

describe('parseContactInput', () => {
  it('accepts npub, upper-case npub, nostr:npub, hex and nprofile, trimming whitespace', () => {
    expect(parseContactInput(`  ${NPUB}\n`)).toEqual({ type: 'npub', pubkey: HEX, relays: [] });
    expect(parseContactInput(NPUB.toUpperCase()).pubkey).toBe(HEX);
    expect(parseContactInput(`nostr:${NPUB}`).pubkey).toBe(HEX);
    expect(parseContactInput(`\t${HEX.toUpperCase()} `)).toEqual({ type: 'hex', pubkey: HEX, relays: [] });
    const np = ntNip19.nprofileEncode({ pubkey: HEX, relays: ['wss://r.example', 'javascript:alert(1)', 'wss://r2.example'] });
    expect(parseContactInput(`nostr:${np}`)).toEqual({ type: 'nprofile', pubkey: HEX, relays: ['wss://r.example', 'wss://r2.example'] });
  });

  it('refuses secret keys with NSEC_WHERE_CONTACT_EXPECTED, without echoing them', () => {
    const nsec = encodeNsec(generateSecretKey());
    for (const text of [nsec, `nostr:${nsec}`, ` ${nsec.toUpperCase()} `, `my key is ${nsec}`, nsec.slice(0, 40)]) {
      const e = err(() => parseContactInput(text));
      expect(isVeilError(e, 'NSEC_WHERE_CONTACT_EXPECTED')).toBe(true);
      expect((e as Error).message).not.toContain(nsec.slice(5, 20));
      expect((e as Error).message).toMatch(/never share/i);
    }
    const ncryptsec = 'ncryptsec1qgg9947rlpvqu76pj5ecreduf9jxhselq2nae2kghhvd5g7dgjtcxfqtd67p9m0w57lspw8gsq6yphnm8623nsl8xn9j4jdzz84zm3frztj3z7s35vpzmqf6ksu8r89qk5z2zxfmu5gv8th8wclt0h4p';
    expect(isVeilError(err(() => parseContactInput(ncryptsec)), 'NSEC_WHERE_CONTACT_EXPECTED')).toBe(true);
  });

  it('explains a cut-off npub (length), a mistyped one (checksum), a wrong prefix and a bad character', () => {
    const cut = err(() => parseContactInput(NPUB.slice(0, -3)));
    expect(isVeilError(cut, 'INVALID_NPUB')).toBe(true);
    expect(bech32ProblemOf(cut)).toBe('length');
    expect((cut as Error).message).toMatch(/60 characters, expected 63/);

    const typo = NPUB.slice(0, 20) + (NPUB[20] === 'q' ? 'p' : 'q') + NPUB.slice(21);
    const t = err(() => parseContactInput(typo));
    expect(isVeilError(t, 'INVALID_NPUB')).toBe(true);
    expect(bech32ProblemOf(t)).toBe('checksum');

    expect(bech32ProblemOf(err(() => parseContactInput('npud1' + NPUB.slice(5))))).toBe('prefix');
    expect(bech32ProblemOf(err(() => parseContactInput(NPUB.slice(0, 30) + 'b' + NPUB.slice(31))))).toBe('character');
    expect(bech32ProblemOf(err(() => parseContactInput('Npub1' + NPUB.slice(5))))).toBe('mixed-case');
    expect(isVeilError(err(() => parseContactInput(HEX.slice(0, 62))), 'INVALID_NPUB')).toBe(true);
    expect(isVeilError(err(() => parseContactInput('hello')), 'INVALID_NPUB')).toBe(true);
  });

  it('rejects an npub whose 32 bytes are not a curve point (payload) and overlong input (TOO_LARGE)', () => {
    let x = new Uint8Array(32).fill(0xff); // x ≥ p: not a field element
    expect(isValidPublicKey(x)).toBe(false);
    const npub = bech32Encode('npub', x);
    expect(bech32ProblemOf(err(() => decodeNpub(npub)))).toBe('payload');
    x = new Uint8Array(32); // x = 0: no square root
    expect(isVeilError(err(() => parseContactInput(bech32Encode('npub', x))), 'INVALID_NPUB')).toBe(true);
    expect(isVeilError(err(() => parseContactInput(' '.repeat(5000))), 'TOO_LARGE')).toBe(true);
  });

  it('decodes note and nevent, and refuses an nsec where an npub is expected', () => {
    const id = bytesToHex(getXOnlyPublicKey(generateSecretKey()));
    expect(decodeNote(ntNip19.noteEncode(id))).toBe(id);
    expect(decodeNevent(ntNip19.neventEncode({ id, relays: ['wss://a.example'], kind: 1 }))).toEqual({ id, relays: ['wss://a.example'], kind: 1 });
    expect(isVeilError(err(() => decodeNpub(encodeNsec(generateSecretKey()))), 'INVALID_NPUB')).toBe(true);
    expect(isVeilError(err(() => decodeNsec(NPUB)), 'INVALID_KEY')).toBe(true);
  });
});

describe('nip19 properties (fast-check)', () => {
  it('npub, hex, nostr: and nprofile round trip through parseContactInput', () => {
    fc.assert(
      fc.property(pubkeyArb, fc.constantFrom('', ' ', '\n', '\t '), (pk, ws) => {
        const npub = encodeNpub(pk);
        expect(decodeNpub(npub)).toBe(pk);
        expect(parseContactInput(ws + npub + ws).pubkey).toBe(pk);
        expect(parseContactInput('nostr:' + npub).pubkey).toBe(pk);
        expect(parseContactInput(ws + pk + ws).pubkey).toBe(pk);
        expect(decodeNprofile(encodeNprofile({ pubkey: pk, relays: ['wss://relay.example'] }))).toEqual({ pubkey: pk, relays: ['wss://relay.example'] });
      }),
      { numRuns: 1000 }
    );
  });

  it('nsec round trip', () => {
    fc.assert(
      fc.property(fc.constant(null), () => {
        const sk = generateSecretKey();
        expect(bytesToHex(decodeNsec(encodeNsec(sk)))).toBe(bytesToHex(sk));
      }),
      { numRuns: 1000 }
    );
  });

  it('any single-character change of an npub is rejected (never a different valid key)', () => {
    fc.assert(
      fc.property(pubkeyArb, fc.integer({ min: 5, max: 62 }), fc.constantFrom(...'qpzry9x8gf2tvdw0s3jn54khce6mua7l'), (pk, i, c) => {
        const npub = encodeNpub(pk);
        const changed = npub.slice(0, i) + c + npub.slice(i + 1);
        if (changed === npub) return;
        const e = err(() => parseContactInput(changed));
        expect(isVeilError(e, 'INVALID_NPUB')).toBe(true);
      }),
      { numRuns: 1000 }
    );
  });

  it('random garbage never throws anything but VeilError', () => {
    const garbage = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.string({ maxLength: 80 }).map((s) => 'npub1' + s),
      fc.string({ maxLength: 80 }).map((s) => 'nostr:nprofile1' + s),
      fc.string({ maxLength: 80 }).map((s) => 'https://veil.example/#c=' + s),
      fc.stringMatching(/^[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{0,100}$/).map((s) => 'nprofile1' + s)
    );
    fc.assert(
      fc.property(garbage, (s) => {
        for (const f of [parseContactInput, decodeNpub, decodeNsec, decodeNprofile, decodeNevent, decodeNote]) {
          try {
            f(s);
          } catch (e) {
            expect(e).toBeInstanceOf(VeilError);
          }
        }
      }),
      { numRuns: 1000 }
    );
  });
});
