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
 *
 * A task's check is not the last one: its REQ may be written later than it ran (the socket was still
 * opening, or a reconnect re-sends a subscription that stays open), and a frame already in the
 * socket may hold an envelope the app has not dispatched yet. So the identity-linked sockets hand
 * each REQ to `beforeReq` (sockets.ts) right before it is written: one macrotask first (frames that
 * are in are dispatched, and an envelope for me among them holds the gate), then written in the same
 * turn as the check, or held until the gate is quiet. In Private mode that check counts reads in
 * flight too (a REQ never goes while a poll's envelopes may be on their way); in Live mode only what
 * has arrived, so its first gift-wrap read goes beside the envelope read at start, as before.
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
  /** Open holds: token → when it lapses on its own (a read whose relay never answers), and whether an envelope arrived. */
  readonly #holds = new Map<number, { until: number; arrived: boolean }>();
  #nextHold = 0;
  /** REQs waiting only for open holds (beforeReq): checked again when a hold is released. */
  readonly #waiters = new Set<() => void>();
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
   * Envelopes may be arriving (`read`: a read in flight) or one has (`arrived`: an envelope that may
   * be mine, queued until opened): identity-linked traffic waits until the returned release is called
   * (idempotent) and the quiet period of anything found for me. A hold lapses by itself after
   * 2 × the quiet period.
   */
  hold(kind: 'read' | 'arrived' = 'read'): () => void {
    const token = ++this.#nextHold;
    this.#holds.set(token, { until: this.#now() + 2 * this.#timing.identityQuietMs, arrived: kind === 'arrived' });
    return () => {
      if (this.#holds.delete(token)) this.#wake();
    };
  }

  /** A hold ended: every REQ waiting only for holds is checked again (after one macrotask, as always). */
  #wake(): void {
    const waiting = [...this.#waiters];
    this.#waiters.clear();
    for (const w of waiting) w();
  }

  /** ms until identity-linked traffic may go (0 when quiet); `arrivedOnly`: reads in flight do not count. */
  wait(arrivedOnly = false): number {
    return Math.max(Math.min(this.#heldFor(arrivedOnly), Math.max(1, this.#timing.identityQuietMs / 4)), this.#mineWait());
  }

  /** ms left of the quiet period after the last envelope for me. */
  #mineWait(): number {
    return this.#lastMineAt + this.#timing.identityQuietMs - this.#now();
  }

  /** ms until the last open hold (that counts) lapses by itself; 0 when none is open. */
  #heldFor(arrivedOnly: boolean): number {
    const now = this.#now();
    let held = 0;
    for (const [token, h] of this.#holds) {
      if (h.until <= now) this.#holds.delete(token);
      else if (h.arrived || !arrivedOnly) held = Math.max(held, h.until - now);
    }
    return held;
  }

  /**
   * The last check before one identity-linked REQ is written (see the module comment): `send` runs
   * after one macrotask if nothing for me arrived within the quiet period and no hold is open
   * (`reads`: reads in flight count too). After an envelope for me it waits the rest of the quiet
   * period plus a random part of it; while only holds are open it is checked again as soon as one is
   * released (or lapses): a read that brought nothing for me leaves nothing to hide, and a first
   * sign-in's record is not kept back for a minute. `send` must write at once: nothing async lies
   * between this check and the socket.
   */
  beforeReq(send: () => void, opts: { reads?: boolean } = {}, delayMs = 0): void {
    const h: unknown = this.#timers.setTimeout(() => {
      this.#pending.delete(h);
      const mine = this.#mineWait();
      if (mine > 0) return this.beforeReq(send, opts, mine + jitterMs(0, this.#timing.identityQuietMs));
      const held = this.#heldFor(!opts.reads);
      if (held <= 0) return send();
      // Whichever comes first: a release, or the last hold's lapse.
      let done = false;
      const again = (): void => {
        if (done) return;
        done = true;
        this.#waiters.delete(again);
        this.#timers.clearTimeout(lapse);
        this.#pending.delete(lapse);
        this.beforeReq(send, opts);
      };
      const lapse: unknown = this.#timers.setTimeout(again, held);
      this.#pending.add(lapse);
      this.#waiters.add(again);
    }, delayMs);
    this.#pending.add(h);
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
    this.#waiters.clear();
    this.#holds.clear();
  }
}
