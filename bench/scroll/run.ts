/**
 * Scrolling back a 10,000-message chat in Chromium (issue 12 §7): `node --import tsx bench/scroll/run.ts [n]`.
 * Builds bench/scroll (the app's Conversation over an in-memory chat), opens it in Chromium and scrolls to the
 * top until the whole history is loaded: the time per page (median of the pages around each count of loaded
 * messages), then the JS heap after a GC and the DOM size. Compare figures of the same run and machine.
 * VEIL_LIB=<dir>/src/lib measures another checkout's component (e.g. `git archive <commit> src | tar -x -C <dir>`).
 */
import { fileURLToPath } from 'node:url';
import { withBenchPage } from '../browser';

const n = Number(process.argv[2] ?? 10_000);
const root = fileURLToPath(new URL('.', import.meta.url));
const alias = { $lib: process.env.VEIL_LIB ?? fileURLToPath(new URL('../../src/lib', import.meta.url)) };

await withBenchPage(root, { alias, query: `?n=${n}` }, async (page) => {
  await page.evaluate(() => (window as unknown as { __bench: { ready(): Promise<void> } }).__bench.ready());
  const steps: { ms: number; loaded: number; drift: number }[] = [];
  const t0 = Date.now();
  for (;;) {
    const s = await page.evaluate(() => (window as unknown as { __bench: { step(): Promise<{ ms: number; loaded: number; done: boolean; drift: number }> } }).__bench.step());
    if (s.ms > 0) steps.push(s);
    if (s.done) break;
  }
  const total = Date.now() - t0;
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.collectGarbage');
  const heap = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };
  const dom = (await cdp.send('Memory.getDOMCounters')) as { nodes: number };
  const elements = await page.evaluate(() => (window as unknown as { __bench: { nodes(): number } }).__bench.nodes());

  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length ? s[Math.floor(s.length / 2)]! : NaN;
  };
  console.log(`scrolling back ${n.toLocaleString('en-US')} messages: ${steps.length} steps to the top in ${(total / 1000).toFixed(1)} s`);
  for (const at of [100, 500, 1_000, 2_000, 5_000, 10_000, 20_000].filter((x) => x <= n)) {
    const near = steps.filter((s) => s.loaded <= at && s.loaded > at - Math.max(250, at / 10)).map((s) => s.ms);
    console.log(`  per page at ${String(at).padStart(6)} loaded: ${median(near).toFixed(1).padStart(7)} ms (median of ${near.length})`);
  }
  console.log(`  slowest page: ${Math.max(...steps.map((s) => s.ms)).toFixed(1)} ms`);
  const kept = steps.filter((s) => s.drift <= 1).length;
  console.log(`  reader's place kept (the top message moved ≤ 1 px): ${kept} of ${steps.length} pages`);
  console.log(`  JS heap after GC: ${(heap.usedSize / 1024 / 1024).toFixed(1)} MB`);
  console.log(`  DOM: ${dom.nodes.toLocaleString('en-US')} nodes (${elements.toLocaleString('en-US')} elements)`);
});
