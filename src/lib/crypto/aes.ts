/**
 * AES-256-GCM through WebCrypto (the founding document's "AES-GCM with a unique session key").
 * 96-bit nonces and 128-bit tags only. Output of `encrypt` is ciphertext ‖ tag. The tag is
 * checked by WebCrypto before any plaintext is released; every failure is DECRYPT_FAILED.
 */
import { abytes } from '../shared/bytes';
import { VeilError } from '../shared/errors';
import { gcmOpen } from './gcm-open';

const ALG = 'AES-GCM';

async function importKey(key: Uint8Array, usage: KeyUsage): Promise<CryptoKey> {
  abytes(key, 32, 'AES-256 key');
  return crypto.subtle.importKey('raw', key as Uint8Array<ArrayBuffer>, { name: ALG }, false, [usage]);
}

export async function aesGcmEncrypt(
  key: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array = new Uint8Array(0)
): Promise<Uint8Array> {
  abytes(nonce, 12, 'nonce');
  abytes(plaintext, undefined, 'plaintext');
  abytes(aad, undefined, 'aad');
  const k = await importKey(key, 'encrypt');
  const ct = await crypto.subtle.encrypt(
    { name: ALG, iv: nonce as Uint8Array<ArrayBuffer>, additionalData: aad as Uint8Array<ArrayBuffer>, tagLength: 128 },
    k,
    plaintext as Uint8Array<ArrayBuffer>
  );
  return new Uint8Array(ct);
}

export async function aesGcmDecrypt(
  key: Uint8Array,
  nonce: Uint8Array,
  ciphertextAndTag: Uint8Array,
  aad: Uint8Array = new Uint8Array(0)
): Promise<Uint8Array> {
  abytes(nonce, 12, 'nonce');
  abytes(ciphertextAndTag, undefined, 'ciphertext');
  abytes(aad, undefined, 'aad');
  if (ciphertextAndTag.length < 16) throw new VeilError('DECRYPT_FAILED', 'decryption failed');
  const k = await importKey(key, 'decrypt');
  try {
    const pt = await crypto.subtle.decrypt(
      { name: ALG, iv: nonce as Uint8Array<ArrayBuffer>, additionalData: aad as Uint8Array<ArrayBuffer>, tagLength: 128 },
      k,
      ciphertextAndTag as Uint8Array<ArrayBuffer>
    );
    return new Uint8Array(pt);
  } catch (cause) {
    throw new VeilError('DECRYPT_FAILED', 'decryption failed', { cause });
  }
}

/**
 * Synchronous AES-256-GCM decryption (./gcm-open.ts: noble's AES block, a table-free GHASH), same contract and results as
 * `aesGcmDecrypt`: 32-byte key, 12-byte nonce, ciphertext ‖ 16-byte tag, tag checked before any
 * plaintext exists, every failure DECRYPT_FAILED. Only for the envelope's 48-byte key unwrap
 * (spec 0001 §Key schedule, §Constant time and the WebAssembly path): there WebCrypto's
 * importKey + decrypt promises cost about 0.27 ms for three blocks, more than the rest of the
 * trial-open beyond ECDH, while this costs about 3 µs in Chromium (noble's own gcm, whose GHASH
 * builds per-key tables, about 24 µs in Node). Bodies stay on WebCrypto. noble's AES
 * uses lookup tables (cache timing), acceptable here because each key-encryption key is used
 * once, for one 32-byte session key; the EK secret never reaches AES. Checked against the
 * Wycheproof AES-GCM vectors (tests/unit/conformance/wycheproof-aes-gcm.test.ts).
 */
export function aesGcmDecryptSync(key: Uint8Array, nonce: Uint8Array, ciphertextAndTag: Uint8Array, aad?: Uint8Array): Uint8Array {
  const pt = aesGcmOpenSync(key, nonce, ciphertextAndTag, aad);
  if (pt === null) throw new VeilError('DECRYPT_FAILED', 'decryption failed');
  return pt;
}

/**
 * `aesGcmDecryptSync` returning null instead of throwing when the tag does not match (or the
 * input is shorter than a tag): the trial open rejects nearly every envelope it sees, and building
 * our error on top of noble's costs several microseconds more. Bad key or nonce sizes still throw.
 */
export function aesGcmOpenSync(key: Uint8Array, nonce: Uint8Array, ciphertextAndTag: Uint8Array, aad?: Uint8Array): Uint8Array | null {
  abytes(key, 32, 'AES-256 key');
  abytes(nonce, 12, 'nonce');
  abytes(ciphertextAndTag, undefined, 'ciphertext');
  if (aad !== undefined) abytes(aad, undefined, 'aad');
  return gcmOpen(key, nonce, ciphertextAndTag, aad);
}
