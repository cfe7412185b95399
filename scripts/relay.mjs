// Veil local relay: a real Nostr relay for development and tests (docs/relay.md).
// @nostr-relay/core + SQLite storage + zod validation, served over `ws` on one HTTP port that
// also answers NIP-11. Usage: node scripts/relay.mjs [--port 7777] [--host 127.0.0.1] [--db PATH|:memory:]
// `--strict` behaves like strfry's defaults (scripts/relay-strict.mjs): AUTH-gated reads of kinds 4 and
// 1059, limit ≤ 500, 3 tag letters per filter, 64 KiB events, created_at ≤ now + 900 s.
// `--max-limit N` caps every filter's `limit` at N (and says so in NIP-11), as relays configured small do.
// When listening it prints exactly one line to stdout: `READY ws://<host>:<port>`. Logs go to stderr.
import Module, { createRequire } from 'node:module';
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { STRICT_LIMITS, strictConnection } from './relay-strict.mjs';

const require = createRequire(import.meta.url);

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.RELAY_PORT ?? '7777' },
    host: { type: 'string', default: '127.0.0.1' },
    db: { type: 'string', default: '.relay-data/relay.sqlite' },
    strict: { type: 'boolean', default: false },
    'max-limit': { type: 'string' }
  }
});
const port = Number(args.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`bad --port: ${args.port}`);

// Limits, enforced below and advertised in NIP-11 (keep the two in sync).
const MAX_MESSAGE_LENGTH = 256 * 1024; // bytes of one WebSocket frame
const MAX_SUBSCRIPTIONS = args.strict ? STRICT_LIMITS.maxSubscriptions : 20;
const DEFAULT_LIMIT = 100; // the sqlite repository caps `limit` at 10x this
const MAX_LIMIT = args['max-limit'] !== undefined ? Number(args['max-limit']) : args.strict ? STRICT_LIMITS.maxLimit : DEFAULT_LIMIT * 10;
if (!Number.isInteger(MAX_LIMIT) || MAX_LIMIT < 1) fail(`bad --max-limit: ${args['max-limit']}`);
const VALIDATOR_LIMITS = { maxContentLength: 100 * 1024, maxNumberOfTags: 2000, maxTagValueLength: 1024, maxSubscriptionIdLength: 128 };

await shimNobleForNostrRelay();
const { NostrRelay } = require('@nostr-relay/core');
const { EventUtils } = require('@nostr-relay/common');
const { EventRepositorySqlite } = require('@nostr-relay/event-repository-sqlite');
const { Validator } = require('@nostr-relay/validator');
const version = JSON.parse(readFileSync(require.resolve('@nostr-relay/core/package.json'), 'utf8')).version;

// @nostr-relay/core matches live subscriptions on ids/authors/kinds/since/until only and ignores
// `#x` tag filters, so a live `#p` subscription would receive every mailbox's envelopes.
// Stored-event queries (sqlite) do honour tags; make live matching agree with them.
const matchWithoutTags = EventUtils.isMatchingFilter.bind(EventUtils);
EventUtils.isMatchingFilter = (event, filter) => matchWithoutTags(event, filter) && matchesTags(event, filter);

if (args.db !== ':memory:') mkdirSync(dirname(resolve(args.db)), { recursive: true });
const repository = new EventRepositorySqlite(args.db, { defaultLimit: DEFAULT_LIMIT });
await repository.init();
const relay = new NostrRelay(repository, {
  logger: stderrLogger(),
  maxSubscriptionsPerClient: MAX_SUBSCRIPTIONS,
  // Both caches would serve stale answers: a REQ repeated within 1 s would miss a newer
  // replaceable event, and a rejected event id would stay rejected for 10 minutes.
  filterResultCacheTtl: 0,
  eventHandlingResultCacheTtl: 0
  // no `hostname`: NIP-42 AUTH is off (see docs/relay.md, known gaps)
});
const validator = new Validator(VALIDATOR_LIMITS);

