/**
 * Key commitment of envelope v3 (docs/proposals/0009-envelope-v3.md; issue 16 item 5). AES-GCM is
 * not key-committing: whoever knows two keys can make one ciphertext ‖ tag authentic under both.
 * v3 derives the body key and a 32-byte commitment from the session key, carries the commitment in
 * the envelope and checks it, in constant time, before the body is decrypted:
 *
 *   body_key   = HKDF-Expand(PRK = session_key, info = "veil/env3/body", L = 32)
 *              = HMAC-SHA256(session_key, "veil/env3/body" ‖ 0x01)
 *   commitment = HKDF-Expand(PRK = session_key, info = "veil/env3/commit" ‖ nonce ‖ aad, L = 32)
 *              = HMAC-SHA256(session_key, "veil/env3/commit" ‖ nonce ‖ aad ‖ 0x01)
 *
 * Two session keys with one commitment would be a collision of HMAC-SHA256 under two different
 * 32-byte keys, hence of SHA-256; so an envelope opens under at most one session key, with one
 * nonce and AAD, and every reader who opens it reads the same plaintext.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { abytes, equalBytes, utf8Encode } from '../shared/bytes';
import { COMMITMENT_BYTES, NONCE_BYTES, SESSION_KEY_BYTES } from './envelope-format';

const LABEL_BODY = utf8Encode('veil/env3/body');
const LABEL_COMMIT = utf8Encode('veil/env3/commit');
const COUNTER_1 = Uint8Array.of(1);

/** The session key's derived values. `bodyKey` is a secret: wipe it after use. */
export interface SessionKeys {
  bodyKey: Uint8Array;
  commitment: Uint8Array;
}

/** body_key and commitment (above) from a 32-byte session key, the body nonce and the body AAD. */
export function sessionKeys(sessionKey: Uint8Array, nonce: Uint8Array, aad: Uint8Array): SessionKeys {
  abytes(sessionKey, SESSION_KEY_BYTES, 'session key');
  abytes(nonce, NONCE_BYTES, 'nonce');
  abytes(aad, undefined, 'aad');
  const mac = hmac.create(sha256, sessionKey);
  const forBody = mac.clone();
  try {
    const bodyKey = forBody.update(LABEL_BODY).update(COUNTER_1).digest();
    const commitment = mac.update(LABEL_COMMIT).update(nonce).update(aad).update(COUNTER_1).digest();
    return { bodyKey, commitment };
  } finally {
    mac.destroy();
    forBody.destroy();
  }
}

/**
 * The body key when `commitment` (from the envelope) is the session key's, else null. The
 * comparison reads every byte (shared/bytes.ts equalBytes); the body key of a refused envelope is
 * wiped before returning.
 */
export function committedBodyKey(sessionKey: Uint8Array, nonce: Uint8Array, aad: Uint8Array, commitment: Uint8Array): Uint8Array | null {
  if (commitment.length !== COMMITMENT_BYTES) return null;
  const k = sessionKeys(sessionKey, nonce, aad);
  if (equalBytes(k.commitment, commitment)) return k.bodyKey;
  k.bodyKey.fill(0);
  return null;
}
