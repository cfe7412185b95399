// Veil local Blossom server: a real BUD-01 + BUD-02 blob server for development and tests (docs/blossom.md).
// blossom-server-sdk stores the blobs (LocalStorage, one file per blob) and their metadata and owners
// (BlossomSQLite); the HTTP layer is node:http. Usage:
//   node scripts/blossom.mjs [--port 7779] [--host 127.0.0.1] [--dir .blossom-data] [--max-bytes 31457280]
// When listening it prints exactly one line to stdout: `READY http://<host>:<port>`. Logs go to stderr.
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { LocalStorage } from 'blossom-server-sdk/storage/local';
import { BlossomSQLite } from 'blossom-server-sdk/metadata/sqlite';
import { allowsHash, authHashes, checkAuth } from './blossom-auth.mjs';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.BLOSSOM_PORT ?? '7779' },
    host: { type: 'string', default: '127.0.0.1' },
    dir: { type: 'string', default: '.blossom-data' },
    'max-bytes': { type: 'string', default: String(30 * 1024 * 1024) }
  }
});
const port = Number(args.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`bad --port: ${args.port}`);
const MAX_BYTES = Number(args['max-bytes']);
if (!Number.isInteger(MAX_BYTES) || MAX_BYTES < 0) fail(`bad --max-bytes: ${args['max-bytes']}`);
/** A refused upload's body is read and discarded up to this much (so the client sees the answer), then the socket is cut. */
const DRAIN_LIMIT = MAX_BYTES + 64 * 1024 * 1024;

const dir = resolve(args.dir);
const blobDir = join(dir, 'blobs');
mkdirSync(blobDir, { recursive: true });
const storage = new LocalStorage(blobDir);
await storage.setup();
const metadata = new BlossomSQLite(join(dir, 'blossom.sqlite'));
let ownUrl = '';

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-headers': 'Authorization, Content-Type, Content-Length, X-SHA-256, X-Content-Type, X-Content-Length',
  'access-control-allow-methods': 'GET, HEAD, PUT, DELETE, OPTIONS',
  'access-control-expose-headers': 'X-Reason, Content-Length, Content-Type',
  'access-control-max-age': '86400'
};
const HASH_PATH = /^\/([0-9a-f]{64})(?:\.[A-Za-z0-9._-]{1,32})?$/;
const nowSeconds = () => Math.floor(Date.now() / 1000);

class HttpError extends Error {
  constructor(status, reason) {
    super(reason);
    this.status = status;
  }
}

const server = createServer((req, res) => {
  handle(req, res).catch((err) => {
    const status = err instanceof HttpError ? err.status : 500;
    if (status === 500) console.error('blossom: request failed:', err);
    reply(req, res, status, status === 500 ? 'Internal server error.' : err.message);
  });
});

async function handle(req, res) {
  const path = new URL(req.url ?? '/', 'http://local').pathname;
  const method = req.method ?? 'GET';
  if (method === 'OPTIONS') return void res.writeHead(204, CORS).end();
  if (path === '/upload') {
    if (method !== 'PUT') return await refuse(req, res, 405, 'Use PUT /upload.');
    return await upload(req, res);
  }
  const list = /^\/list\/([0-9a-f]{64})$/.exec(path);
  if (list && (method === 'GET' || method === 'HEAD')) return listBlobs(req, res, list[1]);
  if (method !== 'GET' && method !== 'HEAD' && method !== 'DELETE') return await refuse(req, res, 405, `Method ${method} is not allowed.`);
  const m = HASH_PATH.exec(path);
  if (!m) return reply(req, res, 400, 'The path must be /<sha256> (64 lowercase hex characters, optionally with an extension).');
  if (method === 'DELETE') return deleteBlob(req, res, m[1]);
  return await getBlob(req, res, m[1]);
}

async function upload(req, res) {
  const auth = checkAuth(req.headers.authorization, 'upload', nowSeconds());
  if (auth.error) return await refuse(req, res, 401, auth.error);
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > MAX_BYTES) return await refuse(req, res, 413, `The blob is larger than ${MAX_BYTES} bytes.`);

  const hash = createHash('sha256');
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BYTES) {
      if (size > DRAIN_LIMIT) return cut(req, res, 413, `The blob is larger than ${MAX_BYTES} bytes.`);
      continue; // keep draining, store nothing
    }
    hash.update(chunk);
    chunks.push(chunk);
  }
  if (size > MAX_BYTES) return reply(req, res, 413, `The blob is larger than ${MAX_BYTES} bytes.`);
  const sha256 = hash.digest('hex');
  if (!allowsHash(auth.event, sha256)) return reply(req, res, 401, 'The "x" tag of the Authorization event does not match the blob sha256.');

  const type = contentType(req.headers['content-type']);
  if (!(await storage.hasBlob(sha256))) {
    await storage.writeBlob(sha256, Readable.from([Buffer.concat(chunks, size)]), type);
    await untilWritten(sha256, size);
  }
  if (!metadata.hasBlob(sha256)) metadata.addBlob({ sha256, size, type, uploaded: nowSeconds() });
  if (!metadata.hasOwner(sha256, auth.event.pubkey)) metadata.addOwner(sha256, auth.event.pubkey);
  console.error(`blossom: stored ${sha256} (${size} bytes) for ${auth.event.pubkey}`);
  sendJson(res, 200, descriptor(metadata.getBlob(sha256)));
}

