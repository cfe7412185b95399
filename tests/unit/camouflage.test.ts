/**
 * Camouflage (src/lib/camouflage; issue 10): the cover schedule is a Poisson process (its gaps pass
 * a KS test against the exponential law, and a non-exponential schedule fails the same test; shaped
 * over a session by when the device sends, its gaps rescaled by the rate pass it), a real
 * send in Live mode skips the next slot and cover copies the relays of real sends, the daily budget holds; cover size classes follow the
 * real ones (chi-square), and payloads pad to the class they were drawn for.
 */
import { describe, expect, it } from 'vitest';
import { ClassHistogram, classOfContentLength, PRIOR_COUNTS, payloadRange } from '../../src/lib/camouflage/classes';
import { CoverSampler } from '../../src/lib/camouflage/sampler';
import { COVER_RATES, CoverSchedule } from '../../src/lib/camouflage/schedule';
import { MAX_BOOST, SESSION_BINS_MS, SessionShape } from '../../src/lib/camouflage/session-shape';
import { introShare, INTRO_PRIOR, INTRO_SHARE_MAX, INTRO_SHARE_MIN } from '../../src/lib/sync/cover';
import { paddedSizeFor } from '../../src/lib/crypto/padding';
import { chiSquareTwoSample, ksExponential, seeded } from '../helpers/stats';

/** Timers on a virtual clock: run() fires due callbacks in order until `untilMs`. */
function virtualTimers() {
  let now = 0;
  let seq = 0;
  const q = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    timers: {
      setTimeout: (fn: () => void, ms: number) => (q.set(++seq, { at: now + ms, fn }), seq),
      clearTimeout: (h: unknown) => void q.delete(h as number)
    },
    async run(untilMs: number) {
      for (;;) {
        const next = [...q.entries()].sort((a, b) => a[1].at - b[1].at)[0];
        if (!next || next[1].at > untilMs) break;
        q.delete(next[0]);
        now = next[1].at;
        next[1].fn();
        await Promise.resolve();
      }
      now = untilMs;
    }
  };
}

describe('cover schedule', () => {
  it('publish gaps of one relay pass a KS test against the exponential schedule (p > 0.01, 600 events)', async () => {
    const v = virtualTimers();
    const at: number[] = [];
    // A flat session shape (nothing learned, no prior): the plain Poisson process. The shaped one: below.
    const s = new CoverSchedule({ timers: v.timers, now: v.now, random: seeded(7), prior: 'flat', send: async () => void at.push(v.now()) });
    s.start(['wss://a'], 'high');
    await v.run(COVER_RATES.high.meanMs * 600);
    const gaps = at.slice(1).map((t, i) => t - at[i]!);
    expect(gaps.length).toBeGreaterThanOrEqual(500);
    expect(ksExponential(gaps, COVER_RATES.high.meanMs).p).toBeGreaterThan(0.01);
    // The test can fail: evenly spaced slots with the same mean are refused.
    const even = gaps.map((_, i) => COVER_RATES.high.meanMs * (0.5 + (i % 100) / 100));
    expect(ksExponential(even, COVER_RATES.high.meanMs).p).toBeLessThan(0.01);
  });

  it('a real send skips the next slot; cover goes to the relays of a recent real send, all in the same moment', async () => {
    const v = virtualTimers();
    const sent: { relay: string; at: number }[] = [];
    const s = new CoverSchedule({ timers: v.timers, now: v.now, random: seeded(3), prior: 'flat', send: async (relay) => void sent.push({ relay, at: v.now() }) });
    s.start(['wss://a', 'wss://b', 'wss://c'], 'default');
    await v.run(COVER_RATES.default.meanMs * 20);
    // Before any real send: every relay, in one moment per slot.
    const moments = new Map<number, string[]>();
    for (const x of sent) moments.set(x.at, [...(moments.get(x.at) ?? []), x.relay]);
    expect(moments.size).toBeGreaterThan(5);
    for (const relays of moments.values()) expect(relays.sort()).toEqual(['wss://a', 'wss://b', 'wss://c']);
    // A real message to two relays at once: the next slot is skipped, then cover takes that shape.
    s.realSent('wss://a');
    s.realSent('wss://b');
    const before = sent.length;
    const t0 = v.now();
    await v.run(t0 + COVER_RATES.default.meanMs * 200);
    expect(s.counts.skipped).toBe(1);
    const later = sent.slice(before);
    expect(later.length).toBeGreaterThan(50); // within the day's budget (130 envelopes)
    expect(new Set(later.map((x) => x.relay))).toEqual(new Set(['wss://a', 'wss://b']));
    const perMoment = new Map<number, number>();
    for (const x of later) perMoment.set(x.at, (perMoment.get(x.at) ?? 0) + 1);
    expect([...perMoment.values()].every((n) => n === 2)).toBe(true);
  });

  it('stays within the daily budget, and sends nothing when off', async () => {
    const v = virtualTimers();
    let n = 0;
    const s = new CoverSchedule({ timers: v.timers, now: v.now, random: seeded(11), send: async () => void n++ });
    s.start(['wss://a', 'wss://b'], 'high');
    await v.run(86_400_000 - 1);
    expect(n).toBe(COVER_RATES.high.perDay);
    expect(s.counts.overBudget).toBeGreaterThan(0);
    s.start(['wss://a'], 'off');
    const before = n;
    await v.run(2 * 86_400_000);
    expect(n).toBe(before);
  });
});

