/**
 * When cover goes out (docs/design.md §5): one Poisson process of slots per device (exponential gaps
 * from the CSPRNG). Each slot publishes one cover envelope to each relay of a **send shape**: the set
 * of relays that one of my recent real sends went to at once (copies of a real message to several
 * relays leave in the same moment in Live mode, so cover does the same; per-relay cover would be told
 * apart by that alone). Until a real send is seen, the shape is every envelope relay. In Live mode a
 * real send goes at once and the next slot is skipped, so the rate an observer counts stays the rate
 * of the schedule; in Private mode (sync/slots.ts) a real envelope takes the next slot instead. A
 * daily budget bounds what cover costs the user and every reader of the bucket.
 *
 * Over a session the rate follows when this device's real sends come (session-shape.ts): candidate
 * slots come at MAX_BOOST × the rate and each is kept with probability multiplier / MAX_BOOST
 * (thinning), so the slots are a Poisson process whose rate is the learned shape; with nothing
 * learned, the plain one. Dropped candidates do nothing a relay could see.
 */
import { cryptoRandom, exponential, type Random } from '../shared/random';
import { MAX_BOOST, SessionShape } from './session-shape';

/** Copies of one real send reach the schedule within this long of each other (ms). */
export const SHAPE_MS = 1_000;
/** How many recent real send shapes a cover slot draws from. */
export const MAX_SHAPES = 16;

export type CoverRate = 'off' | 'low' | 'default' | 'high';

/** Mean gap between cover slots of the device while the app runs (ms), and the most cover envelopes per device per UTC day (all relays). */
export const COVER_RATES: Readonly<Record<CoverRate, { meanMs: number; perDay: number }>> = Object.freeze({
  off: { meanMs: Infinity, perDay: 0 },
  low: { meanMs: 5 * 60_000, perDay: 48 },
  default: { meanMs: 2 * 60_000, perDay: 130 },
  high: { meanMs: 30_000, perDay: 600 }
});

/** setTimeout/clearTimeout in the caller's clock. */
export interface CoverTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface CoverScheduleDeps {
  timers: CoverTimers;
  /** ms, the same clock as the timers. */
  now(): number;
  /** Sends one cover envelope to `relay` (never throws into the schedule). */
  send(relay: string): Promise<void>;
  random?: Random;
  /** Where the session shape starts (session-shape.ts): front-loaded (default) or flat. */
  prior?: 'front' | 'flat';
  /** The session shape learned something (a real send, a session's end): save `schedule.shape.state()`. */
  onLearn?(): void;
}

/** Live mode's cover: one Poisson schedule per device, shaped like real sends, skip-after-real, a daily budget. */
export class CoverSchedule {
  readonly #d: CoverScheduleDeps;
  #relays: string[] = [];
  #handle: unknown = undefined;
  #skip = false;
  #rate: CoverRate = 'default';
  #day = -1;
  #sentToday = 0;
  /** Recent real send shapes, newest last; the one being collected is the last while `#shapeAt` is recent. */
  readonly #shapes: string[][] = [];
  #shapeAt = -Infinity;
  /** Counts for tests and the settings screen. */
  readonly counts = { cover: 0, skipped: 0, overBudget: 0 };
  /** When in a session real sends come; cover follows (state saved by the caller: `onLearn`). */
  readonly shape: SessionShape;

  constructor(deps: CoverScheduleDeps) {
    this.#d = deps;
    this.shape = new SessionShape(deps.prior ? { prior: deps.prior } : {});
  }

  get rate(): CoverRate {
    return this.#rate;
  }

  /** Starts (or re-arms) the slots for `relays` at `rate`; off stops them. */
  start(relays: readonly string[], rate: CoverRate): void {
    this.#rate = rate;
    this.#relays = [...new Set(relays)];
    if (rate === 'off' || this.#relays.length === 0) return this.stop();
    if (this.#handle === undefined) {
      this.shape.begin(this.#d.now());
      this.#arm();
    }
  }

  /** A real envelope just went to `relay` at once (Live mode): the next slot is skipped, and its send's relays are learned. */
  realSent(relay: string): void {
    this.#skip = this.#handle !== undefined;
    const now = this.#d.now();
    const last = this.#shapes[this.#shapes.length - 1];
    if (last && now - this.#shapeAt <= SHAPE_MS) {
      if (!last.includes(relay)) last.push(relay);
    } else {
      this.#shapes.push([relay]);
      if (this.#shapes.length > MAX_SHAPES) this.#shapes.shift();
      this.shape.realSend(now);
      this.#d.onLearn?.();
    }
    this.#shapeAt = now;
  }

  stop(): void {
    if (this.#handle !== undefined) {
      this.shape.end(this.#d.now());
      this.#d.onLearn?.();
    }
    if (this.#handle !== undefined) this.#d.timers.clearTimeout(this.#handle);
    this.#handle = undefined;
    this.#skip = false;
  }

  #arm(): void {
    const random = this.#d.random ?? cryptoRandom;
    const gap = exponential(COVER_RATES[this.#rate].meanMs / MAX_BOOST, 0, random);
    this.#handle = this.#d.timers.setTimeout(() => {
      // Thinning: a candidate is a slot with probability multiplier / MAX_BOOST.
      if (random() * MAX_BOOST <= this.shape.multiplier(this.#d.now())) void this.#slot();
      else this.#arm();
    }, gap);
  }

  /** The relays of a random recent real send that are still in use, else every relay. */
  #shape(): string[] {
    const usable = this.#shapes.map((sh) => sh.filter((r) => this.#relays.includes(r))).filter((sh) => sh.length > 0);
    if (usable.length === 0) return [...this.#relays];
    const i = Math.min(usable.length - 1, Math.floor((this.#d.random ?? cryptoRandom)() * usable.length));
    return usable[i]!;
  }

  async #slot(): Promise<void> {
    this.#arm();
    if (this.#skip) {
      this.#skip = false;
      this.counts.skipped++;
      return;
    }
    const day = Math.floor(this.#d.now() / 86_400_000);
    if (day !== this.#day) {
      this.#day = day;
      this.#sentToday = 0;
    }
    const shape = this.#shape();
    if (this.#sentToday + shape.length > COVER_RATES[this.#rate].perDay) {
      this.counts.overBudget++;
      return;
    }
    this.#sentToday += shape.length;
    this.counts.cover += shape.length;
    await Promise.all(shape.map((r) => this.#d.send(r).catch(() => undefined)));
  }
}
