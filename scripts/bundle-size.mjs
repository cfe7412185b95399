#!/usr/bin/env node
/**
 * `npm run size` (after `vite build`): what the first screen costs and what the service worker precaches.
 *
 * First load: the modules index.html preloads and starts (SvelteKit's start and app entries and the root
 * layout node), plus the page node of "/" that the router loads before anything renders, each with its
 * static imports, transitively. Dynamic import() targets are not counted: they load later. Sizes are gzip
 * (level 9, as a server would send them) of the built files.
 *
 * Precache: the entries @vite-pwa injected into build/service-worker.js, with the size of each file.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const ROOT = new URL('..', import.meta.url).pathname;
const BUILD = join(ROOT, 'build');
const MANIFEST = join(ROOT, '.svelte-kit/output/client/.vite/manifest.json');
const APP = join(ROOT, '.svelte-kit/generated/client-optimized/app.js');

const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
const gz = (file) => gzipSync(readFileSync(join(BUILD, file)), { level: 9 }).length;

/** @type {Record<string, {file: string, imports?: string[], css?: string[]}>} */
const manifest = JSON.parse(readFileSync(MANIFEST, 'utf8'));
const byFile = new Map(Object.entries(manifest).map(([key, v]) => [v.file, key]));

/** Static-import closure of manifest keys, as built file names. */
function closure(keys) {
  const seen = new Set();
  const walk = (key) => {
    const entry = manifest[key];
    if (!entry || seen.has(entry.file)) return;
    seen.add(entry.file);
    for (const k of entry.imports ?? []) walk(k);
  };
  keys.forEach(walk);
  return seen;
}

function report(title, files) {
  const rows = [...files].filter((f) => f.endsWith('.js')).map((f) => ({ f, size: gz(f) })).sort((a, b) => b.size - a.size);
  const total = rows.reduce((s, r) => s + r.size, 0);
  console.log(`${title}: ${kib(total)} gzip in ${rows.length} files`);
  for (const r of rows.slice(0, 6)) console.log(`  ${kib(r.size).padStart(10)}  ${((100 * r.size) / total).toFixed(0).padStart(3)}%  ${r.f}`);
  return total;
}

// 1. What index.html preloads and imports.
const html = readFileSync(join(BUILD, 'index.html'), 'utf8');
const htmlFiles = [...html.matchAll(/(?:href=|import\()\s*"\/(_app\/[^"]+\.js)"/g)].map((m) => m[1]);
const entryKeys = [...new Set(htmlFiles)].map((f) => byFile.get(f)).filter(Boolean);
// 2. The page node of "/" (the router loads it with the layout before the first render).
const app = readFileSync(APP, 'utf8');
const rootNodes = (app.match(/"\/":\s*\[([^\]]*)\]/)?.[1] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
const nodeKeys = rootNodes.map((n) => Object.keys(manifest).find((k) => k.endsWith(`client-optimized/nodes/${Math.abs(Number(n))}.js`))).filter(Boolean);

report('index.html and its entries', closure(entryKeys));
const firstFiles = closure([...entryKeys, ...nodeKeys]);
const first = report('first load of "/" (with its page node)', firstFiles);

/**
 * What later dynamic imports add to what is loaded already: manifest keys ending in one of `targets`,
 * or chunks of that name (a dynamically imported barrel such as src/lib/store/index.ts is a chunk "store").
 */
function later(title, targets, loaded) {
  const keys = Object.keys(manifest).filter((k) => targets.some((t) => k.endsWith(t) || manifest[k].name === t));
  const added = new Set([...closure(keys)].filter((f) => !loaded.has(f)));
  report(title, added);
  return new Set([...loaded, ...added]);
}
const opened = later('then init() opens the store', ['src/lib/store/index.ts', 'store'], firstFiles);
later('after sign-in (Messenger, scan, account flows, chat screen)', ['src/lib/sync/messenger.ts', 'src/lib/sync/scan.ts', 'src/lib/app/account-flows.ts', 'src/lib/components/ChatShell.svelte'], opened);

// 3. The precache manifest injected into the service worker.
const sw = readFileSync(join(BUILD, 'service-worker.js'), 'utf8');
const urls = [...sw.matchAll(/\{"revision":(?:"[^"]*"|null),"url":"([^"]+)"\}/g)].map((m) => m[1]);
const entries = urls.map((url) => ({ url, size: statSync(join(BUILD, url)).size, gzip: gz(url) })).sort((a, b) => b.size - a.size);
const precache = entries.reduce((s, e) => s + e.size, 0);
const precacheGzip = entries.reduce((s, e) => s + e.gzip, 0);
const label = (url) => {
  const key = byFile.get(url);
  return key && !key.startsWith('_') ? `  (${key.replace(/^.*node_modules\//, '').replace(/^.*\/src\//, 'src/')})` : '';
};
console.log(`precache: ${(precache / 1000).toFixed(0)} kB as stored, ${(precacheGzip / 1000).toFixed(0)} kB gzip, in ${entries.length} entries`);
for (const e of entries.slice(0, 5)) console.log(`  ${kib(e.size).padStart(10)}  ${((100 * e.size) / precache).toFixed(0).padStart(3)}%  ${e.url}${label(e.url)}`);
const wasm = entries.filter((e) => e.url.endsWith('.wasm'));
console.log(`wasm in the precache: ${wasm.length ? wasm.map((e) => e.url).join(', ') : 'none'}`);

const goals = [
  ['first-load JS (gzip) ≤ 60 KiB', first <= 60 * 1024],
  ['precache ≤ 600 kB (as stored)', precache <= 600 * 1000]
];
for (const [goal, met] of goals) console.log(`${met ? 'met    ' : 'NOT met'}  ${goal}`);
