/**
 * What the messenger reads (spec 0005 §Reading): each envelope relay's shared buckets and my intro
 * bucket (plan.ts; re-planned when devices change and at each day boundary), kept open in Live mode
 * or polled at random moments in Private mode; and my gift wraps on the DM-read pool. Remembers how
 * far each was read (sealed settings), so a restart asks only for the days that are new.
 */
import { randomInt } from '../shared/bytes';
import type { IdCheckedEvent, TrustedEvent } from '../shared/trusted-event';
import type { PoolSubscription } from '../relay/pool';
import type { SyncContext } from './context';
import { normalizeRelayUrl } from '../relay/url';
import { catchUp, maxLimitOf } from './catch-up';
import { giftWrapFilters, giftWrapSince } from './nip17';
import { msUntilNextDay, planFilters, planSignature, ReadPadding, readPlans, type PlanEntry, type RelayReadPlan } from './plan';
import { exponentialMs, jitterMs, Timer } from './timing';
import type { Sockets } from './sockets';
import type { CatchUpProgress, ProgressRead } from './catch-up-progress';

const SETTING_LAST_READ = 'sync.last-read';
/** When the gift-wrap subscription last reached EOSE (seconds). */
const SETTING_DM_LAST = 'sync.dm-last';
/** Resubscribe requests within this long are merged into one (ms). */
const RESUBSCRIBE_DEBOUNCE_MS = 20;

export interface SubscriptionDeps {
  sockets: Sockets;
  /** EKs (hex) that write to me: my other devices and contacts' devices. */
  senders(): readonly string[];
  relays(): readonly string[];
  dmRelays(): readonly string[];
  /** Queues one envelope from `relay` for the inbound pipeline; `done` once it is opened or dropped. */
  onEnvelope(ev: TrustedEvent, relay: string, done?: () => void): void;
  /** An envelope the pool deferred (my intro bucket): id checked, signature NOT yet (receive-envelope.ts). */
  onDeferredEnvelope?(ev: IdCheckedEvent, relay: string, done?: () => void): void;
  /** Queues one gift wrap from `relay`; `done` once it is opened or dropped. */
  onGiftWrap(ev: TrustedEvent, relay?: string, done?: () => void): void;
  afterQueued(task: () => Promise<void>): void;
  /** Runs `task` once the envelopes queued before it are done (a gift wrap waiting on a signer does not hold it). */
  afterEnvelopes(task: () => Promise<void>): void;
  /** Events from `relay` the inbound queue dropped so far (its lane was full): a read that lost some is not complete. */
  droppedFrom(queue: 'envelopes' | 'dms', relay: string): number;
  /** Envelopes from `relay` still waiting in the inbound queue (a re-read now would only deliver them again). */
  waitingFrom?(relay: string): number;
  /** Author subscriptions on the public pool follow too. */
  publicSubscribe(): void;
  /** Where each read's progress is counted (catch-up-progress.ts). */
  progress?: CatchUpProgress;
}

/** A Live read: `reread()` counts the stored envelopes a reconnect brings as a new read. */
type LiveRead = PoolSubscription & { reread(): void };

export class Subscriptions {
  readonly #ctx: SyncContext;
  readonly #d: SubscriptionDeps;
  readonly #subs = new Map<string, { signature: string; plan: RelayReadPlan; sub: LiveRead | null }>();
  readonly #polls = new Map<string, Timer>();
  readonly #lastRead = new Map<string, number>();
  readonly #padding = new ReadPadding();
  /** Relays whose last read reached the page bound, per role (a relay may be both). */
  readonly #incompleteRelays = { envelopes: new Set<string>(), dms: new Set<string>() };
  #dmSub: PoolSubscription | null = null;
  /** Envelope relays' last connection state: a relay open again after a loss re-sends its REQs. */
  readonly #relayState = new Map<string, string>();
  readonly #wasOpen = new Set<string>();
  #offStatus: (() => void) | null = null;
  readonly #dmRefresh: Timer;
  #dmLast = 0;
  readonly #debounce: Timer;
  readonly #dayRoll: Timer;
  readonly #authors: Timer;

  constructor(ctx: SyncContext, deps: SubscriptionDeps) {
    this.#ctx = ctx;
    this.#d = deps;
    this.#debounce = new Timer(ctx.timers);
    this.#dayRoll = new Timer(ctx.timers);
    this.#authors = new Timer(ctx.timers);
    this.#dmRefresh = new Timer(ctx.timers);
  }