describe('cover over a session follows when real sends come', () => {
  const MIN = 60_000;
  /** A device that sends 3 messages in its first minute and none later, over `n` 40-minute sessions. */
  function learnedEarlySender(n: number): SessionShape {
    const sh = new SessionShape();
    let t = 0;
    for (let i = 0; i < n; i++) {
      sh.begin(t);
      for (const at of [5_000, 20_000, 45_000]) sh.realSend(t + at);
      sh.end(t + 40 * MIN);
      t += 3 * 3_600_000;
    }
    return sh;
  }

  it('a new device starts front-loaded (flat on request); an early sender gets more early and less later, mean 1 over the time spent', () => {
    const at = (sh: SessionShape) => SESSION_BINS_MS.map((_, b) => sh.multiplier(b === 0 ? 0 : SESSION_BINS_MS[b - 1]!));
    const flat = new SessionShape({ prior: 'flat' });
    flat.begin(0);
    expect(at(flat)).toEqual(SESSION_BINS_MS.map(() => 1));
    const fresh = new SessionShape();
    fresh.begin(0);
    const m = at(fresh);
    expect(m[0]).toBeGreaterThan(1.5);
    expect(m[7]).toBeLessThan(1);
    expect(m.every((x, i) => i === 0 || x <= m[i - 1]! + 1e-12)).toBe(true);
    const sh = learnedEarlySender(30);
    sh.begin(0);
    expect(sh.multiplier(10_000)).toBeGreaterThan(3);
    expect(sh.multiplier(10_000)).toBeLessThanOrEqual(MAX_BOOST);
    expect(sh.multiplier(30 * MIN)).toBeLessThan(1);
    // The time-weighted mean over a 40-minute session is 1 (the schedule's mean rate is kept).
    let sum = 0;
    for (let t = 0; t < 40 * MIN; t += 1000) sum += sh.multiplier(t);
    expect(sum / (40 * MIN / 1000)).toBeCloseTo(1, 1);
  });

  it('a saved state restores the same multipliers; a malformed one is ignored', () => {
    const sh = learnedEarlySender(10);
    const copy = new SessionShape();
    copy.restore(JSON.parse(JSON.stringify(sh.state())));
    sh.begin(0);
    copy.begin(0);
    for (const t of [0, 50_000, 100_000, 10 * MIN, 50 * MIN]) expect(copy.multiplier(t)).toBe(sh.multiplier(t));
    const bad = new SessionShape();
    bad.restore({ sends: [1, 2], exposure: 'x' });
    bad.begin(0);
    const fresh = new SessionShape();
    fresh.begin(0);
    expect(bad.multiplier(0)).toBe(fresh.multiplier(0));
  });

  it('a shaped schedule is still a Poisson process: gaps rescaled by its rate pass the KS test (p > 0.01, ≥ 500), though early gaps are short', async () => {
    const v = virtualTimers();
    const at: number[] = [];
    const s = new CoverSchedule({ timers: v.timers, now: v.now, random: seeded(9), send: async () => void at.push(v.now()) });
    s.shape.restore(learnedEarlySender(30).state());
    // The rate in force during a session (the shape learns at each session's end: time spent, no sends).
    let probe = new SessionShape();
    const rate = 1 / COVER_RATES.high.meanMs;
    /** ∫ rate × multiplier over [a, b] ms since the session started (the multiplier is constant per bin). */
    const lambda = (a: number, b: number): number => {
      let sum = 0;
      SESSION_BINS_MS.forEach((to, i) => {
        const from = i === 0 ? 0 : SESSION_BINS_MS[i - 1]!;
        const overlap = Math.min(b, to) - Math.max(a, from);
        if (overlap > 0) sum += probe.multiplier(from) * overlap * rate;
      });
      return sum;
    };
    const rescaled: number[] = [];
    const early: number[] = [];
    const late: number[] = [];
    // Long sessions: gaps cut by a session's end are not counted, which would bias short windows.
    for (let i = 0; i < 8; i++) {
      const start = v.now();
      at.length = 0;
      probe = new SessionShape();
      probe.restore(s.shape.state());
      probe.begin(0);
      s.start(['wss://a'], 'high');
      await v.run(start + 120 * MIN);
      s.stop();
      for (let k = 1; k < at.length; k++) {
        rescaled.push(lambda(at[k - 1]! - start, at[k]! - start));
        (at[k - 1]! - start < MIN ? early : late).push(at[k]! - at[k - 1]!);
      }
      await v.run(v.now() + 24 * 3_600_000);
    }
    expect(rescaled.length).toBeGreaterThanOrEqual(500);
    expect(ksExponential(rescaled, 1).p).toBeGreaterThan(0.01);
    // The shape is real: gaps starting in a session's first minute are far shorter than later ones.
    const mean = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / xs.length;
    expect(early.length).toBeGreaterThan(30);
    expect(mean(early)).toBeLessThan(0.5 * mean(late));
  });

  it('the schedule puts cover where the device sends: more of it in the first minute of a session', async () => {
    const v = virtualTimers();
    const at: number[] = [];
    const s = new CoverSchedule({ timers: v.timers, now: v.now, random: seeded(5), send: async () => void at.push(v.now()) });
    s.shape.restore(learnedEarlySender(30).state());
    let firstMinute = 0;
    let total = 0;
    // 200 sessions of 40 minutes at the high rate (mean gap 30 s): cover per session position.
    for (let i = 0; i < 200; i++) {
      const start = v.now();
      at.length = 0;
      s.start(['wss://a'], 'high');
      await v.run(start + 40 * MIN);
      s.stop();
      firstMinute += at.filter((t) => t - start < MIN).length;
      total += at.length;
      await v.run(v.now() + 24 * 3_600_000); // a new day: the budget does not bind
    }
    // Flat cover would put 1/40 of it in the first minute; this device sends 100% of its messages there.
    expect(firstMinute / total).toBeGreaterThan(0.1);
    expect(total / 200).toBeGreaterThan(40 * 2 * 0.8); // the mean rate (2 a minute) is kept
  });
});

