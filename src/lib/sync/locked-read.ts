/**
 * Reading while locked (issue 13 §2; docs/storage.md "Reading while locked"). With the setting on,
 * the page leaves the service worker a plan in the store's plain `meta` (the envelope relays only:
 * repos/locked-inbox.ts), and a periodic wake of a LOCKED app (no passphrase, no device key: the
 * worker has no key at all) reads the shared buckets of those relays, keeps the envelopes as the
 * relays sent them, and may show one "unlock to read" notification. At unlock the page feeds them,
 * oldest first, to the inbound pipeline as if the relay had just sent them, and deletes them.
 *
 * - What is read: what the page reads (plan.ts readPlans/planFilters: the same filters, day window
 *   and `since`, spec 0005 §Day windows): the shared bucket of each day (at level 0 the one tag every
 *   Veil reader asks for) and this device's intro bucket, whose tags the page computed for
 *   LOCKED_INTRO_DAYS ahead (they come from the EK; in plain they let a stolen disk tell this device's
 *   first contacts on the relay, and whose device it is: docs/storage.md, and why the setting is off
 *   by default). Past that horizon only the shared bucket is read.
 * - Without keys the worker cannot tell mine from everyone else's: at level 0 each wake keeps every
 *   envelope of the window (bounded, MAX_LOCKED_ENVELOPES). The notification says so: "may have".
 * - Every event is verified (id, signature) when read and again when fed: the plain store could
 *   have been written by anyone with the disk.
 */
import { epochDay, introMailbox, mailboxCreatedAtWindow, mailboxDays } from '../crypto/mailbox';
import { RelayPool } from '../relay/pool';
import type { WebSocketConstructor } from '../relay/types';
import { verifyRelayEvent } from '../relay/verify';
import type { LockedReadPlan, VeilStore } from '../store';
import type { TrustedEvent } from '../shared/trusted-event';
import type { NostrEventJson } from '../shared/nostr';
import { catchUp } from './catch-up';
import { cleanRelayList, planFilters, ReadPadding, readBuckets, type PlanEntry } from './plan';
import { realTimers, withTimeout } from './timing';

/** Days the page leaves intro tags for, from the first day a reader reads (the day before yesterday). */
export const LOCKED_INTRO_DAYS = 14;

/** The read of one relay while locked: the page's filters (planFilters) for the same days, from the plan's tags. */
export function lockedFilters(relay: string, nowS: number, readAt?: number, intro: Readonly<Record<string, string>> = {}): ReturnType<typeof planFilters> {
  // As readPlans: every reader reads the day before yesterday … tomorrow at least.
  const steady = (epochDay(nowS) - 1) * 86_400;
  const days = mailboxDays(nowS, readAt === undefined ? steady : Math.min(readAt, steady));
  const padding = new ReadPadding();
  const index = new Map<string, PlanEntry>();
  for (const day of days) {
    for (const b of readBuckets(relay, day, 0, new Set(), padding)) index.set(b, { kind: 'bucket', relay, day });
    const tag = intro[String(day)];
    if (tag) index.set(tag, { kind: 'intro', relay, day });
  }
  return planFilters({ relay, mailboxes: [...index.keys()].sort(), since: mailboxCreatedAtWindow(days[0]!).since, index });
}

/** This device's intro tags on `relay` for LOCKED_INTRO_DAYS from the day before yesterday (as plan.ts readPlans computes them). */
export function introTagsAhead(ekPublic: Uint8Array, relay: string, nowS: number): Record<string, string> {
  const out: Record<string, string> = {};
  const first = epochDay(nowS) - 2;
  for (let day = first; day < first + LOCKED_INTRO_DAYS; day++) out[String(day)] = introMailbox(ekPublic, relay, day, 0);
  return out;
}

export interface LockedReadDeps {
  store: VeilStore;
  WebSocket: unknown;
  nowMs?: () => number;
  /** The whole read at most (ms). */
  timeoutMs?: number;
}

/** `notify`: show the "unlock to read" notification (something new, and none shown since the last unlock). */
export interface LockedReadResult {
  relays: number;
  complete: number;
  added: number;
  notify: boolean;
}

