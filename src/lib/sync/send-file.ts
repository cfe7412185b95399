/**
 * A file for a chat (issue 15 §1): encrypted once in the browser (crypto/file.ts), uploaded to a
 * Blossom server as ciphertext by a throw-away key (blossom-upload.ts); the kind 15 metadata it
 * returns (URL, key, nonce, hashes, size, type) then travels inside the envelope or gift wrap
 * (Messenger.send with `file`). The server sees random bytes of a known size and the uploader's
 * network address; it never sees who sends to whom.
 */
import { encryptFile } from '../crypto/file';
import type { Nip17File } from '../crypto/nip17';
import { uploadEncrypted, type BlobPut, type UploadOptions } from './blossom-upload';

/** Encrypts `bytes` and uploads the ciphertext. Errors: INVALID_INPUT, TOO_LARGE, FILE_UNAVAILABLE. */
export async function uploadFile(server: string, bytes: Uint8Array, meta: { mimeType?: string; dim?: string; inlineThumb?: string; pad?: boolean }, put: BlobPut, o: UploadOptions): Promise<Nip17File> {
  const { ciphertext, file } = await encryptFile(bytes, meta);
  return uploadEncrypted(server, ciphertext, file, put, o);
}