async function getBlob(req, res, sha256) {
  if (!metadata.hasBlob(sha256) || !(await storage.hasBlob(sha256))) return reply(req, res, 404, 'Blob not found.');
  const blob = metadata.getBlob(sha256);
  const size = await storage.getBlobSize(sha256);
  res.writeHead(200, { ...CORS, 'content-type': blob.type || 'application/octet-stream', 'content-length': String(size) });
  if (req.method === 'HEAD') return void res.end();
  const stream = await storage.readBlob(sha256);
  stream.on('error', (err) => {
    console.error('blossom: read failed:', err.message);
    res.destroy(err);
  });
  stream.pipe(res);
}

async function deleteBlob(req, res, sha256) {
  const auth = checkAuth(req.headers.authorization, 'delete', nowSeconds());
  if (auth.error) return reply(req, res, 401, auth.error);
  if (!authHashes(auth.event).includes(sha256)) return reply(req, res, 401, 'The Authorization event must have an "x" tag with the blob sha256.');
  if (!metadata.hasBlob(sha256)) return reply(req, res, 404, 'Blob not found.');
  if (!metadata.hasOwner(sha256, auth.event.pubkey)) return reply(req, res, 403, 'Only an owner of the blob may delete it.');
  metadata.removeOwner(sha256, auth.event.pubkey);
  const orphaned = (await metadata.getOrphanedBlobs()).some((b) => b.sha256 === sha256);
  if (orphaned) {
    if (await storage.hasBlob(sha256)) await storage.removeBlob(sha256);
    metadata.removeBlob(sha256);
  }
  console.error(`blossom: ${orphaned ? 'deleted' : 'released'} ${sha256} for ${auth.event.pubkey}`);
  sendJson(res, 200, { message: orphaned ? 'Deleted.' : 'Removed as an owner; other owners keep the blob.' });
}

/** BUD-02 GET /list/<pubkey>: the blobs the key owns, optionally `?since=&until=` (seconds). */
async function listBlobs(req, res, pubkey) {
  const query = new URL(req.url ?? '/', 'http://local').searchParams;
  const opts = {};
  for (const key of ['since', 'until']) {
    const v = Number.parseInt(query.get(key) ?? '', 10);
    if (!Number.isNaN(v)) opts[key] = v;
  }
  const blobs = await metadata.getOwnerBlobs(pubkey, opts);
  sendJson(res, 200, blobs.map(descriptor), req.method === 'HEAD');
}

function descriptor(blob) {
  return { url: `${ownUrl}/${blob.sha256}`, sha256: blob.sha256, size: blob.size, type: blob.type || 'application/octet-stream', uploaded: blob.uploaded };
}

function contentType(header) {
  const value = typeof header === 'string' ? header.trim() : '';
  return /^[\w.+-]+\/[\w.+-]+(?:\s*;.*)?$/.test(value) ? value : 'application/octet-stream';
}

/**
 * LocalStorage.writeBlob resolves when its source stream ends, which can be before the file
 * stream has flushed; a GET right after the upload must not read a short file.
 */
async function untilWritten(sha256, size) {
  const name = storage.files.find((f) => f.startsWith(sha256));
  if (!name) throw new Error(`blob ${sha256} was not recorded by the storage`);
  const deadline = Date.now() + 10_000;
  for (;;) {
    const st = await stat(join(blobDir, name)).catch(() => null);
    if (st && st.size === size) return;
    if (Date.now() > deadline) throw new Error(`blob ${sha256} was not fully written`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

function sendJson(res, status, body, headOnly = false) {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...CORS, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
  res.end(headOnly ? undefined : text);
}

/** An error answer: X-Reason header and `{"message": reason}` (no body for HEAD). */
function reply(req, res, status, reason) {
  if (res.headersSent) return void res.destroy();
  const text = JSON.stringify({ message: reason });
  res.writeHead(status, { ...CORS, 'x-reason': reason, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
  res.end(req.method === 'HEAD' ? undefined : text);
}

/** Reads and discards the request body (up to DRAIN_LIMIT), then answers with the error. */
async function refuse(req, res, status, reason) {
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > DRAIN_LIMIT) return cut(req, res, status, reason);
  }
  reply(req, res, status, reason);
}

/** Answers and closes the connection without reading the rest of an oversized body. */
function cut(req, res, status, reason) {
  res.setHeader('connection', 'close');
  reply(req, res, status, reason);
  res.on('finish', () => req.socket.destroy());
}

server.on('error', (err) => fail(`cannot listen: ${err.message}`));
server.listen(port, args.host, () => {
  const { port: actual } = server.address();
  const host = args.host.includes(':') ? `[${args.host}]` : args.host;
  ownUrl = `http://${host}:${actual}`;
  console.error(`blossom: blobs in ${blobDir}, at most ${MAX_BYTES} bytes each`);
  process.stdout.write(`READY ${ownUrl}\n`);
});

let closing = false;
async function shutdown() {
  if (closing) return;
  closing = true;
  server.closeAllConnections();
  await new Promise((r) => server.close(() => r()));
  metadata.db.close();
  process.exit(0);
}
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);

function fail(message) {
  console.error(`blossom: ${message}`);
  process.exit(1);
}
