/**
 * The only door through which relay data becomes a `VerifiedEvent` (DESIGN.md §7): check the
 * shape and every size, copy the seven NIP-01 fields into a fresh object, recompute the id and
 * verify the Schnorr signature, then freeze.
 */
import { verifyEvent as nostrToolsVerify } from 'nostr-tools/pure';
import type { EventVerifier, NostrEvent, VerifiedEvent } from './types';

/** Size bounds for one event from a relay. Veil's own events are far below them. */
export const EVENT_LIMITS = {
  maxContentLength: 256 * 1024,
  maxTags: 2000,
  maxTagItems: 100,
  maxTagItemLength: 4096
} as const;

const HEX64 = /^[0-9a-f]{64}$/;
const HEX128 = /^[0-9a-f]{128}$/;

/** Default verifier: nostr-tools recomputes the id (NIP-01 serialization) and checks the BIP-340 signature. */
export const defaultVerifier: EventVerifier = (event) => nostrToolsVerify({ ...event });

/** Returns a clean copy of `raw` if it has exactly the NIP-01 event shape within EVENT_LIMITS, else null. */
export function parseEventShape(raw: unknown): NostrEvent | null {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return null;
  const r = raw as Record<string, unknown>;
  const { id, pubkey, created_at, kind, tags, content, sig } = r;
  if (typeof id !== 'string' || !HEX64.test(id)) return null;
  if (typeof pubkey !== 'string' || !HEX64.test(pubkey)) return null;
  if (typeof sig !== 'string' || !HEX128.test(sig)) return null;
  if (typeof created_at !== 'number' || !Number.isSafeInteger(created_at) || created_at < 0) return null;
  if (typeof kind !== 'number' || !Number.isInteger(kind) || kind < 0 || kind > 65535) return null;
  if (typeof content !== 'string' || content.length > EVENT_LIMITS.maxContentLength) return null;
  if (!Array.isArray(tags) || tags.length > EVENT_LIMITS.maxTags) return null;
  const copy: string[][] = [];
  for (const tag of tags) {
    if (!Array.isArray(tag) || tag.length > EVENT_LIMITS.maxTagItems) return null;
    const items: string[] = [];
    for (const item of tag) {
      if (typeof item !== 'string' || item.length > EVENT_LIMITS.maxTagItemLength) return null;
      items.push(item);
    }
    copy.push(items);
  }
  return { id, pubkey, created_at, kind, tags: copy, content, sig };
}

/**
 * Verifies an event received from a relay: shape and sizes, then id and signature.
 * Returns a frozen `VerifiedEvent`, or null for anything else (never throws; a throwing
 * verifier counts as a failure). Callers must run this before dedupe, storage or display.
 */
export function verifyRelayEvent(raw: unknown, verifier: EventVerifier = defaultVerifier): VerifiedEvent | null {
  const event = parseEventShape(raw);
  if (!event) return null;
  let ok: boolean;
  try {
    ok = verifier({ ...event, tags: event.tags.map((t) => [...t]) }) === true;
  } catch {
    ok = false;
  }
  if (!ok) return null;
  for (const t of event.tags) Object.freeze(t);
  Object.freeze(event.tags);
  return Object.freeze(event) as unknown as VerifiedEvent;
}
