/**
 * A virtual clock with injectable timers for unit tests of code that takes `timers` and `now`
 * (identity gate, send slots): `runUntil(t)` fires every timer due by `t` in due order, moving the
 * clock to each one's time, then to `t`. Nothing waits for real time.
 */
export function virtualClock(start = 1_000_000) {
  let now = start;
  const q: { at: number; fn: () => void; id: number }[] = [];
  let seq = 0;
  return {
    now: () => now,
    timers: {
      setTimeout: (fn: () => void, ms: number): unknown => (q.push({ at: now + ms, fn, id: ++seq }), seq),
      clearTimeout: (h: unknown): void => {
        const i = q.findIndex((t) => t.id === h);
        if (i >= 0) q.splice(i, 1);
      }
    },
    runUntil(t: number): void {
      for (;;) {
        q.sort((a, b) => a.at - b.at);
        const next = q[0];
        if (!next || next.at > t) break;
        q.shift();
        now = next.at;
        next.fn();
      }
      now = t;
    }
  };
}
