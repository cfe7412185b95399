/**
 * `npm run privacy`: the adversary suite in full (issue 9 item 3; DESIGN.md §8). Runs the simulated
 * population (tests/privacy/population.ts) as Veil and as NIP-17 users with the same world model,
 * through the observing relay, and prints the markdown table of what a relay recovers from its log.
 * Options: --users N (default 16), --days N (default 7), --seed N (default 1), --private (also
 * Veil Private mode, once the Messenger has `mode`), --cover (also Veil Live with the default cover
 * rate, issue 10: slow, a step per cover envelope), --parallel (the worlds at the same time),
 * --json FILE (every figure, for the record), --examples FILE (the cover classifier's examples), --only "Veil Live + cover,NIP-17" (those worlds alone).
 */
import { writeFileSync } from 'node:fs';
import { PRIVATE_MODE_READY } from '../tests/privacy/checks';
import { formatTable, runSuite } from '../tests/privacy/report';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isSafeInteger(v) || v < 1) throw new Error(`--${name} must be a positive integer`);
  return v;
}

const t0 = Date.now();
const only = process.argv.indexOf('--only');
const onlyList = only >= 0 ? (process.argv[only + 1] ?? '').split(',').map((x) => x.trim()) : undefined;
const ex = process.argv.indexOf('--examples');
const opts = { ...(onlyList ? { only: onlyList } : {}), keepExamples: ex >= 0, users: arg('users', 16), days: arg('days', 7), seed: arg('seed', 1), private: PRIVATE_MODE_READY || process.argv.includes('--private'), parallel: process.argv.includes('--parallel'), cover: process.argv.includes('--cover') };
const worlds = await runSuite({ ...opts, progress: (line) => console.error(`  ${line}`) });
console.log(`\nAdversary suite: ${opts.users} + ${opts.users} users, ${opts.days} simulated days, seed ${opts.seed}\n`);
console.log(formatTable(worlds));
console.log(`\nTotal ${((Date.now() - t0) / 1000).toFixed(0)} s.`);
const j = process.argv.indexOf('--json');
if (j >= 0 && process.argv[j + 1]) writeFileSync(process.argv[j + 1]!, JSON.stringify(worlds, null, 1));
if (ex >= 0 && process.argv[ex + 1]) writeFileSync(process.argv[ex + 1]!, JSON.stringify(worlds.map((w) => ({ label: w.label, examples: w.coverExamples }))));
process.exit(0);
