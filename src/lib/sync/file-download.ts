/**
 * Download of a NIP-17 kind 15 file message (issue 5 §3): the fetch half, kept out of crypto/
 * (which does no I/O). The server is untrusted: the download is bounded while it streams, and
 * crypto/file.ts checks the hashes and decrypts. `fetch` is passed in.
 */
import { readStreamBounded } from '../shared/bounded-read';
import { VeilError, isVeilError } from '../shared/errors';
import { decryptNip17File } from '../crypto/file';
import type { Nip17File } from '../crypto/nip17';

/** The part of `fetch` used here. */
export type FileFetch = (
  url: string,
  init: { signal: AbortSignal; credentials?: 'omit'; referrerPolicy?: 'no-referrer' }
) => Promise<{ ok: boolean; status: number; body?: ReadableStream<Uint8Array> | null; arrayBuffer(): Promise<ArrayBuffer> }>;

/** Default largest encrypted file we download. */
export const DEFAULT_MAX_FILE_BYTES = 25 * 1024 * 1024;

async function readBounded(res: Awaited<ReturnType<FileFetch>>, max: number): Promise<Uint8Array> {
  if (res.body) return readStreamBounded(res.body, max, 'file');
  const buf = new Uint8Array(await res.arrayBuffer());
  if (buf.length > max) throw new VeilError('TOO_LARGE', 'file is too large');
  return buf;
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
 * Downloads (url, then the fallbacks) and decrypts a kind 15 attachment. The advertised size and
 * the bytes read are held to `maxBytes`; a copy that fails crypto's checks (hash, AES-GCM tag) is
 * skipped for the next URL. Errors: TOO_LARGE, FILE_UNAVAILABLE (every URL failed), DECRYPT_FAILED
 * (every copy that arrived was wrong).
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
    try {
      return await decryptNip17File(await download(url, fetchFn, max, opts.timeoutMs ?? 60_000), file);
    } catch (e) {
      if (isVeilError(e, 'TOO_LARGE')) throw e;
      lastError = e;
    }
  }
  if (isVeilError(lastError)) throw lastError;
  throw new VeilError('FILE_UNAVAILABLE', 'file could not be downloaded', { cause: lastError });
}
