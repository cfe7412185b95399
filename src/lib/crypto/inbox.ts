/**
 * The inbox record (docs/design.md §2; spec docs/proposals/0002-inbox-record-and-contact-card.md):
 * a replaceable event of kind 11067, signed by the identity key, that certifies each device's
 * envelope key (EK) and names the relays where that device reads envelopes.
 *
 *   content: ""
 *   tags:    ["v", "1"]
 *            ["device", <device id: 16 hex>, <EK: 64 hex x-only>, <added_at: decimal s>, <label>, <relay>…]
 *            ["removed", <device id>, <removed_at: decimal s>]
 *
 * Tags are written in one canonical order (v, devices by id, removals by id) so that a contact card
 * can carry the record compactly and the receiver can rebuild the exact signed event (card.ts).
 * Two devices of one identity each publish the merge of what they saw: for each device id the entry
 * with the newest added_at wins, and a removal wins over every entry not newer than it.
 */
import { utf8Encode } from '../shared/bytes';
import { VeilError } from '../shared/errors';
import { xOnlyFromHex } from './keys';
import { normalizeRelayUrl } from '../shared/relay-url';
import { verifyEvent, type TrustedEvent } from './nostr-event';

export const INBOX_RECORD_KIND = 11067;
export const INBOX_RECORD_VERSION = '1';
/** Devices one identity may certify at a time. */
export const MAX_DEVICES = 8;
/** Relays one device reads envelopes from. */
export const MAX_RELAYS_PER_DEVICE = 8;
/** Distinct relays over all devices (also the card's relay table size). */
export const MAX_RELAYS_TOTAL = 16;
/** Removals kept so an old copy cannot bring a removed device back; the oldest are dropped first. */
export const MAX_REMOVED = 16;
/** Device label, UTF-8 bytes. */
export const MAX_LABEL_BYTES = 32;
/** Relay URL in a record, UTF-8 bytes (after normalization). */
export const MAX_RECORD_RELAY_URL_BYTES = 200;
const MAX_TIME = 0xffffffff;

const DEVICE_ID = /^[0-9a-f]{16}$/;
const DECIMAL = /^(0|[1-9][0-9]{0,9})$/;
// C0/C1 controls, bidi overrides and isolates: a label is shown to contacts and must not reorder text.
// eslint-disable-next-line no-control-regex
const BAD_LABEL_CHARS = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

export interface InboxDevice {
  /** 8 random bytes as 16 lowercase hex, made once per device. */
  id: string;
  /** The device's envelope key, x-only lowercase hex, validated as a curve point. */
  ek: string;
  /** When this entry was (re)written, unix seconds; the newest entry per device id wins a merge. */
  addedAt: number;
  /** Short human label ("laptop"); may be empty. */
  label: string;
  /** Normalized ws/wss URLs where this device reads envelopes (mailbox.ts normalizeRelayUrl). */
  relays: string[];
}

export interface InboxRemoval {
  id: string;
  removedAt: number;
}

/** The data of an inbox record, without the event around it. */
export interface InboxRecordData {
  devices: InboxDevice[];
  removed: InboxRemoval[];
}

/** A parsed, verified inbox record. */
export interface InboxRecord extends InboxRecordData {
  pubkey: string;
  createdAt: number;
}

function bad(msg: string): never {
  throw new VeilError('INVALID_EVENT', `inbox record: ${msg}`);
}

function checkTime(t: unknown, what: string): number {
  if (typeof t !== 'number' || !Number.isInteger(t) || t < 0 || t > MAX_TIME) bad(`${what} out of range`);
  return t;
}

/** Validates a device id; exported for the card codec and the app (which makes ids). */
export function checkDeviceId(id: unknown): string {
  if (typeof id !== 'string' || !DEVICE_ID.test(id)) bad('device id must be 16 lowercase hex');
  return id;
}

/** False when `s` holds control or bidi-override characters (unsafe to show to another person). */
export function isSafeDisplayText(s: string): boolean {
  return !BAD_LABEL_CHARS.test(s);
}

/** Validates a label: at most MAX_LABEL_BYTES of UTF-8, no control or bidi-override characters. */
export function checkLabel(label: unknown): string {
  if (typeof label !== 'string' || label.length > MAX_LABEL_BYTES || utf8Encode(label).length > MAX_LABEL_BYTES) bad('label too long');
  if (BAD_LABEL_CHARS.test(label)) bad('label has control characters');
  return label;
}

