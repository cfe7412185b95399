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

/**
 * Times several contenders in alternating rounds (A B C A B C …) and keeps each one's best round.
 * On a shared machine the load changes from second to second; interleaving exposes every contender
 * to the same load, and the best round is the least disturbed, so ratios stay meaningful.
 */
export async function measureInterleaved(
  cases: { name: string; fn: (i: number) => unknown; weight?: number }[],
  rounds: number,
  iterationsPerRound: number
): Promise<Map<string, BenchResult>> {
  const best = new Map<string, BenchResult>();
  for (const c of cases) for (let i = 0; i < Math.max(3, iterationsPerRound >> 2); i++) await c.fn(i); // warm-up
  for (let r = 0; r < rounds; r++) {
    for (const c of cases) {
      const n = Math.max(1, Math.round(iterationsPerRound * (c.weight ?? 1)));
      const t0 = performance.now();
      for (let i = 0; i < n; i++) await c.fn(r * n + i);
      const ops = (n * 1000) / (performance.now() - t0);
      const prev = best.get(c.name);
      if (!prev || ops > prev.opsPerSec) best.set(c.name, { name: c.name, opsPerSec: ops, iterations: n * rounds });
      else prev.iterations = n * rounds;
    }
  }
  return best;
}

/** A plain copy of an event, as a first read delivers it (a verifier that remembers what it checked sees it new). */
export function freshEvent<E extends { id: string; pubkey: string; created_at: number; kind: number; tags: string[][]; content: string; sig: string }>(e: E) {
  return { id: e.id, pubkey: e.pubkey, created_at: e.created_at, kind: e.kind, tags: e.tags, content: e.content, sig: e.sig };
}

/** Rows of a before/after pair against a baseline of the same run: each as a ratio to the baseline, and after against before. */
export function beforeAfterRows(B: ReadonlyMap<string, BenchResult>, K: { base: string; before: string; after: string }, baseNote: string): BenchResult[] {
  const get = (k: string): BenchResult => {
    const r = B.get(k);
    if (!r) throw new Error(`bench: missing ${k}`);
    return r;
  };
  const x = (k: string) => `${(get(k).opsPerSec / get(K.base).opsPerSec).toFixed(2)}× noble-secp ECDH/s`;
  return [
    { ...get(K.base), note: baseNote },
    { ...get(K.before), note: x(K.before) },
    { ...get(K.after), note: `${x(K.after)}; ${(get(K.after).opsPerSec / get(K.before).opsPerSec).toFixed(2)}× the rate before` }
  ];
}

/**
 * Time of `b` relative to `a`, both synchronous, measured in small alternating blocks (a b, b a,
 * a b, …) so that both see the same load from moment to moment. Returns the median over blocks of
 * time(b)/time(a), and each one's best block in µs/op. On a shared machine the interleaved
 * best-round rows above drift by tens of percent; this is the figure for "overhead beyond ECDH".
 */
export function paired(a: (i: number) => unknown, b: (i: number) => unknown, blocks: number, per: number): { median: number; bestA: number; bestB: number } {
  const ratios: number[] = [];
  let bestA = Infinity;
  let bestB = Infinity;
  const time = (f: (i: number) => unknown, k: number): number => {
    const t0 = performance.now();
    for (let i = 0; i < per; i++) f(k * per + i);
    return (performance.now() - t0) / per;
  };
  for (let i = 0; i < per * 4; i++) {
    a(i);
    b(i);
  }
  for (let k = 0; k < blocks; k++) {
    let ta: number;
    let tb: number;
    if (k % 2 === 0) {
      ta = time(a, k);
      tb = time(b, k);
    } else {
      tb = time(b, k);
      ta = time(a, k);
    }
    ratios.push(tb / ta);
    bestA = Math.min(bestA, ta);
    bestB = Math.min(bestB, tb);
  }
  ratios.sort((x, y) => x - y);
  return { median: ratios[ratios.length >> 1]!, bestA: bestA * 1000, bestB: bestB * 1000 };
}
