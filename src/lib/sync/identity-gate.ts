/**
 * The timing rule of identity-linked requests (docs/design.md §4, spec 0005 §Timing): a lookup by
 * author, my own record read or published, my DM relay list, my gift-wrap read — never within a
 * minute after an envelope for me arrived (the relay would tie the arrival to the reaction), and, at
 * start, not in the same moment as the envelope sockets open (without IPs, sockets are grouped by
 * opening time). Everything identity-linked is run through `run`, which waits out the quiet period.
 *
 * "Arrived" is counted from the moment an envelope reaches the app, not from when it is opened: an
 * envelope read in flight (a REQ until its stored events are processed) and every envelope waiting in
 * the inbound queue `hold` the gate, so a lookup cannot slip in between a delivery and its opening.
 * `run` can `prepare` (open the sockets the task will use) and checks the gate again after it, so
 * an envelope that arrives while a socket opens also holds the REQ back.
 */
import type { Timers, TrafficTiming } from './timing';
import { jitterMs } from './timing';

export interface GateRunOptions {
  /** Runs first (e.g. opens the task's sockets); the gate is checked again after it. */
  prepare?: () => Promise<void>;
}

export class IdentityGate {
  readonly #now: () => number;
  readonly #timers: Timers;
  readonly #timing: TrafficTiming;
  #lastMineAt = -Infinity;
  readonly #pending = new Set<unknown>();
  /** Open holds: token → when it lapses on its own (a read whose relay never answers). */
  readonly #holds = new Map<number, number>();
  #nextHold = 0;
  /** Tasks between `prepare` and their run: cancel() marks them so they do not run. */
  readonly #preparing = new Set<{ v: boolean }>();

  constructor(now: () => number, timers: Timers, timing: TrafficTiming) {
    this.#now = now;
    this.#timers = timers;
    this.#timing = timing;
  }

  /** An envelope for me was opened just now. */
  mine(): void {
    this.#lastMineAt = this.#now();
  }

  /**
   * Envelopes may be arriving (a read in flight, an envelope queued): identity-linked traffic waits
   * until the returned release is called (idempotent) and the quiet period of anything found for me.
   * A hold lapses by itself after 2 × the quiet period.
   */
  hold(): () => void {
    const token = ++this.#nextHold;
    this.#holds.set(token, this.#now() + 2 * this.#timing.identityQuietMs);
    return () => void this.#holds.delete(token);
  }

  /** ms until identity-linked traffic may go (0 when quiet). */
  wait(): number {
    const now = this.#now();
    let held = 0;
    for (const [token, until] of this.#holds) {
      if (until <= now) this.#holds.delete(token);
      else held = Math.max(held, Math.min(until - now, Math.max(1, this.#timing.identityQuietMs / 4)));
    }
    return Math.max(held, this.#lastMineAt + this.#timing.identityQuietMs - now);
  }

  /**
   * Runs `task` after `delayMs`, and only when no envelope for me arrived within the quiet period and
   * nothing holds the gate; otherwise waits the rest of it plus a random part of it again. Failures go
   * to `onError`.
   */
  run(task: () => Promise<void> | void, delayMs: number, onError: (e: unknown) => void, opts: GateRunOptions = {}): void {
    const again = (w: number): void => this.run(task, w + jitterMs(0, this.#timing.identityQuietMs), onError, opts);
    const go = (): void => {
      const w = this.wait();
      if (w > 0) return again(w);
      try {
        void Promise.resolve(task()).catch(onError);
      } catch (e) {
        onError(e);
      }
    };
    const fire = (): void => {
      this.#pending.delete(h);
      const w = this.wait();
      if (w > 0) return again(w);
      if (!opts.prepare) return go();
      const cancelled = { v: false };
      this.#preparing.add(cancelled);
      opts.prepare().then(
        () => {
          this.#preparing.delete(cancelled);
          if (!cancelled.v) go();
        },
        (e: unknown) => {
          this.#preparing.delete(cancelled);
          if (!cancelled.v) onError(e);
        }
      );
    };
    const h: unknown = this.#timers.setTimeout(fire, Math.max(0, delayMs));
    this.#pending.add(h);
  }

  /** Cancels everything waiting (stop). Holds are dropped too. */
  cancel(): void {
    for (const h of this.#pending) this.#timers.clearTimeout(h);
    this.#pending.clear();
    for (const p of this.#preparing) p.v = true;
    this.#preparing.clear();
    this.#holds.clear();
  }
}