const info = {
  name: args.strict ? 'Veil local relay (strict)' : 'Veil local relay',
  description: 'Development relay for Veil (@nostr-relay/core with SQLite). Not for production.',
  supported_nips: args.strict ? [1, 9, 11, 40, 42, 50] : [1, 9, 11, 40, 50],
  software: 'https://github.com/CodyTseng/nostr-relay',
  version,
  limitation: {
    max_message_length: MAX_MESSAGE_LENGTH,
    max_subscriptions: MAX_SUBSCRIPTIONS,
    max_limit: MAX_LIMIT,
    default_limit: Math.min(DEFAULT_LIMIT, MAX_LIMIT),
    max_subid_length: VALIDATOR_LIMITS.maxSubscriptionIdLength,
    max_event_tags: VALIDATOR_LIMITS.maxNumberOfTags,
    max_content_length: VALIDATOR_LIMITS.maxContentLength,
    auth_required: false,
    payment_required: false,
    restricted_writes: false,
    ...(args.strict ? { max_filters: STRICT_LIMITS.maxFilters, created_at_upper_limit: STRICT_LIMITS.createdAtAheadSeconds } : {})
  }
};
let ownUrl = '';

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-headers': 'accept',
  'access-control-allow-methods': 'GET, OPTIONS'
};
const server = createServer((req, res) => {
  if (req.method === 'OPTIONS') return void res.writeHead(204, CORS).end();
  if ((req.headers.accept ?? '').includes('application/nostr+json')) {
    res.writeHead(200, { ...CORS, 'content-type': 'application/nostr+json' }).end(JSON.stringify(info));
    return;
  }
  res.writeHead(200, { ...CORS, 'content-type': 'text/plain' }).end('Veil local relay: connect over WebSocket.\n');
});

const { WebSocketServer } = require('ws');
const wss = new WebSocketServer({ server, maxPayload: MAX_MESSAGE_LENGTH });
wss.on('connection', (ws, req) => {
  // The relay sees this wrapper, so expired events (NIP-40) are never sent, even before the sweep.
  // In strict mode it also holds back restricted kinds from connections they do not involve.
  const strict = args.strict ? strictConnection({ reply: (m) => client.send(JSON.stringify(m)), relayUrl: ownUrl }) : null;
  const client = {
    get readyState() { return ws.readyState; },
    send(data) {
      if (ws.readyState !== 1 || isExpiredEventMessage(data)) return;
      if (strict && !strict.outbound(data)) return;
      ws.send(data);
    }
  };
  relay.handleConnection(client, req.socket.remoteAddress);
  // One message at a time per connection, so an EVENT's OK precedes a following REQ's answer.
  let queue = Promise.resolve();
  ws.on('message', (data) => { queue = queue.then(() => handle(client, data, strict)); });
  ws.on('close', () => relay.handleDisconnect(client));
  ws.on('error', (err) => console.error('socket error:', err.message));
});

async function handle(client, data, strict) {
  if (args['max-limit'] !== undefined) data = clampLimits(data);
  if (strict) {
    let parsed;
    try { parsed = JSON.parse(data.toString()); } catch { parsed = undefined; }
    if (parsed !== undefined) {
      const next = strict.inbound(parsed);
      if (next === null) return;
      if (next !== parsed) data = Buffer.from(JSON.stringify(next));
    }
  }
  let message;
  try {
    message = await validator.validateIncomingMessage(data);
  } catch (err) {
    const reason = `invalid: ${String(err?.message ?? err).replace(/^invalid:?\s*/, '')}`.slice(0, 200);
    client.send(JSON.stringify(answerToInvalid(data, reason)));
    return;
  }
  try {
    await relay.handleMessage(client, message);
  } catch (err) {
    console.error('handleMessage failed:', err);
    client.send(JSON.stringify(['NOTICE', 'error: internal error']));
  }
}

/** A REQ with every filter's `limit` at most MAX_LIMIT (a missing one is the default, also capped). */
function clampLimits(data) {
  let m;
  try { m = JSON.parse(data.toString()); } catch { return data; }
  if (!Array.isArray(m) || m[0] !== 'REQ') return data;
  const filters = m.slice(2).map((f) => (f && typeof f === 'object' ? { ...f, limit: Math.min(typeof f.limit === 'number' ? f.limit : DEFAULT_LIMIT, MAX_LIMIT) } : f));
  return Buffer.from(JSON.stringify([m[0], m[1], ...filters]));
}

/** An invalid EVENT still gets its OK false, an invalid REQ its CLOSED; anything else a NOTICE. */
function answerToInvalid(data, reason) {
  let m;
  try { m = JSON.parse(data.toString()); } catch { return ['NOTICE', reason]; }
  if (Array.isArray(m) && m[0] === 'EVENT' && typeof m[1]?.id === 'string' && /^[0-9a-f]{64}$/.test(m[1].id))
    return ['OK', m[1].id, false, reason];
  if (Array.isArray(m) && m[0] === 'REQ' && typeof m[1] === 'string' && m[1].length <= 128) return ['CLOSED', m[1], reason];
  return ['NOTICE', reason];
}

