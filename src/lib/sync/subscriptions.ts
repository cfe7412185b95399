/**
 * What the messenger reads, live: each envelope relay subscribed to the mailboxes of its read plan
 * (plan.ts; re-planned when devices change and at each day boundary), and my gift wraps on the
 * DM-read pool. Remembers how far each was read (sealed settings), so a restart asks only for
 * what is new.
 */
import type { TrustedEvent } from '../shared/trusted-event';
import type { PoolSubscription } from '../relay/pool';
import type { SyncContext } from './context';
import { giftWrapSince, subscribeGiftWraps } from './nip17';
import type { OwnRecord } from './own-record';
import type { Peers } from './peers';
import { msUntilNextDay, planFilters, planSignature, readPlans, type RelayReadPlan } from './plan';
import type { Sockets } from './sockets';

const SETTING_LAST_READ = 'sync.last-read';
/** When the gift-wrap subscription last reached EOSE (seconds). */
const SETTING_DM_LAST = 'sync.dm-last';
/** Resubscribe requests within this long are merged into one (ms). */
const RESUBSCRIBE_DEBOUNCE_MS = 20;

export interface SubscriptionDeps {
  sockets: Sockets;
  peers: Peers;
  own: OwnRecord;
  relays(): readonly string[];
  dmRelays(): readonly string[];
  /** Queues one envelope from `relay` for the inbound pipeline. */
  onEnvelope(ev: TrustedEvent, relay: string): void;
  /** Queues one gift wrap; `oneose` runs after everything queued before it. */
  onGiftWrap(ev: TrustedEvent): void;
  afterQueued(task: () => Promise<void>): void;
  /** Author subscriptions on the public pool follow too. */
  publicSubscribe(): void;
}

export class Subscriptions {
  readonly #ctx: SyncContext;
  readonly #d: SubscriptionDeps;
  readonly #subs = new Map<string, { signature: string; plan: RelayReadPlan; sub: PoolSubscription }>();
  readonly #lastRead = new Map<string, number>();
  #dmSub: PoolSubscription | null = null;
  #dmLast = 0;
  #debounce: ReturnType<typeof setTimeout> | undefined;
  #dayRoll: ReturnType<typeof setTimeout> | undefined;

  constructor(ctx: SyncContext, deps: SubscriptionDeps) {
    this.#ctx = ctx;
    this.#d = deps;
  }

  async load(): Promise<void> {
    const { store } = this.#ctx;
    const dmLast = await store.getSetting<number>(SETTING_DM_LAST);
    if (typeof dmLast === 'number' && Number.isSafeInteger(dmLast)) this.#dmLast = dmLast;
    const last = await store.getSetting<Record<string, number>>(SETTING_LAST_READ);
    if (last && typeof last === 'object') for (const [k, v] of Object.entries(last)) if (Number.isSafeInteger(v)) this.#lastRead.set(k, v);
  }

  /** Everything subscribed now, and re-planned at each day boundary until close(). */
  start(): void {
    this.envelopes();
    this.#d.publicSubscribe();
    this.giftWraps();
    this.#scheduleDayRoll();
  }

  #scheduleDayRoll(): void {
    this.#dayRoll = setTimeout(() => {
      if (!this.#ctx.running()) return;
      this.envelopes();
      this.#scheduleDayRoll();
    }, msUntilNextDay(this.#ctx.now()));
  }

  /** Debounced: envelope mailboxes and public authors re-planned. */
  schedule(): void {
    if (!this.#ctx.running()) return;
    clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => {
      this.envelopes();
      this.#d.publicSubscribe();
    }, RESUBSCRIBE_DEBOUNCE_MS);
  }

  /** The device EK that writes to `mailbox` on `relay` when it is a pair mailbox of the plan. */
  pairSender(relay: string, mailbox: string): string | undefined {
    const from = this.#subs.get(relay)?.plan.index.get(mailbox);
    return from?.kind === 'pair' ? from.from : undefined;
  }

  /** (Re)subscribes each envelope relay to its mailboxes when its plan changed. */
  envelopes(): void {
    const env = this.#d.sockets.envelope();
    if (!this.#ctx.running() || !env) return;
    const fromEks = [...this.#d.own.otherDevices().map((d) => d.ek), ...this.#d.peers.deviceEks()];
    const nowS = this.#ctx.nowS();
    const plans = readPlans({ ek: this.#ctx.ek, fromEks, relays: [...this.#d.relays()], nowSeconds: nowS, lastReadAt: this.#lastRead });
    const live = new Set(plans.map((p) => p.relay));
    for (const relay of [...this.#subs.keys()]) if (!live.has(relay)) this.drop(relay);
    for (const plan of plans) {
      const signature = planSignature(plan);
      const old = this.#subs.get(plan.relay);
      if (old && old.signature === signature) continue;
      const sub = env.subscribe(
        planFilters(plan),
        {
          onevent: (ev, relays) => this.#d.onEnvelope(ev, [...relays][0] ?? plan.relay),
          onrelayeose: (relay) => void this.#markRead(relay, nowS),
          onclosed: () => this.#ctx.emit({ type: 'relays' })
        },
        { relays: [plan.relay] }
      );
      // Subscribe the new one first, then close the old: no gap in between.
      old?.sub.close();
      this.#subs.set(plan.relay, { signature, plan, sub });
    }
  }

  /** Closes the subscription of one envelope relay (removed). */
  drop(relay: string): void {
    this.#subs.get(relay)?.sub.close();
    this.#subs.delete(relay);
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
    const startedAt = this.#ctx.nowS();
    this.#dmSub = subscribeGiftWraps(
      this.#d.sockets.dmRead(relays),
      this.#ctx.me,
      {
        onevent: (ev) => this.#d.onGiftWrap(ev),
        // After the stored wraps are processed, remember how far we read.
        oneose: () => this.#d.afterQueued(() => this.#markDmRead(startedAt))
      },
      { legacy: true, ...(this.#dmLast > 0 ? { since: giftWrapSince(this.#dmLast) } : {}) }
    );
  }

  async #markDmRead(at: number): Promise<void> {
    if (at <= this.#dmLast) return;
    this.#dmLast = at;
    await this.#ctx.store.setSetting(SETTING_DM_LAST, at);
  }

  close(): void {
    clearTimeout(this.#debounce);
    clearTimeout(this.#dayRoll);
    for (const s of this.#subs.values()) s.sub.close();
    this.#subs.clear();
    this.#dmSub?.close();
    this.#dmSub = null;
  }
}
