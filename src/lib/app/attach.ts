/**
 * Attaching a file in the chat (issue 15 §1): the browser half. The file is read, encrypted and
 * uploaded by sync/send-file.ts (ciphertext only, a throw-away key); here is the transport with
 * upload progress (XMLHttpRequest: fetch reports none), and an image's dimensions for its `dim` tag.
 */
import type { BlobPut } from '$lib/sync/blossom-upload';
import type { Nip17File } from '$lib/crypto/nip17';

/** A BlobPut over XMLHttpRequest: progress as the body leaves, aborted by the signal. */
export const xhrPut: BlobPut = (url, body, headers, opts) =>
  new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', url);
    xhr.withCredentials = false;
    for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => opts.onProgress?.(e.loaded);
    xhr.onload = () => {
      const reason = xhr.getResponseHeader('X-Reason') ?? undefined;
      resolve({ status: xhr.status, text: xhr.responseText, ...(reason ? { reason } : {}) });
    };
    xhr.onerror = () => reject(new TypeError('network error'));
    xhr.onabort = () => reject(new DOMException('aborted', 'AbortError'));
    if (opts.signal.aborted) return reject(new DOMException('aborted', 'AbortError'));
    opts.signal.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(new Blob([body as Uint8Array<ArrayBuffer>]));
  });

/** `WIDTHxHEIGHT` of an image file, when the browser can decode it; undefined otherwise. */
async function imageDim(file: Blob): Promise<string | undefined> {
  if (!file.type.startsWith('image/') || typeof createImageBitmap !== 'function') return undefined;
  try {
    const bmp = await createImageBitmap(file);
    const dim = `${bmp.width}x${bmp.height}`;
    bmp.close();
    return dim;
  } catch {
    return undefined;
  }
}

/** Encrypts and uploads `file` to `server`; progress in bytes of the upload. Errors: send-file.ts uploadFile's. */
export async function attachFile(server: string, file: File, o: { signal: AbortSignal; onProgress(sent: number, total: number): void }): Promise<Nip17File> {
  const [{ uploadFile }, bytes, dim] = await Promise.all([import('$lib/sync/send-file'), file.arrayBuffer().then((b) => new Uint8Array(b)), imageDim(file)]);
  const meta = { ...(file.type ? { mimeType: file.type } : {}), ...(dim ? { dim } : {}) };
  return uploadFile(server, bytes, meta, xhrPut, { nowS: Math.floor(Date.now() / 1000), signal: o.signal, onProgress: o.onProgress });
}
