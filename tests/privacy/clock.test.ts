/**
 * The simulated clock waits for what a fired timer started (clock.ts `busy`): without it, under
 * load a slot's publish reached the proxy after the next jump and two relays' slots shared a
 * millisecond in the log (CI, two-relay match 6.6% against 0.8% chance).
 */
import { describe, expect, it } from 'vitest';
import { Timer } from '../../src/lib/sync/timing';
import { VirtualClock } from './clock';

describe('VirtualClock busy', () => {
  it('counts a fired callback until the promise it returned settles, resolved or rejected', async () => {
    const clock = new VirtualClock(Date.now() - 3_600_000);
    let finish!: () => void;
    let fail!: (e: Error) => void;
    new Timer(clock.timers).set(() => new Promise<void>((r) => (finish = r)), 60_000);
    new Timer(clock.timers).set(() => new Promise<void>((_, j) => (fail = j)), 120_000);
    new Timer(clock.timers).set(() => 'not a promise', 30_000);
    expect(clock.busy).toBe(0);
    clock.advanceTo(clock.now() + 130_000);
    expect(clock.busy).toBe(2);
    finish();
    await new Promise((r) => setTimeout(r, 0));
    expect(clock.busy).toBe(1);
    fail(new Error('publish failed'));
    await new Promise((r) => setTimeout(r, 0));
    expect(clock.busy).toBe(0);
    clock.dispose();
  });

  it('Timer hands the callback result back to the Timers callback', () => {
    let cb: (() => unknown) | undefined;
    const timer = new Timer({ setTimeout: (fn) => (cb = fn), clearTimeout: () => undefined });
    const p = Promise.resolve(7);
    timer.set(() => p, 10);
    expect(cb?.()).toBe(p);
    expect(timer.armed).toBe(false);
  });
});
