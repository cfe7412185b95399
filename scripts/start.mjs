#!/usr/bin/env node
// `npm start`: build the app, start the local relay and the local Blossom file server, serve the PWA
// with that relay and that file server as its defaults.
//   PORT (default 4173) is the web server's port, RELAY_PORT (default 7777) the relay's, BLOSSOM_PORT
//   (default 7779) the file server's. SKIP_BUILD=1 reuses an existing build/. Ctrl-C stops them all.
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';

const PORT = process.env.PORT ?? '4173';
const RELAY_PORT = process.env.RELAY_PORT ?? '7777';
const BLOSSOM_PORT = process.env.BLOSSOM_PORT ?? '7779';
const HOST = '127.0.0.1';

if (!process.env.SKIP_BUILD) {
  console.log('Building Veil…');
  const b = spawnSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--logLevel', 'warn'], {
    stdio: 'inherit'
  });
  if (b.status !== 0) process.exit(b.status ?? 1);
}

const children = [];

/** Starts a child and resolves with the address from its `READY <address>` line. */
function startChild(name, args) {
  return new Promise((resolveReady, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      const m = /^READY (\S+)/.exec(line);
      if (m) resolveReady(m[1]);
      else console.log(`[${name}] ${line}`);
    });
    child.on('exit', (code) => {
      reject(new Error(`${name} exited with code ${code}`));
      if (!stopping) {
        console.error(`${name} stopped unexpectedly (code ${code}); shutting down.`);
        stop(1);
      }
    });
  });
}

let stopping = false;
function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  // Give children a moment to close sockets and the database, then leave regardless.
  setTimeout(() => process.exit(code), 5000).unref();
  Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.on('exit', r)) : null))).then(() =>
    process.exit(code)
  );
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

try {
  const relay = await startChild('relay', ['scripts/relay.mjs', '--port', RELAY_PORT, '--host', HOST]);
  const files = await startChild('files', ['scripts/blossom.mjs', '--port', BLOSSOM_PORT, '--host', HOST]);
  const web = await startChild('web', ['scripts/serve.mjs', '--port', PORT, '--host', HOST, '--relays', relay, '--file-server', files]);
  console.log(`\nVeil is running.\n  App:   ${web}\n  Relay: ${relay} (NIP-11: curl -H 'Accept: application/nostr+json' ${relay.replace(/^ws/, 'http')})\n  Files: ${files} (Blossom, stores ciphertext only)\nPress Ctrl-C to stop.`);
} catch (e) {
  console.error(String(e instanceof Error ? e.message : e));
  stop(1);
}
