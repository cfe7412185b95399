/**
 * crypto/envelope-kdf.ts `keySchedule` (on crypto/sha256-block.ts) against @noble/hashes' hkdf and
 * sha256 for random inputs, and sha256-block's padding at every message length it takes (0…119
 * bytes after one absorbed block) against noble's sha256.
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { keySchedule } from '../../src/lib/crypto/envelope-kdf';
import { sha256Compress, sha256Finish, sha256Iv } from '../../src/lib/crypto/sha256-block';
import { bytesToHex, concatBytes, randomBytes, utf8Encode } from '../../src/lib/shared/bytes';

describe('keySchedule', () => {
  it('equals HKDF-SHA256(salt "veil/env1/kem", ss ‖ E ‖ EK, "veil/env1/wrap", 44) from @noble/hashes', () => {
    for (let i = 0; i < 200; i++) {
      const [ss, e, ek] = [randomBytes(32), randomBytes(32), randomBytes(32)];
      const okm = hkdf(sha256, concatBytes(ss, e, ek), utf8Encode('veil/env1/kem'), utf8Encode('veil/env1/wrap'), 44);
      const ks = keySchedule(ss, e, ek);
      expect(bytesToHex(ks.kek) + bytesToHex(ks.wrapNonce)).toBe(bytesToHex(okm));
    }
  });
});

describe('sha256-block', () => {
  it('hashes a 64-byte block plus 0…119 more bytes as noble sha256 does', () => {
    const msg = randomBytes(64 + 119);
    for (let len = 0; len <= 119; len++) {
      const st = sha256Iv(new Int32Array(8));
      sha256Compress(st, msg, 0);
      const buf = new Uint8Array(128);
      buf.set(msg.subarray(64, 64 + len));
      const out = new Uint8Array(32);
      sha256Finish(st, buf, len, 64, out, 0);
      expect(bytesToHex(out), `len ${len}`).toBe(bytesToHex(sha256(msg.subarray(0, 64 + len))));
    }
  });
});
