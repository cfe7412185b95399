/** One measured row of `npm run bench`. */
export interface BenchResult {
  /** What was measured. */
  name: string;
  /** Operations per second on one core (one JS thread). */
  opsPerSec: number;
  /** Iterations timed (after warm-up). */
  iterations: number;
  /** Free text: ratios, context. */
  note?: string;
}

/**
 * Times `fn` after `warmup` untimed calls: `iterations` sequential calls (awaited when async).
 * Fixed counts, no adaptive loops, so runs are comparable.
 */
export async function measure(name: string, fn: (i: number) => unknown, iterations: number, warmup = Math.max(5, Math.floor(iterations / 10)), note?: string): Promise<BenchResult> {
  for (let i = 0; i < warmup; i++) await fn(i);
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) await fn(i);
  const ms = performance.now() - t0;
  return { name, opsPerSec: (iterations * 1000) / ms, iterations, ...(note === undefined ? {} : { note }) };
}
