/**
 * The cover-vs-real classifier (classifier.ts) on data whose answer is known: AUC by hand, a
 * separable feature found (AUC near 1), identical distributions not (AUC near 0.5), and the
 * examples built from a log: one per envelope publish, labelled from the ground truth, with the
 * relay-observable features (size, created_at offset, copies to several relays in one second).
 */
import { describe, expect, it } from 'vitest';
import { auc, crossValidatedAuc, envelopeExamples, FEATURES, type Examples } from './classifier';
import type { LogRecord, LoggedEvent } from './observer';
import { seeded } from '../helpers/stats';

describe('AUC', () => {
  it('is the probability that a real example outscores a cover one (ties one half)', () => {
    expect(auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBeCloseTo(0.75, 10);
    expect(auc([1, 2, 3, 4], [0, 0, 1, 1])).toBe(1);
    expect(auc([4, 3, 2, 1], [0, 0, 1, 1])).toBe(0);
    expect(auc([1, 1, 1, 1], [0, 1, 0, 1])).toBe(0.5);
    expect(auc([1, 2], [1, 1])).toBeNaN();
  });
});

function synthetic(n: number, shift: number, seed: number): Examples {
  const r = seeded(seed);
  const gauss = (): number => Math.sqrt(-2 * Math.log(r())) * Math.cos(2 * Math.PI * r());
  const x: number[][] = [];
  const y: (0 | 1)[] = [];
  for (let i = 0; i < n; i++) {
    const label = r() < 0.2 ? 1 : 0;
    x.push([gauss() + label * shift, gauss(), r()]);
    y.push(label);
  }
  return { x, y, names: ['a', 'b', 'c'] };
}

describe('cross-validated logistic regression', () => {
  it('finds a feature that separates the classes', () => {
    const res = crossValidatedAuc(synthetic(2_000, 3, 11), seeded(1));
    expect(res.n).toBe(2_000);
    expect(res.auc).toBeGreaterThan(0.95);
  });

  it('finds nothing where the classes are alike: AUC within noise of 0.5 on 2,000 examples', () => {
    const res = crossValidatedAuc(synthetic(2_000, 0, 12), seeded(1));
    expect(Math.abs(res.auc - 0.5)).toBeLessThan(0.05);
  });

  it('needs both classes in every fold', () => {
    const ex = synthetic(50, 1, 13);
    const res = crossValidatedAuc({ ...ex, y: ex.y.map(() => 0 as const) }, seeded(1));
    expect(res.auc).toBeNaN();
  });
});

describe('examples from the observer log', () => {
  const ev = (id: string, createdAt: number, tag: string, pad: number): LoggedEvent => ({
    id,
    pubkey: 'e'.repeat(64),
    kind: 1067,
    created_at: createdAt,
    tags: [['p', tag], ['expiration', String(createdAt + 86_400 * 30)]],
    content: 'x'.repeat(pad)
  });

  it('one example per envelope publish, real from the truth, with size, offset and copies per second', () => {
    const log: LogRecord[] = [
      { t: 'open', conn: 1, relay: 'ws://a', ip: '10.0.0.1', ms: 0 },
      { t: 'open', conn: 2, relay: 'ws://b', ip: '10.0.0.1', ms: 0 },
      // a real message: copies to both relays in the same second
      { t: 'publish', conn: 1, event: ev('r1', 100, 't1', 500), bytes: 600, ms: 100_000 },
      { t: 'publish', conn: 2, event: ev('r2', 100, 't2', 500), bytes: 600, ms: 100_200 },
      // a cover envelope alone, backdated by an hour
      { t: 'publish', conn: 1, event: ev('c1', 5_000 - 3_600, 't1', 900), bytes: 1000, ms: 5_000_000 },
      { t: 'publish', conn: 1, event: ev('1', 5_000, 't1', 900), bytes: 1000, ms: 5_000_500 }
    ];
    // A kind-1 publish is not an envelope.
    log[5] = { ...log[5]!, event: { ...(log[5] as Extract<LogRecord, { t: 'publish' }>).event, kind: 1 } } as LogRecord;
    const truth = { messages: [{ outer: [{ id: 'r1' }, { id: 'r2' }] }] } as unknown as Parameters<typeof envelopeExamples>[1];
    const ex = envelopeExamples(log, truth, 'ip');
    expect(ex.y).toEqual([1, 1, 0]);
    expect(ex.x).toHaveLength(3);
    expect(ex.names).toEqual([...FEATURES]);
    const col = (name: (typeof FEATURES)[number]): number[] => ex.x.map((r) => r[FEATURES.indexOf(name)]!);
    expect(col('relays the actor published to within 1 s')).toEqual([2, 2, 1]);
    expect(col('created_at offset (s)').map((v) => Math.round(v * 10) / 10)).toEqual([0, 0.2, 3_600]);
    expect(col('bytes')[2]).toBeGreaterThan(col('bytes')[0]!);
    expect(col('publishes before on this socket')).toEqual([0, 0, 1]);
    expect(col('publishes with this tag that day')).toEqual([2, 1, 2]);
  });
});
