/**
 * The identity gate's last check, on the sockets (sync/sockets.ts `beforeReq`, identity-gate.ts): an
 * identity-linked REQ is checked right before it is written, not only when its task ran. The adversary
 * suite under load counted REQs by author within a minute of an envelope's delivery that the task-time
 * check had let through: a subscription re-sent on a reconnect, a REQ handed to a socket that was still
 * opening, and a REQ written while the envelope's frame was already in the envelope socket. Fake
 * timers drive the sockets' backoff and the gate alike.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { generateSecretKey } from '../../src/lib/crypto/keys';
import { LocalSigner } from '../../src/lib/crypto/signer';
import { IdentityGate } from '../../src/lib/sync/identity-gate';
import { Sockets } from '../../src/lib/sync/sockets';
import { DEFAULT_TIMING, realTimers } from '../../src/lib/sync/timing';
import { mockSockets } from '../helpers/mock-ws';

const URL = 'wss://lookup.test';
const QUIET = DEFAULT_TIMING.identityQuietMs;
const PROFILE_BY_AUTHOR = [{ kinds: [0], authors: ['ab'.repeat(32)] }];

/** Sockets wired to a gate as wiring.ts does (`mode` as the messenger's privacy mode). */
function setup(mode: 'live' | 'private' = 'live') {
  const m = mockSockets();
  const gate = new IdentityGate(Date.now, realTimers, DEFAULT_TIMING);
  const sockets = new Sockets({ WebSocket: m.WebSocket, queryTimeoutMs: 5_000 }, new LocalSigner(generateSecretKey()));
  sockets.beforeReq = (send) => gate.beforeReq(send, { reads: mode === 'private' });
  const reqs = (): number => m.sockets.reduce((n, s) => n + s.sentOf('REQ').length, 0);
  return { ...m, gate, sockets, reqs };
}

