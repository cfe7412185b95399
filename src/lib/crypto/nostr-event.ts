/**
 * Strict checking of Nostr events (NIP-01) that come from outside: a relay, an extension, a bunker,
 * a decrypted seal. Only `verifyEvent` here (and a local signer that just signed) produce a
 * `VerifiedEvent`. The event is first copied field by field into a fresh object, so a hostile
 * object cannot carry nostr-tools' cached "verified" marker or getters that change between reads.
 */
import { getEventHash, verifyEvent as ntVerify, type NostrEvent, type VerifiedEvent } from 'nostr-tools/pure';
import { VeilError } from '../shared/errors';

export type { NostrEvent, VerifiedEvent };

/** An event without id/sig, as NIP-59 rumors are. */
export interface UnsignedNostrEvent {
  id: string;
  pubkey: string;
  created_at: number;
  kind: number;
  tags: string[][];
  content: string;
}

/** Default bounds for an event from outside; callers pass tighter ones where they know better. */
export const DEFAULT_EVENT_LIMITS = { maxContentChars: 256 * 1024, maxTags: 2000, maxTagItems: 16, maxTagItemChars: 4096 };
export type EventLimits = typeof DEFAULT_EVENT_LIMITS;

const HEX64 = /^[0-9a-f]{64}$/;
const HEX128 = /^[0-9a-f]{128}$/;

function fail(msg: string): never {
  throw new VeilError('INVALID_EVENT', msg);
}

/**
 * Copies the NIP-01 fields of `raw` into a fresh plain object after checking their types and
 * bounds. `withSig` false accepts an unsigned rumor (id still required). Errors: INVALID_EVENT.
 */
export function copyEventShape(raw: unknown, limits: EventLimits = DEFAULT_EVENT_LIMITS, withSig = true): NostrEvent {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('event must be an object');
  const r = raw as Record<string, unknown>;
  const { id, pubkey, created_at, kind, tags, content, sig } = r;
  if (typeof id !== 'string' || !HEX64.test(id)) fail('event id must be 64 lowercase hex');
  if (typeof pubkey !== 'string' || !HEX64.test(pubkey)) fail('event pubkey must be 64 lowercase hex');
  if (typeof created_at !== 'number' || !Number.isSafeInteger(created_at) || created_at < 0) fail('bad created_at');
  if (typeof kind !== 'number' || !Number.isInteger(kind) || kind < 0 || kind > 65535) fail('bad kind');
  if (typeof content !== 'string') fail('content must be a string');
  if (content.length > limits.maxContentChars) throw new VeilError('TOO_LARGE', 'event content is too large');
  if (!Array.isArray(tags) || tags.length > limits.maxTags) fail('bad tags');
  const tagsCopy: string[][] = [];
  for (const t of tags) {
    if (!Array.isArray(t) || t.length > limits.maxTagItems) fail('bad tag');
    const tc: string[] = [];
    for (const item of t) {
      if (typeof item !== 'string' || item.length > limits.maxTagItemChars) fail('bad tag item');
      tc.push(item);
    }
    tagsCopy.push(tc);
  }
  let sigStr = '';
  if (withSig) {
    if (typeof sig !== 'string' || !HEX128.test(sig)) fail('event sig must be 128 lowercase hex');
    sigStr = sig;
  }
  return { id, pubkey, created_at, kind, tags: tagsCopy, content, sig: sigStr };
}

/**
 * Verifies an event from outside: shape and bounds, id = sha256 of the NIP-01 serialization,
 * BIP-340 signature by `pubkey`. Returns a fresh verified copy. Errors: INVALID_EVENT,
 * INVALID_SIGNATURE, TOO_LARGE.
 */
export function verifyEvent(raw: unknown, limits: EventLimits = DEFAULT_EVENT_LIMITS): VerifiedEvent {
  const ev = copyEventShape(raw, limits, true);
  if (getEventHash(ev) !== ev.id) throw new VeilError('INVALID_EVENT', 'event id does not match its content');
  if (!ntVerify(ev)) throw new VeilError('INVALID_SIGNATURE', 'event signature is invalid');
  return ev as VerifiedEvent;
}

/** Checks an unsigned rumor (NIP-59): shape, bounds and that its id is the hash of its fields. */
export function checkRumor(raw: unknown, limits: EventLimits = DEFAULT_EVENT_LIMITS): UnsignedNostrEvent {
  const ev = copyEventShape(raw, limits, false);
  const { id, pubkey, created_at, kind, tags, content } = ev;
  const rumor = { id, pubkey, created_at, kind, tags, content };
  if (getEventHash(rumor) !== id) throw new VeilError('INVALID_EVENT', 'rumor id does not match its content');
  return rumor;
}

/** Parses JSON text of at most `maxChars` characters into an unknown value. Errors: TOO_LARGE, INVALID_EVENT. */
export function parseJsonBounded(text: string, maxChars: number): unknown {
  if (typeof text !== 'string') fail('expected JSON text');
  if (text.length > maxChars) throw new VeilError('TOO_LARGE', 'JSON text is too large');
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new VeilError('INVALID_EVENT', 'invalid JSON', { cause });
  }
}
