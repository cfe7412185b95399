/**
 * crypto/gcm-open.ts (aes.ts `aesGcmOpenSync`, the envelope key unwrap) against @noble/ciphers'
 * own `gcm`: same plaintext for every length from 0 to 80 bytes with and without AAD (partial
 * blocks, several blocks), and null for any flipped bit of ciphertext, tag or AAD. The Wycheproof
 * vectors (conformance/wycheproof-aes-gcm.test.ts) check the same path against published cases.
 */
import { gcm } from '@noble/ciphers/aes.js';
import { describe, expect, it } from 'vitest';
import { aesGcmOpenSync } from '../../src/lib/crypto/aes';
import { bytesToHex, randomBytes } from '../../src/lib/shared/bytes';

describe('aesGcmOpenSync (table-free GHASH) agrees with @noble/ciphers gcm', () => {
  it('opens what noble seals, every length 0…80, AAD 0, 13 or 37 bytes', () => {
    for (let n = 0; n <= 80; n++) {
      for (const aadLen of [0, 13, 37]) {
        const key = randomBytes(32);
        const nonce = randomBytes(12);
        const pt = randomBytes(n);
        const aad = aadLen ? randomBytes(aadLen) : undefined;
        const sealed = gcm(key, nonce, aad).encrypt(pt);
        const out = aesGcmOpenSync(key, nonce, sealed, aad);
        expect(out && bytesToHex(out), `n=${n} aad=${aadLen}`).toBe(bytesToHex(pt));
      }
    }
  });

  it('rejects every single-bit change of the 48-byte wrap (ciphertext and tag) and of the AAD', () => {
    const key = randomBytes(32);
    const nonce = randomBytes(12);
    const aad = randomBytes(20);
    const sealed = gcm(key, nonce, aad).encrypt(randomBytes(32));
    expect(aesGcmOpenSync(key, nonce, sealed, aad)).not.toBeNull();
    for (let bit = 0; bit < sealed.length * 8; bit++) {
      const bad = sealed.slice();
      bad[bit >> 3]! ^= 1 << (bit & 7);
      expect(aesGcmOpenSync(key, nonce, bad, aad), `bit ${bit}`).toBeNull();
    }
    for (let bit = 0; bit < aad.length * 8; bit++) {
      const badAad = aad.slice();
      badAad[bit >> 3]! ^= 1 << (bit & 7);
      expect(aesGcmOpenSync(key, nonce, sealed, badAad), `aad bit ${bit}`).toBeNull();
    }
    const otherKey = key.slice();
    otherKey[0]! ^= 1;
    expect(aesGcmOpenSync(otherKey, nonce, sealed, aad)).toBeNull();
    expect(aesGcmOpenSync(key, nonce, sealed.subarray(0, 15), aad)).toBeNull();
    expect(aesGcmOpenSync(key, nonce, sealed, undefined)).toBeNull();
  });

  it('opens a misaligned view (the wrap sits at byte 1 of the decoded header)', () => {
    const key = randomBytes(32);
    const nonce = randomBytes(12);
    const pt = randomBytes(32);
    const buf = new Uint8Array(64);
    buf.set(gcm(key, nonce).encrypt(pt), 1);
    const out = aesGcmOpenSync(key.subarray(0), nonce, buf.subarray(1, 49));
    expect(out && bytesToHex(out)).toBe(bytesToHex(pt));
  });
});
