/**
 * Private mode's send slots (spec 0005 §Private mode): each envelope relay has its own Poisson
 * process of slots (exponential gaps, mean 5 min). A slot publishes the oldest envelope waiting for
 * that relay or, when none waits, one cover envelope, so the moments a device publishes do not
 * depend on whether, when or to whom its user writes, and copies of one message to several relays
 * leave at independent random moments. Cover envelopes come from cover.ts.
 */
import type { NostrEvent } from '../relay/types';
import type { SyncContext } from './context';
import type { PublishOutcome } from './outbox';
import { exponentialMs, Timer } from './timing';


interface Waiting {
  event: NostrEvent;
  resolve(o: PublishOutcome): void;
  done: Promise<PublishOutcome>;
}

export interface SlotDeps {
  /** Publishes on the publish-only envelope pool, now. */
  publishNow(event: NostrEvent, relay: string): Promise<PublishOutcome>;
  relays(): readonly string[];
  /** One cover envelope for `relay` (cover.ts), or null. */
  cover(relay: string): Promise<NostrEvent | null>;
}

export class PublishSlots {
  readonly #ctx: SyncContext;
  readonly #d: SlotDeps;
  readonly #queues = new Map<string, Waiting[]>();
  readonly #timers = new Map<string, Timer>();
  /** Counts for the tests and the adversary suite. */
  readonly sent = { real: 0, cover: 0 };

  constructor(ctx: SyncContext, deps: SlotDeps) {
    this.#ctx = ctx;
    this.#d = deps;
  }

  /** Arms the slots of every envelope relay (and of relays added later, on their first publish). */
  start(): void {
    for (const r of this.#d.relays()) this.#arm(r);
  }

  #arm(relay: string): void {
    let t = this.#timers.get(relay);
    if (!t) this.#timers.set(relay, (t = new Timer(this.#ctx.timers)));
    if (!t.armed) t.set(() => void this.#slot(relay), exponentialMs(this.#ctx.timing.slotMeanMs));
  }

  /** Waits for the next slot of `relay`; the same event queued twice waits once. */
  publish(event: NostrEvent, relay: string): Promise<PublishOutcome> {
    const q = this.#queues.get(relay) ?? [];
    this.#queues.set(relay, q);
    const dup = q.find((w) => w.event.id === event.id);
    if (dup) return dup.done;
    let resolve!: (o: PublishOutcome) => void;
    const done = new Promise<PublishOutcome>((r) => (resolve = r));
    q.push({ event, resolve, done });
    this.#arm(relay);
    return done;
  }

  async #slot(relay: string): Promise<void> {
    if (!this.#ctx.running()) return;
    this.#arm(relay);
    const next = this.#queues.get(relay)?.shift();
    if (next) {
      this.sent.real++;
      next.resolve(await this.#d.publishNow(next.event, relay).catch((): PublishOutcome => ({ status: 'timeout' })));
      return;
    }
    const cover = await this.#d.cover(relay).catch(() => null);
    if (!cover) return;
    this.sent.cover++;
    await this.#d.publishNow(cover, relay).catch(() => undefined);
  }

  /** Stops every slot; waiting envelopes stay in the outbox (it retries them later). */
  stop(): void {
    for (const t of this.#timers.values()) t.cancel();
    this.#timers.clear();
    for (const q of this.#queues.values()) for (const w of q.splice(0)) w.resolve({ status: 'unreachable', message: 'private mode stopped' });
  }
}
