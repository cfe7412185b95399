/**
 * Wycheproof AES-GCM through aes.ts: the 256-bit key, 96-bit IV, 128-bit tag groups (66 cases).
 * Valid cases must give exactly the published ciphertext and tag and decrypt back; invalid ones
 * (modified tags, etc.) must be rejected with DECRYPT_FAILED. Both decryptors: WebCrypto
 * (`aesGcmDecrypt`, envelope bodies) and the synchronous one (`aesGcmDecryptSync`, the key unwrap:
 * noble's AES block with the table-free GHASH of crypto/gcm-open.ts).
 */
import { describe, expect, it } from 'vitest';
import { aesGcmDecrypt, aesGcmDecryptSync, aesGcmEncrypt } from '../../../src/lib/crypto/aes';
import { bytesToHex, concatBytes, hexToBytes } from '../../../src/lib/shared/bytes';
import { isVeilError } from '../../../src/lib/shared/errors';
import { loadVectors } from '../../helpers/vectors';

interface Case { tcId: number; key: string; iv: string; aad: string; msg: string; ct: string; tag: string; result: 'valid' | 'invalid' | 'acceptable'; flags: string[] }
interface Group { keySize: number; ivSize: number; tagSize: number; tests: Case[] }

const data = loadVectors<{ testGroups: Group[] }>('wycheproof-aes-gcm.json');
const cases = data.testGroups
  .filter((g) => g.keySize === 256 && g.ivSize === 96 && g.tagSize === 128)
  .flatMap((g) => g.tests);

describe('Wycheproof AES-256-GCM (96-bit IV, 128-bit tag)', () => {
  it('has the 66 cases the README announces', () => {
    expect(cases.length).toBe(66);
    expect(cases.some((c) => c.result === 'invalid')).toBe(true);
  });

  for (const c of cases) {
    it(`tcId ${c.tcId} (${c.result}${c.flags.length ? ' ' + c.flags.join(',') : ''})`, async () => {
      const key = hexToBytes(c.key);
      const iv = hexToBytes(c.iv);
      const aad = hexToBytes(c.aad);
      const ctTag = concatBytes(hexToBytes(c.ct), hexToBytes(c.tag));
      if (c.result === 'valid') {
        const out = await aesGcmEncrypt(key, iv, hexToBytes(c.msg), aad);
        expect(bytesToHex(out)).toBe(c.ct + c.tag);
        const pt = await aesGcmDecrypt(key, iv, ctTag, aad);
        expect(bytesToHex(pt)).toBe(c.msg);
        expect(bytesToHex(aesGcmDecryptSync(key, iv, ctTag, aad)), 'sync').toBe(c.msg);
      } else {
        // No "acceptable" cases exist in these groups; anything not valid must be rejected.
        const err = await aesGcmDecrypt(key, iv, ctTag, aad).then(
          () => null,
          (e: unknown) => e
        );
        expect(isVeilError(err, 'DECRYPT_FAILED')).toBe(true);
        let syncErr: unknown = null;
        try {
          aesGcmDecryptSync(key, iv, ctTag, aad);
        } catch (e) {
          syncErr = e;
        }
        expect(isVeilError(syncErr, 'DECRYPT_FAILED'), 'sync').toBe(true);
      }
    });
  }
});
