/**
 * NIP-17 "Publishing DM relays": a replaceable kind 10050 event whose `relay` tags name the relays
 * where a user reads gift wraps. Senders publish wraps ONLY there (docs/design.md §1: NIP-17 interop).
 * The list comes from untrusted relays: it is bounded, URLs are normalized, bad entries are
 * skipped, and only the newest list of an author counts.
 */
import { VeilError } from '../shared/errors';
import { normalizeRelayUrl } from '../shared/relay-url';
import type { EventTemplate } from './signer';
import type { TrustedEvent } from './nostr-event';

export const DM_RELAYS_KIND = 10050;
/** NIP-17 asks for small lists ("1-3 relays"); we keep at most this many. */
export const MAX_DM_RELAYS = 8;
/** Tags looked at in a received list (the rest are ignored). */
const MAX_TAGS_READ = 64;

/** A parsed kind 10050 list. */
export interface DmRelayList {
  pubkey: string;
  createdAt: number;
  /** Normalized ws/wss URLs, unique, in the author's order, at most MAX_DM_RELAYS. */
  relays: string[];
  eventId: string;
}

/** Normalizes, dedupes and bounds a relay list the user typed. Errors: RELAY_URL_INVALID, INVALID_INPUT. */
export function cleanDmRelays(relays: readonly string[]): string[] {
  if (!Array.isArray(relays)) throw new VeilError('INVALID_INPUT', 'relays must be a list');
  const out: string[] = [];
  for (const r of relays) {
    const n = normalizeRelayUrl(r);
    if (!out.includes(n)) out.push(n);
  }
  if (out.length > MAX_DM_RELAYS) throw new VeilError('INVALID_INPUT', `at most ${MAX_DM_RELAYS} DM relays`);
  return out;
}

/**
 * The kind 10050 template for `relays` (to be signed by the identity). An empty list is allowed:
 * it tells other clients this user reads no NIP-17 DMs. Errors as cleanDmRelays.
 */
export function buildDmRelayList(relays: readonly string[], createdAt: number): EventTemplate {
  if (!Number.isSafeInteger(createdAt) || createdAt < 0) throw new VeilError('INVALID_INPUT', 'bad created_at');
  return { kind: DM_RELAYS_KIND, created_at: createdAt, tags: cleanDmRelays(relays).map((r) => ['relay', r]), content: '' };
}

/**
 * Reads a verified kind 10050 event: `relay` tags, normalized, invalid ones skipped, unique, at
 * most MAX_DM_RELAYS. Errors: INVALID_EVENT when it is not kind 10050.
 */
export function parseDmRelayList(ev: TrustedEvent): DmRelayList {
  if (ev.kind !== DM_RELAYS_KIND) throw new VeilError('INVALID_EVENT', 'not a DM relay list');
  const relays: string[] = [];
  for (const t of ev.tags.slice(0, MAX_TAGS_READ)) {
    if (t[0] !== 'relay' || typeof t[1] !== 'string') continue;
    let n: string;
    try {
      n = normalizeRelayUrl(t[1]);
    } catch {
      continue;
    }
    if (!relays.includes(n)) relays.push(n);
    if (relays.length >= MAX_DM_RELAYS) break;
  }
  return { pubkey: ev.pubkey, createdAt: ev.created_at, relays, eventId: ev.id };
}

/** NIP-01 replaceable events: the newer created_at wins; on a tie the lower id. */
export function newerDmRelayList(a: DmRelayList | undefined, b: DmRelayList): DmRelayList {
  if (!a) return b;
  if (b.createdAt !== a.createdAt) return b.createdAt > a.createdAt ? b : a;
  return b.eventId < a.eventId ? b : a;
}
