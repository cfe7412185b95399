/**
 * Relay text as a trigger (issue 11): NIP-42 AUTH only when a subscription or a publish is refused with
 * `auth-required:` (also after strfry's "ERROR: " prefix), at most once per challenge, rate-limited per
 * connection; a NOTICE never changes state and its status updates are bounded; floods of CLOSED and OK
 * for ids we do not have cost nothing. RelayConnection against the scripted fake socket.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RelayConnection } from '../../src/lib/relay/connection';
import type { NostrEvent, RelayRejection } from '../../src/lib/relay/types';
import { mockSockets } from '../helpers/mock-ws';
import { signedEvent } from '../helpers/events';

const URL = 'wss://dm.relay.test';
const STRFRY = 'ERROR: auth-required: requested filter requires authentication';

/** A connection whose auth callback signs a fresh kind 22242 per call and counts the calls. */
function setup(extra: Partial<ConstructorParameters<typeof RelayConnection>[1]> = {}) {
  const m = mockSockets();
  const signed: NostrEvent[] = [];
  const auth = vi.fn(async (challenge: string, relay: string) => {
    const ev = signedEvent(22242, [['relay', relay], ['challenge', challenge]], '');
    signed.push(ev);
    return ev;
  });
  let clock = 1_000_000;
  const conn = new RelayConnection(URL, { WebSocket: m.WebSocket, random: () => 0.5, auth, now: () => clock, ...extra });
  return { ...m, conn, auth, signed, tick: (ms: number) => (clock += ms) };
}

/** Lets the auth callback's promise settle. */
const settle = () => vi.advanceTimersByTimeAsync(0);

