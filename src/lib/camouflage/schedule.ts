/**
 * When cover goes out (docs/design.md §5): each envelope relay has its own Poisson process of slots
 * (exponential gaps from the CSPRNG), so copies to several relays are not aligned. In Live mode a
 * real envelope goes at once and the relay's next slot is skipped, so the rate an observer counts
 * stays the rate of the schedule; in Private mode (sync/slots.ts) a real envelope takes the next
 * slot instead. A daily budget bounds what cover costs the user and every reader of the bucket.
 */
import { cryptoRandom, exponential, type Random } from '../shared/random';

export type CoverRate = 'off' | 'low' | 'default' | 'high';

/** Mean gap between cover slots of one relay while the app runs (ms), and the most per device per UTC day (all relays). */
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
}

interface RelaySlots {
  handle: unknown;
  skip: boolean;
}

/** Live mode's cover: one Poisson schedule per relay, with skip-after-real and a daily budget. */
export class CoverSchedule {
  readonly #d: CoverScheduleDeps;
  readonly #relays = new Map<string, RelaySlots>();
  #rate: CoverRate = 'default';
  #day = -1;
  #sentToday = 0;
  /** Counts for tests and the settings screen. */
  readonly counts = { cover: 0, skipped: 0, overBudget: 0 };

  constructor(deps: CoverScheduleDeps) {
    this.#d = deps;
  }

  get rate(): CoverRate {
    return this.#rate;
  }

  /** Starts (or re-arms) the slots of `relays` at `rate`; relays not listed stop. */
  start(relays: readonly string[], rate: CoverRate): void {
    this.#rate = rate;
    for (const r of [...this.#relays.keys()]) if (!relays.includes(r) || rate === 'off') this.#stopRelay(r);
    if (rate === 'off') return;
    for (const r of relays) if (!this.#relays.has(r)) this.#arm(r, { handle: undefined, skip: false });
  }

  /** A real envelope just went to `relay` at once (Live mode): its next slot is skipped. */
  realSent(relay: string): void {
    const s = this.#relays.get(relay);
    if (s) s.skip = true;
  }

  stop(): void {
    for (const r of [...this.#relays.keys()]) this.#stopRelay(r);
  }


  #arm(relay: string, s: RelaySlots): void {
    this.#relays.set(relay, s);
    const gap = exponential(COVER_RATES[this.#rate].meanMs, 0, this.#d.random ?? cryptoRandom);
    s.handle = this.#d.timers.setTimeout(() => void this.#slot(relay, s), gap);
  }

  async #slot(relay: string, s: RelaySlots): Promise<void> {
    if (this.#relays.get(relay) !== s) return;
    this.#arm(relay, s);
    if (s.skip) {
      s.skip = false;
      this.counts.skipped++;
      return;
    }
    const day = Math.floor(this.#d.now() / 86_400_000);
    if (day !== this.#day) {
      this.#day = day;
      this.#sentToday = 0;
    }
    if (this.#sentToday >= COVER_RATES[this.#rate].perDay) {
      this.counts.overBudget++;
      return;
    }
    this.#sentToday++;
    this.counts.cover++;
    await this.#d.send(relay).catch(() => undefined);
  }

  #stopRelay(relay: string): void {
    const s = this.#relays.get(relay);
    if (s?.handle !== undefined) this.#d.timers.clearTimeout(s.handle);
    this.#relays.delete(relay);
  }
}
