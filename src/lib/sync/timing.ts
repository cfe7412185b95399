/**
 * Clocks and random delays of the traffic rules (docs/proposals/0005-traffic.md §Timing). Every delay
 * an observer could see comes from the CSPRNG (never Math.random). Timers are injectable so the
 * adversary suite can run many simulated days in seconds (tests/privacy/).
 */
import { exponential, uniformIn } from '../shared/random';

/** setTimeout/clearTimeout in the messenger's own clock (ms). */
export interface Timers {
  /** `fn` may return a promise for the work it started (Timer.set); a browser's setTimeout ignores it. */
  setTimeout(fn: () => unknown, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    (t as { unref?: () => void }).unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>)
};

/**
 * The delays of the traffic rules (spec 0005 §Timing), in the messenger's clock. The defaults are
 * the specified values; tests shorten them (never to zero where a rule needs a gap).
 */
export interface TrafficTiming {
  /** Contact changes reach the live author subscription after a uniform delay in this range. */
  authorResubscribeMs: readonly [number, number];
  /** Lookups that an arriving envelope asks for wait a uniform delay in this range, batched. */
  lookupDelayMs: readonly [number, number];
  /** Private mode: mean and least gap between two polls of one relay. */
  pollMeanMs: number;
  pollMinMs: number;
  /**
   * Live mode: mean gap between two re-reads of one relay (a REQ for the plan, closed at its EOSE),
   * which finds what a dropped frame, a lost REQ or a missing EOSE hid from the open subscription.
   */
  refreshMeanMs: number;
  /** Private mode: mean gap between two send slots of one relay. */
  slotMeanMs: number;
  /**
   * Private mode: once a slot has taken one copy of an envelope, its copies to the other relays wait
   * this long on average (exponential, each its own draw) before their own relay's next slot. Copies
   * queued together and taken by independent slots would otherwise leave close together, which two
   * colluding relays match (fixed-seed run: 1.6% of copies within 1 s, against 0.8% chance).
   */
  copyHoldMeanMs: number;
  /** No identity-linked request within this long after an envelope for me arrived (identity-gate.ts). */
  identityQuietMs: number;
  /** At start, identity-linked requests wait a uniform delay in this range after the envelope sockets open. */
  startIdentityDelayMs: readonly [number, number];
}

export const DEFAULT_TIMING: TrafficTiming = Object.freeze({
  authorResubscribeMs: [60_000, 300_000] as const,
  lookupDelayMs: [120_000, 600_000] as const,
  pollMeanMs: 10 * 60_000,
  pollMinMs: 30_000,
  refreshMeanMs: 30 * 60_000,
  slotMeanMs: 5 * 60_000,
  copyHoldMeanMs: 15 * 60_000,
  identityQuietMs: 60_000,
  startIdentityDelayMs: [60_000, 180_000] as const
});

/** Uniform in [minMs, maxMs], from the CSPRNG. */
export function jitterMs(minMs: number, maxMs: number): number {
  return uniformIn(minMs, maxMs);
}

/** Exponential with the given mean (a Poisson process's gaps), never below `minMs`; CSPRNG. */
export function exponentialMs(meanMs: number, minMs = 0): number {
  return exponential(meanMs, minMs);
}

/** A timer that can be re-armed and cancelled, on injectable timers. */
export class Timer {
  readonly #timers: Timers;
  #h: unknown;
  constructor(timers: Timers) {
    this.#timers = timers;
  }
  get armed(): boolean {
    return this.#h !== undefined;
  }
  /**
   * Arms (replacing any pending run). What `fn` returns (a promise, for work it starts) is handed
   * back to the `Timers` callback: browsers ignore it; the privacy suite's virtual clock waits for it
   * before it jumps, so a slow publish is stamped at its own moment (tests/privacy/clock.ts).
   */
  set(fn: () => unknown, ms: number): void {
    this.cancel();
    this.#h = this.#timers.setTimeout(() => {
      this.#h = undefined;
      return fn();
    }, ms);
  }
  /** Arms only when not armed already (keeps the earlier deadline). */
  setIfIdle(fn: () => unknown, ms: number): void {
    if (this.#h === undefined) this.set(fn, ms);
  }
  cancel(): void {
    if (this.#h !== undefined) this.#timers.clearTimeout(this.#h);
    this.#h = undefined;
  }
}

/** `p`, or `fallback()` once `ms` passed first (the timer is cancelled either way). */
export function withTimeout<T>(timers: Timers, ms: number, p: Promise<T>, fallback: () => T): Promise<T> {
  const timer = new Timer(timers);
  return Promise.race([p, new Promise<T>((r) => timer.set(() => r(fallback()), ms))]).finally(() => timer.cancel());
}
