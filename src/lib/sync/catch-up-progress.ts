/**
 * How far the catch-up is (issue 12 §3): each read of stored envelopes or gift wraps (subscriptions.ts:
 * at start, a Live re-read or a reconnect, a Private-mode poll) is one `ProgressRead` from its REQ
 * until what it delivered is opened, or it ended by CLOSED, the EOSE timeout, socket loss or close().
 * While any read runs, the events delivered and those opened (or dropped: not mine, lane full) add up;
 * the counts start again at 0 once no read runs. A read that shows no activity for `idleMs` ends by
 * itself, so a read whose relay never answers cannot keep the progress line up.
 *
 * The view is emitted when the first read begins, then at most every `emitMs` while it moves, and
 * null when the last read ends. Whether to show it (only after 1 s) is the app's choice
 * (app/catch-up.svelte.ts).
 */
import { Timer, type Timers } from './timing';
import type { CatchUpView } from './types';

/** Progress is emitted at most this often while a catch-up runs (ms). */
export const PROGRESS_EMIT_MS = 250;
/** A read with nothing delivered or opened for this long is taken as over (beyond the pool's 10 s EOSE timeout). */
export const READ_IDLE_MS = 15_000;

/** One read: see the module comment. */
export interface ProgressRead {
  /** One event of this read was delivered; call what it returns once that event is opened or dropped. */
  delivered(): () => void;
  /** The read is over (idempotent). */
  end(): void;
}

const NOOP = (): void => {};

export class CatchUpProgress {
  readonly #timers: Timers;
  readonly #now: () => number;
  readonly #emit: (view: CatchUpView | null) => void;
  readonly #emitMs: number;
  readonly #idleMs: number;
  readonly #emitTimer: Timer;
  /** Reads running, each with the time of its last activity. */
  readonly #reads = new Map<symbol, { last: number; idle: Timer }>();
  /** Which run of overlapping reads the counts belong to: an event of an earlier one no longer counts. */
  #session = 0;
  #total = 0;
  #opened = 0;

  constructor(timers: Timers, now: () => number, emit: (view: CatchUpView | null) => void, opts: { emitMs?: number; idleMs?: number } = {}) {
    this.#timers = timers;
    this.#now = now;
    this.#emit = emit;
    this.#emitMs = opts.emitMs ?? PROGRESS_EMIT_MS;
    this.#idleMs = opts.idleMs ?? READ_IDLE_MS;
    this.#emitTimer = new Timer(timers);
  }

  /** The counts while a read runs; null when none does. */
  view(): CatchUpView | null {
    return this.#reads.size > 0 ? { opened: Math.min(this.#opened, this.#total), total: this.#total } : null;
  }

  /** A read begins (its REQ is about to go out). */
  begin(): ProgressRead {
    const key = Symbol('read');
    if (this.#reads.size === 0) {
      this.#session++;
      this.#total = 0;
      this.#opened = 0;
    }
    const session = this.#session;
    const read = { last: this.#now(), idle: new Timer(this.#timers) };
    this.#reads.set(key, read);
    const end = (): void => {
      if (!this.#reads.delete(key)) return;
      read.idle.cancel();
      if (this.#reads.size > 0) return this.#changed();
      this.#emitTimer.cancel();
      this.#emit(null);
    };
    const watch = (): void => {
      const quiet = this.#now() - read.last;
      if (quiet >= this.#idleMs) end();
      else read.idle.set(watch, this.#idleMs - quiet);
    };
    read.idle.set(watch, this.#idleMs);
    if (this.#reads.size === 1) this.#emit(this.view());
    else this.#changed();
    return {
      delivered: () => {
        if (!this.#reads.has(key)) return NOOP;
        read.last = this.#now();
        this.#total++;
        this.#changed();
        let once = false;
        return () => {
          if (once || session !== this.#session) return;
          once = true;
          this.#opened++;
          const r = this.#reads.get(key);
          if (r) r.last = this.#now();
          this.#changed();
        };
      },
      end
    };
  }

  /** Ends every read (the messenger stopped). */
  clear(): void {
    if (this.#reads.size === 0) return;
    for (const r of this.#reads.values()) r.idle.cancel();
    this.#reads.clear();
    this.#emitTimer.cancel();
    this.#emit(null);
  }

  #changed(): void {
    if (this.#reads.size === 0) return;
    this.#emitTimer.setIfIdle(() => {
      const v = this.view();
      if (v) this.#emit(v);
    }, this.#emitMs);
  }
}
