/**
 * Private mode's send slots (src/lib/sync/slots.ts) follow the session shape: with a front-loaded
 * shape more slots come early in a session, the mean rate over a session stays the configured one,
 * a real send is learned once (not once per relay copy), and a stopped session adds its time to the
 * shape's exposure. Virtual timers, so nothing waits for real time.
 */
import { describe, expect, it } from 'vitest';
import { SessionShape } from '../../src/lib/camouflage/session-shape';
import type { SyncContext } from '../../src/lib/sync/context';
import type { PublishOutcome } from '../../src/lib/sync/outbox';
import { PublishSlots } from '../../src/lib/sync/slots';
import { DEFAULT_TIMING } from '../../src/lib/sync/timing';
import type { NostrEvent } from '../../src/lib/relay/types';
import { virtualClock } from '../helpers/virtual-timers';

function world(timing = DEFAULT_TIMING) {
  const c = virtualClock(1_700_000_000_000);
  const ctx = { timers: c.timers, timing, now: c.now, running: () => true } as unknown as SyncContext;
  return { ctx, now: c.now, runFor: (ms: number) => c.runUntil(c.now() + ms) };
}

const ev = (id: string): NostrEvent => ({ id, pubkey: 'ab'.repeat(32), created_at: 0, kind: 1067, tags: [], content: '', sig: 'cd'.repeat(64) });
const ok: PublishOutcome = { status: 'ok' } as PublishOutcome;