describe('cover sizes follow the real ones', () => {
  it('size-class histograms of real and cover pass a chi-square test; a fixed class-1 cover fails it', () => {
    const random = seeded(5);
    const real = [0, 0, 0, 0];
    const h = new ClassHistogram();
    // A user whose real envelopes are 70% class 1, 20% class 2, 7% class 3, 3% class 4.
    for (let i = 0; i < 1000; i++) {
      const u = random();
      const k = u < 0.7 ? 0 : u < 0.9 ? 1 : u < 0.97 ? 2 : 3;
      real[k]!++;
      h.record(k);
    }
    const cover = [0, 0, 0, 0];
    for (let i = 0; i < 2000; i++) cover[h.sample(random)]!++;
    expect(chiSquareTwoSample(real, cover).p).toBeGreaterThan(0.01);
    expect(chiSquareTwoSample(real, [2000, 0, 0, 0]).p).toBeLessThan(0.01);
  });

  it('a new device draws from the prior (the common case: class 1)', () => {
    const random = seeded(9);
    const counts = [0, 0, 0, 0];
    const h = new ClassHistogram();
    for (let i = 0; i < 4600; i++) counts[h.sample(random)]!++;
    const total = PRIOR_COUNTS.reduce((a, b) => a + b, 0);
    expect(chiSquareTwoSample(counts, PRIOR_COUNTS.map((c) => c * 100)).p).toBeGreaterThan(0.01);
    expect(counts[0]! / 4600).toBeCloseTo(PRIOR_COUNTS[0]! / total, 1);
  });

  it('payloads pad to the class they were drawn for, cut from public notes when there are some', () => {
    const s = new CoverSampler(seeded(1));
    for (const k of [0, 1, 2, 3]) {
      const p = s.payload(k);
      expect(paddedSizeFor(p.length)).toBe(paddedSizeFor(payloadRange(k).max));
    }
    s.offer(JSON.stringify({ kind: 1, content: 'a public note' }));
    const text = new TextDecoder().decode(s.payload(1));
    expect(text.startsWith('{"kind":1,"content":"a public note"}\n{"kind":1')).toBe(true);
    expect(classOfContentLength(1368)).toBe(0);
    expect(classOfContentLength(8192)).toBe(3);
    expect(classOfContentLength(1000)).toBe(-1);
  });

describe('cover into the intro bucket follows the real share', () => {
  it('starts at the prior, moves to the device\'s own share of first messages, stays within bounds', () => {
    expect(introShare(0, 0)).toBeCloseTo(INTRO_PRIOR, 10);
    // A tenth of 200 sends were first messages: close to 10%.
    expect(introShare(20, 200)).toBeGreaterThan(0.09);
    expect(introShare(20, 200)).toBeLessThan(0.11);
    // Never a first message: down to the floor, not zero (intros are not always real).
    expect(introShare(0, 10_000)).toBe(INTRO_SHARE_MIN);
    // Only first messages: capped, as every reader trial-opens the intro bucket.
    expect(introShare(500, 500)).toBe(INTRO_SHARE_MAX);
  });
});
});
