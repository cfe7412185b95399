/**
 * A bench page in Chromium (the app's real runtime; issue 12 §1): builds `root` (an index.html and its
 * main.ts) with Vite, serves the build on loopback, opens it in Debian's Chromium with the project's
 * flags, and hands the page to `fn`. Used by bench/scroll (scrolling a long chat) and bench/chromium
 * (the crypto rows of envelope.bench.ts).
 */
import { createServer } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from '@playwright/test';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { build, type AliasOptions } from 'vite';
import { CHROMIUM_ARGS } from '../playwright.config';

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm' };

export async function withBenchPage<T>(root: string, opts: { alias?: AliasOptions; query?: string; viewport?: { width: number; height: number } }, fn: (page: Page) => Promise<T>): Promise<T> {
  const out = await mkdtemp(join(tmpdir(), 'veil-bench-'));
  await build({
    root,
    logLevel: 'warn',
    configFile: false,
    plugins: [svelte({ configFile: false })],
    resolve: { alias: opts.alias ?? { $lib: fileURLToPath(new URL('../src/lib', import.meta.url)) } },
    build: { outDir: out, emptyOutDir: true, target: 'es2022', minify: false }
  });
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    readFile(join(out, path === '/' ? 'index.html' : path)).then(
      (body) => res.writeHead(200, { 'content-type': TYPES[extname(path) || '.html'] ?? 'application/octet-stream' }).end(body),
      () => res.writeHead(404).end()
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage({ viewport: opts.viewport ?? { width: 1000, height: 800 } });
    await page.goto(`http://127.0.0.1:${port}/${opts.query ?? ''}`);
    return await fn(page);
  } finally {
    await browser.close();
    server.close();
    await rm(out, { recursive: true, force: true });
  }
}
