/**
 * RelayConnection against a scripted fake socket: hostile frames, OK/CLOSED mapping,
 * reconnection with capped exponential backoff (fake timers), resubscription, NIP-42 opt-in.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RelayConnection, backoffDelay } from '../../src/lib/relay/connection';
import { mockSockets } from '../helpers/mock-ws';
import { signedEvent } from '../helpers/events';

const URL = 'wss://relay.test';

function setup(extra: Partial<ConstructorParameters<typeof RelayConnection>[1]> = {}) {
  const m = mockSockets();
  const conn = new RelayConnection(URL, { WebSocket: m.WebSocket, random: () => 0.5, ...extra });
  return { ...m, conn };
}

describe('backoffDelay', () => {
  it('grows exponentially with jitter in [cap/2, cap) and is capped', () => {
    expect(backoffDelay(0, 1000, 60_000, () => 0)).toBe(500);
    expect(backoffDelay(0, 1000, 60_000, () => 0.999999)).toBe(999);
    expect(backoffDelay(3, 1000, 60_000, () => 0)).toBe(4000);
    expect(backoffDelay(10, 1000, 60_000, () => 0)).toBe(30_000);
    expect(backoffDelay(1000, 1000, 60_000, () => 0.999999)).toBeLessThan(60_000);
  });
  it('uses the CSPRNG for jitter by default, within [cap/2, cap)', () => {
    const spy = vi.spyOn(crypto, 'getRandomValues');
    const delays = new Set<number>();
    for (let i = 0; i < 20; i++) {
      const m = mockSockets();
      const conn = new RelayConnection(URL, { WebSocket: m.WebSocket, now: () => 0 });
      conn.connect();
      m.last().fail();
      const d = conn.status().nextRetryAt!;
      expect(d).toBeGreaterThanOrEqual(500);
      expect(d).toBeLessThan(1000);
      delays.add(d);
      conn.close();
    }
    expect(spy).toHaveBeenCalled();
    expect(delays.size).toBeGreaterThan(1);
    spy.mockRestore();
  });
});

describe('RelayConnection', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('goes connecting -> open, sends REQ, delivers raw EVENT and EOSE once', () => {
    const { conn, last } = setup();
    const states: string[] = [];
    conn.onStatus((s) => states.push(s.state));
    const events: unknown[] = [];
    let eose = 0;
    conn.subscribe('s1', [{ kinds: [1] }], { onevent: (e) => events.push(e), oneose: () => eose++ });
    expect(states).toEqual(['connecting']);
    last().accept();
    expect(states).toEqual(['connecting', 'open']);
    expect(last().sentOf('REQ')).toEqual([['REQ', 's1', { kinds: [1] }]]);
    const ev = signedEvent();
    last().frame(['EVENT', 's1', ev]);
    last().frame(['EOSE', 's1']);
    last().frame(['EOSE', 's1']);
    expect(events).toEqual([ev]);
    expect(eose).toBe(1);
    expect(conn.status().connected).toBe(true);
  });

  it('counts and ignores garbage and oversized frames without breaking', () => {
    const { conn, last } = setup({ maxMessageLength: 1000 });
    const events: unknown[] = [];
    conn.subscribe('s', [{}], { onevent: (e) => events.push(e) });
    last().accept();
    const garbage: unknown[] = [
      'not json',
      '{"an":"object"}',
      '[]',
      '[1,2,3]',
      '["EVENT"]',
      '["EVENT","s","string-not-object"]',
      '["EVENT",5,{}]',
      '["OK","id","yes"]',
      '["EOSE",{}]',
      '["CLOSED",null]',
      new Uint8Array([1, 2, 3]),
      null
    ];
    for (const g of garbage) last().frame(g);
    last().frame(JSON.stringify(['EVENT', 's', { content: 'x'.repeat(2000) }]));
    last().frame(['EVENT', 'unknown-sub', {}]);
    last().frame(['COUNT', 's', { count: 1 }]);
    const s = conn.status().counters;
    expect(s.garbage).toBe(garbage.length);
    expect(s.oversized).toBe(1);
    expect(s.unknownSubscription).toBe(1);
    expect(events).toEqual([]);
    // still works afterwards
    last().frame(['EVENT', 's', { ok: 1 }]);
    expect(events).toEqual([{ ok: 1 }]);
    expect(conn.status().state).toBe('open');
  });

  it('survives a throwing handler and keeps delivering', () => {
    const { conn, last } = setup();
    const got: unknown[] = [];
    conn.subscribe('s', [{}], {
      onevent: (e) => {
        got.push(e);
        throw new Error('handler bug');
      }
    });
    last().accept();
    last().frame(['EVENT', 's', { n: 1 }]);
    last().frame(['EVENT', 's', { n: 2 }]);
    expect(got).toEqual([{ n: 1 }, { n: 2 }]);
    expect(conn.status().counters.handlerErrors).toBe(2);
  });

  it('keeps a bounded, cleaned NOTICE', () => {
    const { conn, last } = setup();
    conn.connect();
    last().accept();
    last().frame(['NOTICE', 'slow\u0000 down ' + 'x'.repeat(1000)]);
    const s = conn.status();
    expect(s.counters.notices).toBe(1);
    expect(s.lastNotice!.length).toBeLessThanOrEqual(300);
    expect(s.lastNotice).toMatch(/^slow {2}down/);
  });

  it('maps OK true, duplicate and OK false reasons to typed results', async () => {
    const { conn, last } = setup();
    conn.connect();
    last().accept();
    const cases: [unknown[], object][] = [
      [[true, ''], { status: 'ok', duplicate: false }],
      [[true, 'duplicate: have it'], { status: 'ok', duplicate: true }],
      [[false, 'duplicate: have it'], { status: 'ok', duplicate: true }],
      [[false, 'rate-limited: slow down'], { status: 'rejected', reason: 'rate-limited' }],
      [[false, 'blocked: no'], { status: 'rejected', reason: 'blocked' }],
      [[false, 'auth-required: who are you'], { status: 'rejected', reason: 'auth-required' }],
      [[false, 'invalid: bad'], { status: 'rejected', reason: 'invalid' }],
      [[false, 'pow: more work'], { status: 'rejected', reason: 'pow' }],
      [[false, 'error: disk'], { status: 'rejected', reason: 'error' }],
      [[false, 'nope'], { status: 'rejected', reason: 'unknown' }]
    ];
    for (const [answer, expected] of cases) {
      const ev = signedEvent();
      const p = conn.publish(ev, 5000);
      expect(last().sentOf('EVENT').at(-1)).toEqual(['EVENT', ev]);
      last().frame(['OK', ev.id, ...answer]);
      expect(await p).toMatchObject({ relay: URL, ...expected });
    }
  });

  it('reports timeout when no OK comes, and unreachable when the socket drops first', async () => {
    const { conn, last } = setup();
    conn.connect();
    last().accept();
    const p1 = conn.publish(signedEvent(), 3000);
    await vi.advanceTimersByTimeAsync(3000);
    expect(await p1).toEqual({ relay: URL, status: 'timeout' });
    const p2 = conn.publish(signedEvent(), 3000);
    last().serverClose(1001);
    expect(await p2).toMatchObject({ status: 'unreachable' });
    // while waiting to retry, publish answers unreachable at once
    expect(await conn.publish(signedEvent(), 3000)).toMatchObject({ status: 'unreachable' });
  });

  it('queues a publish until the socket opens; a refused connection is unreachable', async () => {
    const { conn, last, sockets } = setup();
    const ev = signedEvent();
    const p = conn.publish(ev, 5000);
    expect(sockets).toHaveLength(1);
    last().accept();
    last().frame(['OK', ev.id, true, '']);
    expect((await p).status).toBe('ok');

    const other = setup();
    const q = other.conn.publish(signedEvent(), 5000);
    other.last().fail();
    expect(await q).toMatchObject({ status: 'unreachable' });
    expect(other.conn.status()).toMatchObject({ state: 'error', error: 'socket error' });
  });

  it('passes CLOSED to the handler with its reason and does not re-send that REQ', () => {
    const { conn, last } = setup();
    const closed: unknown[] = [];
    conn.subscribe('s', [{ kinds: [1059] }], { onevent: () => {}, onclosed: (r) => closed.push(r) });
    last().accept();
    last().frame(['CLOSED', 's', 'auth-required: we do not serve DMs to strangers']);
    expect(closed).toEqual([{ reason: 'auth-required', message: 'auth-required: we do not serve DMs to strangers' }]);
    last().serverClose();
    vi.advanceTimersByTime(1000);
    last().accept();
    expect(last().sentOf('REQ')).toEqual([]);
  });

  it('reconnects with growing, capped delays and resubscribes; a stable connection resets the backoff', () => {
    const { conn, sockets, last } = setup({ backoff: { baseMs: 1000, maxMs: 8000, stableMs: 5000 } });
    conn.subscribe('s', [{ '#p': ['ab'] }], { onevent: () => {} });
    // cap = min(8000, 1000 * 2^n); with random 0.5, delay = cap/2 + 0.5 * cap/2 = 0.75 cap
    const delays = [750, 1500, 3000, 6000, 6000, 6000];
    for (const d of delays) {
      const before = sockets.length;
      last().fail();
      expect(conn.status().state).toBe('error');
      vi.advanceTimersByTime(d - 1);
      expect(sockets.length).toBe(before);
      vi.advanceTimersByTime(1);
      expect(sockets.length).toBe(before + 1);
      expect(conn.status().state).toBe('connecting');
    }
    last().accept();
    expect(last().sentOf('REQ')).toEqual([['REQ', 's', { '#p': ['ab'] }]]);
    vi.advanceTimersByTime(5000); // stable
    last().serverClose();
    const n = sockets.length;
    vi.advanceTimersByTime(750);
    expect(sockets.length).toBe(n + 1);
  });

  it('with a reqGate, each REQ (first and re-send) is written only when the gate lets it go, and only on the socket it was for', () => {
    const waiting: (() => void)[] = [];
    const { conn, sockets, last } = setup({ reqGate: (_filters, send) => void waiting.push(send), backoff: { baseMs: 1000, maxMs: 8000 } });
    const seen: string[] = [];
    conn.subscribe('s', [{ authors: ['ab'] }], { onevent: () => {}, onheld: () => seen.push('held'), onsent: () => seen.push('sent') });
    last().accept();
    expect(last().sentOf('REQ')).toEqual([]);
    waiting.shift()!();
    expect(last().sentOf('REQ')).toEqual([['REQ', 's', { authors: ['ab'] }]]);
    last().serverClose();
    vi.advanceTimersByTime(750);
    last().accept(); // the re-send waits too
    const stale = waiting.shift()!;
    last().fail();
    vi.advanceTimersByTime(1500);
    last().accept();
    stale(); // for the socket that failed: nothing is written on the new one
    expect(last().sentOf('REQ')).toEqual([]);
    conn.subscribe('t', [{ kinds: [1] }], { onevent: () => {} });
    conn.unsubscribe('t'); // never written: no CLOSE either
    waiting.forEach((send) => send());
    expect(last().sent).toEqual([['REQ', 's', { authors: ['ab'] }]]);
    expect(sockets).toHaveLength(3);
    expect(seen).toEqual(['held', 'sent', 'held', 'held', 'sent']);
  });

  it('abandons a socket stuck connecting after connectTimeoutMs', () => {
    const { conn, sockets } = setup({ connectTimeoutMs: 2000 });
    conn.connect();
    vi.advanceTimersByTime(2000);
    expect(sockets[0]!.closedByClient).toBe(true);
    expect(conn.status()).toMatchObject({ state: 'error', error: 'connect timeout' });
  });

  it('close() stops reconnecting and ignores the old socket', () => {
    const { conn, sockets, last } = setup();
    const got: unknown[] = [];
    conn.subscribe('s', [{}], { onevent: (e) => got.push(e) });
    last().accept();
    conn.close();
    expect(conn.status().state).toBe('closed');
    last().frame(['EVENT', 's', { late: true }]);
    vi.advanceTimersByTime(120_000);
    expect(sockets).toHaveLength(1);
    expect(got).toEqual([]);
  });

  it('ignores AUTH challenges without an auth callback', () => {
    const { conn, last } = setup();
    conn.connect();
    last().accept();
    last().frame(['AUTH', 'challenge-1']);
    expect(last().sentOf('AUTH')).toEqual([]);
  });

  it('answers AUTH with the callback and re-sends a REQ closed as auth-required once accepted', async () => {
    const authEv = signedEvent(22242, [['relay', URL], ['challenge', 'c1']]);
    const auth = vi.fn(async () => authEv);
    const { conn, last } = setup({ auth });
    conn.subscribe('s', [{ kinds: [1059] }], { onevent: () => {} });
    last().accept();
    last().frame(['CLOSED', 's', 'auth-required: please']);
    last().frame(['AUTH', 'c1']);
    await vi.advanceTimersByTimeAsync(0);
    expect(auth).toHaveBeenCalledWith('c1', URL);
    expect(last().sentOf('AUTH')).toEqual([['AUTH', authEv]]);
    last().frame(['OK', authEv.id, true, '']);
    expect(last().sentOf('REQ')).toHaveLength(2);
  });
});
