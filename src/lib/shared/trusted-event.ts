/**
 * The one door through which outside data becomes a `TrustedEvent` (docs/design.md §5): shape and
 * sizes (./event-shape.ts), then the id recomputed from the NIP-01 serialization, then the BIP-340
 * signature by `pubkey`, then a deep freeze. Relay, crypto and store all use this type, so an event
 * the relay layer verified flows into crypto and storage without a cast.
 *
 * The signature check runs on @noble/curves' schnorr (the implementation nostr-tools uses; about
 * 1.8× faster than @noble/secp256k1's on this machine). We never call nostr-tools' verifyEvent: it
 * trusts a cached flag on the object.
 */
import { schnorr } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, utf8Encode } from './bytes';
import { checkEventShape, RELAY_EVENT_LIMITS, type EventShapeRules } from './event-shape';
import type { NostrEventJson } from './nostr';

declare const trustedBrand: unique symbol;

/**
 * An event whose shape was checked, whose id was recomputed and whose signature was verified.
 * Only `trustEvent` produces one (the brand is a symbol no other module can name); it is a deeply
 * frozen copy, so nothing can change it after the check. (`tags` is typed `string[][]` so that it
 * still passes where a plain NostrEventJson is expected; writing to it throws.)
 */
export type TrustedEvent = Readonly<NostrEventJson> & { readonly [trustedBrand]: true };

declare const idCheckedBrand: unique symbol;

/**
 * An event whose shape was checked and whose id was recomputed, but whose SIGNATURE WAS NOT checked
 * (my intro bucket's deferred check, docs/design.md §5): its pubkey, created_at, kind, tags and
 * content are exactly what its id names; its `sig` may be anything. Only `checkEventId` makes one
 * (deeply frozen). It may be trial-opened and remembered as junk by its id (a result that depends
 * only on what the id covers), never deduped as mine, stored or shown: `trustEvent` it first.
 */
export type IdCheckedEvent = Readonly<NostrEventJson> & { readonly [idCheckedBrand]: true };

/** An IdCheckedEvent of `raw`, or null (shape, sizes or id). Never throws. */
export function checkEventId(raw: unknown, rules: EventShapeRules = RELAY_EVENT_LIMITS): IdCheckedEvent | null {
  const shape = checkEventShape(raw, rules);
  if (!shape.ok) return null;
  const ev = shape.event;
  try {
    if (eventId(ev) !== ev.id) return null;
  } catch {
    return null;
  }
  for (const t of ev.tags) Object.freeze(t);
  Object.freeze(ev.tags);
  return Object.freeze(ev) as unknown as IdCheckedEvent;
}

/** Checks id and signature of a well-formed event (its whole NIP-01 validity); may throw (counts as invalid). */
export type EventVerifier = (event: NostrEventJson) => boolean;

/** The fields the NIP-01 id covers. */
export type EventIdFields = Pick<NostrEventJson, 'pubkey' | 'created_at' | 'kind' | 'content'> & { readonly tags: readonly (readonly string[])[] };

/** NIP-01 id: lowercase hex sha256 of the UTF-8 of `[0, pubkey, created_at, kind, tags, content]`. */
export function eventId(e: EventIdFields): string {
  return bytesToHex(sha256(utf8Encode(JSON.stringify([0, e.pubkey, e.created_at, e.kind, e.tags, e.content]))));
}

/** A BIP-340 check: (64-byte signature, 32-byte message, 32-byte x-only key) → valid. */
export type SchnorrVerify = (sig: Uint8Array, msg: Uint8Array, pub: Uint8Array) => boolean;

const curvesSchnorr: SchnorrVerify = (sig, msg, pub) => schnorr.verify(sig, msg, pub);

function signatureValid(e: NostrEventJson, verify: SchnorrVerify = curvesSchnorr): boolean {
  try {
    return verify(hexToBytes(e.sig, 64), hexToBytes(e.id, 32), hexToBytes(e.pubkey, 32)) === true;
  } catch {
    return false; // pubkey not on the curve, r or s out of range, a throwing implementation
  }
}

/** The default verifier: id recomputed, then BIP-340. Never throws. */
export const verifyEventSignature: EventVerifier = (e) => {
  try {
    return eventId(e) === e.id && signatureValid(e);
  } catch {
    return false;
  }
};

export type TrustError = { ok: false; code: 'INVALID_EVENT' | 'TOO_LARGE' | 'INVALID_SIGNATURE'; reason: string };
export type TrustResult = { ok: true; event: TrustedEvent } | TrustError;

export interface TrustOptions {
  /** Shape and size rules; default RELAY_EVENT_LIMITS. */
  rules?: EventShapeRules;
  /**
   * Another BIP-340 implementation, e.g. libsecp256k1 in WebAssembly (crypto/ecdh-wasm.ts). The id
   * is still recomputed here, so a TrustedEvent's id always names its content.
   */
  schnorr?: SchnorrVerify;
  /**
   * A whole-event check (id and signature) that replaces both of ours, as RelayPool's `verify`
   * option has always been; it is run instead, not after, so the id is not hashed twice on the
   * scan's hot path. A throwing one fails. Prefer `schnorr`.
   */
  verifier?: EventVerifier;
}

/**
 * Makes a TrustedEvent of `raw`, or says why not (never throws): shape (INVALID_EVENT, TOO_LARGE),
 * id (INVALID_EVENT), signature (INVALID_SIGNATURE). Callers run it before dedupe, storage or display.
 */
export function trustEvent(raw: unknown, opts: TrustOptions = {}): TrustResult {
  const shape = checkEventShape(raw, opts.rules ?? RELAY_EVENT_LIMITS);
  if (!shape.ok) return shape;
  const ev = shape.event;
  for (const t of ev.tags) Object.freeze(t);
  Object.freeze(ev.tags);
  Object.freeze(ev); // before any verifier sees it: what it checked is what we return
  let ok: boolean;
  if (opts.verifier) {
    try {
      ok = opts.verifier(ev) === true;
    } catch {
      ok = false;
    }
  } else {
    if (eventId(ev) !== ev.id) return { ok: false, code: 'INVALID_EVENT', reason: 'event id does not match its content' };
    ok = signatureValid(ev, opts.schnorr);
  }
  if (!ok) return { ok: false, code: 'INVALID_SIGNATURE', reason: 'event signature is invalid' };
  return { ok: true, event: ev as unknown as TrustedEvent };
}
