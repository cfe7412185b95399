/**
 * Opening a Veil envelope (spec 0001 §Validation, §Trial open). Validation runs in one fixed
 * order and every failure throws the same VeilError('ENVELOPE_OPEN_FAILED', OPEN_FAILED_MESSAGE)
 * with no cause attached, so callers and logs cannot tell a foreign envelope from a forged one.
 */
import { base64Decode, base64DecodePrefix, hexToBytes, utf8Decode, wipe } from '../shared/bytes';
import { VeilError } from '../shared/errors';
import { checkEventShape } from '../shared/event-shape';
import { trustEvent, type IdCheckedEvent, type TrustedEvent } from '../shared/trusted-event';
import { aesGcmDecrypt, aesGcmOpenSync } from './aes';
import { committedBodyKey } from './envelope-commit';
import {
  COMMITMENT_OFFSET,
  ENVELOPE_KIND,
  ENVELOPE_VERSION,
  envelopeAad,
  HEADER_B64_CHARS,
  HEADER_BYTES,
  INNER_KINDS,
  INNER_RULES,
  NONCE_BYTES,
  NONCE_OFFSET,
  OPENABLE_VERSIONS,
  OPEN_FAILED_MESSAGE,
  OUTER_RULES,
  outerFieldsOk,
  SESSION_KEY_BYTES,
  WRAPPED_KEY_BYTES,
  type EnvelopeKey
} from './envelope-format';
import { keySchedule, type KeySchedule } from './envelope-kdf';
import { ecdh, type SecretKey } from './keys';
import { ENVELOPE_CLASS_BYTES, PAYLOAD_TYPE_COVER, unpad } from './padding';

/**
 * Result of a successful key unwrap whose commitment matched (trialOpen): enough to finish opening.
 * Holds secrets (session key, body key).
 */
/** `E`: the outer event as given, a TrustedEvent, or an IdCheckedEvent (my intro bucket, its signature checked after this unwrap). */
export interface UnwrappedEnvelope<E extends TrustedEvent | IdCheckedEvent = TrustedEvent> {
  readonly outer: E;
  /** 3 (spec 0009): bound in the body AAD. */
  readonly version: number;
  readonly mailbox: Uint8Array;
  readonly ephemeral: Uint8Array;
  readonly sessionKey: Uint8Array;
  /** The body's AES-GCM key, derived from the session key (spec 0009). */
  readonly bodyKey: Uint8Array;
  readonly nonce: Uint8Array;
  readonly ciphertext: Uint8Array;
}

/**
 * How the receiver computes ECDH (spec 0001 §Constant time and the WebAssembly path): keys.ts `ecdh`
 * by default; the scan may pass ecdh-wasm.ts's. Any implementation must keep keys.ts's contract
 * (validate the public key, return x(sk·P), throw on invalid input); results are identical.
 */
export interface OpenOptions {
  ecdh?: (sk: SecretKey, pub: Uint8Array) => Uint8Array;
  /**
   * The BIP-340 check of the outer and inner signatures (shared/trusted-event's `schnorr`): @noble/curves
   * by default; the scan's WebAssembly one when the caller has it (crypto/curve.ts `verifySchnorr`).
   * It must return false, never throw, for malformed input; results are identical.
   */
  schnorr?: (sig: Uint8Array, msg: Uint8Array, pub: Uint8Array) => boolean;
}

/** A successfully opened envelope. `cover` payloads are to be dropped by the caller. */
export type OpenedEnvelope =
  | { type: 'message'; event: TrustedEvent; outerId: string; mailbox: string }
  | { type: 'cover'; outerId: string; mailbox: string };

/** Outer shape (spec 0001 §Validation step 1): exact key set, kind, exactly the two tags, sizes. */
export function outerShapeOk(v: unknown): boolean {
  const shape = checkEventShape(v, OUTER_RULES);
  return shape.ok && outerFieldsOk(shape.event);
}

function openFailed(): VeilError {
  return new VeilError('ENVELOPE_OPEN_FAILED', OPEN_FAILED_MESSAGE);
}

/**
 * Steps 3–5 and the commitment: version, ECDH + HKDF + key unwrap, sizes, then (spec 0009) the
 * session key's commitment against the envelope's, in constant time, before any body byte is
 * decrypted. Null on any failure, never throws.
 * Synchronous: the 48-byte unwrap uses a synchronous GCM (aes.ts `aesGcmOpenSync`, null on a
 * wrong tag; spec 0001 §Constant time and the WebAssembly path), so a scan can trial-open a
 * batch in one loop without a promise or an exception per event.
 */
