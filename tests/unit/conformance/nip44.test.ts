/**
 * NIP-44 v2 conformance through our glue (src/lib/crypto/nip44.ts): every group of the published
 * vectors (paulmillr/nip44), plus the 2026 extended-prefix vectors (plaintexts ≥ 65536 bytes).
 * Per the vectors README, the old `invalid.encrypt_msg_lengths` entries 65536, 100000 and 10000000
 * are valid lengths now; 0 stays invalid.
 */
import { describe, expect, it } from 'vitest';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  calcPaddedLen,
  getConversationKey,
  getMessageKeys,
  nip44Decrypt,
  nip44Encrypt
} from '../../../src/lib/crypto/nip44';
import { getXOnlyPublicKey } from '../../../src/lib/crypto/keys';
import { bytesToHex, hexToBytes, utf8Encode } from '../../../src/lib/shared/bytes';
import { isVeilError } from '../../../src/lib/shared/errors';
import { loadVectors } from '../../helpers/vectors';

interface V44 {
  v2: {
    valid: {
      get_conversation_key: { sec1: string; pub2: string; conversation_key: string }[];
      get_message_keys: { conversation_key: string; keys: { nonce: string; chacha_key: string; chacha_nonce: string; hmac_key: string }[] };
      calc_padded_len: [number, number][];
      encrypt_decrypt: { sec1: string; sec2: string; conversation_key: string; nonce: string; plaintext: string; payload: string }[];
      encrypt_decrypt_long_msg: { conversation_key: string; nonce: string; pattern: string; repeat: number; plaintext_sha256: string; payload_sha256: string }[];
    };
    invalid: {
      encrypt_msg_lengths: number[];
      get_conversation_key: { sec1: string; pub2: string; note: string }[];
      decrypt: { conversation_key: string; nonce: string; plaintext: string; payload: string; note: string }[];
    };
  };
}
interface VExt {
  conversation_key: string;
  nonce: string;
  vectors: { plaintext_len: number; pattern: string; padded_len: number; plaintext_sha256: string; payload_sha256: string }[];
}

const v = loadVectors<V44>('nip44.vectors.json').v2;
const ext = loadVectors<VExt>('nip44.extended-prefix.vectors.json');
const sha = (s: string) => bytesToHex(sha256(utf8Encode(s)));
const NOW_VALID = new Set([65536, 100000, 10000000]);

function errorOf(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return null;
}

describe('NIP-44 v2 valid vectors', () => {
  it('get_conversation_key (35)', () => {
    expect(v.valid.get_conversation_key.length).toBe(35);
    for (const t of v.valid.get_conversation_key) {
      expect(bytesToHex(getConversationKey(hexToBytes(t.sec1), t.pub2))).toBe(t.conversation_key);
    }
  });

  it('get_message_keys (32)', () => {
    const ck = hexToBytes(v.valid.get_message_keys.conversation_key);
    expect(v.valid.get_message_keys.keys.length).toBe(32);
    for (const t of v.valid.get_message_keys.keys) {
      const k = getMessageKeys(ck, hexToBytes(t.nonce));
      expect(bytesToHex(k.chachaKey)).toBe(t.chacha_key);
      expect(bytesToHex(k.chachaNonce)).toBe(t.chacha_nonce);
      expect(bytesToHex(k.hmacKey)).toBe(t.hmac_key);
    }
  });

  it('calc_padded_len (24)', () => {
    expect(v.valid.calc_padded_len.length).toBe(24);
    for (const [len, padded] of v.valid.calc_padded_len) expect(calcPaddedLen(len)).toBe(padded);
  });

  it('encrypt_decrypt (10): conversation key from both sides, exact payload, round trip', () => {
    expect(v.valid.encrypt_decrypt.length).toBe(10);
    for (const t of v.valid.encrypt_decrypt) {
      const sec1 = hexToBytes(t.sec1);
      const sec2 = hexToBytes(t.sec2);
      const ck1 = getConversationKey(sec1, bytesToHex(getXOnlyPublicKey(sec2)));
      const ck2 = getConversationKey(sec2, bytesToHex(getXOnlyPublicKey(sec1)));
      expect(bytesToHex(ck1)).toBe(t.conversation_key);
      expect(bytesToHex(ck2)).toBe(t.conversation_key);
      expect(nip44Encrypt(t.plaintext, ck1, { nonce: hexToBytes(t.nonce) })).toBe(t.payload);
      expect(nip44Decrypt(t.payload, ck2)).toBe(t.plaintext);
    }
  });

  it('encrypt_decrypt_long_msg (3)', () => {
    expect(v.valid.encrypt_decrypt_long_msg.length).toBe(3);
    for (const t of v.valid.encrypt_decrypt_long_msg) {
      const pt = t.pattern.repeat(t.repeat);
      expect(sha(pt)).toBe(t.plaintext_sha256);
      const ck = hexToBytes(t.conversation_key);
      const payload = nip44Encrypt(pt, ck, { nonce: hexToBytes(t.nonce) });
      expect(sha(payload)).toBe(t.payload_sha256);
      expect(nip44Decrypt(payload, ck)).toBe(pt);
    }
  });
});