describe('identity gate on the sockets', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('a lookup subscription re-sent after a reconnect waits out the quiet period of an envelope that arrived meanwhile', () => {
    const { gate, sockets, last, reqs } = setup();
    sockets.public([URL]).subscribe(PROFILE_BY_AUTHOR, { onevent: () => {} });
    last().accept();
    vi.advanceTimersByTime(1);
    expect(reqs()).toBe(1); // quiet: written after one macrotask
    gate.mine(); // an envelope for me was opened
    const arrived = Date.now();
    last().serverClose();
    vi.advanceTimersByTime(1_000); // the backoff of the first reconnect is below 1 s
    last().accept();
    vi.advanceTimersByTime(QUIET - 1_002);
    expect(reqs()).toBe(1); // the re-send is not written within the quiet period
    vi.advanceTimersByTime(3 * QUIET);
    expect(reqs()).toBe(2);
    expect(last().sentOf('REQ')).toHaveLength(1);
    expect(Date.now() - arrived).toBeGreaterThanOrEqual(QUIET);
  });

  it('a REQ handed to a socket that is still opening goes only when nothing arrived; the query waits for it', () => {
    const { gate, sockets, last, reqs } = setup();
    let eose = 0;
    sockets.ownRecord([URL]).subscribe([{ kinds: [11067], authors: ['cd'.repeat(32)] }], { onevent: () => {}, oneose: () => eose++ });
    gate.mine(); // arrives while the socket opens
    const arrived = Date.now();
    last().accept();
    vi.advanceTimersByTime(QUIET - 1);
    expect(reqs()).toBe(0);
    expect(eose).toBe(0); // no EOSE timeout for a REQ that has not gone out
    while (reqs() === 0 && Date.now() < arrived + 3 * QUIET) vi.advanceTimersByTime(100);
    expect(reqs()).toBe(1);
    expect(Date.now() - arrived).toBeGreaterThanOrEqual(QUIET);
    vi.advanceTimersByTime(4_800);
    expect(eose).toBe(0); // counted from the REQ written
    last().frame(['EOSE', last().sentOf('REQ')[0]![1]]);
    expect(eose).toBe(1);
  });

  it('an envelope whose frame is already in when the REQ is handed over holds it back', () => {
    const { gate, sockets, last, reqs } = setup();
    const pool = sockets.ownRecord([URL]);
    void pool.connect();
    last().accept();
    // The envelope socket's frame is dispatched in the next turn (as a socket's data is, before a
    // timer set after it arrived): sorted as mine, queued, it holds the gate until opened.
    let opened = (): void => {};
    setTimeout(() => {
      const release = gate.hold('arrived');
      opened = () => (gate.mine(), release());
    }, 0);
    pool.subscribe([{ kinds: [10050], authors: ['cd'.repeat(32)] }], { onevent: () => {} });
    const dropped = pool.subscribe(PROFILE_BY_AUTHOR, { onevent: () => {} });
    vi.advanceTimersByTime(1_000);
    expect(reqs()).toBe(0);
    dropped.close(); // closed before it went out: no REQ and no CLOSE for it, ever
    opened();
    const at = Date.now();
    vi.advanceTimersByTime(QUIET - 1);
    expect(reqs()).toBe(0);
    vi.advanceTimersByTime(3 * QUIET);
    expect(reqs()).toBe(1);
    expect(last().sentOf('REQ')[0]![2]).toEqual({ kinds: [10050], authors: ['cd'.repeat(32)] });
    expect(last().sentOf('CLOSE')).toHaveLength(0);
    expect(Date.now() - at).toBeGreaterThanOrEqual(QUIET);
  });

  it('Private mode: a read in flight holds a REQ back until it is processed', () => {
    const { gate, sockets, last, reqs } = setup('private');
    const release = gate.hold(); // a poll's envelopes may be on their way
    sockets.dmRead([URL]).subscribe([{ kinds: [1059], '#p': ['ab'.repeat(32)] }], { onevent: () => {} });
    last().accept();
    vi.advanceTimersByTime(QUIET);
    expect(reqs()).toBe(0);
    release(); // nothing in it for me: nothing to hide, so it goes after one macrotask, not a quiet period later
    vi.advanceTimersByTime(1);
    expect(reqs()).toBe(1);
  });

  it('Private mode: a read that brought an envelope for me holds the REQ for the quiet period after its release', () => {
    const { gate, sockets, last, reqs } = setup('private');
    const release = gate.hold();
    sockets.dmRead([URL]).subscribe([{ kinds: [1059], '#p': ['ab'.repeat(32)] }], { onevent: () => {} });
    last().accept();
    vi.advanceTimersByTime(1_000);
    const at = Date.now();
    gate.mine(); // opened inside the read
    release();
    vi.advanceTimersByTime(QUIET - 1);
    expect(reqs()).toBe(0);
    vi.advanceTimersByTime(2 * QUIET);
    expect(reqs()).toBe(1);
    expect(Date.now() - at).toBeGreaterThanOrEqual(QUIET);
  });

  it('Private mode: a hold never released lets the REQ go when it lapses (2 × the quiet period), not before', () => {
    const { gate, sockets, last, reqs } = setup('private');
    gate.hold(); // a relay that never answers the poll
    sockets.dmRead([URL]).subscribe([{ kinds: [1059], '#p': ['ab'.repeat(32)] }], { onevent: () => {} });
    last().accept();
    vi.advanceTimersByTime(2 * QUIET - 10);
    expect(reqs()).toBe(0);
    vi.advanceTimersByTime(20);
    expect(reqs()).toBe(1);
  });

  it('Live mode: a read in flight does not hold a REQ back; REQs naming nobody and envelope reads are never held', () => {
    const { gate, sockets: s, last, reqs } = setup();
    gate.hold(); // the envelope read at start is in flight: Live mode's first gift-wrap read goes beside it
    s.dmRead([URL]).subscribe([{ kinds: [1059], '#p': ['ab'.repeat(32)] }], { onevent: () => {} });
    last().accept();
    vi.advanceTimersByTime(1);
    expect(reqs()).toBe(1);
    gate.mine();
    s.public([URL]).subscribe([{ kinds: [11067], limit: 10 }], { onevent: () => {} });
    last().accept();
    expect(last().sentOf('REQ')).toHaveLength(1); // every inbox record: written at once
    s.openEnvelope(['wss://envelopes.test']).subscribe([{ kinds: [1067], '#p': ['ef'.repeat(32)] }], { onevent: () => {} });
    last().accept();
    expect(last().sentOf('REQ')).toHaveLength(1);
  });
});
