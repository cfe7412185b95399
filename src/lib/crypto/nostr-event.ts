/**
 * Strict checking of Nostr events (NIP-01) that come from outside: a relay, an extension, a bunker,
 * a decrypted seal. The throwing face of shared/trusted-event.ts for the crypto layer: the shape
 * checker, the verifier and the TrustedEvent type are the shared ones, so an event the relay layer
 * verified is the same type here.
 */
import { VeilError } from '../shared/errors';
import { checkEventShape, type EventLimits } from '../shared/event-shape';
import type { NostrEventJson } from '../shared/nostr';
import { eventId, trustEvent, type SchnorrVerify, type TrustedEvent } from '../shared/trusted-event';

export type NostrEvent = NostrEventJson;
export type { EventLimits, TrustedEvent };
/** Alias kept so sync/ compiles unchanged (issue 8); to be replaced by TrustedEvent. */
export type VerifiedEvent = TrustedEvent;

/** An event without a sig, as NIP-59 rumors are (its id still names its content). */
export type UnsignedNostrEvent = Omit<NostrEventJson, 'sig'>;

/** Default bounds for an event from outside; callers pass tighter ones where they know better. */
export const DEFAULT_EVENT_LIMITS: EventLimits = Object.freeze({ maxContentChars: 256 * 1024, maxTags: 2000, maxTagItems: 16, maxTagItemChars: 4096 });

/** No bounds, for an event this device has just signed from a template it checked (signer.ts). */
export const UNBOUNDED_EVENT_LIMITS: EventLimits = Object.freeze({ maxContentChars: Infinity, maxTags: Infinity, maxTagItems: Infinity, maxTagItemChars: Infinity });

/**
 * Verifies an event from outside: shape and bounds, id = sha256 of the NIP-01 serialization,
 * BIP-340 signature by `pubkey`. Returns a frozen verified copy. Errors: INVALID_EVENT,
 * INVALID_SIGNATURE, TOO_LARGE.
 */
export function verifyEvent(raw: unknown, limits: EventLimits = DEFAULT_EVENT_LIMITS, schnorr?: SchnorrVerify): TrustedEvent {
  const r = trustEvent(raw, { rules: limits, ...(schnorr ? { schnorr } : {}) });
  if (!r.ok) throw new VeilError(r.code, r.reason);
  return r.event;
}

/** Checks an unsigned rumor (NIP-59): shape, bounds and that its id is the hash of its fields. */
export function checkRumor(raw: unknown, limits: EventLimits = DEFAULT_EVENT_LIMITS): UnsignedNostrEvent {
  const r = checkEventShape(raw, limits, false);
  if (!r.ok) throw new VeilError(r.code, r.reason);
  const { id, pubkey, created_at, kind, tags, content } = r.event;
  const rumor = { id, pubkey, created_at, kind, tags, content };
  if (eventId(rumor) !== id) throw new VeilError('INVALID_EVENT', 'rumor id does not match its content');
  return rumor;
}

/** Parses JSON text of at most `maxChars` characters into an unknown value. Errors: TOO_LARGE, INVALID_EVENT. */
export function parseJsonBounded(text: string, maxChars: number): unknown {
  if (typeof text !== 'string') throw new VeilError('INVALID_EVENT', 'expected JSON text');
  if (text.length > maxChars) throw new VeilError('TOO_LARGE', 'JSON text is too large');
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new VeilError('INVALID_EVENT', 'invalid JSON', { cause });
  }
}
