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
) => Promise<{ ok: boolean; status: number; headers?: { get(name: string): string | null }; body?: ReadableStream<Uint8Array> | null; arrayBuffer(): Promise<ArrayBuffer> }>;

/** Default largest encrypted file we download. */
export const DEFAULT_MAX_FILE_BYTES = 25 * 1024 * 1024;

/** How a download is followed and stopped. */
export interface DownloadOptions {
  /** Largest encrypted file read (default DEFAULT_MAX_FILE_BYTES). */
  maxBytes?: number;
  /** A server that sends nothing for this long is given up on (default 30 s); a slow but moving download goes on. */
  idleMs?: number;
  /** The person's Cancel: the download stops and FILE_UNAVAILABLE ("download cancelled") is thrown. */
  signal?: AbortSignal;
  /** Bytes received so far and the total expected (the message's `size`, else the server's Content-Length, else undefined). */
  onProgress?: (received: number, total: number | undefined) => void;
}

/** Default time a file server may go silent during a download. */
export const DEFAULT_IDLE_MS = 30_000;

async function download(url: string, fetchFn: FileFetch, max: number, o: DownloadOptions, size: number | undefined): Promise<Uint8Array> {
  const ctl = new AbortController();
  const idleMs = o.idleMs ?? DEFAULT_IDLE_MS;
  let timer = setTimeout(() => ctl.abort(), idleMs);
  const alive = () => {
    clearTimeout(timer);
    timer = setTimeout(() => ctl.abort(), idleMs);
  };
  const onAbort = () => ctl.abort();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  if (o.signal?.aborted) ctl.abort();
  try {
    const res = await fetchFn(url, { signal: ctl.signal, credentials: 'omit', referrerPolicy: 'no-referrer' });
    if (!res.ok) throw new VeilError('FILE_UNAVAILABLE', `file server answered ${res.status}`);
    const announced = Number(res.headers?.get('content-length') ?? NaN);
    const total = size ?? (Number.isSafeInteger(announced) && announced > 0 ? announced : undefined);
    o.onProgress?.(0, total);
    if (res.body) {
      return await readStreamBounded(res.body, max, 'file', (n) => {
        if (ctl.signal.aborted) throw new VeilError('FILE_UNAVAILABLE', 'stopped'); // a part read after Cancel is not reported
        alive();
        o.onProgress?.(n, total);
      });
    }
    const buf = new Uint8Array(await res.arrayBuffer());
    if (buf.length > max) throw new VeilError('TOO_LARGE', 'file is too large');
    o.onProgress?.(buf.length, total);
    return buf;
  } catch (cause) {
    if (o.signal?.aborted) throw new VeilError('FILE_UNAVAILABLE', 'download cancelled', { cause });
    if (isVeilError(cause)) throw cause;
    throw new VeilError('FILE_UNAVAILABLE', ctl.signal.aborted ? 'file server went silent' : 'file could not be downloaded', { cause });
  } finally {
    clearTimeout(timer);
    o.signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * Downloads (url, then the fallbacks) and decrypts a kind 15 attachment. The advertised size and
 * the bytes read are held to `maxBytes`; a copy that fails crypto's checks (hash, AES-GCM tag) is
 * skipped for the next URL. Errors: TOO_LARGE, FILE_UNAVAILABLE (every URL failed, or cancelled:
 * then no further URL is tried), DECRYPT_FAILED (every copy that arrived was wrong).
 */
export async function downloadNip17File(file: Nip17File, fetchFn: FileFetch, opts: DownloadOptions = {}): Promise<{ bytes: Uint8Array; mimeType?: string }> {
  const max = opts.maxBytes ?? DEFAULT_MAX_FILE_BYTES;
  if (file.size !== undefined && file.size > max) throw new VeilError('TOO_LARGE', 'file too large');
  let lastError: unknown;
  for (const url of [file.url, ...file.fallbacks]) {
    try {
      return await decryptNip17File(await download(url, fetchFn, max, opts, file.size), file);
    } catch (e) {
      if (isVeilError(e, 'TOO_LARGE') || opts.signal?.aborted) throw e;
      lastError = e;
    }
  }
  if (isVeilError(lastError)) throw lastError;
  throw new VeilError('FILE_UNAVAILABLE', 'file could not be downloaded', { cause: lastError });
}
