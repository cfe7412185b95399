/**
 * The simulated world's clock (tests/privacy): virtual time = real time + an offset that only
 * jumps forward. Between jumps it runs at 1× real speed, so everything the code does by itself
 * (a resubscribe 46 ms after a delivery, a live fan-out 5 ms after a publish) keeps its real
 * millisecond timing in the log, while the idle hours between human actions are skipped. Timers
 * handed out here (the Messenger's optional `timers` dep) run in virtual time: they fire by a real
 * timer while time flows, and at once when a jump passes their due time.
 * Virtual time always stays behind the real clock (relays and envelope expiry use real time).
 */

interface VTimer {
  due: number;
  fn: () => unknown;
  real: ReturnType<typeof setTimeout> | undefined;
}

export interface Timers {
  setTimeout(fn: () => unknown, ms: number): unknown;
  clearTimeout(h: unknown): void;
}

export class VirtualClock {
  #offset: number;
  #next = 1;
  #busy = 0;
  readonly #timers = new Map<number, VTimer>();

  /** `startMs`: the virtual time now (must be in the past of Date.now()). */
  constructor(startMs: number) {
    if (startMs > Date.now()) throw new Error('virtual time must stay behind the real clock');
    this.#offset = startMs - Date.now();
  }

  now = (): number => Date.now() + this.#offset;

  /** Timers in virtual milliseconds, for the Messenger's `timers` dep. */
  readonly timers: Timers = {
    setTimeout: (fn, ms) => {
      const id = this.#next++;
      const t: VTimer = { due: this.now() + Math.max(0, Math.ceil(ms)), fn, real: undefined }; // whole ms, like Date.now()
      this.#timers.set(id, t);
      this.#arm(id, t);
      return id;
    },
    clearTimeout: (h) => {
      const t = typeof h === 'number' ? this.#timers.get(h) : undefined;
      if (!t) return;
      clearTimeout(t.real);
      this.#timers.delete(h as number);
    }
  };

  #arm(id: number, t: VTimer): void {
    clearTimeout(t.real);
    t.real = setTimeout(() => this.#fire(id), Math.max(0, t.due - this.now()));
    t.real.unref?.();
  }

  #fire(id: number): void {
    const t = this.#timers.get(id);
    if (!t) return;
    this.#timers.delete(id);
    clearTimeout(t.real);
    try {
      const r = t.fn();
      // Work the callback started (a slot's seal and publish): the driver waits for it before the
      // next jump (`busy`), else under load a publish reaches the proxy after the clock moved on
      // and is stamped in the same millisecond as another relay's slot (CI: two-relay match 6.6%).
      if (r instanceof Promise) {
        this.#busy++;
        void r.catch(() => undefined).finally(() => this.#busy--);
      }
    } catch {
      // a timer callback's failure is the code's business, not the clock's
    }
  }

  /** Callbacks fired whose promised work has not ended yet. */
  get busy(): number {
    return this.#busy;
  }

  /** The earliest pending timer's due time, if any. */
  nextDue(): number | undefined {
    let min: number | undefined;
    for (const t of this.#timers.values()) if (min === undefined || t.due < min) min = t.due;
    return min;
  }

  /** Jumps forward to `t` (never back), firing every timer that became due, in due order. */
  advanceTo(t: number): void {
    const gap = Math.ceil(t) - this.now();
    if (gap > 0) {
      if (t > Date.now()) throw new Error('virtual time would pass the real clock');
      this.#offset += gap;
    }
    // Timers already due fire here too: the driver's loop may not yield to real timers in between.
    const due = [...this.#timers.entries()].filter(([, v]) => v.due <= this.now()).sort((a, b) => a[1].due - b[1].due);
    for (const [id] of due) this.#fire(id);
    for (const [id, v] of this.#timers) this.#arm(id, v);
  }

  /** Cancels every timer (end of the run). */
  dispose(): void {
    for (const t of this.#timers.values()) clearTimeout(t.real);
    this.#timers.clear();
  }
}

/** Seeded PRNG (mulberry32) for the WORLD MODEL only: who is online, who talks to whom. The relay never sees it. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
