/**
 * Contact card (docs/design.md §2; spec docs/proposals/0002-inbox-record-and-contact-card.md): the
 * identity's signed inbox record in a compact, versioned binary form, carried out of band as a link
 * `https://<origin>/#c=<base64url>` (or `web+veil:c=<base64url>`) and as a QR code of that link.
 *
 * The card carries the record's signature, so the receiver rebuilds the exact kind-11067 event and
 * verifies it: nobody can hand out a card that binds someone's npub to their own EKs. Only the
 * optional display name is outside the signature; the UI shows it as a suggestion.
 *
 * Binary layout v1 (all integers big-endian):
 *   u8 version=1 ‖ pubkey[32] ‖ u32 created_at ‖ sig[64]
 *   u8 nRelays ‖ nRelays × (u8 scheme: 0 wss, 1 ws ‖ u8 len ‖ rest of URL after "scheme://")
 *   u8 nDevices ‖ nDevices × (id[8] ‖ ek[32] ‖ u32 added_at ‖ u8 len ‖ label ‖ u8 n ‖ n × u8 relay index)
 *   u8 nRemoved ‖ nRemoved × (id[8] ‖ u32 removed_at)
 *   u8 len ‖ name (UTF-8, may be empty)
 * Nothing may follow. At most MAX_CARD_BYTES bytes (so the link stays a QR code a phone can read).
 */
import { getEventHash } from 'nostr-tools/pure';
import { base64Decode, base64Encode, bytesToHex, concatBytes, hexToBytes, utf8Decode, utf8Encode } from '../shared/bytes';
import { VeilError, isVeilError } from '../shared/errors';
import {
  INBOX_RECORD_KIND,
  MAX_DEVICES,
  MAX_RELAYS_PER_DEVICE,
  MAX_RELAYS_TOTAL,
  MAX_REMOVED,
  isSafeDisplayText,
  inboxRecordTags,
  parseInboxRecord,
  type InboxDevice,
  type InboxRecord
} from './inbox';
import type { TrustedEvent } from './nostr-event';

export const CARD_VERSION = 1;
/** Binary size limit: 1024 bytes → at most 1366 base64url characters; with the link prefix this fits a
 * version-30 QR code at error correction L, and a typical card (1–2 devices, 2 relays) is under 350 bytes. */
export const MAX_CARD_BYTES = 1024;
export const MAX_CARD_CHARS = Math.ceil((MAX_CARD_BYTES * 4) / 3);
/** Display-name suggestion, UTF-8 bytes. */
export const MAX_CARD_NAME_BYTES = 64;

export interface ContactCard extends InboxRecord {
  /** Distinct relays over all devices, in first-seen order. */
  relays: string[];
  /** Unsigned display-name suggestion; '' when absent. Never trust it as identity. */
  name: string;
  /** The rebuilt, verified inbox record event. */
  event: TrustedEvent;
}

function bad(msg: string, cause?: unknown): never {
  throw new VeilError('INVALID_CONTACT_CARD', `contact card: ${msg}`, cause === undefined ? undefined : { cause });
}

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, false);
  return b;
}

function checkName(name: string): string {
  if (typeof name !== 'string' || utf8Encode(name).length > MAX_CARD_NAME_BYTES) bad('name too long');
  if (!isSafeDisplayText(name)) bad('name has control characters');
  return name;
}

/** base64url without padding (RFC 4648 §5). */
export function base64UrlEncode(b: Uint8Array): string {
  return base64Encode(b).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Strict base64url without padding: only the alphabet, canonical last character. */
export function base64UrlDecode(s: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(s) || s.length % 4 === 1) throw new VeilError('INVALID_INPUT', 'invalid base64url');
  const std = s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4);
  return base64Decode(std);
}

/**
 * Encodes a signed inbox record (kind 11067, canonical tags as buildInboxRecord makes them) and an
 * optional display name as a card payload (base64url). Errors: INVALID_EVENT/INVALID_SIGNATURE
 * (not a valid record), INVALID_CONTACT_CARD (record not canonical), TOO_LARGE (does not fit).
 */