  async load(): Promise<void> {
    const { store } = this.#ctx;
    const dmLast = await store.getSetting<number>(SETTING_DM_LAST);
    if (typeof dmLast === 'number' && Number.isSafeInteger(dmLast)) this.#dmLast = dmLast;
    const last = await store.getSetting<Record<string, number>>(SETTING_LAST_READ);
    if (last && typeof last === 'object') for (const [k, v] of Object.entries(last)) if (Number.isSafeInteger(v)) this.#lastRead.set(k, v);
  }

  /** Envelopes and gift wraps now; the author subscription after its jitter; re-planned each day until close(). */
  start(): void {
    const env = this.#d.sockets.envelope();
    for (const s of env?.status() ?? []) this.#status(normalizeRelayUrl(s.url), s.state);
    this.#offStatus ??= env?.onStatus((s) => this.#status(normalizeRelayUrl(s.url), s.state)) ?? null;
    this.envelopes();
    this.#authors.setIfIdle(() => this.#d.publicSubscribe(), jitterMs(...this.#ctx.timing.authorResubscribeMs));
    this.#giftWrapsGated(jitterMs(...this.#ctx.timing.startIdentityDelayMs));
    this.#scheduleDayRoll();
  }

  /**
   * The gift-wrap read names me (its legacy kind-4 filter has `authors: [me]`): in Private mode it
   * waits like the other identity-linked work (at least `delay` ms). Then it is read again after
   * exponential gaps (mean refreshMeanMs) in both modes, which finds a wrap whose live frame was lost;
   * those re-reads go through the identity gate in Live mode too, so none follows an envelope for me
   * within the quiet period (the full adversary run counted 11 when they did not). Only Live mode's
   * first read at start goes at once, beside the envelope read and before anything arrived.
   */
  #giftWrapsGated(delay: number, first = true): void {
    const refresh = (): void => {
      this.giftWraps();
      this.#dmRefresh.set(() => this.#giftWrapsGated(0, false), exponentialMs(this.#ctx.timing.refreshMeanMs, this.#ctx.timing.pollMinMs));
    };
    if (this.#ctx.privacy.mode !== 'private' && first) return refresh();
    const prepare = (): Promise<void> => (this.#d.dmRelays().length > 0 ? this.#d.sockets.dmRead(this.#d.dmRelays()).connect() : Promise.resolve());
    this.#ctx.identityGate.run(refresh, delay, this.#ctx.fail, { prepare });
  }

  #scheduleDayRoll(): void {
    this.#dayRoll.set(() => {
      if (!this.#ctx.running()) return;
      this.envelopes();
      this.#scheduleDayRoll();
    }, msUntilNextDay(this.#ctx.now()));
  }

  /**
   * Devices or contacts changed: buckets re-planned soon (at level 0 nothing changes on the wire);
   * the author subscription only after a random 1–5 min, so no lookup follows an envelope's arrival.
   */
  schedule(): void {
    if (!this.#ctx.running()) return;
    this.#debounce.set(() => this.envelopes(), RESUBSCRIBE_DEBOUNCE_MS);
    this.#authors.setIfIdle(() => this.#d.publicSubscribe(), jitterMs(...this.#ctx.timing.authorResubscribeMs));
  }

  /**
   * Envelopes that did not come from a socket (the locked inbox, locked-read.ts), verified by the
   * caller: sorted by the current plan and queued as if their relay had just sent them, a lane's worth
   * at a time (a full lane would drop them). Resolves once they are processed.
   */
  async feed(events: readonly { event: TrustedEvent; relay: string }[], chunk = 64): Promise<void> {
    for (let i = 0; i < events.length; i += chunk) {
      for (const { event, relay } of events.slice(i, i + chunk)) this.#d.onEnvelope(event, relay);
      await new Promise<void>((resolve) => this.#d.afterEnvelopes(async () => resolve()));
    }
  }

  /** What an envelope's `p` tag is on `relay` under the current plan: a bucket or my intro bucket. */
  classify(relay: string, tag: string): PlanEntry | undefined {
    return this.#subs.get(relay)?.plan.index.get(tag);
  }

  /** A random tag of my read plan on `relay` for `day` of that kind (where cover goes: only what is read). */
  readTag(relay: string, day: number, kind: PlanEntry['kind']): string | undefined {
    const plan = this.#subs.get(relay)?.plan;
    if (!plan) return undefined;
    const mine = [...plan.index].filter(([, e]) => e.kind === kind && e.day === day).map(([tag]) => tag);
    return mine.length > 0 ? mine[randomInt(mine.length)] : undefined;
  }

  /** Live mode: (re)subscribes each envelope relay whose plan changed. Private mode: plans and arms the polls. */
  envelopes(): void {
    const env = this.#d.sockets.envelope();
    if (!this.#ctx.running() || !env) return;
    const plans = this.#plans();
    const live = new Set(plans.map((p) => p.relay));
    for (const relay of [...this.#subs.keys()]) if (!live.has(relay)) this.drop(relay);
    const oldest = Math.min(...plans.map((p) => p.index.values().next().value?.day ?? Infinity));
    if (Number.isFinite(oldest)) {
      this.#ctx.pairKeys.prune(oldest);
      this.#padding.prune(oldest);
    }
    const privateMode = this.#ctx.privacy.mode === 'private';
    for (const plan of plans) {
      const signature = planSignature(plan);
      const old = this.#subs.get(plan.relay);
      if (privateMode) {
        old?.sub?.close();
        this.#subs.set(plan.relay, { signature, plan, sub: null });
        if (!this.#polls.get(plan.relay)?.armed) this.#poll(plan.relay);
        continue;
      }
      if (!this.#polls.get(plan.relay)?.armed) this.#schedulePoll(plan.relay);
      if (old?.sub && old.signature === signature) continue;
      const sub = this.#read(plan, false);
      // Subscribe the new one first, then close the old: no gap in between.
      old?.sub?.close();
      this.#subs.set(plan.relay, { signature, plan, sub });
    }
  }

  #plans(): RelayReadPlan[] {
    return readPlans({
      ek: this.#ctx.ek,
      pairKeys: this.#ctx.pairKeys,
      fromEks: this.#d.senders(),
      relays: [...this.#d.relays()],
      nowSeconds: this.#ctx.nowS(),
      lastReadAt: this.#lastRead,
      padding: this.#padding
    });
  }

  /**
   * One read of every envelope relay's plan, as a Private-mode poll reads (the service worker's
   * periodic sync, issue 13): resolves once each relay's stored envelopes are in and processed, or
   * its subscription closed. Nothing stays open. The count is of relays read to the end.
   */
  readOnce(): Promise<{ relays: number; complete: number }> {
    const plans = this.#d.sockets.envelope() && this.#ctx.running() ? this.#plans() : [];
    let complete = 0;
    return Promise.all(
      plans.map(
        (plan) =>
          new Promise<void>((resolve) => {
            // Kept as a poll keeps it: arriving envelopes are sorted by this plan (classify).
            this.#subs.set(plan.relay, { signature: planSignature(plan), plan, sub: null });
            this.#read(plan, true, (done) => {
              if (done) complete++;
              resolve();
            });
          })
      )
    ).then(() => ({ relays: plans.length, complete }));
  }

  /**
   * One read of a plan (catch-up.ts: stored events in pages); `once` closes it when the stored events
   * are in (a Private-mode poll). The read point moves on only when every page was read.
   */
  #read(plan: RelayReadPlan, once: boolean, settled?: (complete: boolean) => void): LiveRead {
    const env = this.#d.sockets.envelope()!;
    const at = this.#ctx.nowS();
    // Until the stored envelopes are in and processed, identity-linked traffic waits (identity-gate.ts).
    const release = this.#ctx.identityGate.hold();
    const dropped = this.#d.droppedFrom('envelopes', plan.relay);
    // This read's progress; after its EOSE, live events are not counted (until a reconnect's re-read).
    let reading: ProgressRead | undefined = this.#d.progress?.begin();
    let eosed = false;
    const sub = catchUp(
      env,
      planFilters(plan),
      {
        onevent: (ev, relay) => this.#d.onEnvelope(ev, relay, reading?.delivered()),
        ...(this.#d.onDeferredEnvelope ? { ondeferred: (ev: IdCheckedEvent, relay: string) => this.#d.onDeferredEnvelope!(ev, relay, reading?.delivered()) } : {}),
        onrelaydone: (relay, paged) => {
          const complete = paged && this.#d.droppedFrom('envelopes', relay) === dropped;
          const r = reading;
          eosed = true;
          this.#incomplete('envelopes', relay, !complete);
          if (complete) void this.#markRead(relay, at);
          this.#d.afterEnvelopes(async () => {
            release();
            r?.end();
            settled?.(complete);
            settled = undefined;
          });
        },
        // The EOSE timeout or a lost socket before this relay's EOSE: the read is over.
        ondone: () => {
          if (!eosed) reading?.end();
        },
        onclosed: () => {
          release();
          reading?.end();
          settled?.(false);
          settled = undefined;
          this.#ctx.emit({ type: 'relays' });
        }
      },
      { relays: [plan.relay], once, maxLimit: maxLimitOf(env) }
    );
    return {
      close: () => {
        reading?.end();
        sub.close();
      },
      reread: () => {
        reading?.end();
        reading = this.#d.progress?.begin();
      }
    };
  }

  /** A Live subscription's relay is open again after a loss: its REQ goes out again, a new read. */
  #status(relay: string, state: string): void {
    const was = this.#relayState.get(relay);
    this.#relayState.set(relay, state);
    if (state !== 'open' || was === 'open') return;
    if (this.#wasOpen.has(relay)) this.#subs.get(relay)?.sub?.reread();
    this.#wasOpen.add(relay);
  }

  /** Envelope (or DM) relays whose last catch-up reached the page bound (older stored events may be unread). */
  incomplete(role: 'envelopes' | 'dms' = 'envelopes'): ReadonlySet<string> {
    return this.#incompleteRelays[role];
  }

  #incomplete(role: 'envelopes' | 'dms', relay: string, yes: boolean): void {
    const set = this.#incompleteRelays[role];
    if (set.has(relay) === yes) return;
    if (yes) set.add(relay);
    else set.delete(relay);
    this.#ctx.emit({ type: 'relays' });
  }

  /**
   * Reads `relay` once now, then again after an exponential random gap: Private mode's polls (mean
   * 10 min), Live mode's re-reads beside the open subscription (mean 30 min), which find what a
   * dropped frame, a lost REQ or a missing EOSE hid. Each relay has its own timer, so two relays
   * never see one reader's reads at the same moment.
   */
  #poll(relay: string): void {
    const entry = this.#subs.get(relay);
    if (!this.#ctx.running() || !entry) return;
    // The last read's envelopes are still being opened (a flood, a slow device): reading again would
    // deliver them once more and overflow the lane, so this poll waits for the next one.
    if ((this.#d.waitingFrom?.(relay) ?? 0) === 0) this.#read(entry.plan, true);
    this.#schedulePoll(relay);
  }

  #schedulePoll(relay: string): void {
    const timer = this.#polls.get(relay) ?? new Timer(this.#ctx.timers);
    this.#polls.set(relay, timer);
    const t = this.#ctx.timing;
    timer.set(() => this.#poll(relay), exponentialMs(this.#ctx.privacy.mode === 'private' ? t.pollMeanMs : t.refreshMeanMs, t.pollMinMs));
  }

  /** Closes the subscription and polls of one envelope relay (removed). */
  drop(relay: string): void {
    this.#subs.get(relay)?.sub?.close();
    this.#subs.delete(relay);
    this.#polls.get(relay)?.cancel();
    this.#polls.delete(relay);
  }

  async #markRead(relay: string, at: number): Promise<void> {
    if ((this.#lastRead.get(relay) ?? 0) >= at) return;
    this.#lastRead.set(relay, at);
    try {
      await this.#ctx.store.setSetting(SETTING_LAST_READ, Object.fromEntries(this.#lastRead));
    } catch (e) {
      this.#ctx.fail(e);
    }
  }

  /** The gift-wrap subscription on the DM-read pool (my 10050 relays), from where it last read. */
  giftWraps(): void {
    const relays = this.#d.dmRelays();
    if (!this.#ctx.running() || relays.length === 0) return;
    this.#dmSub?.close();
    const reading = this.#d.progress?.begin();
    const startedAt = this.#ctx.nowS();
    const dropped = (): number => relays.reduce((n, r) => n + this.#d.droppedFrom('dms', normalizeRelayUrl(r)), 0);
    const dropped0 = dropped();
    const sub = catchUp(
      this.#d.sockets.dmRead(relays),
      giftWrapFilters(this.#ctx.me, { legacy: true, ...(this.#dmLast > 0 ? { since: giftWrapSince(this.#dmLast) } : {}) }),
      {
        onevent: (ev, from) => this.#d.onGiftWrap(ev, from, reading?.delivered()),
        // After the stored wraps of every relay are processed, remember how far we read.
        onrelaydone: (relay, complete) => this.#incomplete('dms', relay, !complete),
        ondone: (complete) => {
          if (complete && dropped() === dropped0) this.#d.afterQueued(() => this.#markDmRead(startedAt));
          this.#d.afterQueued(async () => reading?.end());
        }
      },
      { relays, once: false, maxLimit: maxLimitOf(this.#d.sockets.dmRead(relays)) }
    );
    this.#dmSub = {
      close: () => {
        reading?.end();
        sub.close();
      }
    };
  }

  async #markDmRead(at: number): Promise<void> {
    if (at <= this.#dmLast) return;
    this.#dmLast = at;
    await this.#ctx.store.setSetting(SETTING_DM_LAST, at);
  }

  close(): void {
    this.#debounce.cancel();
    this.#dayRoll.cancel();
    this.#authors.cancel();
    this.#dmRefresh.cancel();
    for (const relay of [...this.#subs.keys()]) this.drop(relay);
    this.#dmSub?.close();
    this.#dmSub = null;
    this.#offStatus?.();
    this.#offStatus = null;
    this.#relayState.clear();
    this.#wasOpen.clear();
    this.#d.progress?.clear();
  }
}
