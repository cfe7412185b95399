/**
 * The identity gate (src/lib/sync/identity-gate.ts): identity-linked work never runs within the quiet
 * period after an envelope for me arrived; it waits the rest of it (and a random part more), and
 * runs at its own delay when all is quiet. Virtual timers, so the test waits for nothing.
 */
import { describe, expect, it } from 'vitest';
import { IdentityGate } from '../../src/lib/sync/identity-gate';
import { DEFAULT_TIMING } from '../../src/lib/sync/timing';
import { virtualClock } from '../helpers/virtual-timers';

const clock = (): ReturnType<typeof virtualClock> => virtualClock();

describe('identity gate', () => {
  const quiet = DEFAULT_TIMING.identityQuietMs;

  it('runs at its own delay when no envelope for me arrived', () => {
    const c = clock();
    const g = new IdentityGate(c.now, c.timers, DEFAULT_TIMING);
    const ran: number[] = [];
    g.run(() => void ran.push(c.now()), 5_000, (e) => { throw e; });
    c.runUntil(c.now() + 10_000);
    expect(ran).toEqual([1_005_000]);
  });

  it('never runs within the quiet period after an envelope for me; runs after it', () => {
    const c = clock();
    const g = new IdentityGate(c.now, c.timers, DEFAULT_TIMING);
    const ran: number[] = [];
    g.run(() => void ran.push(c.now()), 10_000, (e) => { throw e; });
    c.runUntil(c.now() + 9_000);
    g.mine();
    const arrived = c.now();
    c.runUntil(arrived + 5 * quiet);
    expect(ran).toHaveLength(1);
    expect(ran[0]! - arrived).toBeGreaterThanOrEqual(quiet);
    expect(ran[0]! - arrived).toBeLessThanOrEqual(2 * quiet);
  });

  it('cancel drops what waits', () => {
    const c = clock();
    const g = new IdentityGate(c.now, c.timers, DEFAULT_TIMING);
    let n = 0;
    g.run(() => void n++, 1_000, (e) => { throw e; });
    g.cancel();
    c.runUntil(c.now() + 10 * quiet);
    expect(n).toBe(0);
  });

  it('a hold keeps identity-linked work back until released; then it runs at once when nothing was for me', () => {
    const c = clock();
    const g = new IdentityGate(c.now, c.timers, DEFAULT_TIMING);
    const ran: number[] = [];
    const release = g.hold();
    g.run(() => void ran.push(c.now()), 1_000, (e) => { throw e; });
    c.runUntil(c.now() + quiet);
    expect(ran).toEqual([]);
    release();
    const freed = c.now();
    c.runUntil(freed + 3 * quiet);
    expect(ran).toHaveLength(1);
    expect(ran[0]!).toBeGreaterThanOrEqual(freed);
  });

  it('a hold that is never released lapses after twice the quiet period', () => {
    const c = clock();
    const g = new IdentityGate(c.now, c.timers, DEFAULT_TIMING);
    const start = c.now();
    g.hold();
    expect(g.wait()).toBeGreaterThan(0);
    c.runUntil(start + 2 * quiet);
    expect(g.wait()).toBe(0);
  });

  it('checks again after prepare: an envelope for me that arrives while the sockets open holds the task back', async () => {
    const c = clock();
    const g = new IdentityGate(c.now, c.timers, DEFAULT_TIMING);
    const ran: number[] = [];
    let opened!: () => void;
    let prepared = 0;
    // The first opening takes a while; later ones find the sockets open.
    const prepare = (): Promise<void> => (prepared++ === 0 ? new Promise<void>((r) => (opened = r)) : Promise.resolve());
    g.run(() => void ran.push(c.now()), 1_000, (e) => { throw e; }, { prepare });
    c.runUntil(c.now() + 1_000); // fires: quiet, so it prepares
    g.mine(); // the envelope lands while the socket opens
    const arrived = c.now();
    opened();
    await Promise.resolve();
    await Promise.resolve();
    expect(ran).toEqual([]);
    c.runUntil(arrived + 5 * quiet);
    await Promise.resolve();
    await Promise.resolve();
    expect(prepared).toBe(2);
    expect(ran).toHaveLength(1);
    expect(ran[0]! - arrived).toBeGreaterThanOrEqual(quiet);
  });

  it('cancel stops a task that is between prepare and run', async () => {
    const c = clock();
    const g = new IdentityGate(c.now, c.timers, DEFAULT_TIMING);
    let n = 0;
    let opened!: () => void;
    g.run(() => void n++, 0, (e) => { throw e; }, { prepare: () => new Promise<void>((r) => (opened = r)) });
    c.runUntil(c.now() + 1);
    g.cancel();
    opened();
    await Promise.resolve();
    await Promise.resolve();
    c.runUntil(c.now() + 10 * quiet);
    expect(n).toBe(0);
  });
  it('beforeReq: a REQ waiting on open holds goes one macrotask after the last is released, and never after cancel()', () => {
    const c = clock();
    const g = new IdentityGate(c.now, c.timers, DEFAULT_TIMING);
    const sent: number[] = [];
    const a = g.hold();
    const b = g.hold('arrived');
    g.beforeReq(() => sent.push(c.now()), { reads: true });
    c.runUntil(1_000_000 + 5_000);
    a();
    c.runUntil(1_000_000 + 6_000);
    expect(sent).toEqual([]); // b is still open
    b();
    c.runUntil(1_000_000 + 6_001);
    expect(sent).toEqual([1_000_000 + 6_000]);
    g.hold();
    g.beforeReq(() => sent.push(c.now()), { reads: true });
    c.runUntil(1_000_000 + 7_000);
    g.cancel();
    c.runUntil(1_000_000 + 10 * quiet);
    expect(sent).toHaveLength(1);
  });
});