describe('NIP-44 v2 invalid vectors', () => {
  it('encrypt_msg_lengths: 0 is rejected; 65536, 100000, 10000000 are valid since the 2026 revision', () => {
    const ck = hexToBytes(ext.conversation_key);
    expect(v.invalid.encrypt_msg_lengths.length).toBe(4);
    for (const len of v.invalid.encrypt_msg_lengths) {
      const pt = 'a'.repeat(len);
      if (NOW_VALID.has(len)) {
        const payload = nip44Encrypt(pt, ck);
        expect(nip44Decrypt(payload, ck)).toBe(pt);
      } else {
        expect(len).toBe(0);
        expect(isVeilError(errorOf(() => nip44Encrypt(pt, ck)), 'INVALID_INPUT')).toBe(true);
      }
    }
  });

  it('get_conversation_key (8): INVALID_KEY', () => {
    expect(v.invalid.get_conversation_key.length).toBe(8);
    for (const t of v.invalid.get_conversation_key) {
      const e = errorOf(() => getConversationKey(hexToBytes(t.sec1), t.pub2));
      expect(isVeilError(e, 'INVALID_KEY'), t.note).toBe(true);
    }
  });

  it('decrypt (12): DECRYPT_FAILED', () => {
    expect(v.invalid.decrypt.length).toBe(12);
    for (const t of v.invalid.decrypt) {
      const e = errorOf(() => nip44Decrypt(t.payload, hexToBytes(t.conversation_key)));
      expect(isVeilError(e, 'DECRYPT_FAILED'), t.note).toBe(true);
    }
  });
});

describe('NIP-44 2026 extended length prefix', () => {
  for (const t of ext.vectors) {
    it(`${t.plaintext_len} bytes → padded ${t.padded_len}, exact payload, round trip`, () => {
      const pt = t.pattern.repeat(t.plaintext_len);
      expect(sha(pt)).toBe(t.plaintext_sha256);
      expect(calcPaddedLen(t.plaintext_len)).toBe(t.padded_len);
      const ck = hexToBytes(ext.conversation_key);
      const payload = nip44Encrypt(pt, ck, { nonce: hexToBytes(ext.nonce) });
      expect(sha(payload)).toBe(t.payload_sha256);
      expect(nip44Decrypt(payload, ck)).toBe(pt);
      // The 6-byte prefix (0x0000 ‖ u32) is used exactly from 65536 bytes on: total padded size.
      const raw = Buffer.from(payload, 'base64');
      const prefix = t.plaintext_len >= 65536 ? 6 : 2;
      expect(raw.length).toBe(1 + 32 + prefix + t.padded_len + 32);
    });
  }

  it('bounds: a payload above maxPayloadChars is TOO_LARGE before decoding', () => {
    const ck = hexToBytes(ext.conversation_key);
    const payload = nip44Encrypt('a'.repeat(1000), ck);
    expect(isVeilError(errorOf(() => nip44Decrypt(payload, ck, { maxPayloadChars: 500 })), 'TOO_LARGE')).toBe(true);
    expect(isVeilError(errorOf(() => nip44Encrypt('a'.repeat(1000), ck, { maxPlaintextBytes: 999 })), 'TOO_LARGE')).toBe(true);
  });
});