export function encodeContactCard(signedRecord: unknown, name = ''): string {
  const rec = parseInboxRecord(signedRecord);
  checkName(name);
  if (JSON.stringify(rec.event.tags) !== JSON.stringify(inboxRecordTags(rec)) || rec.event.content !== '')
    bad('record is not in canonical form; rebuild it with buildInboxRecord');
  const relays: string[] = [];
  for (const d of rec.devices) for (const r of d.relays) if (!relays.includes(r)) relays.push(r);
  const parts: Uint8Array[] = [
    Uint8Array.of(CARD_VERSION),
    hexToBytes(rec.pubkey, 32),
    u32(rec.createdAt),
    hexToBytes(rec.event.sig, 64),
    Uint8Array.of(relays.length)
  ];
  for (const r of relays) {
    const wss = r.startsWith('wss://');
    const rest = utf8Encode(r.slice(wss ? 6 : 5));
    if (rest.length > 255) throw new VeilError('TOO_LARGE', 'relay URL too long for a card');
    parts.push(Uint8Array.of(wss ? 0 : 1, rest.length), rest);
  }
  parts.push(Uint8Array.of(rec.devices.length));
  for (const d of rec.devices) {
    const label = utf8Encode(d.label);
    parts.push(hexToBytes(d.id, 8), hexToBytes(d.ek, 32), u32(d.addedAt), Uint8Array.of(label.length), label);
    parts.push(Uint8Array.of(d.relays.length, ...d.relays.map((r) => relays.indexOf(r))));
  }
  parts.push(Uint8Array.of(rec.removed.length));
  for (const r of rec.removed) parts.push(hexToBytes(r.id, 8), u32(r.removedAt));
  const nameBytes = utf8Encode(name);
  parts.push(Uint8Array.of(nameBytes.length), nameBytes);
  const bin = concatBytes(...parts);
  if (bin.length > MAX_CARD_BYTES) throw new VeilError('TOO_LARGE', `contact card is ${bin.length} bytes; the limit is ${MAX_CARD_BYTES}`);
  return base64UrlEncode(bin);
}

class Reader {
  private off = 0;
  constructor(private readonly b: Uint8Array) {}
  take(n: number): Uint8Array {
    if (this.off + n > this.b.length) bad('truncated');
    const out = this.b.subarray(this.off, this.off + n);
    this.off += n;
    return out;
  }
  u8(): number {
    return this.take(1)[0]!;
  }
  u32(): number {
    const t = this.take(4);
    return new DataView(t.buffer, t.byteOffset, 4).getUint32(0, false);
  }
  end(): void {
    if (this.off !== this.b.length) bad('trailing bytes');
  }
}

function text(b: Uint8Array): string {
  try {
    return utf8Decode(b);
  } catch (cause) {
    bad('invalid UTF-8', cause);
  }
}

/**
 * Decodes and verifies a card payload (the base64url part). Strict: version 1 only, every count
 * bounded before use, no trailing bytes, and the rebuilt record must verify under the card's
 * pubkey. Errors: INVALID_CONTACT_CARD (with the underlying cause), TOO_LARGE.
 */
