/**
 * The timing rule of identity-linked requests (docs/design.md §4, spec 0005 §Timing): a lookup by
 * author, my own record read or published, my DM relay list — never within a minute after an
 * envelope for me arrived (the relay would tie the arrival to the reaction), and, at start, not in
 * the same moment as the envelope sockets open (without IPs, sockets are grouped by opening time).
 * Everything identity-linked is run through `run`, which waits out the quiet period.
 */
import type { Timers, TrafficTiming } from './timing';
import { jitterMs } from './timing';

export class IdentityGate {
  readonly #now: () => number;
  readonly #timers: Timers;
  readonly #timing: TrafficTiming;
  #lastMineAt = -Infinity;
  readonly #pending = new Set<unknown>();

  constructor(now: () => number, timers: Timers, timing: TrafficTiming) {
    this.#now = now;
    this.#timers = timers;
    this.#timing = timing;
  }

  /** An envelope for me was opened just now. */
  mine(): void {
    this.#lastMineAt = this.#now();
  }

  /** ms until identity-linked traffic may go (0 when quiet). */
  wait(): number {
    return Math.max(0, this.#lastMineAt + this.#timing.identityQuietMs - this.#now());
  }

  /**
   * Runs `task` after `delayMs`, and only when no envelope for me arrived within the quiet period;
   * otherwise waits the rest of it plus a random part of it again. Failures go to `onError`.
   */
  run(task: () => Promise<void> | void, delayMs: number, onError: (e: unknown) => void): void {
    const fire = (): void => {
      this.#pending.delete(h);
      const w = this.wait();
      if (w > 0) return void this.run(task, w + jitterMs(0, this.#timing.identityQuietMs), onError);
      try {
        void Promise.resolve(task()).catch(onError);
      } catch (e) {
        onError(e);
      }
    };
    const h: unknown = this.#timers.setTimeout(fire, Math.max(0, delayMs));
    this.#pending.add(h);
  }

  /** Cancels everything waiting (stop). */
  cancel(): void {
    for (const h of this.#pending) this.#timers.clearTimeout(h);
    this.#pending.clear();
  }
}
