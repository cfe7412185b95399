/**
 * Bucket bookkeeping for the messenger (docs/design.md §4; docs/proposals/0004-envelope-v2.md,
 * 0005-traffic.md): where one outgoing message goes (which device EK, which relay, which shared
 * bucket, with which pair tag), and what each envelope relay is asked for. No I/O, no clocks:
 * everything comes in as arguments, so the page, the service worker and the tests plan alike.
 */
import { bytesToHex, randomInt } from '../shared/bytes';
import { VeilError } from '../shared/errors';
import type { EnvelopeKey } from '../crypto/envelope';
import { xOnlyFromHex } from '../crypto/keys';
import { bucketPoint, pairBucketIndex } from '../crypto/bucket';
import { epochDay, introMailbox, mailboxCreatedAtWindow, mailboxDays, normalizeRelayUrl } from '../crypto/mailbox';
import type { PairKeys } from './pair-keys';

/** Relays one recipient device is sent to (its record allows 8). */
export const MAX_RELAYS_PER_TARGET = 8;
/** Devices of one identity we seal to (the inbox record allows 8). */
export const MAX_TARGET_DEVICES = 8;
/** `#p` values per filter; a REQ carries several filters when a relay needs more. */
export const MAX_MAILBOXES_PER_FILTER = 256;
/** A reader's bucket count per relay and day is a multiple of this (spec 0005 §Read set). */
export const READ_BUCKETS = 16;

/** A device we can seal to: its envelope key and where it reads envelopes. */
export interface DeviceAddress {
  /** x-only EK, 64 lowercase hex. */
  ek: string;
  /** Relays the device reads (normalized); empty means "use the fallback relays". */
  relays: readonly string[];
}

/** One envelope to seal and publish. */
export interface SendTarget {
  /** Normalized relay URL the envelope is published to (and the bucket is derived for). */
  relay: string;
  /** Recipient device EK (hex). */
  ek: string;
  /** The outer `p` tag: a shared bucket (pair) or the intro bucket. */
  mailbox: string;
  via: 'pair' | 'intro';
  /** 'peer': the contact's device; 'self': a copy for one of my other devices. */
  to: 'peer' | 'self';
  /** Pair envelopes: the tag key that makes the body nonce the pair tag (owned by PairKeys: do not wipe). */
  tagKey?: Uint8Array;
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
 * Every envelope one outgoing message needs (spec 0005 §Sending): one per recipient device EK per
 * relay of that device (fallback: ours). A device that already knows us (`pairReady`) gets a pair
 * envelope in the pair's shared bucket of the day, its nonce the pair tag; otherwise an intro
 * envelope in its intro bucket. Plus a pair envelope per own other device. Buckets are derived for
 * the relay published to, on the UTC day of the real send time, at `level` (0 at launch).
 */
export function sendTargets(opts: {
  me: EnvelopeKey;
  pairKeys: PairKeys;
  peerDevices: readonly DeviceAddress[];
  /** Peer device EKs (hex) that have sent to us, so they look for pair tags from our EK. */
  pairReady: ReadonlySet<string>;
  ownDevices: readonly DeviceAddress[];
  fallbackRelays: readonly string[];
  nowSeconds: number;
  introBits?: number;
  level?: number;
}): SendTarget[] {
  const day = epochDay(opts.nowSeconds);
  const level = opts.level ?? 0;
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
    const pk = pair ? opts.pairKeys.pairKey(dev.ek) : null;
    const tagKey = pk ? opts.pairKeys.tagKey(myHex, dev.ek, day) : null;
    for (const relay of relays) {
      if (pk && tagKey) {
        const mailbox = bucketPoint(relay, day, level, pairBucketIndex(pk, relay, day, level));
        out.push({ relay, ek: dev.ek, mailbox, via: 'pair', to, tagKey });
      } else out.push({ relay, ek: dev.ek, mailbox: introMailbox(ek, relay, day, opts.introBits ?? 0), via: 'intro', to });
    }
  };
  for (const d of opts.peerDevices.slice(0, MAX_TARGET_DEVICES)) add(d, 'peer', opts.pairReady.has(d.ek));
  for (const d of opts.ownDevices.slice(0, MAX_TARGET_DEVICES)) add(d, 'self', true);
  return out;
}

/** What an arriving `p` tag is: a shared bucket or my intro bucket, of one relay and day. */
export interface PlanEntry {
  kind: 'bucket' | 'intro';
  relay: string;
  day: number;
}

/** What one envelope relay is asked for, and how to tell what an arriving `p` tag means. */
export interface RelayReadPlan {
  relay: string;
  /** Distinct tags, sorted (stable filters make re-subscription diffs cheap). */
  mailboxes: string[];
  /** `since` of the oldest day read (mailboxCreatedAtWindow): the same for every reader of those days. */
  since: number;
  /** tag hex → bucket or intro, with its day. */
  index: Map<string, PlanEntry>;
}

