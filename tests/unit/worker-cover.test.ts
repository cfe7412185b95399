/**
 * The service worker's wake ends with Live cover (issue 13 §4, sync/cover.ts `coverFor`): the Live
 * schedule runs on the envelope relays for the given time, shaped as a session's start, and is
 * stopped after; nothing in Private mode, with cover off, or with no time given.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CoverRate } from '../../src/lib/camouflage/schedule';
import { coverFor } from '../../src/lib/sync/cover';
import type { Parts } from '../../src/lib/sync/wiring';

const timers = { setTimeout: (f: () => void, ms: number) => setTimeout(f, ms), clearTimeout: (h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>) };

function parts(mode: 'live' | 'private', coverRate: CoverRate) {
  const calls: string[] = [];
  const p = {
    ctx: { privacy: { mode, coverRate, publishRecord: true }, timers },
    liveCover: { start: (relays: string[], rate: CoverRate) => void calls.push(`start ${relays.join(',')} ${rate}`), stop: () => void calls.push('stop') },
    relays: { list: () => ['wss://a.example', 'wss://b.example'] }
  } as unknown as Pick<Parts, 'ctx' | 'liveCover' | 'relays'>;
  return { p, calls };
}

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

describe('cover at the end of a worker wake', () => {
  it('runs the Live schedule on the envelope relays for the given time, then stops it', async () => {
    const { p, calls } = parts('live', 'default');
    let done = false;
    const run = coverFor(p, 20_000).then(() => (done = true));
    expect(calls).toEqual(['start wss://a.example,wss://b.example default']);
    await vi.advanceTimersByTimeAsync(19_999);
    expect(done).toBe(false);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await run;
    expect(calls).toEqual(['start wss://a.example,wss://b.example default', 'stop']);
  });

  it('nothing in Private mode, with cover off, or for no time', async () => {
    for (const [mode, rate, ms] of [['private', 'default', 20_000], ['live', 'off', 20_000], ['live', 'high', 0]] as const) {
      const { p, calls } = parts(mode, rate);
      await coverFor(p, ms);
      expect(calls, `${mode} ${rate} ${ms}`).toEqual([]);
    }
  });
});
