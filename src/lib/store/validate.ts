/**
 * Validation of everything that enters the store (STYLE: check input where it enters, name what is
 * wrong). Bad shape → INVALID_INPUT, over a bound → TOO_LARGE. Pure functions, no IndexedDB.
 *
 * Relay URLs: `storeRelayUrl` is the store's only relay-URL check. It accepts what the shared
 * normaliser (shared/relay-url.ts) accepts and returns the URL unchanged, because stored keys (relays
 * store, outbox items) must keep matching what was written before. Events: the shared shape checker.
 */
import { VeilError } from '../shared/errors';
import { checkEventShape } from '../shared/event-shape';
import { isRelayUrl } from '../shared/relay-url';
import { MAX_TIMESTAMP_S, type MessageStatus, type RelayLimits, type RelayResult, type SignedEventJson } from './schema';
import type { MessageContent, OuterEvent, OuterTag, PeerDevice, PeerRouting, Profile, SignerInfo, VerifiedKeys } from './types';

// ---------------------------------------------------------------- bounds (untrusted input)

export const MAX_BODY_CHARS = 100_000;
export const MAX_DRAFT_CHARS = 100_000;
export const MAX_PREVIEW_CHARS = 200;
export const MAX_PEERS = 32;
export const MAX_EKS = 16;
export const MAX_CONTACT_RELAYS = 16;
export const MAX_SHORT_TEXT = 4096;
export const MAX_TAGS = 256;
export const MAX_OUTBOX_ITEMS = 32;
export const MAX_EVENT_JSON = 256 * 1024;
export const MAX_PAGE = 500;
export const MAX_BATCH = 5000;
/** Outbox entries written together with one message (`addOutgoing`): one per recipient device set. */
export const MAX_OUTGOING_ENTRIES = 64;
/** Peer routing caps (the inbox record allows 8 devices; room for a newer record format). */
export const MAX_PEER_DEVICES = 16;
export const MAX_PEER_DEVICE_RELAYS = 16;
export const MAX_PEER_PAIR_READY = 16;
export const MAX_PEER_DM_RELAYS = 16;
export const MAX_PEER_LABEL_CHARS = 64;
const MAX_RELAY_URL_CHARS = 512;
/** A message's outer created_at offset (seconds, either sign): a year is far more than any backdating. */
export const MAX_OUTER_OFFSET_S = 366 * 86_400;
const OUTER_TAGS: readonly OuterTag[] = ['bucket', 'intro', 'recipient'];

const HEX16 = /^[0-9a-f]{16}$/;
const HEX64 = /^[0-9a-f]{64}$/;
const LOCAL_ID = /^[0-9a-zA-Z_-]{1,128}$/;
const SETTING_KEY = /^[0-9a-zA-Z_.:-]{1,128}$/;

export const CONTACT_STATES = ['accepted', 'request', 'blocked'] as const;
export const MESSAGE_STATUSES: readonly MessageStatus[] = ['sending', 'sent', 'failed', 'received'];
/** Which statuses a direction may have. */
export const STATUS_FOR: Record<'in' | 'out', readonly MessageStatus[]> = {
  in: ['received'],
  out: ['sending', 'sent', 'failed']
};

// ---------------------------------------------------------------- primitives

