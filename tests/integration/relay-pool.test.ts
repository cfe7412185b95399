/**
 * RelayPool against real local relays (scripts/relay.mjs) over `ws`: two relays deliver once,
 * a stopped relay is reported unreachable while the other keeps delivering, and a restarted
 * relay comes back with the subscription resumed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Socket } from 'node:net';
import WebSocket from 'ws';
import { RelayPool, type RelayStatus } from '../../src/lib/relay/pool';
import type { VerifiedEvent } from '../../src/lib/relay/types';
import { bytesToHex, randomBytes } from '../../src/lib/shared/bytes';
import { startRelay, tempRelayDb, type TestRelay } from '../helpers/relay';
import { nowSec, signedEvent } from '../helpers/events';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function relays(n: number, db?: string): Promise<TestRelay[]> {
  const rs = await Promise.all(Array.from({ length: n }, () => startRelay(db ? { db } : {})));
  for (const r of rs) cleanups.push(() => r.stop());
  return rs;
}

function makePool(urls: string[]): RelayPool {
  const pool = new RelayPool(urls, {
    WebSocket,
    fetch: (url, init) => fetch(url, init),
    backoff: { baseMs: 100, maxMs: 400 },
    publishTimeoutMs: 5000
  });
  cleanups.push(() => pool.close());
  return pool;
}

/** Resolves when a status of `url` satisfies `pred` (checked now and on every change). */
function statusReaches(pool: RelayPool, url: string, pred: (s: RelayStatus) => boolean, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (off(), reject(new Error(`timed out waiting for ${what}`))), 10_000);
    const check = (s: RelayStatus) => {
      if (s.url === url && pred(s)) {
        clearTimeout(timer);
        off();
        resolve();
      }
    };
    const off = pool.onStatus(check);
    for (const s of pool.status()) check(s);
  });
}

/** A subscription that records events and exposes promises for EOSE and for a given event id. */
function watch(pool: RelayPool, mailbox: string) {
  const got: { event: VerifiedEvent; relays: ReadonlySet<string> }[] = [];
  const waiters = new Map<string, () => void>();
  let eose!: () => void;
  const eosed = new Promise<void>((r) => (eose = r));
  const sub = pool.subscribe([{ kinds: [1067], '#p': [mailbox] }], {
    onevent: (event, relays) => {
      got.push({ event, relays });
      waiters.get(event.id)?.();
    },
    oneose: () => eose()
  });
  cleanups.push(() => sub.close());
  const arrives = (id: string) =>
    got.some((g) => g.event.id === id)
      ? Promise.resolve()
      : new Promise<void>((resolve, reject) => {
          const t = setTimeout(() => reject(new Error('event did not arrive')), 10_000);
          waiters.set(id, () => (clearTimeout(t), resolve()));
        });
  return { got, eosed, arrives };
}

const envelope = (mailbox: string, content = 'AQ==') =>
  signedEvent(1067, [['p', mailbox], ['expiration', String(nowSec() + 3600)]], content);
const newMailbox = () => bytesToHex(randomBytes(32));