/**
 * Random bucket indices that pad a reader's read set (spec 0005 §Read set), drawn from the CSPRNG
 * once per relay and day and then kept, so re-planning the same day asks for the same tags, and a
 * new day shares nothing with the last.
 */
export class ReadPadding {
  readonly #drawn = new Map<string, number[]>();
  indices(relay: string, day: number, level: number, count: number, taken: ReadonlySet<number>): number[] {
    const id = `${relay}|${day}|${level}`;
    const list = this.#drawn.get(id) ?? [];
    this.#drawn.set(id, list);
    const space = 2 ** level;
    const out: number[] = [];
    for (const i of list) if (out.length < count && !taken.has(i)) out.push(i);
    while (out.length < count && taken.size + out.length < space) {
      const i = randomInt(space);
      if (taken.has(i) || list.includes(i)) continue;
      list.push(i);
      out.push(i);
    }
    return out;
  }
  prune(minDay: number): void {
    for (const id of [...this.#drawn.keys()]) if (Number(id.split('|')[1]) < minDay) this.#drawn.delete(id);
  }
}

/**
 * The buckets one reader reads on one relay and day at `level` (spec 0005 §Read set): the buckets
 * of its pairs, padded with random ones to a multiple of READ_BUCKETS (never more than exist). At
 * level 0 that is the one bucket everyone reads.
 */
export function readBuckets(relay: string, day: number, level: number, pairIndices: ReadonlySet<number>, padding: ReadPadding): string[] {
  const space = 2 ** level;
  const per = Math.min(space, READ_BUCKETS);
  const want = Math.min(space, per * Math.max(1, Math.ceil(pairIndices.size / per)));
  const extra = padding.indices(relay, day, level, want - Math.min(want, pairIndices.size), pairIndices);
  return [...pairIndices, ...extra].map((i) => bucketPoint(relay, day, level, i));
}

/**
 * The read plan for every envelope relay (spec 0005 §Reading): for each day from the relay's last
 * read through tomorrow, the shared buckets of the read set and my intro bucket. No tag names a
 * pair: at level 0 every reader asks for exactly the same tags.
 */
export function readPlans(opts: {
  ek: EnvelopeKey;
  pairKeys: PairKeys;
  /** EKs (hex) that write to me (contacts' devices and my other devices). */
  fromEks: readonly string[];
  relays: readonly string[];
  nowSeconds: number;
  /** Per normalized relay URL: the last time (s) a read of it completed. */
  lastReadAt?: ReadonlyMap<string, number>;
  introBits?: number;
  level?: number;
  padding: ReadPadding;
}): RelayReadPlan[] {
  const level = opts.level ?? 0;
  // Every reader online within the last two days reads the same days (the day before yesterday
  // through tomorrow), so the window says nothing about when it last read (spec 0005 §Day windows).
  const steady = (epochDay(opts.nowSeconds) - 1) * 86_400;
  return cleanRelayList(opts.relays).map((relay) => {
    const last = opts.lastReadAt?.get(relay);
    const days = mailboxDays(opts.nowSeconds, last === undefined ? steady : Math.min(last, steady));
    const index = new Map<string, PlanEntry>();
    for (const day of days) {
      const pairs = new Set<number>();
      if (level > 0)
        for (const hex of opts.fromEks) {
          const pk = opts.pairKeys.pairKey(hex);
          if (pk) pairs.add(pairBucketIndex(pk, relay, day, level));
        }
      for (const b of readBuckets(relay, day, level, pairs, opts.padding)) index.set(b, { kind: 'bucket', relay, day });
      index.set(introMailbox(opts.ek.publicKey, relay, day, opts.introBits ?? 0), { kind: 'intro', relay, day });
    }
    const since = mailboxCreatedAtWindow(days[0]!).since;
    return { relay, mailboxes: [...index.keys()].sort(), since, index };
  });
}

/**
 * Splits a plan into `#p` filters of at most MAX_MAILBOXES_PER_FILTER values each, the shared
 * buckets and the intro buckets in separate filters: each filter gets its own page of stored events
 * (catch-up.ts), so junk in the public intro bucket cannot crowd the buckets out of an answer.
 */
export function planFilters(plan: RelayReadPlan, chunk = MAX_MAILBOXES_PER_FILTER): { kinds: number[]; '#p': string[]; since: number }[] {
  if (!Number.isSafeInteger(chunk) || chunk < 1) throw new VeilError('INVALID_INPUT', 'bad filter chunk size');
  const out: { kinds: number[]; '#p': string[]; since: number }[] = [];
  for (const role of ['bucket', 'intro'] as const) {
    const tags = plan.mailboxes.filter((m) => plan.index.get(m)?.kind === role);
    for (let i = 0; i < tags.length; i += chunk) out.push({ kinds: [1067], '#p': tags.slice(i, i + chunk), since: plan.since });
  }
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
