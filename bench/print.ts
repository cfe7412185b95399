/** The table `npm run bench` prints, one per bench file (and one for the Chromium rows). */
import type { BenchResult } from './types';

function fmt(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1);
}

export function printRows(title: string, rows: readonly BenchResult[]): void {
  const w = Math.max(10, ...rows.map((r) => r.name.length));
  console.log(`\n## ${title}\n`);
  console.log(`| ${'benchmark'.padEnd(w)} | ${'ops/s'.padStart(10)} | ${'µs/op'.padStart(9)} | ${'iters'.padStart(6)} | note`);
  console.log(`|${'-'.repeat(w + 2)}|${'-'.repeat(12)}|${'-'.repeat(11)}|${'-'.repeat(8)}|------`);
  for (const r of rows)
    console.log(`| ${r.name.padEnd(w)} | ${fmt(r.opsPerSec).padStart(10)} | ${(1e6 / r.opsPerSec).toFixed(0).padStart(9)} | ${String(r.iterations).padStart(6)} | ${r.note ?? ''}`);
}
