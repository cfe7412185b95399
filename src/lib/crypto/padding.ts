/**
 * Inner plaintext framing of the Veil envelope (docs/proposals/0001-envelope.md §"Inner plaintext";
 * docs/design.md §3): `type (1 B) ‖ length (2 B, big-endian) ‖ payload ‖ zero padding`, padded to the
 * smallest size class that fits.
 *
 * Why these classes: the padded inner length P is chosen so that the whole binary envelope
 * (v3, spec 0009: 1 + 48 + 12 + 32 + P + 16 = P + 109 bytes) is exactly 1, 2, 4 or 6 KiB. The largest class then gives
 * a base64 `content` of exactly 8192 characters, which keeps a whole outer event under 9 KB and
 * inside the content limits that restrictive relays announce. Four classes only: every extra class
 * splits the anonymity set of envelopes a relay sees; chat lines fit the first class, so the common
 * case is one size shared with all cover traffic.
 */
import { abytes } from '../shared/bytes';
import { VeilError } from '../shared/errors';

/** Bytes added around the padded inner plaintext: version, wrapped key, nonce, commitment, GCM tag (v3). */
export const ENVELOPE_OVERHEAD = 1 + 48 + 12 + 32 + 16;
/** Binary envelope sizes (bytes) of the four classes: 1, 2, 4 and 6 KiB. */
export const ENVELOPE_CLASS_BYTES = [1024, 2048, 4096, 6144] as const;
/** Padded inner plaintext lengths P of the four classes (envelope size − 109): 915, 1939, 3987, 6035. */
export const PADDED_CLASS_SIZES: readonly number[] = ENVELOPE_CLASS_BYTES.map((n) => n - ENVELOPE_OVERHEAD);
/** Header in front of the payload: type (1) and big-endian length (2). */
export const FRAME_HEADER_BYTES = 3;
/** Largest payload any class holds (6035 − 3 = 6032 bytes). */
export const MAX_PAYLOAD_BYTES = PADDED_CLASS_SIZES[PADDED_CLASS_SIZES.length - 1]! - FRAME_HEADER_BYTES;

/** Payload types. 0 = cover (dropped after opening), 1 = a signed Nostr event as UTF-8 JSON. */
export const PAYLOAD_TYPE_COVER = 0;
export const PAYLOAD_TYPE_EVENT = 1;
const KNOWN_TYPES: ReadonlySet<number> = new Set([PAYLOAD_TYPE_COVER, PAYLOAD_TYPE_EVENT]);

export type PayloadType = typeof PAYLOAD_TYPE_COVER | typeof PAYLOAD_TYPE_EVENT;

/** The padded length for a payload of `payloadLength` bytes; TOO_LARGE above MAX_PAYLOAD_BYTES. */
export function paddedSizeFor(payloadLength: number): number {
  if (!Number.isSafeInteger(payloadLength) || payloadLength < 0) throw new VeilError('INVALID_INPUT', 'bad payload length');
  for (const size of PADDED_CLASS_SIZES) if (payloadLength + FRAME_HEADER_BYTES <= size) return size;
  throw new VeilError('TOO_LARGE', 'payload exceeds the largest envelope size class');
}

/** True when `n` is one of the padded inner sizes (used to bound untrusted ciphertext lengths). */
export function isPaddedClassSize(n: number): boolean {
  return PADDED_CLASS_SIZES.includes(n);
}

/**
 * Frames and pads a payload (spec 0001 §"Inner plaintext"). The result's length is a class size;
 * padding bytes are zero.
 */
export function pad(type: PayloadType, payload: Uint8Array): Uint8Array<ArrayBuffer> {
  abytes(payload, undefined, 'payload');
  if (!KNOWN_TYPES.has(type)) throw new VeilError('INVALID_INPUT', 'unknown payload type');
  const out = new Uint8Array(paddedSizeFor(payload.length));
  out[0] = type;
  out[1] = payload.length >>> 8;
  out[2] = payload.length & 0xff;
  out.set(payload, FRAME_HEADER_BYTES);
  return out;
}

/**
 * Reverses `pad`. Rejects (DECRYPT_FAILED, one message for every case) a length that is not a class
 * size, an unknown type, a length field beyond the frame, and any non-zero padding byte: there is
 * exactly one valid encoding of each payload. The padding check reads every byte (no early exit).
 */
export function unpad(padded: Uint8Array): { type: PayloadType; payload: Uint8Array } {
  abytes(padded, undefined, 'padded plaintext');
  const fail = () => new VeilError('DECRYPT_FAILED', 'invalid inner plaintext');
  if (!isPaddedClassSize(padded.length)) throw fail();
  const type = padded[0]!;
  const len = (padded[1]! << 8) | padded[2]!;
  if (!KNOWN_TYPES.has(type)) throw fail();
  const end = FRAME_HEADER_BYTES + len;
  if (end > padded.length) throw fail();
  // The payload must need this class: a smaller class would have been used by `pad`.
  if (paddedSizeFor(len) !== padded.length) throw fail();
  let nz = 0;
  for (let i = end; i < padded.length; i++) nz |= padded[i]!;
  if (nz !== 0) throw fail();
  return { type: type as PayloadType, payload: padded.slice(FRAME_HEADER_BYTES, end) };
}
