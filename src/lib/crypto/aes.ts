/**
 * AES-256-GCM through WebCrypto (the founding document's "AES-GCM with a unique session key").
 * 96-bit nonces and 128-bit tags only. Output of `encrypt` is ciphertext ‖ tag. The tag is
 * checked by WebCrypto before any plaintext is released; every failure is DECRYPT_FAILED.
 */
import { abytes } from '../shared/bytes';
import { VeilError } from '../shared/errors';

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
