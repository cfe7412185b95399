/**
 * Decrypt a NIP-17 kind 15 file (issue 5 §3; docs/design.md §3 "Larger content is encrypted once with
 * AES-GCM and stored elsewhere"). This module only sees bytes: sync/file-download.ts fetches them.
 * The server is untrusted: the sha256 of the ciphertext must equal the `x` tag before anything is
 * decrypted, and AES-GCM authenticates the plaintext (the `ox` hash, when given, is checked too).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '../shared/bytes';
import { VeilError } from '../shared/errors';
import { fileKeyBytes, type Nip17File } from './nip17';

/**
 * AES-256-GCM decryption with the file's key and nonce (12 or 16 bytes, as clients send both);
 * the 16-byte tag is at the end of the ciphertext. Errors: DECRYPT_FAILED.
 */
export async function decryptFileBytes(file: Nip17File, ciphertext: Uint8Array): Promise<Uint8Array> {
  const { key, nonce } = fileKeyBytes(file);
  if (ciphertext.length < 16) throw new VeilError('DECRYPT_FAILED', 'decryption failed');
  try {
    const k = await crypto.subtle.importKey('raw', key as Uint8Array<ArrayBuffer>, { name: 'AES-GCM' }, false, ['decrypt']);
    const pt = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: nonce as Uint8Array<ArrayBuffer>, tagLength: 128 }, k, ciphertext as Uint8Array<ArrayBuffer>);
    return new Uint8Array(pt);
  } catch (cause) {
    throw new VeilError('DECRYPT_FAILED', 'decryption failed', { cause });
  }
}

/**
 * Checks and decrypts the downloaded ciphertext of a kind 15 attachment: sha256(ciphertext) = `x`
 * when given (a server that swapped the file is caught before any decryption), the AES-GCM tag,
 * sha256(plaintext) = `ox` when given. Errors: DECRYPT_FAILED.
 */
export async function decryptNip17File(ciphertext: Uint8Array, file: Nip17File): Promise<{ bytes: Uint8Array; mimeType?: string }> {
  if (file.sha256 !== undefined && bytesToHex(sha256(ciphertext)) !== file.sha256) throw new VeilError('DECRYPT_FAILED', 'file hash does not match');
  const bytes = await decryptFileBytes(file, ciphertext);
  if (file.originalSha256 !== undefined && bytesToHex(sha256(bytes)) !== file.originalSha256)
    throw new VeilError('DECRYPT_FAILED', 'decrypted file hash does not match');
  return { bytes, ...(file.mimeType ? { mimeType: file.mimeType } : {}) };
}
