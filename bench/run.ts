/**
 * `npm run bench`: runs every bench/*.bench.ts (each exports `run(): Promise<BenchResult[]>`) in
 * this one process and prints a table. Numbers are per core; the machine's load shows in them, so
 * compare rows of the same run (the ratios), not runs of different days.
 */
import { readdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { printRows } from './print';
import type { BenchResult } from './types';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2).find((a) => !a.startsWith('--'));
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts') && (!only || f.includes(only)))
  .sort();

for (const f of files) {
  const mod = (await import(pathToFileURL(join(here, f)).href)) as { run?: () => Promise<BenchResult[]> };
  if (typeof mod.run !== 'function') {
    console.error(`${f}: no exported run()`);
    process.exitCode = 1;
    continue;
  }
  const rows = await mod.run();
  printRows(`${f}  (node ${process.version}, load average ${loadavg()[0]!.toFixed(2)} on ${cpus().length} cores)`, rows);
}

// The crypto rows again in Chromium, the app's runtime (`--node` skips them; a filter that names another file too).
if (!process.argv.includes('--node') && (!only || 'envelope chromium'.includes(only))) {
  const { chromiumRows } = await import('./chromium/run');
  const { rows, version } = await chromiumRows();
  printRows(`envelope.bench.ts in Chromium ${version}  (load average ${loadavg()[0]!.toFixed(2)} on ${cpus().length} cores)`, rows);
}