describe('NIP-42 on demand', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('1,000 challenges with nothing refused sign nothing', async () => {
    const { conn, last, auth } = setup();
    conn.subscribe('pub', [{ kinds: [1] }], { onevent: () => {} });
    last().accept();
    for (let i = 0; i < 1000; i++) last().frame(['AUTH', `challenge-${i}`]);
    await settle();
    expect(auth).toHaveBeenCalledTimes(0);
    expect(last().sentOf('AUTH')).toEqual([]);
    expect(conn.status().counters).toMatchObject({ authChallenges: 1000, authSigned: 0 });
  });

  it("strfry's order (AUTH, then CLOSED \"ERROR: auth-required: …\"): one signature, the REQ re-sent after OK, events flow", async () => {
    const { conn, last, auth, signed } = setup();
    const got: unknown[] = [];
    const closed: RelayRejection[] = [];
    conn.subscribe('dm', [{ kinds: [1059], '#p': ['ab'.repeat(32)] }], { onevent: (e) => got.push(e), onclosed: (r) => closed.push(r) });
    last().accept();
    last().frame(['AUTH', 'c1']);
    last().frame(['CLOSED', 'dm', STRFRY]);
    await settle();
    expect(auth).toHaveBeenCalledTimes(1);
    expect(auth).toHaveBeenCalledWith('c1', URL);
    expect(last().sentOf('AUTH')).toEqual([['AUTH', signed[0]]]);
    expect(conn.status().auth).toBe('sent');
    last().frame(['OK', signed[0]!.id, true, '']);
    expect(conn.status().auth).toBe('accepted');
    expect(last().sentOf('REQ')).toHaveLength(2);
    last().frame(['EVENT', 'dm', { n: 1 }]);
    expect(got).toEqual([{ n: 1 }]);
    expect(closed).toEqual([]);
  });

  it('CLOSED auth-required before any challenge waits for one, then signs it', async () => {
    const { conn, last, auth, signed } = setup();
    conn.subscribe('dm', [{ kinds: [1059] }], { onevent: () => {} });
    last().accept();
    last().frame(['CLOSED', 'dm', 'auth-required: who are you']);
    await settle();
    expect(auth).toHaveBeenCalledTimes(0);
    last().frame(['AUTH', 'late']);
    await settle();
    expect(auth).toHaveBeenCalledWith('late', URL);
    last().frame(['OK', signed[0]!.id, true, '']);
    expect(last().sentOf('REQ')).toHaveLength(2);
  });

  it('once per challenge: refused again after an accepted AUTH, the subscription closes as auth-required (no loop)', async () => {
    const { conn, last, auth, signed } = setup();
    const closed: RelayRejection[] = [];
    conn.subscribe('dm', [{ kinds: [1059] }], { onevent: () => {}, onclosed: (r) => closed.push(r) });
    last().accept();
    last().frame(['AUTH', 'c1']);
    last().frame(['CLOSED', 'dm', STRFRY]);
    await settle();
    last().frame(['OK', signed[0]!.id, true, '']);
    // the relay repeats its OK and its CLOSED: nothing is signed or sent again
    last().frame(['OK', signed[0]!.id, true, '']);
    last().frame(['CLOSED', 'dm', STRFRY]);
    await settle();
    expect(auth).toHaveBeenCalledTimes(1);
    expect(last().sentOf('REQ')).toHaveLength(2);
    expect(closed).toEqual([{ reason: 'auth-required', message: STRFRY }]);
  });

  it('an AUTH the relay refuses ends the waiting subscriptions with auth-required; the same challenge is not signed twice', async () => {
    const { conn, last, auth, signed } = setup();
    const closed: RelayRejection[] = [];
    conn.subscribe('a', [{ kinds: [1059] }], { onevent: () => {}, onclosed: (r) => closed.push(r) });
    conn.subscribe('b', [{ kinds: [4] }], { onevent: () => {}, onclosed: (r) => closed.push(r) });
    last().accept();
    last().frame(['AUTH', 'c1']);
    last().frame(['CLOSED', 'a', STRFRY]);
    last().frame(['CLOSED', 'b', STRFRY]);
    await settle();
    expect(auth).toHaveBeenCalledTimes(1);
    last().frame(['OK', signed[0]!.id, false, 'invalid: wrong relay']);
    expect(closed.map((r) => r.reason)).toEqual(['auth-required', 'auth-required']);
    expect(conn.status().auth).toBe('refused');
    conn.subscribe('c', [{ kinds: [1059] }], { onevent: () => {}, onclosed: (r) => closed.push(r) });
    last().frame(['CLOSED', 'c', STRFRY]);
    await settle();
    expect(auth).toHaveBeenCalledTimes(1);
    expect(closed).toHaveLength(3);
  });

  it('a new challenge replaces the stored one without signing; the next refusal signs the new one', async () => {
    const { conn, last, auth, signed } = setup();
    conn.subscribe('a', [{ kinds: [1059] }], { onevent: () => {} });
    last().accept();
    last().frame(['AUTH', 'c1']);
    last().frame(['CLOSED', 'a', STRFRY]);
    await settle();
    last().frame(['OK', signed[0]!.id, true, '']);
    last().frame(['AUTH', 'c2']);
    last().frame(['AUTH', 'c3']);
    await settle();
    expect(auth).toHaveBeenCalledTimes(1);
    conn.subscribe('b', [{ kinds: [4] }], { onevent: () => {} });
    last().frame(['CLOSED', 'b', 'auth-required: again']);
    await settle();
    expect(auth).toHaveBeenCalledTimes(2);
    expect(auth).toHaveBeenLastCalledWith('c3', URL);
  });

  it('rate-limited: a relay cycling challenges and refusals gets at most authPerMinute signatures a minute; the rest waits, visibly "limited"', async () => {
    const { conn, last, auth, signed, tick } = setup({ authPerMinute: 3 });
    const closed: RelayRejection[] = [];
    const open = (id: string) => conn.subscribe(id, [{ kinds: [1059] }], { onevent: () => {}, onclosed: (r) => closed.push(r) });
    conn.connect();
    last().accept();
    for (let i = 0; i < 1000; i++) {
      open(`s${i}`);
      last().frame(['AUTH', `c${i}`]);
      last().frame(['CLOSED', `s${i}`, STRFRY]);
      await settle();
      const ev = signed.at(-1);
      if (ev) last().frame(['OK', ev.id, true, '']);
      tick(5);
    }
    expect(auth.mock.calls.length).toBe(3);
    expect(conn.status().auth).toBe('limited');
    expect(conn.status().counters).toMatchObject({ authSigned: 3, authChallenges: 1000 });
    expect(conn.status().counters.authLimited).toBeGreaterThan(0);
    expect(closed).toEqual([]); // waiting, not dropped
    // once the oldest signature is a minute old, the latest challenge is signed for everything waiting
    tick(60_000);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(auth.mock.calls.length).toBe(4);
    expect(auth).toHaveBeenLastCalledWith('c999', URL);
    const before = last().sentOf('REQ').length;
    last().frame(['OK', signed.at(-1)!.id, true, '']);
    expect(last().sentOf('REQ').length - before).toBe(997);
  });

  it('the limit holds across reconnects: a relay that drops and re-challenges cannot buy more signatures', async () => {
    const { conn, last, auth, tick } = setup({ authPerMinute: 2, backoff: { baseMs: 10, maxMs: 10 } });
    conn.subscribe('dm', [{ kinds: [1059] }], { onevent: () => {} });
    for (let i = 0; i < 50; i++) {
      last().accept();
      last().frame(['AUTH', `c${i}`]);
      last().frame(['CLOSED', 'dm', STRFRY]);
      await settle();
      last().serverClose();
      tick(20);
      await vi.advanceTimersByTimeAsync(20);
    }
    expect(auth).toHaveBeenCalledTimes(2);
  });

  it('a publish refused with auth-required authenticates once and is re-sent once', async () => {
    const { conn, last, auth, signed } = setup();
    conn.connect();
    last().accept();
    last().frame(['AUTH', 'c1']);
    const ev = signedEvent(1059);
    const p = conn.publish(ev, 5000);
    last().frame(['OK', ev.id, false, 'auth-required: sign in to write']);
    await settle();
    expect(auth).toHaveBeenCalledTimes(1);
    last().frame(['OK', signed[0]!.id, true, '']);
    expect(last().sentOf('EVENT')).toEqual([['EVENT', ev], ['EVENT', ev]]);
    last().frame(['OK', ev.id, true, '']);
    expect(await p).toMatchObject({ status: 'ok' });

    // refused again after authenticating: rejected, not re-sent a third time
    const ev2 = signedEvent(1059);
    const p2 = conn.publish(ev2, 5000);
    last().frame(['OK', ev2.id, false, 'ERROR: auth-required: still no']);
    await settle();
    expect(await p2).toMatchObject({ status: 'rejected', reason: 'auth-required' });
    expect(auth).toHaveBeenCalledTimes(1);
    expect(last().sentOf('EVENT').filter((m) => (m[1] as NostrEvent).id === ev2.id)).toHaveLength(1);
  });

  it('without an auth callback a publish refused with auth-required is simply rejected, and challenges are ignored', async () => {
    const m = mockSockets();
    const conn = new RelayConnection(URL, { WebSocket: m.WebSocket, random: () => 0.5 });
    conn.connect();
    m.last().accept();
    m.last().frame(['AUTH', 'c1']);
    const ev = signedEvent(1059);
    const p = conn.publish(ev, 5000);
    m.last().frame(['OK', ev.id, false, 'auth-required: no']);
    expect(await p).toMatchObject({ status: 'rejected', reason: 'auth-required' });
    expect(m.last().sentOf('AUTH')).toEqual([]);
    expect(m.last().sentOf('EVENT')).toHaveLength(1);
  });
});

