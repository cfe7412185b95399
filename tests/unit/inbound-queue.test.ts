/**
 * The pieces under the inbound pipeline's bounds (issue 11): the LRU set (shared/lru.ts) and the
 * fair, bounded queue (sync/inbound-queue.ts): lanes per relay taken in turn, full lanes drop and
 * count, a concurrency cap, and a barrier that waits only for what was queued before it.
 */
import { describe, expect, it } from 'vitest';
import { isVeilError } from '../../src/lib/shared/errors';
import { LruSet } from '../../src/lib/shared/lru';
import { FairQueue } from '../../src/lib/sync/inbound-queue';

/** A task that finishes when the test says so, recording its start in `log`. */
function gated(log: string[], name: string): { task: { run(): Promise<void>; dropped(): void }; finish(): void; dropped: boolean } {
  let finish: () => void = () => {};
  const t = {
    dropped: false,
    finish: () => finish(),
    task: {
      run: () => {
        log.push(name);
        return new Promise<void>((resolve) => (finish = resolve));
      },
      dropped: () => {
        t.dropped = true;
      }
    }
  };
  return t;
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('LruSet', () => {
  it('forgets the least recently used key beyond its capacity; a hit refreshes', () => {
    const s = new LruSet<string>(3);
    for (const k of ['a', 'b', 'c']) s.add(k);
    expect(s.has('a')).toBe(true); // a is now the most recent
    s.add('d');
    expect([s.has('b'), s.has('c'), s.has('a'), s.has('d')]).toEqual([false, true, true, true]);
    expect(s.size).toBe(3);
    for (let i = 0; i < 10_000; i++) s.add(`k${i}`);
    expect(s.size).toBe(3);
  });

  it('refuses a capacity that is not a positive integer', () => {
    for (const c of [0, -1, 1.5, Number.NaN]) expect(isVeilError((() => { try { new LruSet(c); } catch (e) { return e; } })(), 'INVALID_INPUT')).toBe(true);
  });
});

describe('FairQueue', () => {
  it('takes lanes in turn: a lane with a backlog gets one slot per round', async () => {
    const log: string[] = [];
    const q = new FairQueue({ perSource: 100, concurrency: 1, onError: (e) => { throw e; } });
    const byName = new Map<string, ReturnType<typeof gated>>();
    for (const [src, name] of [...Array.from({ length: 5 }, (_, i) => ['A', `a${i}`]), ['B', 'b0'], ['B', 'b1']]) {
      const g = gated(log, name!);
      byName.set(name!, g);
      q.push(src!, g.task);
    }
    // Finish whatever runs now, one at a time, until all have run.
    while (log.length < byName.size || q.stats().running > 0) {
      await flush();
      byName.get(log.at(-1)!)?.finish();
    }
    await q.drained();
    expect(log).toEqual(['a0', 'a1', 'b0', 'a2', 'b1', 'a3', 'a4']);
  });

  it('a full lane drops (and counts) without touching another lane', () => {
    const log: string[] = [];
    const q = new FairQueue({ perSource: 2, concurrency: 1, onError: (e) => { throw e; } });
    const gs = Array.from({ length: 6 }, (_, i) => gated(log, `a${i}`));
    const accepted = gs.map((g) => q.push('A', g.task));
    // a0 runs at once, a1 and a2 wait, the rest is dropped.
    expect(accepted).toEqual([true, true, true, false, false, false]);
    expect(gs.map((g) => g.dropped)).toEqual([false, false, false, true, true, true]);
    expect(q.push('B', gated(log, 'b0').task)).toBe(true);
    expect(q.stats()).toMatchObject({ queued: 3, running: 1, dropped: 3, droppedBy: { A: 3 } });
  });

  it('a task that throws is reported and counted as failed for its source, and the queue goes on', async () => {
    const errors: unknown[] = [];
    const q = new FairQueue({ perSource: 10, concurrency: 1, onError: (e) => errors.push(e) });
    const ran: string[] = [];
    q.push('A', { run: async () => { throw new Error('disk full'); } });
    q.push('A', { run: async () => { ran.push('a1'); } });
    q.push('B', { run: async () => { ran.push('b0'); } });
    await q.drained();
    expect(errors.map((e) => (e as Error).message)).toEqual(['disk full']);
    expect(ran.sort()).toEqual(['a1', 'b0']);
    expect(q.stats()).toMatchObject({ dropped: 0, failedBy: { A: 1 }, processedBy: { A: 2, B: 1 } });
  });

  it('runs at most `concurrency` at once; drained() waits only for what was queued before it', async () => {
    const log: string[] = [];
    const q = new FairQueue({ perSource: 10, concurrency: 2, onError: (e) => { throw e; } });
    const gs = Array.from({ length: 3 }, (_, i) => gated(log, `t${i}`));
    for (const g of gs) q.push('A', g.task);
    await flush();
    expect(log).toEqual(['t0', 't1']);
    let drained = false;
    void q.drained().then(() => (drained = true));
    const later = gated(log, 'later');
    q.push('A', later.task);
    gs[0]!.finish();
    await flush();
    expect(log).toEqual(['t0', 't1', 't2']);
    gs[1]!.finish();
    gs[2]!.finish();
    await flush();
    expect(drained).toBe(true);
    expect(q.stats().running).toBe(1); // `later` still runs; the barrier did not wait for it
    later.finish();
    await q.drained();
    expect(q.stats()).toMatchObject({ queued: 0, running: 0, processed: 4, peakQueued: 2 });
  });
});
