/**
 * Encrypt (issue 15 §1) and decrypt a NIP-17 kind 15 file (issue 5 §3; docs/design.md §3 "Larger content is encrypted once with
 * AES-GCM and stored elsewhere"). This module only sees bytes: sync/file-download.ts fetches them.
 * The server is untrusted: the sha256 of the ciphertext must equal the `x` tag before anything is
 * decrypted, and AES-GCM authenticates the plaintext (the `ox` hash, when given, is checked too).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, randomBytes } from '../shared/bytes';
import { VeilError } from '../shared/errors';
import { fileKeyBytes, isInlineThumb, type Nip17File } from './nip17';

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
  let bytes = await decryptFileBytes(file, ciphertext);
  if (file.plainSize !== undefined) {
    // A padded file (Veil envelopes): the padding is zeros, and nothing but zeros.
    if (file.plainSize > bytes.length || bytes.subarray(file.plainSize).some((b) => b !== 0)) throw new VeilError('DECRYPT_FAILED', 'file padding is malformed');
    bytes = bytes.slice(0, file.plainSize);
  }
  if (file.originalSha256 !== undefined && bytesToHex(sha256(bytes)) !== file.originalSha256)
    throw new VeilError('DECRYPT_FAILED', 'decrypted file hash does not match');
  return { bytes, ...(file.mimeType ? { mimeType: file.mimeType } : {}) };
}

/** Largest file Veil encrypts and sends (bytes of the plaintext); the upload is 16 bytes more. */
export const MAX_SEND_FILE_BYTES = 25 * 1024 * 1024 - 16;

/**
 * The padded length of a file of `n` bytes: Padmé (Nikitin et al., "Reducing Metadata Leakage from
 * Encrypted Files and Communication with PURBs", PETS 2019): the low bits of the length are zeroed so
 * that at most O(log log n) bits of it are left, at most +12% (+2.5% around 5 MB).
 */
export function padmeLength(n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new VeilError('INVALID_INPUT', 'length must be a non-negative integer');
  if (n < 2) return n;
  const e = n.toString(2).length - 1; // ⌊log2 n⌋, exact
  const zeroed = e - e.toString(2).length; // e − (⌊log2 e⌋ + 1) low bits are zeroed
  const step = 2 ** zeroed;
  return Math.ceil(n / step) * step;
}

/** What is known of a file before its upload: everything of its kind 15 but the URL. */
export type SealedFile = Omit<Nip17File, 'url' | 'fallbacks'> & { sha256: string; originalSha256: string; size: number };

/**
 * Encrypts a file once, as kind 15 does: a fresh AES-256-GCM key and 12-byte nonce from the CSPRNG,
 * the 16-byte tag appended. `x` (sha256 of the ciphertext, what a Blossom server names it by),
 * `ox` and `size` are filled in. Errors: INVALID_INPUT (empty), TOO_LARGE.
 */
export async function encryptFile(plain: Uint8Array, opts: { mimeType?: string; dim?: string; inlineThumb?: string; pad?: boolean } = {}): Promise<{ ciphertext: Uint8Array; file: SealedFile }> {
  if (plain.length === 0) throw new VeilError('INVALID_INPUT', 'the file is empty');
  if (plain.length > MAX_SEND_FILE_BYTES) throw new VeilError('TOO_LARGE', 'the file is too large');
  const key = randomBytes(32);
  const nonce = randomBytes(12);
  const k = await crypto.subtle.importKey('raw', key as Uint8Array<ArrayBuffer>, { name: 'AES-GCM' }, false, ['encrypt']);
  // Padded (`pad`: for Veil recipients, who read `plainSize`): the file server sees a rounded size.
  const padded = opts.pad ? new Uint8Array(Math.min(padmeLength(plain.length), MAX_SEND_FILE_BYTES)) : plain;
  if (padded !== plain) padded.set(plain);
  const ciphertext = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: nonce as Uint8Array<ArrayBuffer>, tagLength: 128 }, k, padded as Uint8Array<ArrayBuffer>));
  if (padded !== plain) padded.fill(0);
  const file: SealedFile = {
    algorithm: 'aes-gcm',
    keyHex: bytesToHex(key),
    nonceHex: bytesToHex(nonce),
    sha256: bytesToHex(sha256(ciphertext)),
    originalSha256: bytesToHex(sha256(plain)),
    size: ciphertext.length,
    ...(padded !== plain ? { plainSize: plain.length } : {}),
    ...(opts.mimeType && /^[a-z0-9!#$&^_.+-]{1,64}\/[a-z0-9!#$&^_.+-]{1,128}$/i.test(opts.mimeType) ? { mimeType: opts.mimeType.toLowerCase() } : {}),
    ...(opts.dim && /^[0-9]{1,6}x[0-9]{1,6}$/.test(opts.dim) ? { dim: opts.dim } : {}),
    ...(isInlineThumb(opts.inlineThumb) ? { inlineThumb: opts.inlineThumb } : {})
  };
  key.fill(0);
  return { ciphertext, file };
}
