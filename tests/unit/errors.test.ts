/**
 * One error-code union, and user text kept apart from developer text: what reaches the screen is a
 * sentence written for people (a thrower's `userError`, or the app's sentence for the code), never a
 * developer message such as "invalid tag value", nor any other exception's text.
 */
import { describe, expect, it } from 'vitest';
import { VEIL_ERROR_CODES, VeilError, userError, type VeilErrorCode } from '../../src/lib/shared/errors';
import { ERROR_SENTENCES, describeError } from '../../src/lib/app/errors';
import { decodeNpub, decodeNprofile, encodeNpub, parseContactInput } from '../../src/lib/crypto/nip19';
import { bech32Encode } from '../../src/lib/crypto/bech32';
import { utf8Encode } from '../../src/lib/shared/bytes';

describe('error codes', () => {
  it('lists every code of the union once, and every code has a sentence', () => {
    expect(new Set(VEIL_ERROR_CODES).size).toBe(VEIL_ERROR_CODES.length);
    expect(Object.keys(ERROR_SENTENCES).sort()).toEqual([...VEIL_ERROR_CODES].sort());
    for (const code of VEIL_ERROR_CODES) expect(ERROR_SENTENCES[code]).toMatch(/^[A-Z].*[.)]$/);
  });

  it.each(VEIL_ERROR_CODES.map((c) => [c] as [VeilErrorCode]))('%s: developer text never reaches the screen', (code) => {
    const shown = describeError(new VeilError(code, 'invalid tag value'));
    expect(shown).toBe(ERROR_SENTENCES[code]);
    expect(shown).not.toContain('invalid tag value');
  });

  it('a sentence written for people is shown as written', () => {
    const e = userError('INVALID_INPUT', 'That is your own key.');
    expect(e.message).toBe('That is your own key.');
    expect(describeError(e)).toBe('That is your own key.');
  });

  it('other exceptions show a generic sentence, never their text', () => {
    expect(describeError(new TypeError("Cannot read properties of undefined (reading 'tags')"))).toBe(
      'Something went wrong. Nothing was lost; please try again.'
    );
    expect(describeError(new DOMException('x', 'QuotaExceededError'))).toBe(ERROR_SENTENCES.STORAGE_QUOTA);
    expect(describeError('a string')).not.toContain('a string');
  });
});

describe('contact input errors are written for people', () => {
  it('a mistyped npub says checksum; a payload that passes its checksum but holds no key says so', () => {
    const npub = encodeNpub('7e7e9c42a91bfef19fa929e5fda1b72e0ebc1a4c1141673e2794234d86addf4e');
    expect(decodeNpub(npub)).toBe('7e7e9c42a91bfef19fa929e5fda1b72e0ebc1a4c1141673e2794234d86addf4e');
    const flipped = npub.slice(0, 20) + (npub[20] === 'q' ? 'p' : 'q') + npub.slice(21);
    expect(() => decodeNpub(flipped)).toThrow(/checksum/);
    const noPubkey = bech32Encode('nprofile', Uint8Array.of(1, 15, ...utf8Encode('wss://r.example')));
    let err: unknown;
    try {
      decodeNprofile(noPubkey);
    } catch (e) {
      err = e;
    }
    expect(describeError(err)).toMatch(/does not hold a valid key/);
    expect(describeError(err)).not.toMatch(/checksum/);
  });

  it('an nsec pasted as a contact is refused with the warning and what to do', () => {
    let err: unknown;
    try {
      parseContactInput('nsec1vl029mgpspedva04g90vltkh6fvh240zqtv9k0t9af8935ke9laqsnlfe5');
    } catch (e) {
      err = e;
    }
    expect(describeError(err)).toMatch(/secret key.*Never share it.*Paste their npub/);
  });
});
