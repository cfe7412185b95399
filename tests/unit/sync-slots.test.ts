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

function world() {
  const c = virtualClock(1_700_000_000_000);
  const ctx = { timers: c.timers, timing: DEFAULT_TIMING, now: c.now, running: () => true } as unknown as SyncContext;
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
});
