/**
 * Blossom authorization (BUD-02 upload, BUD-01 §Auth): a kind 24242 event naming the action and the
 * blob's sha256, with a short expiration, signed by a THROW-AWAY key made for this one upload: the
 * file server learns neither the sender's identity nor that two uploads come from one person
 * (beyond the network address). Pure: the upload itself is sync/blossom-upload.ts.
 */
import { finalizeEvent, generateSecretKey } from 'nostr-tools/pure';
import { VeilError } from '../shared/errors';

export const BLOSSOM_AUTH_KIND = 24242;
/** How long an upload authorization stays valid (seconds). */
export const AUTH_LIFETIME_S = 300;
const HEX64 = /^[0-9a-f]{64}$/;

/** The `Authorization` header value for uploading the blob `sha256` (hex). Errors: INVALID_INPUT. */
export function blossomUploadAuth(sha256: string, nowS: number): string {
  if (!HEX64.test(sha256)) throw new VeilError('INVALID_INPUT', 'blob hash must be 64 lowercase hex');
  const secret = generateSecretKey();
  const ev = finalizeEvent(
    {
      kind: BLOSSOM_AUTH_KIND,
      created_at: nowS,
      content: 'Upload an encrypted file',
      tags: [['t', 'upload'], ['x', sha256], ['expiration', String(nowS + AUTH_LIFETIME_S)]]
    },
    secret
  );
  secret.fill(0);
  return `Nostr ${btoa(JSON.stringify(ev))}`;
}