describe('RelayPool with real relays', () => {
  it('publishes to two relays and reads the event back once, seen on both', async () => {
    const [a, b] = await relays(2);
    const pool = makePool([a!.url, b!.url]);
    const m = newMailbox();
    const ev = envelope(m);
    const results = await pool.publish(ev);
    expect(results).toEqual([
      { relay: a!.url, status: 'ok', duplicate: false, message: '' },
      { relay: b!.url, status: 'ok', duplicate: false, message: '' }
    ]);
    // publishing again is a duplicate, which counts as success
    expect((await pool.publish(ev)).map((r) => r.status)).toEqual(['ok', 'ok']);

    const w = watch(pool, m);
    await w.eosed;
    expect(w.got).toHaveLength(1);
    expect(w.got[0]!.event).toEqual(ev);
    expect([...w.got[0]!.relays].sort()).toEqual([a!.url, b!.url].sort());
    const info = await pool.refreshInfo(a!.url);
    expect(info?.limitation.max_message_length).toBe(262144);
  });

  it('reports a stopped relay unreachable and keeps delivering through the other', async () => {
    const [a, b] = await relays(2);
    const pool = makePool([a!.url, b!.url]);
    const m = newMailbox();
    const w = watch(pool, m);
    await w.eosed;
    const seenDown = statusReaches(pool, b!.url, (s) => s.state === 'error', 'relay b down');
    await b!.stop();
    await seenDown;

    const ev = envelope(m);
    const results = await pool.publish(ev);
    expect(results[0]).toEqual({ relay: a!.url, status: 'ok', duplicate: false, message: '' });
    expect(results[1]).toMatchObject({ relay: b!.url, status: 'unreachable' });
    await w.arrives(ev.id);
    expect(w.got.map((g) => [g.event.id, [...g.relays]])).toEqual([[ev.id, [a!.url]]]);
    expect(pool.status().find((s) => s.url === b!.url)?.error).toMatch(/socket/);
  });

  it('reconnects to a restarted relay and the subscription resumes', async () => {
    const [a] = await relays(1, tempRelayDb());
    const pool = makePool([a!.url]);
    const m = newMailbox();
    const w = watch(pool, m);
    await w.eosed;
    const before = envelope(m, 'AQ==');
    expect((await pool.publish(before))[0]!.status).toBe('ok');
    await w.arrives(before.id);

    const seenDown = statusReaches(pool, a!.url, (s) => s.state === 'error', 'relay seen down');
    await a!.restart();
    await seenDown;
    await statusReaches(pool, a!.url, (s) => s.state === 'open', 'relay back');

    const after = envelope(m, 'Ag==');
    expect((await pool.publish(after))[0]!.status).toBe('ok');
    await w.arrives(after.id);
    // the stored event sent again after the re-REQ is deduplicated
    expect(w.got.map((g) => g.event.id)).toEqual([before.id, after.id]);
  });
});

describe('closing while still connecting', () => {
  it('a pool closed before the handshake ends leaves no error behind (Node ws emits one later)', async () => {
    // A TCP server that accepts and never answers the WebSocket upgrade: the socket stays CONNECTING.
    const held: Socket[] = [];
    const server = createServer((s) => void held.push(s));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    cleanups.push(() => new Promise<void>((resolve) => (held.forEach((s) => s.destroy()), server.close(() => resolve()))));
    const port = (server.address() as { port: number }).port;
    const errors: unknown[] = [];
    const onError = (e: unknown) => errors.push(e);
    process.on('uncaughtException', onError);
    cleanups.push(() => void process.off('uncaughtException', onError));
    const pool = makePool([`ws://127.0.0.1:${port}`]);
    pool.subscribe([{ kinds: [1] }], { onevent: () => {} });
    await new Promise<void>((resolve) => server.once('connection', () => resolve()));
    pool.close();
    // ws reports the abort on a later tick; give it several.
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    expect(errors).toEqual([]);
  });
});

describe('connect: open the sockets before the first REQ', () => {
  it('resolves once every relay is open, and a REQ sent then reaches the relay', async () => {
    const [a, b] = await relays(2);
    const pool = makePool([a!.url, b!.url]);
    await pool.connect();
    expect(pool.status().map((s) => s.state)).toEqual(['open', 'open']);
    const ev = signedEvent(1, [], `connect ${bytesToHex(randomBytes(4))}`, nowSec());
    await pool.publish(ev);
    const got = await new Promise<string>((resolve) => pool.subscribe([{ ids: [ev.id] }], { onevent: (e) => resolve(e.id) }));
    expect(got).toBe(ev.id);
  });

  it('resolves for a relay that refuses the connection (state error) and for one that never answers (timeout)', async () => {
    const held: Socket[] = [];
    const server = createServer((s) => void held.push(s));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    cleanups.push(() => new Promise<void>((resolve) => (held.forEach((s) => s.destroy()), server.close(() => resolve()))));
    const silent = `ws://127.0.0.1:${(server.address() as { port: number }).port}`;
    const pool = makePool(['ws://127.0.0.1:1', silent]);
    await pool.connect(300);
    const states = pool.status().map((s) => s.state);
    expect(states[0]).toBe('error');
    expect(states[1]).toBe('connecting');
  });
});