/** A relay URL must already be in normalized form, so every party derives the same mailboxes. */
export function checkRelayUrl(url: unknown): string {
  if (typeof url !== 'string' || url.length > MAX_RECORD_RELAY_URL_BYTES) bad('relay URL too long');
  let n: string;
  try {
    n = normalizeRelayUrl(url);
  } catch {
    bad('invalid relay URL');
  }
  if (n !== url) bad('relay URL is not normalized');
  if (utf8Encode(n).length > MAX_RECORD_RELAY_URL_BYTES) bad('relay URL too long');
  return n;
}

function checkDevice(d: InboxDevice): InboxDevice {
  const id = checkDeviceId(d.id);
  try {
    xOnlyFromHex(d.ek, 'EK');
  } catch {
    bad('EK is not a valid x-only public key');
  }
  const addedAt = checkTime(d.addedAt, 'added_at');
  const label = checkLabel(d.label);
  if (!Array.isArray(d.relays) || d.relays.length === 0 || d.relays.length > MAX_RELAYS_PER_DEVICE) bad('a device needs 1..8 relays');
  const relays = d.relays.map(checkRelayUrl);
  if (new Set(relays).size !== relays.length) bad('duplicate relay');
  return { id, ek: d.ek, addedAt, label, relays };
}

/** Checks every bound and invariant of record data; returns a canonical (sorted) copy. */
export function checkInboxRecordData(data: InboxRecordData): InboxRecordData {
  if (!Array.isArray(data.devices) || !Array.isArray(data.removed)) bad('malformed');
  if (data.devices.length > MAX_DEVICES) throw new VeilError('TOO_LARGE', `inbox record: more than ${MAX_DEVICES} devices`);
  if (data.removed.length > MAX_REMOVED) throw new VeilError('TOO_LARGE', 'inbox record: too many removals');
  const devices = data.devices.map(checkDevice).sort((a, b) => (a.id < b.id ? -1 : 1));
  const removed = data.removed
    .map((r) => ({ id: checkDeviceId(r.id), removedAt: checkTime(r.removedAt, 'removed_at') }))
    .sort((a, b) => (a.id < b.id ? -1 : 1));
  const ids = new Set<string>();
  const eks = new Set<string>();
  for (const d of devices) {
    if (ids.has(d.id)) bad('duplicate device id');
    if (eks.has(d.ek)) bad('two devices share one EK');
    ids.add(d.id);
    eks.add(d.ek);
  }
  const rids = new Set<string>();
  for (const r of removed) {
    if (rids.has(r.id)) bad('duplicate removal');
    rids.add(r.id);
    const live = devices.find((d) => d.id === r.id);
    if (live && live.addedAt <= r.removedAt) bad('a removed device is still listed');
  }
  const allRelays = new Set(devices.flatMap((d) => d.relays));
  if (allRelays.size > MAX_RELAYS_TOTAL) throw new VeilError('TOO_LARGE', 'inbox record: too many relays');
  return { devices, removed };
}

/** The canonical tags for record data (which must already be checked). */
export function inboxRecordTags(data: InboxRecordData): string[][] {
  const tags: string[][] = [['v', INBOX_RECORD_VERSION]];
  for (const d of data.devices) tags.push(['device', d.id, d.ek, String(d.addedAt), d.label, ...d.relays]);
  for (const r of data.removed) tags.push(['removed', r.id, String(r.removedAt)]);
  return tags;
}

/**
 * Builds the event template of an inbox record for the Signer to sign (signer.ts). Throws
 * INVALID_EVENT or TOO_LARGE when the data breaks a bound; never produces a record others reject.
 */
export function buildInboxRecord(
  data: InboxRecordData,
  createdAt: number
): { kind: number; created_at: number; tags: string[][]; content: string } {
  const c = checkInboxRecordData(data);
  if (c.devices.length === 0) bad('a record needs at least one device');
  return { kind: INBOX_RECORD_KIND, created_at: checkTime(createdAt, 'created_at'), tags: inboxRecordTags(c), content: '' };
}

