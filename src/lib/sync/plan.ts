/**
 * Pure mailbox bookkeeping for the messenger (docs/design.md §4; docs/proposals/0003-mailboxes.md):
 * where one outgoing message goes (which device EK, which relay, which mailbox), and what each
 * envelope relay is asked for. No I/O, no clocks: everything comes in as arguments, so the
 * page, the service worker and the tests compute the same plans.
 */
import { bytesToHex, wipe } from '../shared/bytes';
import { VeilError } from '../shared/errors';
import type { EnvelopeKey } from '../crypto/envelope';
import { xOnlyFromHex } from '../crypto/keys';
import {
  derivePairKey,
  epochDay,
  introMailbox,
  mailboxCreatedAtWindow,
  mailboxDays,
  normalizeRelayUrl,
  pairMailbox,
  readerMailboxes,
  type MailboxKind,
  type ReadMailbox
} from '../crypto/mailbox';

/** Relays one recipient device is sent to (its record allows 8). */
export const MAX_RELAYS_PER_TARGET = 8;
/** Devices of one identity we seal to (the inbox record allows 8). */
export const MAX_TARGET_DEVICES = 8;
/** `#p` values per filter; a REQ carries several filters when a relay needs more. */
export const MAX_MAILBOXES_PER_FILTER = 256;
/** Stored events asked for per filter (a relay's max_limit clamps it). */
export const STORED_EVENTS_LIMIT = 1000;

/** A device we can seal to: its envelope key and where it reads envelopes. */
export interface DeviceAddress {
  /** x-only EK, 64 lowercase hex. */
  ek: string;
  /** Relays the device reads (normalized); empty means "use the fallback relays". */
  relays: readonly string[];
}

/** One envelope to seal and publish. */
export interface SendTarget {
  /** Normalized relay URL the envelope is published to (and the mailbox is derived for). */
  relay: string;
  /** Recipient device EK (hex). */
  ek: string;
  mailbox: string;
  via: Extract<MailboxKind, 'pair' | 'intro'>;
  /** 'peer': the contact's device; 'self': a copy for one of my other devices. */
  to: 'peer' | 'self';
}

/** Normalizes and dedupes relay URLs, dropping the invalid ones; keeps order; at most `max`. */
export function cleanRelayList(relays: readonly string[], max = Number.MAX_SAFE_INTEGER): string[] {
  const out: string[] = [];
  for (const r of relays) {
    if (out.length >= max) break;
    let n: string;
    try {
      n = normalizeRelayUrl(r);
    } catch {
      continue;
    }
    if (!out.includes(n)) out.push(n);
  }
  return out;
}

/**
 * Every envelope one outgoing message needs (docs/design.md §4 "Pair mailboxes", "Intro mailbox",
 * "Self mailbox"): one per recipient device EK per relay of that device (fallback: ours), through
 * the pair mailbox me → device when that device already knows us (`pairReady`), the intro mailbox
 * otherwise; plus a pair-mailbox copy per own other device on its relays. The mailbox is derived
 * for the relay it is published to, on the UTC day of the real send time.
 */
export function sendTargets(opts: {
  me: EnvelopeKey;
  peerDevices: readonly DeviceAddress[];
  /** Peer device EKs (hex) that have sent to us, so they read pair mailboxes from our EK. */
  pairReady: ReadonlySet<string>;
  ownDevices: readonly DeviceAddress[];
  fallbackRelays: readonly string[];
  nowSeconds: number;
  introBits?: number;
}): SendTarget[] {
  const day = epochDay(opts.nowSeconds);
  const myHex = bytesToHex(opts.me.publicKey);
  const fallback = cleanRelayList(opts.fallbackRelays, MAX_RELAYS_PER_TARGET);
  const out: SendTarget[] = [];
  const seen = new Set<string>();
  const add = (dev: DeviceAddress, to: 'peer' | 'self', pair: boolean): void => {
    if (dev.ek === myHex || seen.has(dev.ek)) return; // never seal to ourselves; one set per EK
    seen.add(dev.ek);
    let ek: Uint8Array;
    try {
      ek = xOnlyFromHex(dev.ek, 'device EK');
    } catch {
      return; // a record with a bad EK cannot be sealed to; parsers already refuse these
    }
    const own = cleanRelayList(dev.relays, MAX_RELAYS_PER_TARGET);
    const relays = own.length > 0 ? own : fallback;
    const key = pair ? derivePairKey(opts.me.secret, ek) : undefined;
    try {
      for (const relay of relays) {
        const mailbox = key ? pairMailbox(key, opts.me.publicKey, ek, relay, day) : introMailbox(ek, relay, day, opts.introBits ?? 0);
        out.push({ relay, ek: dev.ek, mailbox, via: key ? 'pair' : 'intro', to });
      }
    } finally {
      wipe(key);
    }
  };
  for (const d of opts.peerDevices.slice(0, MAX_TARGET_DEVICES)) add(d, 'peer', opts.pairReady.has(d.ek));
  for (const d of opts.ownDevices.slice(0, MAX_TARGET_DEVICES)) add(d, 'self', true);
  return out;
}