function matchesTags(event, filter) {
  for (const [key, wanted] of Object.entries(filter)) {
    if (key[0] !== '#' || !Array.isArray(wanted)) continue;
    if (!event.tags.some((t) => t[0] === key.slice(1) && wanted.includes(t[1]))) return false;
  }
  return true;
}

function expirationOf(tags) {
  const tag = tags.find((t) => t[0] === 'expiration');
  const t = tag ? Number.parseInt(tag[1], 10) : NaN;
  return Number.isNaN(t) ? null : t;
}
const nowSeconds = () => Math.floor(Date.now() / 1000);

function isExpiredEventMessage(data) {
  if (!data.startsWith('["EVENT"') || !data.includes('"expiration"')) return false;
  const exp = expirationOf(JSON.parse(data)[2].tags);
  return exp !== null && exp < nowSeconds();
}

/** NIP-40: the library rejects already-expired events on arrival but never deletes them later. */
function sweepExpired() {
  const db = repository.getDatabase();
  const now = nowSeconds();
  const ids = db
    .prepare(`SELECT id, tags FROM events WHERE tags LIKE '%"expiration"%'`)
    .all()
    .filter((row) => { const exp = expirationOf(JSON.parse(row.tags)); return exp !== null && exp < now; })
    .map((row) => row.id);
  const del = ['events WHERE id', 'events_fts WHERE id', 'generic_tags WHERE event_id'].map((t) => db.prepare(`DELETE FROM ${t} = ?`));
  db.transaction(() => { for (const id of ids) for (const stmt of del) stmt.run(id); })();
}
sweepExpired();
const sweepTimer = setInterval(sweepExpired, 60_000);
sweepTimer.unref();

server.on('error', (err) => fail(`cannot listen: ${err.message}`));
server.listen(port, args.host, () => {
  const { port: actual } = server.address();
  const host = args.host.includes(':') ? `[${args.host}]` : args.host;
  ownUrl = `ws://${host}:${actual}`;
  process.stdout.write(`READY ws://${host}:${actual}\n`);
});

let closing = false;
async function shutdown() {
  if (closing) return;
  closing = true;
  clearInterval(sweepTimer);
  for (const ws of wss.clients) ws.terminate();
  await new Promise((r) => wss.close(() => r()));
  server.closeAllConnections();
  await new Promise((r) => server.close(() => r()));
  await relay.destroy();
  await repository.destroy(); // closes the better-sqlite3 handle (WAL is checkpointed)
  process.exit(0);
}
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);

function fail(message) {
  console.error(`relay: ${message}`);
  process.exit(1);
}

function stderrLogger() {
  const log = (...a) => console.error(...a);
  return { setLogLevel() {}, debug() {}, info() {}, warn: log, error: log };
}

/**
 * @nostr-relay/common 0.0.40 requires @noble/curves 1.x / @noble/hashes 1.x by CommonJS paths
 * (`@noble/curves/abstract/utils`, `@noble/hashes/sha256`). package.json overrides pin noble 2.x,
 * which is ESM-only and renamed those paths, so the require fails. If (and only if) it fails,
 * answer those three requires with the same functions taken from noble 2.x.
 */
async function shimNobleForNostrRelay() {
  const fromCommon = createRequire(require.resolve('@nostr-relay/common'));
  try {
    fromCommon('@noble/curves/abstract/utils');
    fromCommon('@noble/curves/secp256k1');
    fromCommon('@noble/hashes/sha256');
    return;
  } catch {
    // fall through to the shim
  }
  const { schnorr } = await import('@noble/curves/secp256k1.js');
  const { sha256 } = await import('@noble/hashes/sha2.js');
  const { bytesToHex, hexToBytes } = await import('@noble/hashes/utils.js');
  const hex = (v) => (typeof v === 'string' ? hexToBytes(v) : v);
  const shims = {
    '@noble/curves/abstract/utils': { bytesToHex },
    '@noble/curves/secp256k1': {
      schnorr: { verify: (sig, msg, pub) => schnorr.verify(hex(sig), hex(msg), hex(pub)), sign: (msg, sk) => schnorr.sign(hex(msg), hex(sk)) }
    },
    '@noble/hashes/sha256': { sha256 }
  };
  const load = Module._load;
  Module._load = function (request, parent, ...rest) {
    if (Object.hasOwn(shims, request) && parent?.filename?.includes('@nostr-relay')) return shims[request];
    return load.call(this, request, parent, ...rest);
  };
}