export function decodeContactCard(payload: string): ContactCard {
  if (typeof payload !== 'string') bad('not text');
  if (payload.length > MAX_CARD_CHARS) throw new VeilError('TOO_LARGE', 'contact card is too large');
  let bin: Uint8Array;
  try {
    bin = base64UrlDecode(payload);
  } catch (cause) {
    bad('not base64url', cause);
  }
  const r = new Reader(bin);
  const version = r.u8();
  if (version !== CARD_VERSION) bad('unsupported version');
  const pubkey = bytesToHex(r.take(32));
  const createdAt = r.u32();
  const sig = bytesToHex(r.take(64));
  const nRelays = r.u8();
  if (nRelays > MAX_RELAYS_TOTAL) bad('too many relays');
  const relays: string[] = [];
  for (let i = 0; i < nRelays; i++) {
    const scheme = r.u8();
    if (scheme > 1) bad('unknown relay scheme');
    relays.push((scheme === 0 ? 'wss://' : 'ws://') + text(r.take(r.u8())));
  }
  const nDevices = r.u8();
  if (nDevices < 1 || nDevices > MAX_DEVICES) bad('device count out of range');
  const devices: InboxDevice[] = [];
  for (let i = 0; i < nDevices; i++) {
    const id = bytesToHex(r.take(8));
    const ek = bytesToHex(r.take(32));
    const addedAt = r.u32();
    const label = text(r.take(r.u8()));
    const n = r.u8();
    if (n < 1 || n > MAX_RELAYS_PER_DEVICE) bad('device relay count out of range');
    const devRelays: string[] = [];
    for (let j = 0; j < n; j++) {
      const idx = r.u8();
      const url = relays[idx];
      if (url === undefined) bad('relay index out of range');
      devRelays.push(url);
    }
    devices.push({ id, ek, addedAt, label, relays: devRelays });
  }
  const nRemoved = r.u8();
  if (nRemoved > MAX_REMOVED) bad('too many removals');
  const removed = [];
  for (let i = 0; i < nRemoved; i++) removed.push({ id: bytesToHex(r.take(8)), removedAt: r.u32() });
  const name = text(r.take(r.u8()));
  r.end();
  checkName(name);
  // Every table entry must be used, so one card has exactly one encoding.
  const used = new Set(devices.flatMap((d) => d.relays));
  if (used.size !== relays.length || new Set(relays).size !== relays.length) bad('unused or duplicate relay');

  let rec: ReturnType<typeof parseInboxRecord>;
  try {
    const tags = inboxRecordTags({ devices, removed });
    const unsigned = { pubkey, created_at: createdAt, kind: INBOX_RECORD_KIND, tags, content: '' };
    rec = parseInboxRecord({ ...unsigned, id: getEventHash(unsigned), sig });
  } catch (cause) {
    if (isVeilError(cause, 'TOO_LARGE')) throw cause;
    bad(isVeilError(cause, 'INVALID_SIGNATURE') ? 'signature does not verify (damaged or forged)' : 'invalid record', cause);
  }
  // The record's canonical order must be the card's order (else the signature could not have verified).
  if (JSON.stringify(rec.event.tags) !== JSON.stringify(inboxRecordTags(rec))) bad('not canonical');
  return { pubkey: rec.pubkey, createdAt: rec.createdAt, devices: rec.devices, removed: rec.removed, relays, name, event: rec.event };
}

/**
 * The shareable link for a card payload: `<origin>/#c=<payload>`. The payload sits in the fragment,
 * which browsers never send to the server. `origin` must be https (or http on localhost).
 */
export function contactCardLink(origin: string, payload: string): string {
  let u: URL;
  try {
    u = new URL(origin);
  } catch (cause) {
    throw new VeilError('INVALID_INPUT', 'invalid app origin', { cause });
  }
  const local = u.hostname === 'localhost' || u.hostname === '127.0.0.1';
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && local)) throw new VeilError('INVALID_INPUT', 'app origin must be https');
  return `${u.origin}/#c=${payload}`;
}

const CARD_MARKER = /(?:#|web\+veil:)c=([A-Za-z0-9_-]*)/i;

/**
 * Finds a card link (`…#c=…` or `web+veil:c=…`) anywhere in pasted text and decodes it.
 * Returns null when the text holds no card marker; throws INVALID_CONTACT_CARD / TOO_LARGE when it
 * holds a damaged one (so a bad card is reported, not silently read as something else).
 */
export function findContactCard(text: string): ContactCard | null {
  const m = CARD_MARKER.exec(text);
  if (!m) return null;
  return decodeContactCard(m[1]!);
}
