/**
 * Legacy NIP-04 direct messages (kind 4), DECRYPT ONLY (issue 5 §5: old messages from a contact can
 * be read, marked as legacy; Veil never sends NIP-04 — it leaks metadata and is unauthenticated).
 *
 * NIP-04: the key is the 32-byte x coordinate of the ECDH point (NOT hashed), AES-256-CBC with
 * PKCS#7 padding, content = base64(ciphertext) + "?iv=" + base64(16-byte IV). CBC has no MAC: a
 * relay can flip bits in the plaintext, so callers must show such text as "legacy, unauthenticated"
 * (the outer event signature still proves who sent the ciphertext). Decryption runs on WebCrypto.
 */
import { base64Decode, utf8Decode, wipe } from '../shared/bytes';
import { VeilError, isVeilError } from '../shared/errors';
import { ecdh, xOnlyFromHex } from './keys';
import type { Signer } from './signer';

export const LEGACY_DM_KIND = 4;
/** Largest kind 4 content we try (base64 of ~48 KiB); older clients sent short texts. */
export const MAX_NIP04_CONTENT_CHARS = 64 * 1024;

/** Parses "b64?iv=b64" strictly. Errors: TOO_LARGE, DECRYPT_FAILED. */
export function parseNip04Content(content: string): { ciphertext: Uint8Array; iv: Uint8Array } {
  if (typeof content !== 'string') throw new VeilError('DECRYPT_FAILED', 'decryption failed');
  if (content.length > MAX_NIP04_CONTENT_CHARS) throw new VeilError('TOO_LARGE', 'legacy message too large');
  const parts = content.split('?iv=');
  if (parts.length !== 2) throw new VeilError('DECRYPT_FAILED', 'decryption failed');
  try {
    const ciphertext = base64Decode(parts[0]!);
    const iv = base64Decode(parts[1]!);
    if (iv.length !== 16 || ciphertext.length === 0 || ciphertext.length % 16 !== 0) throw new VeilError('DECRYPT_FAILED', 'decryption failed');
    return { ciphertext, iv };
  } catch (cause) {
    if (isVeilError(cause, 'DECRYPT_FAILED')) throw cause;
    throw new VeilError('DECRYPT_FAILED', 'decryption failed', { cause });
  }
}

/**
 * NIP-04 decrypt with a secret key: AES-256-CBC(key = x(sk·peer)). Errors: INVALID_KEY (bad key or
 * peer), TOO_LARGE, DECRYPT_FAILED (format, padding, or not UTF-8).
 */
export async function nip04Decrypt(secretKey: Uint8Array, peerPubkeyHex: string, content: string): Promise<string> {
  const peer = xOnlyFromHex(peerPubkeyHex, 'peer pubkey');
  const { ciphertext, iv } = parseNip04Content(content);
  // x(sk·P) does not depend on which of the two points with this x the peer's key lifts to.
  const shared = ecdh(secretKey, peer);
  try {
    const key = await crypto.subtle.importKey('raw', shared as Uint8Array<ArrayBuffer>, { name: 'AES-CBC' }, false, ['decrypt']);
    const pt = await crypto.subtle.decrypt({ name: 'AES-CBC', iv: iv as Uint8Array<ArrayBuffer> }, key, ciphertext as Uint8Array<ArrayBuffer>);
    return utf8Decode(new Uint8Array(pt));
  } catch (cause) {
    throw new VeilError('DECRYPT_FAILED', 'decryption failed', { cause });
  } finally {
    wipe(shared);
  }
}

/**
 * Decrypts with whatever holds the identity key: a secret key, or a Signer's nip04Decrypt
 * (NIP-07 `nip04.decrypt`, NIP-46 `nip04_decrypt`). Errors: SIGNER_UNAVAILABLE when the signer
 * cannot, else as nip04Decrypt / the signer.
 */
export async function nip04DecryptWith(recipient: Signer | Uint8Array, peerPubkeyHex: string, content: string): Promise<string> {
  if (recipient instanceof Uint8Array) return nip04Decrypt(recipient, peerPubkeyHex, content);
  if (!recipient.nip04Decrypt) throw new VeilError('SIGNER_UNAVAILABLE', 'signer cannot decrypt NIP-04');
  parseNip04Content(content); // bounds and format before asking an extension or a bunker
  return recipient.nip04Decrypt(peerPubkeyHex, content);
}