describe('Private mode send slots', () => {
  it('a front-loaded shape puts more slots early in a session at the same mean rate', async () => {
    const w = world();
    const published: number[] = [];
    let sessionStart = 0;
    const shape = new SessionShape();
    const slots = new PublishSlots(w.ctx, {
      publishNow: async () => ok,
      relays: () => ['wss://a.test'],
      cover: async () => (published.push(w.now() - sessionStart), ev('00'.repeat(32))),
      shape
    });
    const SESSION = 90 * 60_000;
    const SESSIONS = 60;
    for (let i = 0; i < SESSIONS; i++) {
      sessionStart = w.now();
      slots.start();
      w.runFor(SESSION);
      slots.stop();
      w.runFor(3_600_000);
      await Promise.resolve();
    }
    const early = published.filter((t) => t < 2 * 60_000).length / (2 * 60_000);
    const late = published.filter((t) => t >= 60 * 60_000).length / (30 * 60_000);
    expect(early).toBeGreaterThan(3 * late); // slots per ms: the prior's first bins are 3×, its last 0.5×
    const mean = (SESSIONS * SESSION) / published.length;
    expect(mean).toBeGreaterThan(DEFAULT_TIMING.slotMeanMs * 0.8);
    expect(mean).toBeLessThan(DEFAULT_TIMING.slotMeanMs * 1.25);
  });

  it('a real send waits for a slot, is learned once for all its relay copies, and stop() adds the session to the exposure', async () => {
    const w = world();
    const shape = new SessionShape();
    const out: string[] = [];
    let learned = 0;
    const slots = new PublishSlots(w.ctx, {
      publishNow: async (e) => (out.push(e.id), ok),
      relays: () => ['wss://a.test', 'wss://b.test'],
      cover: async () => null,
      shape,
      onLearn: () => learned++
    });
    slots.start();
    const done = [slots.publish(ev('11'.repeat(32)), 'wss://a.test'), slots.publish(ev('22'.repeat(32)), 'wss://b.test')];
    expect(out).toEqual([]);
    expect(shape.state().sends.reduce((a, b) => a + b, 0)).toBeCloseTo(1);
    expect(learned).toBe(1);
    w.runFor(4 * 3_600_000);
    expect((await Promise.all(done)).map((o) => o.status)).toEqual(['ok', 'ok']);
    expect(out.sort()).toEqual(['11'.repeat(32), '22'.repeat(32)]);
    const before = shape.state().exposure.reduce((a, b) => a + b, 0);
    slots.stop();
    expect(shape.state().exposure.reduce((a, b) => a + b, 0) - before).toBeCloseTo(4 * 3_600_000, -3);
    expect(learned).toBe(2);
  });

  describe('copies of one envelope to two relays', () => {
    const A = 'wss://a.test';
    const B = 'wss://b.test';
    /** Gaps (ms) between the two copies' publishes over `n` sends, grouped or not. */
    async function gaps(n: number, grouped: boolean): Promise<number[]> {
      const w = world();
      const at = new Map<string, number>();
      const slots = new PublishSlots(w.ctx, { publishNow: async (e) => (at.set(e.id, w.now()), ok), relays: () => [A, B], cover: async () => null });
      slots.start();
      const out: number[] = [];
      for (let i = 0; i < n; i++) {
        const a = i.toString(16).padStart(8, '0').repeat(8);
        const b = (i + 0x10000000).toString(16).padStart(8, '0').repeat(8);
        const g = grouped ? `entry-${i}` : undefined;
        const done = Promise.all([slots.publish(ev(a), A, g), slots.publish(ev(b), B, g)]);
        w.runFor(24 * 3_600_000);
        await done;
        out.push(Math.abs(at.get(a)! - at.get(b)!));
      }
      slots.stop();
      return out;
    }
    /** Lets the promise callbacks of publishes already answered run (the clock is virtual). */
    const settled = () => new Promise<void>((r) => setImmediate(r));
    const mean = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / xs.length;

    it('leave a hold apart, not within seconds of each other as two independent slots do', async () => {
      const apart = await gaps(300, true);
      const together = await gaps(300, false);
      // Independent slots after one send: |gap| has mean about slotMeanMs and is often a few seconds.
      expect(mean(together)).toBeLessThan(DEFAULT_TIMING.slotMeanMs * 1.3);
      expect(together.filter((g) => g < 10_000).length).toBeGreaterThan(0);
      // Held: a hold (mean copyHoldMeanMs) plus the wait for the other relay's slot.
      expect(mean(apart)).toBeGreaterThan((DEFAULT_TIMING.copyHoldMeanMs + DEFAULT_TIMING.slotMeanMs) * 0.8);
      expect(apart.filter((g) => g < 10_000).length).toBeLessThanOrEqual(1);
    });

    it('a copy that did not land releases its siblings to their next slot; one that landed holds them', async () => {
      for (const first of ['ok', 'timeout'] as const) {
        for (const together of [true, false]) {
          const label = `${first}, queued ${together ? 'together' : 'after'}`;
          const w = world({ ...DEFAULT_TIMING, copyHoldMeanMs: 1e12 });
          const out: string[] = [];
          let covers = 0;
          const slots = new PublishSlots(w.ctx, {
            publishNow: async (_e, r) => (out.push(r), ({ status: out.length === 1 ? first : 'ok' } as PublishOutcome)),
            relays: () => [A, B],
            cover: async () => (covers++, null)
          });
          slots.start();
          const copies = [slots.publish(ev('11'.repeat(32)), A, 'entry')];
          if (together) copies.push(slots.publish(ev('22'.repeat(32)), B, 'entry'));
          w.runFor(3_600_000);
          await settled();
          if (!together) copies.push(slots.publish(ev('22'.repeat(32)), B, 'entry'));
          w.runFor(4 * 3_600_000);
          await settled();
          w.runFor(4 * 3_600_000);
          await settled();
          if (first === 'ok') {
            expect(out, label).toHaveLength(1);
            expect(covers, label).toBeGreaterThan(10); // the other relay's slots came and sent cover instead
          } else {
            expect(new Set(out), label).toEqual(new Set([A, B]));
            expect((await Promise.all(copies)).map((o) => o.status).sort(), label).toEqual(['ok', 'timeout']);
          }
          slots.stop();
        }
      }
    });
  });
});