export function bad(what: string): never {
  throw new VeilError('INVALID_INPUT', `invalid ${what}`);
}
export function hex64(v: unknown, what: string): string {
  if (typeof v !== 'string' || !HEX64.test(v)) bad(what);
  return v;
}
export function text(v: unknown, max: number, what: string): string {
  if (typeof v !== 'string') bad(what);
  if (v.length > max) throw new VeilError('TOO_LARGE', `${what} too long`);
  return v;
}
export function optText(v: unknown, max: number, what: string): string | undefined {
  return v === undefined ? undefined : text(v, max, what);
}
/** Unix seconds, bounded so sort keys keep their fixed width. */
export function timestamp(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > MAX_TIMESTAMP_S) bad(what);
  return v;
}
/** Milliseconds since the epoch (or any non-negative safe integer). */
export function msTime(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) bad(what);
  return v;
}
export function localId(v: unknown, what: string): string {
  if (typeof v !== 'string' || !LOCAL_ID.test(v)) bad(what);
  return v;
}
export function limit(v: unknown, max: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1 || v > max) bad('limit');
  return v;
}
export function settingKey(k: unknown): string {
  if (typeof k !== 'string' || !SETTING_KEY.test(k)) bad('setting key');
  return k;
}
export function protocol(v: unknown): 'veil' | 'nip17' {
  if (v !== 'veil' && v !== 'nip17') bad('protocol');
  return v;
}
export function contactState(v: unknown): (typeof CONTACT_STATES)[number] {
  if (!CONTACT_STATES.includes(v as never)) bad('contact state');
  return v as (typeof CONTACT_STATES)[number];
}
/** An array of at most `max` entries, each checked by `each`. */
export function list<T>(v: unknown, max: number, what: string, each: (x: unknown) => T): T[] {
  if (!Array.isArray(v) || v.length > max) bad(what);
  return v.map(each);
}

/** THE store's relay-URL check (see the header): ws/wss, parseable, bounded; returned unchanged. */
export function storeRelayUrl(v: unknown): string {
  if (typeof v !== 'string' || v.length > MAX_RELAY_URL_CHARS || !isRelayUrl(v)) bad('relay url');
  return v;
}

// ---------------------------------------------------------------- composite input

/** A verified mark (types.ts VerifiedKeys); null passes through (it clears the mark). */
export function validVerified(v: unknown): VerifiedKeys | null | undefined {
  if (v === undefined || v === null) return v;
  if (typeof v !== 'object') bad('verified');
  const src = v as Record<string, unknown>;
  return { keys: hex64(src.keys, 'verified keys'), at: msTime(src.at, 'verified at') };
}

export function validProfile(p: unknown): Profile | undefined {
  if (p === undefined) return undefined;
  if (typeof p !== 'object' || p === null) bad('profile');
  const src = p as Record<string, unknown>;
  const out: Profile = {};
  for (const k of ['name', 'displayName', 'picture', 'about', 'nip05'] as const) {
    const v = optText(src[k], MAX_SHORT_TEXT, 'profile field');
    if (v !== undefined) out[k] = v;
  }
  if (src.fetchedAt !== undefined) out.fetchedAt = msTime(src.fetchedAt, 'profile fetchedAt');
  return out;
}

export function validSigner(s: unknown): SignerInfo {
  if (typeof s !== 'object' || s === null) bad('signer');
  const v = s as Record<string, unknown>;
  switch (v.type) {
    case 'local': {
      const n = text(v.ncryptsec, 1024, 'ncryptsec');
      if (!n.startsWith('ncryptsec1')) bad('ncryptsec');
      return { type: 'local', ncryptsec: n };
    }
    case 'nip07':
      return { type: 'nip07' };
    case 'nip46': {
      const url = text(v.bunkerUrl, MAX_SHORT_TEXT, 'bunker url');
      if (!url.startsWith('bunker://') && !url.startsWith('nostrconnect://')) bad('bunker url');
      const out: SignerInfo = { type: 'nip46', bunkerUrl: url };
      if (v.clientSecretKey !== undefined) out.clientSecretKey = hex64(v.clientSecretKey, 'client secret key');
      if (v.relays !== undefined) out.relays = list(v.relays, MAX_CONTACT_RELAYS, 'signer relays', storeRelayUrl);
      return out;
    }
    default:
      bad('signer');
  }
}

function eventKind(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 65535) bad(what);
  return v;
}

export function validTags(t: unknown): string[][] {
  return list(t, MAX_TAGS, 'tags', (tag) => list(tag, 16, 'tag', (x) => text(x, MAX_SHORT_TEXT, 'tag value')));
}