describe('floods of relay text', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('a NOTICE never changes state, and 1,000 NOTICEs in 5 s give a bounded number of status updates', async () => {
    const { conn, last } = setup();
    conn.connect();
    last().accept();
    const seen: string[] = [];
    conn.onStatus((s) => seen.push(s.state));
    for (let i = 0; i < 1000; i++) {
      last().frame(['NOTICE', `slow down ${i}`]);
      await vi.advanceTimersByTimeAsync(5);
    }
    await vi.advanceTimersByTimeAsync(2000);
    expect(conn.status().counters.notices).toBe(1000);
    expect(conn.status().lastNotice).toBe('slow down 999');
    expect(seen.every((s) => s === 'open')).toBe(true);
    expect(seen.length).toBeLessThanOrEqual(7); // at most one a second, plus the trailing one
    expect(seen.length).toBeGreaterThan(0);
  });

  it('floods of CLOSED, EOSE and OK for ids we do not have send nothing and call nothing', async () => {
    const { conn, last, auth } = setup();
    const calls: string[] = [];
    conn.subscribe('s', [{ kinds: [1] }], { onevent: () => calls.push('event'), oneose: () => calls.push('eose'), onclosed: () => calls.push('closed') });
    last().accept();
    const statuses: unknown[] = [];
    conn.onStatus((s) => statuses.push(s));
    const sentBefore = last().sent.length;
    for (let i = 0; i < 1000; i++) {
      last().frame(['CLOSED', `other${i}`, STRFRY]);
      last().frame(['OK', 'ab'.repeat(32), true, '']);
      last().frame(['OK', 'cd'.repeat(32), false, 'auth-required: x']);
      last().frame(['EOSE', 's']);
    }
    await settle();
    expect(last().sent.length).toBe(sentBefore);
    expect(calls).toEqual(['eose']);
    expect(statuses).toEqual([]);
    expect(auth).not.toHaveBeenCalled();
    expect(conn.status().counters.unknownSubscription).toBe(1000);
  });
});