/** What one envelope relay is asked for, and how to tell what an arriving `p` tag means. */
export interface RelayReadPlan {
  relay: string;
  /** Distinct mailboxes, sorted (stable filters make re-subscription diffs cheap). */
  mailboxes: string[];
  /** `since` of the oldest day read (mailboxCreatedAtWindow). */
  since: number;
  /** mailbox hex → what it is (pair from which EK, intro, self). */
  index: Map<string, ReadMailbox>;
}

/**
 * The read plan for every envelope relay (docs/design.md §4 "Reading"): pair mailboxes from each known
 * EK (contacts' devices and my own other devices) to me, my intro mailbox and my self mailbox, for
 * the days from the relay's last read through tomorrow. Identity pubkeys never appear: only
 * mailbox points, which change every day and differ per relay.
 */
export function readPlans(opts: {
  ek: EnvelopeKey;
  /** EKs (hex) whose pair mailboxes to me we read; my own EK and invalid ones are skipped. */
  fromEks: readonly string[];
  relays: readonly string[];
  nowSeconds: number;
  /** Per normalized relay URL: the last time (s) a read of it completed. */
  lastReadAt?: ReadonlyMap<string, number>;
  introBits?: number;
}): RelayReadPlan[] {
  const myHex = bytesToHex(opts.ek.publicKey);
  const contacts: Uint8Array[] = [];
  const seen = new Set<string>();
  for (const hex of opts.fromEks) {
    if (hex === myHex || seen.has(hex)) continue;
    seen.add(hex);
    try {
      contacts.push(xOnlyFromHex(hex, 'contact EK'));
    } catch {
      // skip: cannot derive a pair mailbox with an invalid point
    }
  }
  return cleanRelayList(opts.relays).map((relay) => {
    const last = opts.lastReadAt?.get(relay);
    const list = readerMailboxes({
      ekSecret: opts.ek.secret,
      contacts,
      relays: [relay],
      nowSeconds: opts.nowSeconds,
      ...(last !== undefined ? { lastReadAt: last } : {}),
      introBits: opts.introBits ?? 0
    });
    const index = new Map<string, ReadMailbox>();
    for (const m of list) if (!index.has(m.mailbox)) index.set(m.mailbox, m);
    const days = mailboxDays(opts.nowSeconds, last);
    const since = mailboxCreatedAtWindow(days[0]!).since;
    return { relay, mailboxes: [...index.keys()].sort(), since, index };
  });
}

/**
 * Splits a plan into `#p` filters of at most MAX_MAILBOXES_PER_FILTER values each. `limit` asks for
 * more stored events than a relay's default page (often 100); relays clamp it to their max_limit.
 */
export function planFilters(
  plan: RelayReadPlan,
  chunk = MAX_MAILBOXES_PER_FILTER,
  limit = STORED_EVENTS_LIMIT
): { kinds: number[]; '#p': string[]; since: number; limit: number }[] {
  if (!Number.isSafeInteger(chunk) || chunk < 1) throw new VeilError('INVALID_INPUT', 'bad filter chunk size');
  const out: { kinds: number[]; '#p': string[]; since: number; limit: number }[] = [];
  for (let i = 0; i < plan.mailboxes.length; i += chunk)
    out.push({ kinds: [1067], '#p': plan.mailboxes.slice(i, i + chunk), since: plan.since, limit });
  return out;
}

/** A stable signature of a plan's filters: re-subscribe only when it changes. */
export function planSignature(plan: RelayReadPlan): string {
  return `${plan.since}:${plan.mailboxes.join(',')}`;
}

/** Milliseconds until the next UTC midnight (plus `slackMs`), when mailboxes roll over. */
export function msUntilNextDay(nowMs: number, slackMs = 5_000): number {
  const day = 86_400_000;
  return day - (nowMs % day) + slackMs;
}