export function validContent(c: unknown): MessageContent {
  if (typeof c !== 'object' || c === null) bad('message content');
  const v = c as Record<string, unknown>;
  const out: MessageContent = { body: text(v.body, MAX_BODY_CHARS, 'body'), sender: hex64(v.sender, 'sender'), kind: eventKind(v.kind, 'kind') };
  if (v.replyTo !== undefined) out.replyTo = hex64(v.replyTo, 'reply-to');
  const subject = optText(v.subject, MAX_SHORT_TEXT, 'subject');
  if (subject !== undefined) out.subject = subject;
  if (v.tags !== undefined) out.tags = validTags(v.tags);
  if (v.outer !== undefined) out.outer = validOuter(v.outer);
  return out;
}

/** A message's outer event as relays stored it (types.ts OuterEvent), bounded. */
export function validOuter(o: unknown): OuterEvent {
  if (typeof o !== 'object' || o === null) bad('outer event');
  const v = o as Record<string, unknown>;
  if (!OUTER_TAGS.includes(v.tag as OuterTag)) bad('outer tag');
  if (typeof v.bytes !== 'number' || !Number.isSafeInteger(v.bytes) || v.bytes < 0 || v.bytes > MAX_EVENT_JSON) bad('outer bytes');
  const off = v.createdAtOffset;
  if (typeof off !== 'number' || !Number.isSafeInteger(off) || Math.abs(off) > MAX_OUTER_OFFSET_S) bad('outer created_at offset');
  return {
    kind: eventKind(v.kind, 'outer kind'),
    tag: v.tag as OuterTag,
    bytes: v.bytes,
    createdAtOffset: off,
    relays: list(v.relays, MAX_OUTBOX_ITEMS, 'outer relays', storeRelayUrl)
  };
}

export function validRelayResults(r: unknown): RelayResult[] {
  if (r === undefined) return [];
  return list(r, MAX_OUTBOX_ITEMS, 'relay results', (x) => {
    if (typeof x !== 'object' || x === null) bad('relay result');
    const v = x as Record<string, unknown>;
    if (typeof v.ok !== 'boolean') bad('relay result');
    const out: RelayResult = { relay: storeRelayUrl(v.relay), ok: v.ok, at: msTime(v.at, 'relay result time') };
    if (v.message !== undefined) out.message = text(v.message, 512, 'relay message');
    return out;
  });
}

/** Later results for the same relay replace earlier ones. */
export function mergeRelayResults(old: RelayResult[], fresh: RelayResult[]): RelayResult[] {
  const byUrl = new Map(old.map((r) => [r.relay, r]));
  for (const r of fresh) byUrl.set(r.relay, r);
  return [...byUrl.values()];
}

/** What a queued event may hold (the store's own bounds, tighter than a relay's). */
const STORED_EVENT_LIMITS = Object.freeze({ maxContentChars: MAX_EVENT_JSON, maxTags: MAX_TAGS, maxTagItems: 16, maxTagItemChars: MAX_SHORT_TEXT });

/** Shape and bounds of a signed event queued for sending (the signer already made it; not re-verified). */
export function validEvent(e: unknown): SignedEventJson {
  const r = checkEventShape(e, STORED_EVENT_LIMITS);
  if (!r.ok) {
    if (r.code === 'TOO_LARGE') throw new VeilError('TOO_LARGE', 'event too large');
    bad('event');
  }
  const ev: SignedEventJson = { ...r.event, created_at: timestamp(r.event.created_at, 'event created_at') };
  if (JSON.stringify(ev).length > MAX_EVENT_JSON) throw new VeilError('TOO_LARGE', 'event too large');
  return ev;
}

/** Sorted, de-duplicated peer pubkeys of a conversation. */
export function validPeers(peers: unknown): string[] {
  if (!Array.isArray(peers) || peers.length < 1 || peers.length > MAX_PEERS) bad('peers');
  return [...new Set(peers.map((p) => hex64(p, 'peer')))].sort();
}

