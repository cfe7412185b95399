/**
 * Mailboxes: the value M of an envelope's outer `p` tag (docs/proposals/0003-mailboxes.md,
 * docs/design.md §4). A reader asks a relay for `{"kinds":[1067],"#p":[M…]}` and learns only its own
 * envelopes, while the relay sees tags that look like ordinary pubkeys and change every day.
 *
 * - pair:  K = HKDF-Extract("veil/mbx1/pair", x(a·B)) for two envelope keys (EKs); directional
 *          (from → to), per relay (normalized URL), per UTC day.
 * - intro: public derivation from the first k bits of the recipient's EK (default k = 0: one
 *          mailbox per relay and day for everyone, trial-opened by every reader).
 * - self:  K = HKDF-Extract("veil/mbx1/self", own EK secret): loop cover for one device. Sibling
 *          devices of the same user are reached through pair mailboxes between their EKs.
 *
 * Every M is a valid BIP-340 x-only point (hash-to-x with a counter), so relays that validate `p`
 * tags accept it and it is uniformly distributed over valid pubkeys, like a real one.
 */
import * as secp from '@noble/secp256k1';
import { extract as hkdfExtract } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { abytes, bytesToHex, concatBytes, equalBytes, utf8Encode, wipe } from '../shared/bytes';
import { VeilError } from '../shared/errors';
import { normalizeRelayUrl } from '../shared/relay-url';
import { CREATED_AT_SPREAD } from './envelope-format';
import { assertSecretKey, ecdh, getXOnlyPublicKey, parsePublicKey, type SecretKey, type XOnlyPublicKey } from './keys';

export const SECONDS_PER_DAY = 86_400;
/** Largest intro prefix length k in bits (2^16 intro mailboxes per relay and day). */
export const MAX_INTRO_BITS = 16;
/** A reader never looks back further than this many days (envelopes expire before; spec 0001). */
export const MAX_CATCHUP_DAYS = 31;
/** Largest spread between an envelope's real send time and its created_at (spec 0001). */
export const MAX_CREATED_AT_SPREAD = CREATED_AT_SPREAD;

const LABEL_PAIR = 'veil/mbx1/pair';
const LABEL_INTRO = 'veil/mbx1/intro';
const LABEL_SELF = 'veil/mbx1/self';
const LABEL_POINT = 'veil/mbx1/point';
const POINT_LABEL_BYTES = utf8Encode(LABEL_POINT);

/** The relay-URL normaliser whose output `place` hashes (spec 0003 §Relay URL), shared with the relay layer. */
export { normalizeRelayUrl };

/** The UTC-day epoch of a unix time in seconds: floor(t / 86400). */
export function epochDay(unixSeconds: number): number {
  if (!Number.isSafeInteger(unixSeconds) || unixSeconds < 0) throw new VeilError('INVALID_INPUT', 'bad unix time');
  return Math.floor(unixSeconds / SECONDS_PER_DAY);
}

/** Throws INVALID_INPUT unless `day` is a UTC-day epoch that fits be32. */
export function assertDay(day: number): void {
  if (!Number.isSafeInteger(day) || day < 0 || day > 0xffffffff) throw new VeilError('INVALID_INPUT', 'bad epoch day');
}

/**
 * place(relay, day) = be32(day) ‖ be16(len(url)) ‖ url of the normalized relay URL (spec 0003 §Place):
 * the "where and when" part of every mailbox and bucket message.
 */
export function placeBytes(relay: string, day: number): Uint8Array {
  assertDay(day);
  const url = utf8Encode(normalizeRelayUrl(relay));
  const out = new Uint8Array(6 + url.length);
  new DataView(out.buffer).setUint32(0, day);
  new DataView(out.buffer).setUint16(4, url.length);
  out.set(url, 6);
  return out;
}

/**
 * Hash-to-x (spec 0003 §Mailbox point): x_i = HMAC-SHA256(seed, "veil/mbx1/point" ‖ i) for
 * i = 0, 1, …; the first x_i that is the x coordinate of a curve point is M. Each try succeeds with
 * probability ≈ 1/2, so 256 tries fail with probability 2^-256.
 */
