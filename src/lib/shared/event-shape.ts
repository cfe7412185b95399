/**
 * The one NIP-01 event-shape checker. Everything that takes an event from outside (a relay, an
 * extension, a bunker, a decrypted seal or envelope, storage) runs it first: it checks every
 * field's type and every size, and copies the fields into a fresh plain object, so a hostile
 * object cannot carry extra keys, cached flags or getters that change between two reads.
 * It never throws: the result names the typed error code and a developer-facing reason.
 */
import type { NostrEventJson } from './nostr';

/** Size bounds of one event. Callers that know better pass tighter ones. */
export interface EventLimits {
  readonly maxContentChars: number;
  readonly maxTags: number;
  readonly maxTagItems: number;
  readonly maxTagItemChars: number;
}

/** Limits plus the two stricter rules of Veil envelopes (spec 0001 §Validation). */
export interface EventShapeRules extends EventLimits {
  /** Refuse any key beyond the seven NIP-01 ones (six for an unsigned rumor). */
  readonly exactKeys?: boolean;
  /** Refuse a tag with no items. */
  readonly nonEmptyTags?: boolean;
}

/** Bounds for events from relays: far above anything Veil writes, low enough to bound memory. */
export const RELAY_EVENT_LIMITS: EventLimits = Object.freeze({
  maxContentChars: 256 * 1024,
  maxTags: 2000,
  maxTagItems: 100,
  maxTagItemChars: 4096
});

export type EventShapeError = { ok: false; code: 'INVALID_EVENT' | 'TOO_LARGE'; reason: string };
export type EventShapeResult = { ok: true; event: NostrEventJson } | EventShapeError;

const HEX64 = /^[0-9a-f]{64}$/;
const HEX128 = /^[0-9a-f]{128}$/;
const SIGNED_KEYS = ['content', 'created_at', 'id', 'kind', 'pubkey', 'sig', 'tags'];
const UNSIGNED_KEYS = SIGNED_KEYS.filter((k) => k !== 'sig');

function bad(reason: string): EventShapeError {
  return { ok: false, code: 'INVALID_EVENT', reason };
}

/** Own enumerable keys equal to `keys`: as many, each one of them (own keys are distinct), without sorting a copy. */
function exactKeySet(r: object, keys: readonly string[]): boolean {
  const own = Object.keys(r);
  if (own.length !== keys.length) return false;
  for (const k of own) if (!keys.includes(k)) return false;
  return true;
}

/**
 * Checks `raw` against the NIP-01 event shape and `rules`, and returns a fresh copy of its fields
 * (id, pubkey, sig lowercase hex; created_at a non-negative safe integer; kind 0…65535; tags arrays
 * of strings; content a string). `signed` false accepts an unsigned rumor (NIP-59: id but no sig;
 * the copy's sig is ""). Content over the limit is TOO_LARGE, everything else INVALID_EVENT.
 */
export function checkEventShape(raw: unknown, rules: EventShapeRules = RELAY_EVENT_LIMITS, signed = true): EventShapeResult {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return bad('event must be an object');
  if (rules.exactKeys && !exactKeySet(raw, signed ? SIGNED_KEYS : UNSIGNED_KEYS)) return bad('event must have exactly the NIP-01 keys');
  const { id, pubkey, created_at, kind, tags, content, sig } = raw as Record<string, unknown>;
  if (typeof id !== 'string' || !HEX64.test(id)) return bad('event id must be 64 lowercase hex');
  if (typeof pubkey !== 'string' || !HEX64.test(pubkey)) return bad('event pubkey must be 64 lowercase hex');
  if (typeof created_at !== 'number' || !Number.isSafeInteger(created_at) || created_at < 0) return bad('bad created_at');
  if (typeof kind !== 'number' || !Number.isInteger(kind) || kind < 0 || kind > 65535) return bad('bad kind');
  if (typeof content !== 'string') return bad('content must be a string');
  if (content.length > rules.maxContentChars) return { ok: false, code: 'TOO_LARGE', reason: 'event content is too large' };
  if (!Array.isArray(tags) || tags.length > rules.maxTags) return bad('bad tags');
  const tagsCopy: string[][] = [];
  for (const t of tags) {
    if (!Array.isArray(t) || t.length > rules.maxTagItems || (rules.nonEmptyTags && t.length === 0)) return bad('bad tag');
    const items: string[] = [];
    for (const item of t) {
      if (typeof item !== 'string' || item.length > rules.maxTagItemChars) return bad('bad tag item');
      items.push(item);
    }
    tagsCopy.push(items);
  }
  let sigCopy = '';
  if (signed) {
    if (typeof sig !== 'string' || !HEX128.test(sig)) return bad('event sig must be 128 lowercase hex');
    sigCopy = sig;
  }
  return { ok: true, event: { id, pubkey, created_at, kind, tags: tagsCopy, content, sig: sigCopy } };
}
