/**
 * The wire format of the Veil envelope, kind 1067 (docs/proposals/0001-envelope.md): constants,
 * the envelope key type, the body AAD and the outer and inner event rules shared by sealing
 * (./envelope-seal.ts) and opening (./envelope-open.ts).
 */
import { abytes, concatBytes, utf8Encode } from '../shared/bytes';
import type { EventShapeRules } from '../shared/event-shape';
import type { NostrEventJson } from '../shared/nostr';
import { assertSecretKey, getXOnlyPublicKey, type SecretKey, type XOnlyPublicKey } from './keys';
import { ENVELOPE_CLASS_BYTES, MAX_PAYLOAD_BYTES } from './padding';

export const ENVELOPE_KIND = 1067;
/**
 * The version sealed and opened: 3 (spec 0009: v2 plus a key commitment, issue 16 item 5). Versions
 * 1 (spec 0001) and 2 (spec 0004) are not key-committing and are refused (Veil is pre-release).
 */
export const ENVELOPE_VERSION = 0x03;
/** Versions an opener accepts: only the committing one. */
export const OPENABLE_VERSIONS: readonly number[] = [ENVELOPE_VERSION];
export const SESSION_KEY_BYTES = 32;
export const WRAPPED_KEY_BYTES = 48; // 32-byte session key + 16-byte GCM tag
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;
/** The key commitment (spec 0009): HMAC-SHA256 output, envelope-commit.ts. */
export const COMMITMENT_BYTES = 32;
/** Offset of the body nonce (the pair tag, or random) in the binary envelope: after version ‖ wrapped key. */
export const NONCE_OFFSET = 1 + WRAPPED_KEY_BYTES;
/** Offset of the commitment: after version ‖ wrapped key ‖ nonce. */
export const COMMITMENT_OFFSET = NONCE_OFFSET + NONCE_BYTES;
/** Offset of the body ciphertext in the binary envelope: version ‖ wrapped key ‖ nonce ‖ commitment. */
export const HEADER_BYTES = COMMITMENT_OFFSET + COMMITMENT_BYTES;
/** Base64 characters decoded before the unwrap: 84 chars = 63 bytes ⊇ version ‖ wrapped key ‖ nonce. */
export const HEADER_B64_CHARS = 84;
/** created_at = send time − uniform[0, CREATED_AT_SPREAD] seconds (CSPRNG). */
export const CREATED_AT_SPREAD = 48 * 3600;
/** Senders set expiration = created_at + EXPIRATION_AFTER_CREATED (30 days). */
export const EXPIRATION_AFTER_CREATED = 30 * 86_400;
/** Openers accept 0 < expiration − created_at ≤ MAX_EXPIRATION_AFTER_CREATED (90 days). */
export const MAX_EXPIRATION_AFTER_CREATED = 90 * 86_400;
/** Allowed lengths of the base64 `content` (one per size class): 1368, 2732, 5464, 8192. */
export const CONTENT_LENGTHS: readonly number[] = ENVELOPE_CLASS_BYTES.map((n) => Math.ceil(n / 3) * 4);
export const MAX_CONTENT_CHARS = CONTENT_LENGTHS[CONTENT_LENGTHS.length - 1]!;
/** Inner event kinds an envelope may carry: 14 (chat message), 15 (file message), as NIP-17. */
export const INNER_KINDS: readonly number[] = [14, 15];
export const MAX_INNER_TAGS = 128;
/** The single message of every open failure. */
export const OPEN_FAILED_MESSAGE = 'envelope could not be opened';

export const HEX64 = /^[0-9a-f]{64}$/;
const DECIMAL = /^(0|[1-9][0-9]{0,15})$/;
const LABEL_AAD = utf8Encode('veil/env1/aad');

/**
 * Inner event rules (spec 0001 §Validation step 8): exact key set and types, ≤ 128 tags, no empty
 * tag. The size limits cannot bind: the whole JSON fits in MAX_PAYLOAD_BYTES.
 */
export const INNER_RULES: EventShapeRules = Object.freeze({
  maxContentChars: MAX_PAYLOAD_BYTES,
  maxTags: MAX_INNER_TAGS,
  maxTagItems: MAX_PAYLOAD_BYTES,
  maxTagItemChars: MAX_PAYLOAD_BYTES,
  exactKeys: true,
  nonEmptyTags: true
});

/** Outer event rules (spec 0001 §Validation step 1); `outerFieldsOk` then checks tags and content exactly. */
export const OUTER_RULES: EventShapeRules = Object.freeze({
  maxContentChars: MAX_CONTENT_CHARS,
  maxTags: 2,
  maxTagItems: 2,
  maxTagItemChars: 64,
  exactKeys: true,
  nonEmptyTags: true
});

/** A device's envelope key pair; `publicKey` is x-only. Build with `envelopeKey`. */
export interface EnvelopeKey {
  readonly secret: SecretKey;
  readonly publicKey: XOnlyPublicKey;
}

/** Validates an EK secret and caches its x-only public key (scanning then needs one ECDH only). */
export function envelopeKey(secret: SecretKey): EnvelopeKey {
  assertSecretKey(secret, 'EK secret');
  return { secret, publicKey: getXOnlyPublicKey(secret) };
}

/**
 * AAD of the body (spec 0001 §AAD, unchanged in 0004 and 0009): "veil/env1/aad" ‖ version (1 B) ‖ be32(kind) ‖ M (32 B) ‖ E (32 B).
 * Binding M and E means content cannot be moved to another mailbox or re-sent under another key.
 */
export function envelopeAad(version: number, kind: number, mailbox: Uint8Array, ephemeral: Uint8Array): Uint8Array {
  abytes(mailbox, 32, 'mailbox');
  abytes(ephemeral, 32, 'ephemeral key');
  const tail = new Uint8Array(5);
  tail[0] = version;
  new DataView(tail.buffer).setUint32(1, kind);
  return concatBytes(LABEL_AAD, tail, mailbox, ephemeral);
}

/**
 * The envelope-specific part of the outer shape (spec 0001 §Validation step 1), for an event that
 * already passed OUTER_RULES: kind 1067, tags exactly [["p", M], ["expiration", t]] with a canonical
 * decimal t and 0 < t − created_at ≤ 90 days, content one of the class lengths.
 */
export function outerFieldsOk(v: Readonly<NostrEventJson>): boolean {
  if (v.kind !== ENVELOPE_KIND || v.tags.length !== 2) return false;
  const [p, exp] = v.tags;
  if (!p || p.length !== 2 || p[0] !== 'p' || !HEX64.test(p[1]!)) return false;
  if (!exp || exp.length !== 2 || exp[0] !== 'expiration' || !DECIMAL.test(exp[1]!)) return false;
  const ttl = Number(exp[1]) - v.created_at;
  if (!(ttl > 0 && ttl <= MAX_EXPIRATION_AFTER_CREATED)) return false;
  return CONTENT_LENGTHS.includes(v.content.length);
}
