/**
 * Private mode's send slots (spec 0005 §Private mode): each envelope relay has its own Poisson
 * process of slots (exponential gaps, mean 5 min). A slot publishes the oldest envelope waiting for
 * that relay or, when none waits, one cover envelope, so the moments a device publishes do not
 * depend on whether, when or to whom its user writes. Cover envelopes come from cover.ts.
 *
 * Independent slots alone do not make the copies' moments independent: queued together, both leave
 * soon after the send, so their publishes fall within a second of each other far more often than two
 * unrelated ones (fixed-seed run: 1.6% of copies against 0.8% chance, up to 9% in a CI run). So the
 * first slot of any relay takes a copy, and the copies of the same group (one outbox entry: one
 * envelope sealed once per relay) then wait a hold of their own (exponential, `copyHoldMeanMs`) before
 * their relay's slots may take them; a failed first copy releases them at once. The gap between two
 * copies is then a hold plus a slot wait, never near zero by more than chance.
 *
 * The slot rate follows the session shape (camouflage/session-shape.ts, the same learned state as
 * Live mode's cover): people write most right after opening the app, so with a flat rate a real
 * envelope is most often among a session's first publishes and after the longest gap, which a relay
 * sees (fixed-seed run, classifier AUC 0.88). Slots come as a thinned Poisson process: candidates at
 * MAX_BOOST × the rate, each kept with probability multiplier / MAX_BOOST, so the mean rate stays and
 * the chance that a slot is real is about the same at every point of the session.
 */
import { MAX_BOOST, type SessionShape } from '../camouflage/session-shape';
import { SHAPE_MS } from '../camouflage/schedule';
import type { NostrEvent } from '../relay/types';
import { cryptoRandom } from '../shared/random';
import type { SyncContext } from './context';
import type { PublishOutcome } from './outbox';
import { exponentialMs, Timer } from './timing';


interface Waiting {
  event: NostrEvent;
  /** Copies of one envelope to several relays share a group (the outbox entry). */
  group: string | undefined;
  /** Held until then (ms) after a sibling copy left. */
  notBefore: number;
  resolve(o: PublishOutcome): void;
  done: Promise<PublishOutcome>;
}

export interface SlotDeps {
  /** Publishes on the publish-only envelope pool, now. */
  publishNow(event: NostrEvent, relay: string): Promise<PublishOutcome>;
  relays(): readonly string[];
  /** One cover envelope for `relay` (cover.ts), or null. */
  cover(relay: string): Promise<NostrEvent | null>;
  /** When in a session this device writes (learned here from Private sends too); absent: a flat rate. */
  shape?: SessionShape;
  /** The shape learned something: save it. */
  onLearn?(): void;
}

export class PublishSlots {
  readonly #ctx: SyncContext;
  readonly #d: SlotDeps;
  readonly #queues = new Map<string, Waiting[]>();
  readonly #timers = new Map<string, Timer>();
  /** Counts for the tests and the adversary suite. */
  readonly sent = { real: 0, cover: 0 };
  /** When the last real send was learned (its copies to other relays, queued at once, count once). */
  #learnedAt = -Infinity;
  /** Groups of which a copy landed this session (cleared at stop). */
  readonly #landed = new Set<string>();

  constructor(ctx: SyncContext, deps: SlotDeps) {
    this.#ctx = ctx;
    this.#d = deps;
  }

  /** Arms the slots of every envelope relay (and of relays added later, on their first publish). */
  start(): void {
    this.#d.shape?.begin(this.#ctx.now());
    for (const r of this.#d.relays()) this.#arm(r);
  }

  #arm(relay: string): void {
    let t = this.#timers.get(relay);
    if (!t) this.#timers.set(relay, (t = new Timer(this.#ctx.timers)));
    if (t.armed) return;
    const shape = this.#d.shape;
    if (!shape) return t.set(() => this.#slot(relay), exponentialMs(this.#ctx.timing.slotMeanMs));
    // Thinning (see the module comment): a candidate becomes a slot with probability multiplier / MAX_BOOST.
    t.set(() => {
      if (cryptoRandom() * MAX_BOOST <= shape.multiplier(this.#ctx.now())) return this.#slot(relay);
      this.#arm(relay);
    }, exponentialMs(this.#ctx.timing.slotMeanMs / MAX_BOOST));
  }

  /**
   * Waits for the next slot of `relay`; the same event queued twice waits once. `group`: the copies
   * of one envelope to other relays (see the module comment).
   */
  publish(event: NostrEvent, relay: string, group?: string): Promise<PublishOutcome> {
    const q = this.#queues.get(relay) ?? [];
    this.#queues.set(relay, q);
    const dup = q.find((w) => w.event.id === event.id);
    if (dup) return dup.done;
    const now = this.#ctx.now();
    if (this.#d.shape && now - this.#learnedAt > SHAPE_MS) {
      this.#d.shape.realSend(now);
      this.#d.onLearn?.();
    }
    this.#learnedAt = now;
    let resolve!: (o: PublishOutcome) => void;
    const done = new Promise<PublishOutcome>((r) => (resolve = r));
    // A copy queued after a sibling already left (a retry in this session) waits like the others.
    const notBefore = group !== undefined && this.#landed.has(group) ? this.#holdUntil(now) : 0;
    q.push({ event, group, notBefore, resolve, done });
    this.#arm(relay);
    return done;
  }

  async #slot(relay: string): Promise<void> {
    if (!this.#ctx.running()) return;
    this.#arm(relay);
    const q = this.#queues.get(relay) ?? [];
    const now = this.#ctx.now();
    const i = q.findIndex((w) => w.notBefore <= now);
    const next = i >= 0 ? q.splice(i, 1)[0] : undefined;
    if (next) {
      this.sent.real++;
      const held = this.#holdSiblings(next, relay, now);
      const out = await this.#d.publishNow(next.event, relay).catch((): PublishOutcome => ({ status: 'timeout' }));
      // Landed: copies queued later wait too. Not landed: its siblings go in their own next slots.
      if (out.status === 'ok' && next.group !== undefined) this.#landed.add(next.group);
      if (out.status !== 'ok') for (const w of held) w.notBefore = 0;
      next.resolve(out);
      return;
    }
    const cover = await this.#d.cover(relay).catch(() => null);
    if (!cover) return;
    this.sent.cover++;
    await this.#d.publishNow(cover, relay).catch(() => undefined);
  }

  /** The end of one copy's hold, drawn on its own (CSPRNG). */
  #holdUntil(now: number): number {
    return now + exponentialMs(this.#ctx.timing.copyHoldMeanMs);
  }

  /** Holds the waiting copies of `w`'s group on other relays, each for its own random time. */
  #holdSiblings(w: Waiting, relay: string, now: number): Waiting[] {
    if (w.group === undefined) return [];
    const held: Waiting[] = [];
    for (const [r, q] of this.#queues) {
      if (r === relay) continue;
      for (const x of q) {
        if (x.group !== w.group || x.notBefore > now) continue;
        x.notBefore = this.#holdUntil(now);
        held.push(x);
      }
    }
    return held;
  }

  /** Stops every slot; waiting envelopes stay in the outbox (it retries them later). */
  stop(): void {
    if (this.#timers.size > 0 && this.#d.shape) {
      this.#d.shape.end(this.#ctx.now());
      this.#d.onLearn?.();
    }
    for (const t of this.#timers.values()) t.cancel();
    this.#timers.clear();
    for (const q of this.#queues.values()) for (const w of q.splice(0)) w.resolve({ status: 'unreachable', message: 'private mode stopped' });
    this.#landed.clear();
  }
}