export function hashToXOnly(seed: Uint8Array): XOnlyPublicKey {
  abytes(seed, 32, 'mailbox seed');
  const sec = new Uint8Array(33);
  sec[0] = 0x02;
  for (let i = 0; i < 256; i++) {
    const x = hmac(sha256, seed, concatBytes(POINT_LABEL_BYTES, Uint8Array.of(i)));
    sec.set(x, 1);
    try {
      secp.Point.fromBytes(sec).assertValidity();
      return x;
    } catch {
      // not on the curve (x³ + 7 is not a square, or x ≥ p): next counter
    }
  }
  throw new VeilError('INVALID_INPUT', 'hash-to-x failed'); // unreachable in practice
}

function mailboxFrom(key: Uint8Array, label: string, body: Uint8Array): string {
  const seed = hmac(sha256, key, concatBytes(utf8Encode(label), Uint8Array.of(0), body));
  const m = hashToXOnly(seed);
  wipe(seed);
  return bytesToHex(m);
}

/**
 * The pair key of two envelope keys (spec 0003 §Pair): HKDF-Extract(salt "veil/mbx1/pair",
 * x(mySecret · theirEK)). Symmetric: both ends compute the same 32 bytes. Keep it secret.
 */
export function derivePairKey(myEkSecret: SecretKey, theirEk: XOnlyPublicKey): Uint8Array {
  const ss = ecdh(myEkSecret, theirEk);
  const k = hkdfExtract(sha256, ss, utf8Encode(LABEL_PAIR));
  wipe(ss);
  return k;
}

/**
 * Pair mailbox for envelopes from EK `from` to EK `to` on `relay` in UTC day `day` (spec 0003 §Pair):
 * HMAC-SHA256(pairKey, "veil/mbx1/pair" ‖ 0x00 ‖ from ‖ to ‖ be32(day) ‖ be16(n) ‖ url) → hash-to-x.
 * Returns 64 lowercase hex characters for the outer `p` tag.
 */
export function pairMailbox(pairKey: Uint8Array, from: XOnlyPublicKey, to: XOnlyPublicKey, relay: string, day: number): string {
  abytes(pairKey, 32, 'pair key');
  abytes(from, 32, 'from EK');
  abytes(to, 32, 'to EK');
  return mailboxFrom(pairKey, LABEL_PAIR, concatBytes(from, to, placeBytes(relay, day)));
}

/** The k-bit prefix of an EK as stored in mailbox messages: ceil(k/8) bytes, unused low bits zero. */
function introPrefix(ek: XOnlyPublicKey, k: number): Uint8Array {
  const n = Math.ceil(k / 8);
  const out = ek.slice(0, n);
  if (k % 8 !== 0) out[n - 1]! &= (0xff << (8 - (k % 8))) & 0xff;
  return out;
}

/**
 * Intro mailbox (spec 0003 §Intro): public, keyed by the constant label, from the first k bits of
 * the recipient's EK: HMAC-SHA256("veil/mbx1/intro", "veil/mbx1/intro" ‖ 0x00 ‖ k ‖ prefix ‖
 * be32(day) ‖ be16(n) ‖ url) → hash-to-x. With k = 0 (default) every Veil user shares it.
 */
export function introMailbox(recipientEk: XOnlyPublicKey, relay: string, day: number, k = 0): string {
  abytes(recipientEk, 32, 'recipient EK');
  if (!Number.isSafeInteger(k) || k < 0 || k > MAX_INTRO_BITS) throw new VeilError('INVALID_INPUT', 'bad intro prefix length');
  const body = concatBytes(Uint8Array.of(k), introPrefix(recipientEk, k), placeBytes(relay, day));
  return mailboxFrom(utf8Encode(LABEL_INTRO), LABEL_INTRO, body);
}

/**
 * Self mailbox of one device (spec 0003 §Self): HMAC-SHA256(HKDF-Extract("veil/mbx1/self", ekSecret),
 * "veil/mbx1/self" ‖ 0x00 ‖ EK ‖ be32(day) ‖ be16(n) ‖ url) → hash-to-x. Only this device can
 * compute it (the EK secret is needed), so it serves loop cover that looks like any pair mailbox.
 */