export function validLimits(l: unknown): RelayLimits {
  if (typeof l !== 'object' || l === null) bad('relay limits');
  const v = l as Record<string, unknown>;
  const out: RelayLimits = {};
  for (const k of ['max_message_length', 'max_subscriptions', 'max_filters', 'max_limit', 'max_event_tags', 'max_content_length'] as const) {
    const x = v[k];
    if (typeof x === 'number' && Number.isSafeInteger(x) && x >= 0) out[k] = x;
  }
  for (const k of ['auth_required', 'payment_required'] as const) if (typeof v[k] === 'boolean') out[k] = v[k];
  return out;
}

// ---------------------------------------------------------------- peer routing

function validPeerDevice(d: unknown): PeerDevice {
  if (typeof d !== 'object' || d === null) bad('peer device');
  const v = d as Record<string, unknown>;
  if (typeof v.id !== 'string' || !HEX16.test(v.id)) bad('peer device id');
  return {
    id: v.id,
    ek: hex64(v.ek, 'peer device ek'),
    addedAt: timestamp(v.addedAt, 'peer device addedAt'),
    label: text(v.label, MAX_PEER_LABEL_CHARS, 'peer device label'),
    relays: list(v.relays, MAX_PEER_DEVICE_RELAYS, 'peer device relays', storeRelayUrl)
  };
}

function hexList(v: unknown, max: number, what: string): string[] {
  return list(v, max, what, (x) => hex64(x, what));
}

/** The typed peer routing record, checked field by field (on write, and again after unsealing). */
export function validPeerRouting(p: unknown): PeerRouting {
  if (typeof p !== 'object' || p === null) bad('peer');
  const v = p as Record<string, unknown>;
  const devices = list(v.devices, MAX_PEER_DEVICES, 'peer devices', validPeerDevice);
  if (new Set(devices.map((d) => d.id)).size !== devices.length) bad('peer devices');
  return {
    pubkey: hex64(v.pubkey, 'peer pubkey'),
    devices,
    recordAt: timestamp(v.recordAt, 'peer recordAt'),
    pairReady: hexList(v.pairReady, MAX_PEER_PAIR_READY, 'peer pairReady'),
    cardSentAt: timestamp(v.cardSentAt, 'peer cardSentAt'),
    profileAt: timestamp(v.profileAt, 'peer profileAt'),
    dmRelays: list(v.dmRelays, MAX_PEER_DM_RELAYS, 'peer dmRelays', storeRelayUrl),
    dmRelaysAt: msTime(v.dmRelaysAt, 'peer dmRelaysAt')
  };
}

/**
 * Reads a legacy `sync.peer.<conversationId>` setting (written by the sync layer before the
 * `peers` store existed) the way the sync layer did: each field that is valid is kept, each that is
 * not falls back to its empty value. Never throws on the content.
 */
export function legacyPeerRouting(pubkey: string, raw: unknown): PeerRouting {
  const src = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
  const keep = <T>(check: () => T, empty: T): T => {
    try {
      return check();
    } catch {
      return empty;
    }
  };
  return {
    pubkey,
    devices: keep(() => list(src.devices, MAX_PEER_DEVICES, 'peer devices', validPeerDevice), []),
    recordAt: keep(() => timestamp(src.recordAt, 'recordAt'), 0),
    pairReady: keep(() => hexList(src.pairReady, MAX_PEER_PAIR_READY, 'pairReady'), []),
    cardSentAt: keep(() => timestamp(src.cardSentAt, 'cardSentAt'), 0),
    profileAt: keep(() => timestamp(src.profileAt, 'profileAt'), 0),
    dmRelays: keep(() => list(src.dmRelays, MAX_PEER_DM_RELAYS, 'dmRelays', storeRelayUrl), []),
    dmRelaysAt: keep(() => msTime(src.dmRelaysAt, 'dmRelaysAt'), 0)
  };
}