/** One locked read (see the module comment); null when the setting is off (no plan). Needs no key. */
export async function readWhileLocked(deps: LockedReadDeps): Promise<LockedReadResult | null> {
  const plan = await deps.store.lockedInbox.plan();
  if (!plan || plan.relays.length === 0) return null;
  const now = deps.nowMs ?? Date.now;
  const at = Math.floor(now() / 1000);
  const pool = new RelayPool(plan.relays, { WebSocket: deps.WebSocket as WebSocketConstructor, eoseTimeoutMs: 5_000, connectTimeoutMs: 5_000 });
  const got: { event: NostrEventJson; relay: string }[] = [];
  const readAt = { ...plan.readAt };
  let complete = 0;
  try {
    const reads = plan.relays.map(
      (relay) =>
        new Promise<void>((resolve) => {
          // `once`: each page closes at its EOSE; the pool is closed after.
          catchUp(
            pool,
            lockedFilters(relay, at, plan.readAt[relay], plan.intro[relay]),
            {
              onevent: (event: TrustedEvent) => got.push({ event: { ...event, tags: event.tags.map((t) => [...t]) }, relay }),
              onrelaydone: (_r, done) => {
                if (done) {
                  complete++;
                  readAt[relay] = at;
                }
              },
              ondone: () => resolve()
            },
            { relays: [relay], once: true }
          );
        })
    );
    await withTimeout(realTimers, deps.timeoutMs ?? 20_000, Promise.all(reads), () => []);
  } finally {
    pool.close();
  }
  const added = await deps.store.lockedInbox.add(got, now());
  const notify = added > 0 && !plan.notified;
  await deps.store.lockedInbox.setPlan({ ...plan, readAt, notified: plan.notified || added > 0 }, now());
  return { relays: plan.relays.length, complete, added, notify };
}

/** The page's side: keeps the plan's relays current while the setting is on, and feeds what was kept. */
export class LockedInbox {
  readonly #store: VeilStore;
  readonly #relays: () => readonly string[];
  readonly #ek: Uint8Array;
  readonly #nowS: () => number;

  /** `ekPublic`: this device's EK (x-only), for its intro tags. */
  constructor(store: VeilStore, relays: () => readonly string[], ekPublic: Uint8Array, nowS: () => number) {
    this.#store = store;
    this.#relays = relays;
    this.#ek = ekPublic;
    this.#nowS = nowS;
  }

  /** A new plan: no read point (the page has read; the next locked read takes the window every reader takes). */
  #plan(): LockedReadPlan {
    const relays = cleanRelayList(this.#relays(), 16);
    const intro = Object.fromEntries(relays.map((r) => [r, introTagsAhead(this.#ek, r, this.#nowS())]));
    return { relays, intro, readAt: {}, notified: false };
  }

  async enabled(): Promise<boolean> {
    return (await this.#store.lockedInbox.plan()) !== null;
  }

  /** On: a plan with my envelope relays. Off: the plan and everything kept are deleted. */
  set(on: boolean): Promise<void> {
    return this.#store.lockedInbox.setPlan(on ? this.#plan() : null);
  }

  /** My relays changed: the plan follows (when the setting is on). */
  async follow(): Promise<void> {
    const old = await this.#store.lockedInbox.plan();
    if (old) await this.#store.lockedInbox.setPlan({ ...this.#plan(), notified: old.notified });
  }

  /**
   * At unlock (Messenger start): the plan follows my relays again, the notification may show again,
   * and every kept envelope is verified and handed to `feed` oldest first; deleted once `feed` is done.
   */
  async open(feed: (events: { event: TrustedEvent; relay: string }[]) => Promise<void>): Promise<number> {
    const old = await this.#store.lockedInbox.plan();
    if (old) await this.#store.lockedInbox.setPlan(this.#plan());
    const kept = await this.#store.lockedInbox.list();
    if (kept.length === 0) return 0;
    const events: { event: TrustedEvent; relay: string }[] = [];
    for (const r of kept) {
      const event = verifyRelayEvent(r.event);
      if (event && event.id === r.id) events.push({ event, relay: r.relay });
    }
    await feed(events);
    await this.#store.lockedInbox.remove(kept.map((r) => r.id));
    return events.length;
  }
}
