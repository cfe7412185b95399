/**
 * Uploads an encrypted file to a Blossom server (issue 15 §1; BUD-02 `PUT /upload`), authorized by
 * a throw-away key (crypto/blossom-auth.ts). The server is untrusted: the blob descriptor it answers
 * must name the sha256 and size we computed, and its URL must be one a receiver accepts (https, or
 * http to this machine). The transport is passed in (`BlobPut`: XHR in the browser for progress,
 * fetch in tests), so this file does no platform I/O of its own.
 */
import { blossomUploadAuth } from '../crypto/blossom-auth';
import type { SealedFile } from '../crypto/file';
import { parseFile, type Nip17File } from '../crypto/nip17';
import { VeilError, isVeilError } from '../shared/errors';
import { blossomServerUrl } from '../shared/file-server';

export { blossomServerUrl };

/** One HTTP PUT: resolves with the status, the server's X-Reason (if any) and the body text. */
export type BlobPut = (
  url: string,
  body: Uint8Array,
  headers: Record<string, string>,
  opts: { signal: AbortSignal; onProgress?: (sentBytes: number) => void }
) => Promise<{ status: number; reason?: string; text: string }>;

export interface UploadOptions {
  nowS: number;
  signal?: AbortSignal;
  onProgress?: (sentBytes: number, totalBytes: number) => void;
}

/**
 * Uploads `ciphertext` (from encryptFile) and returns the complete kind 15 metadata. Errors:
 * FILE_UNAVAILABLE (refused, unreachable, cancelled, or a descriptor that does not match).
 */
export async function uploadEncrypted(server: string, ciphertext: Uint8Array, file: SealedFile, put: BlobPut, o: UploadOptions): Promise<Nip17File> {
  const base = blossomServerUrl(server);
  if (ciphertext.length !== file.size) throw new VeilError('INVALID_INPUT', 'ciphertext and metadata differ');
  const ctl = new AbortController();
  const onAbort = (): void => ctl.abort();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  if (o.signal?.aborted) ctl.abort();
  let res: Awaited<ReturnType<BlobPut>>;
  try {
    const headers = { Authorization: blossomUploadAuth(file.sha256, o.nowS), 'Content-Type': 'application/octet-stream', 'X-SHA-256': file.sha256 };
    res = await put(`${base}/upload`, ciphertext, headers, { signal: ctl.signal, ...(o.onProgress ? { onProgress: (n: number) => o.onProgress!(n, ciphertext.length) } : {}) });
  } catch (cause) {
    if (isVeilError(cause)) throw cause;
    throw new VeilError('FILE_UNAVAILABLE', ctl.signal.aborted ? 'upload cancelled' : 'file server unreachable', { cause });
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
  }
  if (res.status < 200 || res.status > 299) throw new VeilError('FILE_UNAVAILABLE', `file server refused the upload (${res.status}${res.reason ? `: ${res.reason.slice(0, 200)}` : ''})`);
  let d: { url?: unknown; sha256?: unknown; size?: unknown };
  try {
    d = JSON.parse(res.text) as typeof d;
  } catch (cause) {
    throw new VeilError('FILE_UNAVAILABLE', 'file server answered something that is not a blob descriptor', { cause });
  }
  if (d.sha256 !== file.sha256 || (d.size !== undefined && d.size !== file.size) || typeof d.url !== 'string')
    throw new VeilError('FILE_UNAVAILABLE', 'file server stored something other than what was sent');
  const out: Nip17File = { ...file, url: d.url, fallbacks: [] };
  try {
    // What a receiver will accept (parseFile is the receiving side's check).
    parseFile({ content: out.url, tags: [['decryption-key', out.keyHex], ['decryption-nonce', out.nonceHex]] });
  } catch (cause) {
    throw new VeilError('FILE_UNAVAILABLE', 'file server gave an address receivers cannot use', { cause });
  }
  return out;
}

/** A BlobPut over fetch (no upload progress): Node, tests, and browsers without XHR. */
export function fetchPut(fetchFn: typeof fetch): BlobPut {
  return async (url, body, headers, opts) => {
    const r = await fetchFn(url, { method: 'PUT', body: body as Uint8Array<ArrayBuffer>, headers, signal: opts.signal, credentials: 'omit', referrerPolicy: 'no-referrer' });
    opts.onProgress?.(body.length);
    const reason = r.headers.get('x-reason') ?? undefined;
    return { status: r.status, text: await r.text(), ...(reason ? { reason } : {}) };
  };
}
