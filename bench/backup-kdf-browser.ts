/**
 * The backup KDF in a real browser (docs/proposals/0007-backup.md §Measurements): scrypt r 8, p 1 at log_n 15–18 as
 * crypto/backup.ts runs it (noble's scryptAsync, yielding every 10 ms), in headless Chromium, best of 3.
 * `node --import tsx bench/backup-kdf-browser.ts` (needs /usr/bin/chromium, or CHROMIUM_PATH).
 */
import { build } from 'esbuild';
import { chromium } from '@playwright/test';
import { CHROMIUM_ARGS } from '../playwright.config';

const entry = `
import { BackupWriter } from './src/lib/crypto/backup';
globalThis.timeKdf = async (logN) => {
  const t0 = performance.now();
  await BackupWriter.create('bench passphrase', { logN });
  return performance.now() - t0;
};`;
const out = await build({ stdin: { contents: entry, resolveDir: process.cwd(), loader: 'ts' }, bundle: true, write: false, format: 'iife', target: 'es2022' });
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
try {
  const page = await browser.newPage();
  await page.goto('about:blank');
  await page.addScriptTag({ content: out.outputFiles[0]!.text });
  for (const logN of [15, 16, 17, 18]) {
    const runs: number[] = [];
    for (let i = 0; i < 3; i++) runs.push(await page.evaluate((n) => (globalThis as unknown as { timeKdf: (n: number) => Promise<number> }).timeKdf(n), logN));
    console.log(`log_n ${logN} (${2 ** (logN + 10 - 20)} MiB): best ${Math.min(...runs).toFixed(0)} ms, runs ${runs.map((r) => r.toFixed(0)).join(' / ')}`);
  }
} finally {
  await browser.close();
}
