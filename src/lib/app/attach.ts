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

/** Longest side of a thumbnail, tried largest first until one fits the envelope's budget. */
const THUMB_SIDES = [96, 72, 48] as const;
const THUMB_QUALITIES = [0.6, 0.4, 0.25] as const;

/** Kinds of image the browser decodes and Veil previews (never SVG: it is a document, not a picture). */
export const PREVIEW_TYPES = /^image\/(jpeg|png|webp|gif|avif|bmp)$/;

/** Bytes → a data URL, without one string per byte. */
async function dataUrl(blob: Blob): Promise<string> {
  const { base64Encode } = await import('$lib/shared/bytes');
  return `data:${blob.type};base64,${base64Encode(new Uint8Array(await blob.arrayBuffer()))}`;
}

/**
 * A small WebP (JPEG where WebP cannot be written) of the picture, as a data URL of at most
 * MAX_INLINE_THUMB_CHARS, so it rides inside the envelope; undefined when none fits or the browser
 * cannot draw it.
 */
async function thumbnail(bmp: ImageBitmap): Promise<string | undefined> {
  if (typeof OffscreenCanvas !== 'function') return undefined;
  const { isInlineThumb } = await import('$lib/crypto/nip17');
  for (const side of THUMB_SIDES) {
    const scale = Math.min(1, side / Math.max(bmp.width, bmp.height));
    const w = Math.max(1, Math.round(bmp.width * scale));
    const h = Math.max(1, Math.round(bmp.height * scale));
    const canvas = new OffscreenCanvas(w, h);
    const g = canvas.getContext('2d');
    if (!g) return undefined;
    g.drawImage(bmp, 0, 0, w, h);
    for (const quality of THUMB_QUALITIES) {
      for (const type of ['image/webp', 'image/jpeg']) {
        const blob = await canvas.convertToBlob({ type, quality });
        if (blob.type !== type) continue; // this browser cannot write it
        const url = await dataUrl(blob);
        if (isInlineThumb(url)) return url;
        break; // written, too large: a lower quality next
      }
    }
  }
  return undefined;
}

/** An image's `WIDTHxHEIGHT` and thumbnail, when the browser can decode it; nothing otherwise. */
async function imageMeta(file: Blob): Promise<{ dim?: string; inlineThumb?: string }> {
  if (!PREVIEW_TYPES.test(file.type) || typeof createImageBitmap !== 'function') return {};
  let bmp: ImageBitmap;
  try {
    bmp = await createImageBitmap(file);
  } catch {
    return {}; // not a picture after all: sent as a plain file
  }
  try {
    const inlineThumb = await thumbnail(bmp).catch(() => undefined);
    return { dim: `${bmp.width}x${bmp.height}`, ...(inlineThumb ? { inlineThumb } : {}) };
  } finally {
    bmp.close();
  }
}

/**
 * Encrypts and uploads `file` to `server`; progress in bytes of the upload. `pad`: for a Veil contact, the
 * file is padded (crypto/file.ts padmeLength) so the server sees a rounded size. Errors: send-file.ts uploadFile's.
 */
export async function attachFile(server: string, file: File, o: { signal: AbortSignal; onProgress(sent: number, total: number): void; pad?: boolean }): Promise<Nip17File> {
  const [{ uploadFile }, bytes, image] = await Promise.all([import('$lib/sync/send-file'), file.arrayBuffer().then((b) => new Uint8Array(b)), imageMeta(file)]);
  const meta = { ...(file.type ? { mimeType: file.type } : {}), ...image, ...(o.pad ? { pad: true } : {}) };
  return uploadFile(server, bytes, meta, xhrPut, { nowS: Math.floor(Date.now() / 1000), signal: o.signal, onProgress: o.onProgress });
}