/**
 * Verifies (id, signature) and parses an inbox record from a relay or a card. Bounded: at most
 * MAX_DEVICES devices, MAX_REMOVED removals, 8 relays per device, normalized ws/wss URLs, valid EKs.
 * Unknown tags are ignored (forward compatibility); a record whose version tag is not "1" is
 * rejected. Errors: INVALID_EVENT, INVALID_SIGNATURE, TOO_LARGE.
 */
export function parseInboxRecord(raw: unknown): InboxRecord & { event: TrustedEvent } {
  const event = verifyEvent(raw, { maxContentChars: 1024, maxTags: 64, maxTagItems: 5 + MAX_RELAYS_PER_DEVICE, maxTagItemChars: 512 });
  if (event.kind !== INBOX_RECORD_KIND) bad('wrong kind');
  let version: string | undefined;
  const devices: InboxDevice[] = [];
  const removed: InboxRemoval[] = [];
  for (const t of event.tags) {
    const name = t[0];
    if (name === 'v') {
      if (version !== undefined) bad('two version tags');
      version = t[1];
    } else if (name === 'device') {
      if (t.length < 6) bad('device tag too short');
      const [, id, ek, added, label, ...relays] = t as [string, string, string, string, string, ...string[]];
      if (!DECIMAL.test(added)) bad('added_at must be decimal');
      devices.push({ id, ek, addedAt: Number(added), label, relays });
    } else if (name === 'removed') {
      if (t.length !== 3) bad('removed tag malformed');
      const [, id, at] = t as [string, string, string];
      if (!DECIMAL.test(at)) bad('removed_at must be decimal');
      removed.push({ id, removedAt: Number(at) });
    }
    if (devices.length > MAX_DEVICES) throw new VeilError('TOO_LARGE', 'inbox record: too many devices');
    if (removed.length > MAX_REMOVED) throw new VeilError('TOO_LARGE', 'inbox record: too many removals');
  }
  if (version !== INBOX_RECORD_VERSION) bad('unsupported version');
  const data = checkInboxRecordData({ devices, removed });
  return { pubkey: event.pubkey, createdAt: event.created_at, ...data, event };
}

/**
 * Merges two views of one identity's record (docs/design.md §2: every device publishes the merge of what
 * it saw). Per device id the entry with the newest addedAt wins (ties: the larger EK hex, so the
 * result does not depend on argument order); a removal supersedes entries with addedAt ≤ removedAt;
 * removals beyond MAX_REMOVED drop the oldest. TOO_LARGE if the union has more than MAX_DEVICES.
 */
export function mergeInboxRecords(a: InboxRecordData, b: InboxRecordData): InboxRecordData {
  const removed = new Map<string, number>();
  for (const r of [...a.removed, ...b.removed]) removed.set(r.id, Math.max(removed.get(r.id) ?? 0, r.removedAt));
  const devices = new Map<string, InboxDevice>();
  for (const d of [...a.devices, ...b.devices]) {
    const cur = devices.get(d.id);
    if (!cur || d.addedAt > cur.addedAt || (d.addedAt === cur.addedAt && d.ek > cur.ek)) devices.set(d.id, d);
  }
  const live: InboxDevice[] = [];
  for (const d of devices.values()) {
    const r = removed.get(d.id);
    if (r !== undefined && d.addedAt <= r) continue;
    if (r !== undefined) removed.delete(d.id); // re-added after its removal
    live.push({ ...d, relays: [...d.relays] });
  }
  const rem = [...removed.entries()]
    .map(([id, removedAt]) => ({ id, removedAt }))
    .sort((x, y) => y.removedAt - x.removedAt || (x.id < y.id ? -1 : 1))
    .slice(0, MAX_REMOVED);
  return checkInboxRecordData({ devices: live, removed: rem });
}

/** Adds or replaces this device's entry (its addedAt must be newer than any removal of it). */
export function upsertDevice(data: InboxRecordData, device: InboxDevice): InboxRecordData {
  return mergeInboxRecords(data, { devices: [device], removed: [] });
}

/** Removes a device (e.g. a lost phone): its entry goes and a removal marker keeps it out of merges. */
export function removeDevice(data: InboxRecordData, id: string, removedAt: number): InboxRecordData {
  checkDeviceId(id);
  checkTime(removedAt, 'removed_at');
  return mergeInboxRecords(data, { devices: [], removed: [{ id, removedAt }] });
}
