/**
 * shared/bytes.ts decoders used on the trial-open path: `hexToBytes` (charcode arithmetic) and
 * `base64DecodePrefix` (the envelope header before the unwrap), against independent references:
 * Node's Buffer hex / base64 and the strict `base64Decode`.
 */
import { describe, expect, it } from 'vitest';
import { base64Decode, base64DecodePrefix, base64Encode, bytesToHex, hexToBytes, randomBytes } from '../../src/lib/shared/bytes';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

describe('hexToBytes', () => {
  it('decodes every byte value as Buffer does', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const hex = Buffer.from(all).toString('hex');
    expect(Array.from(hexToBytes(hex))).toEqual(Array.from(all));
    for (let i = 0; i < 50; i++) {
      const b = randomBytes(32);
      expect(bytesToHex(hexToBytes(bytesToHex(b), 32))).toBe(Buffer.from(b).toString('hex'));
    }
  });

  it('still refuses uppercase, odd length, other characters and wrong lengths', () => {
    for (const bad of ['A0', 'abc', '0g', ' 00', '0x', 'ÿÿ']) expect(() => hexToBytes(bad), bad).toThrow();
    expect(() => hexToBytes('00', 2)).toThrow();
  });
});

describe('base64DecodePrefix', () => {
  it('gives the first bytes base64Decode gives, for 84 characters of random envelopes', () => {
    for (const n of [63, 64, 1024, 1026]) {
      const b = randomBytes(n);
      const s = base64Encode(b);
      expect(bytesToHex(base64DecodePrefix(s, 84)!)).toBe(bytesToHex(base64Decode(s).subarray(0, 63)));
      expect(bytesToHex(base64DecodePrefix(s, 84)!)).toBe(Buffer.from(s.slice(0, 84), 'base64').toString('hex'));
    }
  });

  it('decodes every alphabet character in every position of a group', () => {
    for (let pos = 0; pos < 4; pos++) {
      for (const ch of ALPHABET) {
        const s = 'AAAA'.slice(0, pos) + ch + 'AAAA'.slice(pos + 1);
        expect(bytesToHex(base64DecodePrefix(s, 4)!), s).toBe(Buffer.from(s, 'base64').toString('hex'));
      }
    }
  });

  it('refuses padding, any other character and a short string', () => {
    const s = base64Encode(randomBytes(63));
    for (let code = 0; code < 0x180; code++) {
      const ch = String.fromCharCode(code);
      if (ALPHABET.includes(ch)) continue;
      for (const at of [0, 41, 83]) expect(base64DecodePrefix(s.slice(0, at) + ch + s.slice(at + 1), 84), `code ${code} at ${at}`).toBeNull();
    }
    expect(base64DecodePrefix(s + '\u0141', 84)).not.toBeNull();
    expect(base64DecodePrefix(s.slice(0, 80), 84)).toBeNull();
    expect(base64DecodePrefix(s, 83)).toBeNull();
  });
});
