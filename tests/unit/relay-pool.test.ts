/**
 * RelayPool over fake sockets: verify-before-dedupe, dedupe across relays, filter checks,
 * merged EOSE with a relay down, per-relay publish results, CLOSED, NIP-11 limits.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RelayPool } from '../../src/lib/relay/pool';
import { fetchRelayInfo } from '../../src/lib/relay/nip11';
import type { FetchLike, VerifiedEvent } from '../../src/lib/relay/types';
import { isVeilError } from '../../src/lib/shared/errors';
import { mockSockets, type MockSocket } from '../helpers/mock-ws';
import { forgedCopy, signedEvent } from '../helpers/events';

const A = 'wss://a.test';
const B = 'wss://b.test';
const C = 'wss://c.test';
const M = 'ab'.repeat(32);

function setup(relays = [A, B]) {
  const m = mockSockets();
  const pool = new RelayPool(relays, { WebSocket: m.WebSocket, random: () => 0.5 });
  const socket = (url: string): MockSocket => {
    const s = m.sockets.filter((x) => x.url === url).at(-1);
    if (!s) throw new Error(`no socket for ${url}`);
    return s;
  };
  const subIdOn = (url: string): string => socket(url).sentOf('REQ').at(-1)![1] as string;
  return { ...m, pool, socket, subIdOn };
}

function collect() {
  const got: { event: VerifiedEvent; relays: ReadonlySet<string> }[] = [];
  return { got, onevent: (event: VerifiedEvent, relays: ReadonlySet<string>) => got.push({ event, relays }) };
}

describe('RelayPool subscribe', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('uses a different random subscription id on each relay and connects lazily', () => {
    const { pool, sockets, socket, subIdOn } = setup();
    expect(sockets).toHaveLength(0);
    pool.subscribe([{ kinds: [1067], '#p': [M] }], { onevent: () => {} });
    socket(A).accept();
    socket(B).accept();
    expect(subIdOn(A)).toMatch(/^[0-9a-f]{16}$/);
    expect(subIdOn(A)).not.toBe(subIdOn(B));
    expect(socket(A).sentOf('REQ')[0]!.slice(2)).toEqual([{ kinds: [1067], '#p': [M] }]);
  });

  it('delivers an event seen on two relays once, with both relays', () => {
    const { pool, socket, subIdOn } = setup();
    const c = collect();
    const seenAgain: string[] = [];
    pool.subscribe([{ kinds: [1] }], { onevent: c.onevent, onseen: (_e, r) => seenAgain.push(r) });
    socket(A).accept();
    socket(B).accept();
    const ev = signedEvent(1);
    socket(A).frame(['EVENT', subIdOn(A), ev]);
    socket(B).frame(['EVENT', subIdOn(B), ev]);
    socket(B).frame(['EVENT', subIdOn(B), ev]);
    expect(c.got).toHaveLength(1);
    expect(c.got[0]!.event).toEqual(ev);
    expect([...c.got[0]!.relays]).toEqual([A, B]);
    expect(seenAgain).toEqual([B]);
  });

  it('drops and counts events with bad signatures', () => {
    const { pool, socket, subIdOn } = setup([A]);
    const c = collect();
    pool.subscribe([{}], { onevent: c.onevent });
    socket(A).accept();
    socket(A).frame(['EVENT', subIdOn(A), forgedCopy(signedEvent())]);
    socket(A).frame(['EVENT', subIdOn(A), { ...signedEvent(), content: 'swapped' }]);
    socket(A).frame(['EVENT', subIdOn(A), { not: 'an event' }]);
    expect(c.got).toEqual([]);
    expect(pool.status()[0]!.invalidEvents).toBe(3);
  });

  it('a forged copy carrying a valid event id does not block the valid event (same or other relay)', () => {
    const { pool, socket, subIdOn } = setup();
    const c = collect();
    pool.subscribe([{}], { onevent: c.onevent });
    socket(A).accept();
    socket(B).accept();
    const ev = signedEvent(1, [], 'real');
    socket(A).frame(['EVENT', subIdOn(A), forgedCopy(ev)]);
    socket(A).frame(['EVENT', subIdOn(A), { ...ev, content: 'fake' }]);
    socket(B).frame(['EVENT', subIdOn(B), ev]);
    expect(c.got.map((g) => g.event)).toEqual([ev]);
    expect([...c.got[0]!.relays]).toEqual([B]);
    socket(A).frame(['EVENT', subIdOn(A), ev]);
    expect(c.got).toHaveLength(1);
    expect([...c.got[0]!.relays]).toEqual([B, A]);
  });

  it('drops verified events that do not match the filters (e.g. another mailbox)', () => {
    const { pool, socket, subIdOn } = setup([A]);
    const c = collect();
    pool.subscribe([{ kinds: [1067], '#p': [M] }], { onevent: c.onevent });
    socket(A).accept();
    socket(A).frame(['EVENT', subIdOn(A), signedEvent(1067, [['p', 'cd'.repeat(32)]])]);
    socket(A).frame(['EVENT', subIdOn(A), signedEvent(1, [['p', M]])]);
    const mine = signedEvent(1067, [['p', M]]);
    socket(A).frame(['EVENT', subIdOn(A), mine]);
    expect(c.got.map((g) => g.event)).toEqual([mine]);
    expect(pool.status()[0]!.unmatchedEvents).toBe(2);
  });

  it('merges EOSE: fires once when every relay sent EOSE or is down, and delivery goes on', () => {
    const { pool, socket, subIdOn } = setup([A, B, C]);
    const c = collect();
    const relayEose: string[] = [];
    let eose = 0;
    pool.subscribe([{}], { onevent: c.onevent, onrelayeose: (r) => relayEose.push(r), oneose: () => eose++ });
    socket(A).accept();
    socket(B).accept();
    socket(A).frame(['EOSE', subIdOn(A)]);
    expect(eose).toBe(0);
    socket(C).fail(); // C is down
    expect(eose).toBe(0);
    socket(B).frame(['EOSE', subIdOn(B)]);
    expect(eose).toBe(1);
    expect(relayEose).toEqual([A, B]);
    const ev = signedEvent();
    socket(B).frame(['EVENT', subIdOn(B), ev]);
    expect(c.got.map((g) => g.event)).toEqual([ev]);
    socket(A).serverClose();
    vi.advanceTimersByTime(1000);
    socket(A).accept();
    socket(A).frame(['EOSE', subIdOn(A)]);
    expect(eose).toBe(1);
  });

  it('with every relay down already, the merged EOSE comes after subscribe() returned, so its handler can close the subscription', async () => {
    const { pool, socket } = setup([A]);
    pool.subscribe([{}], { onevent: () => {} }).close();
    socket(A).fail(); // down, retrying later
    expect(pool.status()[0]!.state).toBe('error');
    let closedInHandler = false;
    const done = new Promise<void>((resolve) => {
      const sub = pool.subscribe([{}], {
        onevent: () => {},
        oneose: () => {
          sub.close(); // a one-off query's usual handler
          closedInHandler = true;
          resolve();
        }
      });
    });
    await done;
    expect(closedInHandler).toBe(true);
  });

  it('fires the merged EOSE after eoseTimeoutMs when a relay never answers', () => {
    const m = mockSockets();
    const pool = new RelayPool([A, B], { WebSocket: m.WebSocket, eoseTimeoutMs: 3000 });
    let eose = 0;
    pool.subscribe([{}], { onevent: () => {}, oneose: () => eose++ });
    m.sockets[0]!.accept();
    vi.advanceTimersByTime(2999);
    expect(eose).toBe(0);
    vi.advanceTimersByTime(1);
    expect(eose).toBe(1);
  });

  it('maps CLOSED to onclosed with a typed reason; close() sends CLOSE and stops delivery', () => {
    const { pool, socket, subIdOn } = setup();
    const c = collect();
    const closed: [string, string][] = [];
    const sub = pool.subscribe([{}], { onevent: c.onevent, onclosed: (r, rej) => closed.push([r, rej.reason]) });
    socket(A).accept();
    socket(B).accept();
    socket(A).frame(['CLOSED', subIdOn(A), 'rate-limited: too many subs']);
    expect(closed).toEqual([[A, 'rate-limited']]);
    const idB = subIdOn(B);
    sub.close();
    expect(socket(B).sentOf('CLOSE')).toEqual([['CLOSE', idB]]);
    socket(B).frame(['EVENT', idB, signedEvent()]);
    expect(c.got).toEqual([]);
  });
});

describe('RelayPool publish and status', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('returns one typed result per relay', async () => {
    const { pool, socket } = setup([A, B, C]);
    const ev = signedEvent();
    const p = pool.publish(ev, { timeoutMs: 4000 });
    socket(A).accept();
    socket(B).accept();
    socket(C).fail();
    socket(A).frame(['OK', ev.id, true, '']);
    socket(B).frame(['OK', ev.id, false, 'pow: difficulty 30 required']);
    expect(await p).toEqual([
      { relay: A, status: 'ok', duplicate: false, message: '' },
      { relay: B, status: 'rejected', reason: 'pow', message: 'pow: difficulty 30 required' },
      { relay: C, status: 'unreachable', message: 'socket error' }
    ]);
    const st = pool.status();
    expect(st.map((s) => [s.url, s.state, s.connected])).toEqual([
      [A, 'open', true],
      [B, 'open', true],
      [C, 'error', false]
    ]);
    expect(st[2]!.error).toBe('socket error');
    expect(st[0]!.lastSeen).toBeTypeOf('number');
  });

  it('times out a relay that never answers, without holding the others', async () => {
    const { pool, socket } = setup();
    const ev = signedEvent();
    const p = pool.publish(ev, { timeoutMs: 4000 });
    socket(A).accept();
    socket(B).accept();
    socket(A).frame(['OK', ev.id, false, 'duplicate: seen']);
    await vi.advanceTimersByTimeAsync(4000);
    expect(await p).toEqual([
      { relay: A, status: 'ok', duplicate: true, message: 'duplicate: seen' },
      { relay: B, status: 'timeout' }
    ]);
  });

  it('refuses to publish a malformed event', async () => {
    const { pool } = setup();
    await expect(pool.publish({ ...signedEvent(), id: 'xyz' })).rejects.toSatisfy((e) => isVeilError(e, 'INVALID_EVENT'));
  });

  it('normalizes relay URLs: the same relay typed twice is one connection', () => {
    const { pool } = setup(['WSS://A.test/', 'wss://a.test:443']);
    expect(pool.relays).toEqual([A]);
    expect(() => pool.addRelay('https://x.test')).toThrow(/ws:\/\/ or wss:\/\//);
  });
});

describe('NIP-11 through the injected fetch', () => {
  const doc = {
    name: 'Test relay',
    supported_nips: [1, 11, 'x', -1],
    limitation: { max_message_length: 65536, auth_required: false, max_limit: 'lots', max_subscriptions: 10 }
  };
  const okFetch =
    (body: string, headers: Record<string, string> = {}): FetchLike =>
    async (url, init) => {
      expect(init.headers.Accept).toBe('application/nostr+json');
      expect(url).toBe('https://a.test');
      return {
        ok: true,
        status: 200,
        headers: { get: (n: string) => headers[n.toLowerCase()] ?? null },
        body: new Response(body).body,
        text: async () => body
      };
    };

  it('keeps well-typed limits and shows them in the pool status', async () => {
    const m = mockSockets();
    const pool = new RelayPool([A], { WebSocket: m.WebSocket, fetch: okFetch(JSON.stringify(doc)) });
    const info = await pool.refreshInfo(A);
    expect(info).toEqual({
      name: 'Test relay',
      software: undefined,
      version: undefined,
      supported_nips: [1, 11],
      limitation: { max_message_length: 65536, max_subscriptions: 10, auth_required: false }
    });
    expect(pool.status()[0]!.info?.limitation.max_message_length).toBe(65536);
    expect(m.sockets).toHaveLength(0); // NIP-11 does not open the WebSocket
  });

  it('bounds the body size and the time', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(100_000) });
    await expect(fetchRelayInfo(A, okFetch(big), { maxBytes: 1000 })).rejects.toSatisfy((e) => isVeilError(e, 'TOO_LARGE'));
    await expect(fetchRelayInfo(A, okFetch('{}', { 'content-length': '999999' }), { maxBytes: 1000 })).rejects.toSatisfy(
      (e) => isVeilError(e, 'TOO_LARGE')
    );
    await expect(fetchRelayInfo(A, okFetch('not json'))).rejects.toSatisfy((e) => isVeilError(e, 'RELAY_PROTOCOL'));
    vi.useFakeTimers();
    const hanging: FetchLike = (_u, init) =>
      new Promise((_res, rej) => init.signal.addEventListener('abort', () => rej(new Error('aborted'))));
    const p = fetchRelayInfo(A, hanging, { timeoutMs: 2000 });
    const check = expect(p).rejects.toSatisfy((e) => isVeilError(e, 'RELAY_TIMEOUT'));
    await vi.advanceTimersByTimeAsync(2000);
    await check;
    vi.useRealTimers();
    const m = mockSockets();
    const pool = new RelayPool([A], { WebSocket: m.WebSocket, fetch: async () => Promise.reject(new Error('offline')) });
    expect(await pool.refreshInfo(A)).toBeNull();
    expect(pool.status()[0]!.infoError).toBe('RELAY_UNREACHABLE');
  });
});