export function selfMailbox(ekSecret: SecretKey, relay: string, day: number): string {
  assertSecretKey(ekSecret, 'EK secret');
  const ek = getXOnlyPublicKey(ekSecret);
  const key = hkdfExtract(sha256, ekSecret, utf8Encode(LABEL_SELF));
  const m = mailboxFrom(key, LABEL_SELF, concatBytes(ek, placeBytes(relay, day)));
  wipe(key);
  return m;
}

/**
 * The epoch days a reader fetches (spec 0003 §Reading): the mailbox follows the sender's real send
 * time, not created_at, so from the day before the last read (a message sent just before midnight,
 * read after) through tomorrow (a sender's clock running ahead across midnight). Without
 * `lastReadAt` that is yesterday, today and tomorrow. At most MAX_CATCHUP_DAYS + 2 days.
 */
export function mailboxDays(nowSeconds: number, lastReadAt?: number): number[] {
  const today = epochDay(nowSeconds);
  const from = lastReadAt === undefined ? today : epochDay(Math.min(lastReadAt, nowSeconds));
  const first = Math.max(from - 1, today - MAX_CATCHUP_DAYS, 0);
  const days: number[] = [];
  for (let d = first; d <= today + 1; d++) days.push(d);
  return days;
}

/**
 * The created_at range of envelopes that can sit in day `day`'s mailbox (spec 0003 §Reading): sent
 * during that day, created_at = send time − [0, 48 h]. Use as `since`/`until` of the REQ filter;
 * `skew` widens it for clocks that are off.
 */
export function mailboxCreatedAtWindow(day: number, skew = 600): { since: number; until: number } {
  assertDay(day);
  const start = day * SECONDS_PER_DAY;
  return { since: Math.max(0, start - MAX_CREATED_AT_SPREAD - skew), until: start + SECONDS_PER_DAY - 1 + skew };
}

export type MailboxKind = 'pair' | 'intro' | 'self';
export interface ReadMailbox {
  kind: MailboxKind;
  relay: string;
  day: number;
  /** 64 hex chars for the `#p` filter. */
  mailbox: string;
  /** For pair mailboxes: the contact's EK (hex) the envelopes come from. */
  from?: string;
}

/**
 * Every mailbox one device reads on `relays` for the days of `mailboxDays` (spec 0003 §Reading):
 * pair mailboxes contact → me for each contact EK (including this user's other devices), the intro
 * mailbox for my EK's k-bit prefix, and my self mailbox.
 */
export function readerMailboxes(opts: {
  ekSecret: SecretKey;
  contacts: readonly XOnlyPublicKey[];
  relays: readonly string[];
  nowSeconds: number;
  lastReadAt?: number;
  introBits?: number;
}): ReadMailbox[] {
  assertSecretKey(opts.ekSecret, 'EK secret');
  const me = getXOnlyPublicKey(opts.ekSecret);
  const days = mailboxDays(opts.nowSeconds, opts.lastReadAt);
  const out: ReadMailbox[] = [];
  const pairKeys = opts.contacts.map((c) => {
    parsePublicKey(c, 'contact EK');
    if (equalBytes(c, me)) throw new VeilError('INVALID_INPUT', 'contact EK equals own EK');
    return { from: c, key: derivePairKey(opts.ekSecret, c) };
  });
  for (const relay of opts.relays) {
    const url = normalizeRelayUrl(relay);
    for (const day of days) {
      for (const p of pairKeys)
        out.push({ kind: 'pair', relay: url, day, mailbox: pairMailbox(p.key, p.from, me, url, day), from: bytesToHex(p.from) });
      out.push({ kind: 'intro', relay: url, day, mailbox: introMailbox(me, url, day, opts.introBits ?? 0) });
      out.push({ kind: 'self', relay: url, day, mailbox: selfMailbox(opts.ekSecret, url, day) });
    }
  }
  for (const p of pairKeys) wipe(p.key);
  return out;
}
