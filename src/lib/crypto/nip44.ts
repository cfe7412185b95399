/**
 * NIP-44 v2 glue over nostr-tools (used for NIP-17/NIP-59 interop and NIP-46 signers; docs/design.md §1).
 *
 * nostr-tools 2.25.2 implements the 2026 revision of NIP-44: plaintexts of 65536 bytes and more
 * carry a 6-byte length prefix (0x0000 ‖ u32 big-endian), up to 2^32 − 1 bytes. This was checked
 * against `nip44.extended-prefix.vectors.json` (tests/unit/conformance/nip44.test.ts), so we use it
 * rather than a second implementation. What we add: key validation before use, size bounds on
 * untrusted payloads before base64 decoding, and typed errors (INVALID_KEY, INVALID_INPUT,
 * TOO_LARGE, DECRYPT_FAILED) whose messages carry no data.
 */
import { v2 } from 'nostr-tools/nip44';
import { expand as hkdfExpand } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { abytes, utf8Encode } from '../shared/bytes';
import { VeilError } from '../shared/errors';
import { assertSecretKey, xOnlyFromHex } from './keys';

/** NIP-44 (2026): plaintext is 1 .. 2^32 − 1 bytes. */
export const NIP44_MAX_PLAINTEXT_BYTES = 0xffffffff;
/** Default bound on a payload we are asked to decrypt: 16 Mi characters (about 12 MiB of plaintext). */
export const DEFAULT_MAX_PAYLOAD_CHARS = 16 * 1024 * 1024;
/** Shortest valid payload: 1 + 32 + 34 (2 + 32 padded) + 32 bytes in base64. */
const MIN_PAYLOAD_CHARS = 132;

/**
 * NIP-44 "Calculate conversation key": HKDF-extract(salt "nip44-v2", x(sk·P)). Validates both keys
 * first (a non-point or a zero/overflowing secret is INVALID_KEY).
 */
export function getConversationKey(secretKey: Uint8Array, peerPubkeyHex: string): Uint8Array {
  assertSecretKey(secretKey);
  xOnlyFromHex(peerPubkeyHex, 'peer pubkey');
  try {
    return v2.utils.getConversationKey(secretKey, peerPubkeyHex);
  } catch (cause) {
    throw new VeilError('INVALID_KEY', 'cannot derive conversation key', { cause });
  }
}

/** NIP-44 "Calculate message keys": HKDF-expand(conversation key, nonce, 76) split 32/12/32. */
export function getMessageKeys(conversationKey: Uint8Array, nonce: Uint8Array): { chachaKey: Uint8Array; chachaNonce: Uint8Array; hmacKey: Uint8Array } {
  abytes(conversationKey, 32, 'conversation key');
  abytes(nonce, 32, 'nonce');
  const k = hkdfExpand(sha256, conversationKey, nonce, 76);
  return { chachaKey: k.subarray(0, 32), chachaNonce: k.subarray(32, 44), hmacKey: k.subarray(44, 76) };
}

/** NIP-44 "Calculate padding" for an unpadded length (1 .. 2^32 − 1). */
export function calcPaddedLen(len: number): number {
  if (!Number.isSafeInteger(len) || len < 1 || len > NIP44_MAX_PLAINTEXT_BYTES) throw new VeilError('INVALID_INPUT', 'bad length');
  return v2.utils.calcPaddedLen(len);
}

/**
 * Encrypts `plaintext` (1 .. `maxPlaintextBytes` UTF-8 bytes, default the NIP-44 maximum) under a
 * conversation key. `nonce` is only for test vectors; normally a fresh random one is used.
 */
export function nip44Encrypt(
  plaintext: string,
  conversationKey: Uint8Array,
  opts: { nonce?: Uint8Array; maxPlaintextBytes?: number } = {}
): string {
  if (typeof plaintext !== 'string') throw new VeilError('INVALID_INPUT', 'plaintext must be a string');
  abytes(conversationKey, 32, 'conversation key');
  if (opts.nonce !== undefined) abytes(opts.nonce, 32, 'nonce');
  const max = Math.min(opts.maxPlaintextBytes ?? NIP44_MAX_PLAINTEXT_BYTES, NIP44_MAX_PLAINTEXT_BYTES);
  // UTF-8 is at most 3 bytes per UTF-16 code unit; only encode when the cheap bound is inconclusive.
  if (plaintext.length === 0) throw new VeilError('INVALID_INPUT', 'plaintext must not be empty');
  if (plaintext.length > max || (plaintext.length * 3 > max && utf8Encode(plaintext).length > max))
    throw new VeilError('TOO_LARGE', 'plaintext is too large');
  try {
    return opts.nonce ? v2.encrypt(plaintext, conversationKey, opts.nonce) : v2.encrypt(plaintext, conversationKey);
  } catch (cause) {
    throw new VeilError('INVALID_INPUT', 'cannot encrypt', { cause });
  }
}

/**
 * Decrypts a NIP-44 v2 payload. The MAC is checked (constant time) before decryption and the
 * padding is checked after. Every failure is DECRYPT_FAILED (TOO_LARGE above `maxPayloadChars`).
 */
export function nip44Decrypt(payload: string, conversationKey: Uint8Array, opts: { maxPayloadChars?: number } = {}): string {
  abytes(conversationKey, 32, 'conversation key');
  if (typeof payload !== 'string') throw new VeilError('DECRYPT_FAILED', 'decryption failed');
  if (payload.length > (opts.maxPayloadChars ?? DEFAULT_MAX_PAYLOAD_CHARS)) throw new VeilError('TOO_LARGE', 'payload is too large');
  if (payload.length < MIN_PAYLOAD_CHARS) throw new VeilError('DECRYPT_FAILED', 'decryption failed');
  try {
    return v2.decrypt(payload, conversationKey);
  } catch (cause) {
    throw new VeilError('DECRYPT_FAILED', 'decryption failed', { cause });
  }
}
