/**
 * `npm run bench`: runs every bench/*.bench.ts (each exports `run(): Promise<BenchResult[]>`) in
 * this one process and prints a table. Numbers are per core; the machine's load shows in them, so
 * compare rows of the same run (the ratios), not runs of different days.
 */
import { readdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchResult } from './types';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv[2];
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts') && (!only || f.includes(only)))
  .sort();

function fmt(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1);
}

for (const f of files) {
  const mod = (await import(pathToFileURL(join(here, f)).href)) as { run?: () => Promise<BenchResult[]> };
  if (typeof mod.run !== 'function') {
    console.error(`${f}: no exported run()`);
    process.exitCode = 1;
    continue;
  }
  const rows = await mod.run();
  const w = Math.max(10, ...rows.map((r) => r.name.length));
  console.log(`\n## ${f}  (node ${process.version}, load average ${loadavg()[0]!.toFixed(2)} on ${cpus().length} cores)\n`);
  console.log(`| ${'benchmark'.padEnd(w)} | ${'ops/s'.padStart(10)} | ${'µs/op'.padStart(9)} | ${'iters'.padStart(6)} | note`);
  console.log(`|${'-'.repeat(w + 2)}|${'-'.repeat(12)}|${'-'.repeat(11)}|${'-'.repeat(8)}|------`);
  for (const r of rows)
    console.log(`| ${r.name.padEnd(w)} | ${fmt(r.opsPerSec).padStart(10)} | ${(1e6 / r.opsPerSec).toFixed(0).padStart(9)} | ${String(r.iterations).padStart(6)} | ${r.note ?? ''}`);
}
