/**
 * Private mode's send slots (spec 0005 §Private mode): each envelope relay has its own Poisson
 * process of slots (exponential gaps, mean 5 min). A slot publishes the oldest envelope waiting for
 * that relay or, when none waits, one cover envelope, so the moments a device publishes do not
 * depend on whether, when or to whom its user writes, and copies of one message to several relays
 * leave at independent random moments. Cover: class 1, sealed to a throwaway key (nobody can open
 * it), random nonce, random type-0 payload, into a bucket this device reads on that relay today.
 */
import { randomBytes, randomInt } from '../shared/bytes';
import { sealEnvelope } from '../crypto/envelope';
import { generateSecretKey, getXOnlyPublicKey } from '../crypto/keys';
import { epochDay } from '../crypto/mailbox';
import type { NostrEvent } from '../relay/types';
import type { SyncContext } from './context';
import type { PublishOutcome } from './outbox';
import { exponentialMs, Timer } from './timing';

/** Cover payloads are at most this long, so they pad to the first size class like a chat line. */
const MAX_COVER_BYTES = 600;

interface Waiting {
  event: NostrEvent;
  resolve(o: PublishOutcome): void;
  done: Promise<PublishOutcome>;
}

export interface SlotDeps {
  /** Publishes on the publish-only envelope pool, now. */
  publishNow(event: NostrEvent, relay: string): Promise<PublishOutcome>;
  relays(): readonly string[];
  /** A bucket this device reads on `relay` on `day` (cover goes only where readers read). */
  coverBucket(relay: string, day: number): string | undefined;
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
    const cover = await this.#cover(relay).catch(() => null);
    if (!cover) return;
    this.sent.cover++;
    await this.#d.publishNow(cover, relay).catch(() => undefined);
  }

  async #cover(relay: string): Promise<NostrEvent | null> {
    const nowS = this.#ctx.nowS();
    const bucket = this.#d.coverBucket(relay, epochDay(nowS));
    if (!bucket) return null;
    const throwaway = generateSecretKey();
    const event = await sealEnvelope({
      recipientEk: getXOnlyPublicKey(throwaway),
      mailbox: bucket,
      payload: { type: 'cover', bytes: randomBytes(randomInt(MAX_COVER_BYTES + 1)) },
      nowSeconds: nowS
    });
    throwaway.fill(0);
    return event as NostrEvent;
  }

  /** Stops every slot; waiting envelopes stay in the outbox (it retries them later). */
  stop(): void {
    for (const t of this.#timers.values()) t.cancel();
    this.#timers.clear();
    for (const q of this.#queues.values()) for (const w of q.splice(0)) w.resolve({ status: 'unreachable', message: 'private mode stopped' });
  }
}
