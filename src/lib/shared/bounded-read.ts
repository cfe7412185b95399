/**
 * Reads a response body without ever holding more than `maxBytes` of it: the stream is cancelled as soon
 * as the bound is passed. Used for relay information documents (relay/nip11.ts) and file downloads
 * (sync/file-download.ts), where the other side decides how much it sends.
 */
import { concatBytes } from './bytes';
import { VeilError } from './errors';

/** `onChunk(total)` hears the bytes read so far after each chunk (download progress). */
export async function readStreamBounded(body: ReadableStream<Uint8Array>, maxBytes: number, what: string, onChunk?: (total: number) => void): Promise<Uint8Array> {
  const reader = body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > maxBytes) {
      void reader.cancel().catch(() => undefined);
      throw new VeilError('TOO_LARGE', `${what} is too large`);
    }
    parts.push(value);
    onChunk?.(total);
  }
  return concatBytes(...parts);
}
