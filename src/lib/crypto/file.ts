/**
 * Download and decrypt a NIP-17 kind 15 file message (issue 5 §3; DESIGN.md §3 "Larger content is
 * encrypted once with AES-GCM and stored elsewhere"). The server is untrusted: the download is
 * bounded while it streams, the sha256 of the ciphertext must equal the `x` tag before anything is
 * decrypted, and AES-GCM authenticates the plaintext (the `ox` hash, when given, is checked too).
 * `fetch` is passed in (this module never touches page globals).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes } from '../shared/bytes';
import { VeilError, isVeilError } from '../shared/errors';
import { fileKeyBytes, type Nip17File } from './nip17';

/** The part of `fetch` used here. */
export type FileFetch = (
  url: string,
  init: { signal: AbortSignal; credentials?: 'omit'; referrerPolicy?: 'no-referrer' }
) => Promise<{ ok: boolean; status: number; body?: ReadableStream<Uint8Array> | null; arrayBuffer(): Promise<ArrayBuffer> }>;

/** Default largest encrypted file we download. */
export const DEFAULT_MAX_FILE_BYTES = 25 * 1024 * 1024;

async function readBounded(res: Awaited<ReturnType<FileFetch>>, max: number): Promise<Uint8Array> {
  if (!res.body) {
    const buf = new Uint8Array(await res.arrayBuffer());
    if (buf.length > max) throw new VeilError('TOO_LARGE', 'file too large');
    return buf;
  }
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > max) {
      await reader.cancel().catch(() => undefined);
      throw new VeilError('TOO_LARGE', 'file too large');
    }
    parts.push(value);
  }
  return concatBytes(...parts);
}

async function download(url: string, fetchFn: FileFetch, max: number, timeoutMs: number): Promise<Uint8Array> {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), timeoutMs);
  try {
    const res = await fetchFn(url, { signal: ctl.signal, credentials: 'omit', referrerPolicy: 'no-referrer' });
    if (!res.ok) throw new VeilError('FILE_UNAVAILABLE', `file server answered ${res.status}`);
    return await readBounded(res, max);
  } catch (cause) {
    if (isVeilError(cause)) throw cause;
    throw new VeilError('FILE_UNAVAILABLE', 'file could not be downloaded', { cause });
  } finally {
    clearTimeout(timer);
  }
}

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
 * Downloads (url, then the fallbacks) and decrypts a kind 15 attachment. Checks: the advertised
 * size and the bytes read against `maxBytes`; sha256(ciphertext) = `x` when given; AES-GCM tag;
 * sha256(plaintext) = `ox` when given. Errors: TOO_LARGE, FILE_UNAVAILABLE (every URL failed),
 * DECRYPT_FAILED (hash mismatch or authentication failure).
 */
export async function downloadNip17File(
  file: Nip17File,
  fetchFn: FileFetch,
  opts: { maxBytes?: number; timeoutMs?: number } = {}
): Promise<{ bytes: Uint8Array; mimeType?: string }> {
  const max = opts.maxBytes ?? DEFAULT_MAX_FILE_BYTES;
  if (file.size !== undefined && file.size > max) throw new VeilError('TOO_LARGE', 'file too large');
  let lastError: unknown;
  for (const url of [file.url, ...file.fallbacks]) {
    let ct: Uint8Array;
    try {
      ct = await download(url, fetchFn, max, opts.timeoutMs ?? 60_000);
    } catch (e) {
      if (isVeilError(e, 'TOO_LARGE')) throw e;
      lastError = e;
      continue;
    }
    // A server that swapped the file is caught here, before any decryption.
    if (file.sha256 !== undefined && bytesToHex(sha256(ct)) !== file.sha256) {
      lastError = new VeilError('DECRYPT_FAILED', 'file hash does not match');
      continue;
    }
    const bytes = await decryptFileBytes(file, ct);
    if (file.originalSha256 !== undefined && bytesToHex(sha256(bytes)) !== file.originalSha256)
      throw new VeilError('DECRYPT_FAILED', 'decrypted file hash does not match');
    return { bytes, ...(file.mimeType ? { mimeType: file.mimeType } : {}) };
  }
  if (isVeilError(lastError)) throw lastError;
  throw new VeilError('FILE_UNAVAILABLE', 'file could not be downloaded', { cause: lastError });
}
