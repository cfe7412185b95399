/**
 * The crypto rows in Chromium (issue 12 §1): `node --import tsx bench/chromium/run.ts`, also run by
 * `npm run bench` after the Node rows. The same envelope.bench.ts as in Node, bundled into a page and
 * run in Debian's Chromium, where the app runs: noble, nostr-tools and the wasm side by side in one page,
 * so the ratios compare like with like. Node runs pure-JS curve math about 4× slower than Chromium
 * and wasm the same, which is why a Node-only ratio misleads.
 */
import { fileURLToPath } from 'node:url';
import type { BenchResult } from '../types';
import { withBenchPage } from '../browser';

const root = fileURLToPath(new URL('.', import.meta.url));
const alias = [{ find: /^veil-secp256k1-wasm(\?.*)?$/, replacement: `${fileURLToPath(new URL('../../node_modules/tiny-secp256k1/lib/secp256k1.wasm', import.meta.url))}$1` }];

/** The rows of envelope.bench.ts measured in Chromium, and its version. */
export async function chromiumRows(): Promise<{ rows: BenchResult[]; version: string }> {
  return withBenchPage(root, { alias }, async (page) => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.waitForFunction(() => 'run' in ((window as unknown as { __bench?: object }).__bench ?? {}), null, { timeout: 30_000 }).catch(() => {
      throw new Error(`the bench page did not load: ${errors.join('; ') || 'no error reported'}`);
    });
    const rows = await page.evaluate(() => (window as unknown as { __bench: { run(): Promise<BenchResult[]> } }).__bench.run());
    return { rows, version: page.context().browser()?.version() ?? '?' };
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { rows, version } = await chromiumRows();
  const { printRows } = await import('../print');
  printRows(`envelope.bench.ts in Chromium ${version}`, rows);
}