function unwrap<E extends TrustedEvent | IdCheckedEvent>(outer: E, key: EnvelopeKey, opts?: OpenOptions): UnwrappedEnvelope<E> | null {
  return unwrapWith(outer, (ephemeral) => {
    const ss = (opts?.ecdh ?? ecdh)(key.secret, ephemeral);
    try {
      return keySchedule(ss, ephemeral, key.publicKey);
    } finally {
      wipe(ss);
    }
  });
}

/**
 * `unwrap` with the key schedule of E passed in: the ECDH of 0001 for an EK, or a channel key's HKDF
 * (spec 0011, channel.ts). The schedule may throw (an invalid E); that is a null, like any failure.
 */
export function unwrapWith<E extends TrustedEvent | IdCheckedEvent>(outer: E, schedule: (ephemeral: Uint8Array) => KeySchedule): UnwrappedEnvelope<E> | null {
  // Only the header (84 base64 chars = 63 bytes ⊇ version ‖ wrapped key ‖ nonce) is decoded before
  // the unwrap, so rejecting a foreign 6 KiB envelope does not pay for decoding all of it. Padding
  // there is refused at once: the whole content, decoded strictly below, could not be base64 either.
  const head = base64DecodePrefix(outer.content, HEADER_B64_CHARS);
  if (head === null) return null;
  const version = head[0]!;
  if (!OPENABLE_VERSIONS.includes(version)) return null;
  let ks: KeySchedule | undefined;
  let sessionKey: Uint8Array | undefined;
  try {
    const ephemeral = hexToBytes(outer.pubkey, 32);
    ks = schedule(ephemeral);
    sessionKey = aesGcmOpenSync(ks.kek, ks.wrapNonce, head.subarray(1, 1 + WRAPPED_KEY_BYTES)) ?? undefined;
    if (sessionKey === undefined) return null; // not for us: the common case of a scan
    // Now the whole content: strict base64 and exactly a class size.
    const bin = base64Decode(outer.content);
    if (sessionKey.length !== SESSION_KEY_BYTES || !ENVELOPE_CLASS_BYTES.includes(bin.length as (typeof ENVELOPE_CLASS_BYTES)[number])) {
      wipe(sessionKey);
      return null;
    }
    // Key commitment (spec 0009): GCM alone lets one wrap and body open under several keys.
    const mailbox = hexToBytes(outer.tags[0]![1]!, 32);
    const nonce = bin.slice(NONCE_OFFSET, COMMITMENT_OFFSET);
    const aad = envelopeAad(version, ENVELOPE_KIND, mailbox, ephemeral);
    const bodyKey = committedBodyKey(sessionKey, nonce, aad, bin.subarray(COMMITMENT_OFFSET, HEADER_BYTES));
    if (bodyKey === null) {
      wipe(sessionKey);
      return null;
    }
    return { outer, version, mailbox, ephemeral, sessionKey, bodyKey, nonce, ciphertext: bin.subarray(HEADER_BYTES) };
  } catch {
    wipe(sessionKey);
    return null;
  } finally {
    wipe(ks?.prk, ks?.kek, ks?.wrapNonce);
  }
}

/**
 * The body nonce of a v3 envelope (spec 0004 §Pair tag; 0009 keeps its offset), for the pair-tag
 * check that runs before any curve operation: null when the content is not a v3 envelope of a class
 * length. Never throws. Reads nothing the signature covers beyond the content, so it may run on an
 * event not verified yet (the shared-bucket prefilter, sync/receive-envelope.ts `mayBeMine`).
 */
export function envelopePairTag(outer: unknown): Uint8Array | null {
  const shape = checkEventShape(outer, OUTER_RULES);
  if (!shape.ok || !outerFieldsOk(shape.event)) return null;
  try {
    const head = base64Decode(shape.event.content.slice(0, HEADER_B64_CHARS));
    if (head[0] !== ENVELOPE_VERSION) return null;
    return head.slice(NONCE_OFFSET, NONCE_OFFSET + NONCE_BYTES);
  } catch {
    return null;
  }
}

