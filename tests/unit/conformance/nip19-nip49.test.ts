/**
 * NIP-19 and NIP-49 vectors (NIP texts @ db5fe3de) through src/lib/crypto/nip19.ts and nip49.ts.
 */
import { describe, expect, it } from 'vitest';
import { decodeNpub, decodeNsec, encodeNpub, encodeNsec } from '../../../src/lib/crypto/nip19';
import { decryptNcryptsec, inspectNcryptsec } from '../../../src/lib/crypto/nip49';
import { bytesToHex, hexToBytes } from '../../../src/lib/shared/bytes';
import { isVeilError } from '../../../src/lib/shared/errors';
import { loadVectors } from '../../helpers/vectors';

interface V {
  nip49: { ncryptsec: string; password: string; log_n: number; expected_privkey_hex: string };
  nip19: { bech32: string; hex: string }[];
}
const v = loadVectors<V>('nip19-nip49.vectors.json');

describe('NIP-19 vectors', () => {
  it('has the three NIP-19 examples', () => expect(v.nip19.length).toBe(3));
  for (const t of v.nip19) {
    it(`${t.bech32.slice(0, 10)}… ⇄ hex`, () => {
      if (t.bech32.startsWith('npub1')) {
        expect(decodeNpub(t.bech32)).toBe(t.hex);
        expect(encodeNpub(t.hex)).toBe(t.bech32);
      } else {
        expect(t.bech32.startsWith('nsec1')).toBe(true);
        expect(bytesToHex(decodeNsec(t.bech32))).toBe(t.hex);
        expect(encodeNsec(hexToBytes(t.hex))).toBe(t.bech32);
      }
    });
  }
});

describe('NIP-49 vector', () => {
  it('decrypts with password "nostr" at log_n 16', async () => {
    expect(inspectNcryptsec(v.nip49.ncryptsec).logN).toBe(v.nip49.log_n);
    const out = await decryptNcryptsec(v.nip49.ncryptsec, v.nip49.password);
    expect(bytesToHex(out)).toBe(v.nip49.expected_privkey_hex);
  });

  it('wrong password → WRONG_PASSPHRASE; log_n above the cap → KDF_TOO_COSTLY before any work', async () => {
    const wrong = await decryptNcryptsec(v.nip49.ncryptsec, 'nostR').catch((e: unknown) => e);
    expect(isVeilError(wrong, 'WRONG_PASSPHRASE')).toBe(true);
    const costly = await decryptNcryptsec(v.nip49.ncryptsec, v.nip49.password, { maxLogN: 15 }).catch((e: unknown) => e);
    expect(isVeilError(costly, 'KDF_TOO_COSTLY')).toBe(true);
  });
});
