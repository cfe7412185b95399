#!/usr/bin/env node
// A small static server for the built app (`build/`). `vite preview` does not serve a static
// SPA build the way a real host does (service worker scope, deep links), so we serve it ourselves:
// files as they are, every unknown path falls back to index.html, and the service worker and HTML
// are never cached by the browser's HTTP cache (the service worker does the caching).
//
//   node scripts/serve.mjs [--port 4173] [--host 127.0.0.1] [--dir build] [--relays ws://a,ws://b]
//                          [--lookup-relays ws://c,ws://d] [--file-server http://127.0.0.1:7779]
//
// --relays makes the server answer /veil-config.json with those relays, which the app uses as its
// defaults (a runtime setting: the same build runs against any relays). --lookup-relays are the relays
// for identity-linked lookups (inbox records, profiles, DM relay lists); without it they are the
// --relays too, so `npm start` and the tests never reach for the internet. --file-server is the Blossom
// server files are uploaded to (`fileServer` in the config; without it the app shows no attach button).
// Prints `READY http://…`.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.PORT ?? '4173' },
    host: { type: 'string', default: '127.0.0.1' },
    dir: { type: 'string', default: 'build' },
    relays: { type: 'string' },
    'lookup-relays': { type: 'string' },
    'file-server': { type: 'string' }
  }
});

const root = resolve(values.dir);
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm'
};

const list = (s) => s.split(',').map((r) => r.trim()).filter(Boolean);
const config = values.relays
  ? JSON.stringify({ relays: list(values.relays), lookupRelays: list(values['lookup-relays'] ?? values.relays), ...(values['file-server'] ? { fileServer: values['file-server'] } : {}) })
  : null;

// What a host must send (docs/deploy.md). The built page carries its full CSP in a <meta> tag, but
// browsers ignore `frame-ancestors` there, so framing is refused here, by header.
const SECURITY_HEADERS = {
  'Content-Security-Policy': "frame-ancestors 'none'",
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Permissions-Policy': 'geolocation=(), microphone=(), interest-cohort=()'
};

async function fileFor(urlPath) {
  let p;
  try {
    p = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  const full = normalize(join(root, p));
  if (full !== root && !full.startsWith(root + sep)) return null; // no escaping build/
  try {
    const s = await stat(full);
    if (s.isFile()) return { full, size: s.size };
    if (s.isDirectory()) {
      const idx = join(full, 'index.html');
      const si = await stat(idx).catch(() => null);
      if (si?.isFile()) return { full: idx, size: si.size };
    }
  } catch {
    /* not found: fall through */
  }
  return null;
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD' }).end();
    return;
  }
  if (url.pathname === '/veil-config.json' && config) {
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': TYPES['.json'], 'Cache-Control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : config);
    return;
  }
  let file = await fileFor(url.pathname);
  let status = 200;
  if (!file) {
    // Deep links (/chat/…) get the app; missing assets (a dotted last segment) get a real 404.
    if (extname(url.pathname) && !url.pathname.endsWith('.html')) status = 404;
    else file = await fileFor('/index.html');
  }
  if (!file) {
    res.writeHead(404, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n');
    return;
  }
  const ext = extname(file.full);
  const immutable = url.pathname.startsWith('/_app/immutable/');
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': TYPES[ext] ?? 'application/octet-stream',
    'Content-Length': file.size,
    'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    ...(url.pathname === '/service-worker.js' ? { 'Service-Worker-Allowed': '/' } : {})
  });
  if (req.method === 'HEAD') return res.end();
  createReadStream(file.full).pipe(res);
});

server.listen(Number(values.port), values.host, () => {
  const addr = server.address();
  console.log(`READY http://${values.host}:${typeof addr === 'object' && addr ? addr.port : values.port}`);
});

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