/**
 * Fast reject for intro-mailbox scanning (spec 0001 §Trial open): for an outer event the relay layer
 * verified, or only id-checked (my intro bucket: its signature is checked after a successful unwrap,
 * before finishOpen; sync/receive-envelope.ts), checks shape, version and size, then ECDH + HKDF + unwrap of the 48-byte
 * session key, and stops there for a foreign envelope; after a successful unwrap it also checks
 * the commitment (spec 0009: two HMACs, never paid on a reject). Returns null for a foreign
 * envelope (no exception, no allocation of the body plaintext). Cost ≈ one ECDH. `opts.ecdh`
 * injects a faster ECDH (sync/scan.ts).
 * Synchronous; `trialOpen` is the same behind a promise.
 */
export function trialOpenSync<E extends TrustedEvent | IdCheckedEvent>(outer: E, key: EnvelopeKey, opts?: OpenOptions): UnwrappedEnvelope<E> | null {
  if (!outerShapeOk(outer)) return null;
  return unwrap(outer, key, opts);
}

/** `trialOpenSync` behind a promise (the API callers already use; spec 0001 §Trial open). */
export async function trialOpen<E extends TrustedEvent | IdCheckedEvent>(outer: E, key: EnvelopeKey, opts?: OpenOptions): Promise<UnwrappedEnvelope<E> | null> {
  return trialOpenSync(outer, key, opts);
}

/**
 * Steps 6–9 after a successful unwrap and commitment check: body decrypt with the AAD, unpad, inner event shape + kind +
 * id + signature, recipient identity among the inner `p` tags (or the author, for copies to one's
 * own devices). Wipes the session key. Throws only the generic error.
 */
export function finishOpen(u: UnwrappedEnvelope, recipientIdentity: string, opts?: Pick<OpenOptions, 'schnorr'>): Promise<OpenedEnvelope> {
  return finishWith(u, INNER_KINDS, (inner) => inner.pubkey === recipientIdentity || inner.tags.some((t) => t[0] === 'p' && t[1] === recipientIdentity), opts);
}

/**
 * finishOpen with the inner kinds and the last check passed in: a channel post (spec 0011) is kind
 * 1069 by the channel's owner key in this epoch. Wipes the session key. Throws only the generic error.
 */
export async function finishWith(u: UnwrappedEnvelope, kinds: readonly number[], accept: (inner: TrustedEvent) => boolean, opts?: Pick<OpenOptions, 'schnorr'>): Promise<OpenedEnvelope> {
  let padded: Uint8Array | undefined;
  try {
    const aad = envelopeAad(u.version, ENVELOPE_KIND, u.mailbox, u.ephemeral);
    padded = await aesGcmDecrypt(u.bodyKey, u.nonce, u.ciphertext, aad);
    const { type, payload } = unpad(padded);
    const base = { outerId: u.outer.id, mailbox: u.outer.tags[0]![1]! };
    if (type === PAYLOAD_TYPE_COVER) return { type: 'cover', ...base };
    const shape = checkEventShape(JSON.parse(utf8Decode(payload)), INNER_RULES);
    if (!shape.ok || !kinds.includes(shape.event.kind)) throw openFailed();
    const inner = trustEvent(shape.event, { rules: INNER_RULES, ...(opts?.schnorr ? { schnorr: opts.schnorr } : {}) });
    if (!inner.ok || !accept(inner.event)) throw openFailed();
    return { type: 'message', event: inner.event, ...base };
  } catch {
    throw openFailed();
  } finally {
    wipe(padded, u.sessionKey, u.bodyKey);
  }
}

/**
 * Opens an envelope from a relay (spec 0001 §Validation), in this order: outer shape (kind, exactly
 * [["p", M], ["expiration", t]], sizes), outer id + signature, version, unwrap, class size,
 * commitment, body decrypt, unpad, inner event id + signature + kind, recipient. `recipientIdentity` is the reader's
 * identity pubkey (hex). Every failure throws VeilError('ENVELOPE_OPEN_FAILED', OPEN_FAILED_MESSAGE).
 */
export async function openEnvelope(outer: unknown, key: EnvelopeKey, recipientIdentity: string, opts?: OpenOptions): Promise<OpenedEnvelope> {
  if (!outerShapeOk(outer)) throw openFailed();
  // trustEvent verifies a frozen copy: a caller's later mutation cannot change what we checked.
  const trusted = trustEvent(outer, { rules: OUTER_RULES, ...(opts?.schnorr ? { schnorr: opts.schnorr } : {}) });
  if (!trusted.ok) throw openFailed();
  const u = unwrap(trusted.event, key, opts);
  if (!u) throw openFailed();
  return finishOpen(u, recipientIdentity, opts);
}
