/**
 * Cover against real (issue 10 "Must show"): can a relay tell Veil's cover envelopes from real ones by
 * what it observes? Every kind-1067 publish in the log becomes one example, labelled real when the
 * ground truth lists it as a message's outer event, else cover. The features are everything the relay
 * has for that publish: size, tag count and shape, created_at offset from the publish moment, the
 * expiration span, the gap since the same IP's (or socket's, without IPs) previous envelope publish,
 * the publishes before it on that socket, whether its `p` tag was read by anyone before and how many
 * publishes share the tag that day (intro vs shared bucket), how many relays got an event from that
 * actor in the same second, and the time of day. A logistic regression (standardised features,
 * L2-regularised, batch gradient descent) is scored by k-fold cross-validated AUC.
 */
import { makeView, pTag, type Model } from './attacks';
import type { LogRecord } from './observer';
import type { Truth } from './population';

const ENVELOPE_KIND = 1067;
const DAY = 86_400_000;

export interface Examples {
  x: number[][];
  y: (0 | 1)[];
  names: string[];
}

export const FEATURES = [
  'bytes',
  'tags',
  'has expiration',
  'created_at offset (s)',
  'expiration span (s)',
  'log gap since actor\u2019s previous publish',
  'publishes before on this socket',
  'tag read before',
  'publishes with this tag that day',
  'relays the actor published to within 1 s',
  'hour sin',
  'hour cos'
] as const;

/** One example per envelope publish (first publish of each id), labelled from the ground truth. */
export function envelopeExamples(log: readonly LogRecord[], truth: Pick<Truth, 'messages'>, model: Model): Examples {
  const v = makeView(log, model);
  const real = new Set(truth.messages.flatMap((m) => m.outer.map((o) => o.id)));
  const pubs = [...v.published.values()].filter((p) => p.event.kind === ENVELOPE_KIND).sort((a, b) => a.ms - b.ms);
  const readAt = new Map<string, number>();
  for (const r of log) {
    if (r.t !== 'req') continue;
    for (const f of r.filters) {
      const tags = f['#p'];
      if (Array.isArray(tags)) for (const t of tags) if (typeof t === 'string' && !readAt.has(t)) readAt.set(t, r.ms);
    }
  }
  const perTagDay = new Map<string, number>();
  for (const p of pubs) {
    const k = `${pTag(p.event)}|${Math.floor(p.ms / DAY)}`;
    perTagDay.set(k, (perTagDay.get(k) ?? 0) + 1);
  }
  const lastByActor = new Map<string, number>();
  const perConn = new Map<number, number>();
  const x: number[][] = [];
  const y: (0 | 1)[] = [];
  const actorOfPub = (q: (typeof pubs)[number]): string => v.conns.get(q.conn)?.actor ?? `c:${q.conn}`;
  pubs.forEach((p, i) => {
    const actor = actorOfPub(p);
    const ev = p.event;
    const exp = Number(ev.tags.find((t) => t[0] === 'expiration')?.[1]);
    const tag = pTag(ev) ?? '';
    const prev = lastByActor.get(actor);
    const relays = new Set<string>([p.relay]);
    for (let k = i - 1; k >= 0 && p.ms - pubs[k]!.ms <= 1_000; k--) if (actorOfPub(pubs[k]!) === actor) relays.add(pubs[k]!.relay);
    for (let k = i + 1; k < pubs.length && pubs[k]!.ms - p.ms <= 1_000; k++) if (actorOfPub(pubs[k]!) === actor) relays.add(pubs[k]!.relay);
    const sameSecond = relays.size;
    const hour = ((p.ms % DAY) / DAY) * 2 * Math.PI;
    x.push([
      JSON.stringify(ev).length,
      ev.tags.length,
      Number.isFinite(exp) ? 1 : 0,
      p.ms / 1000 - ev.created_at,
      Number.isFinite(exp) ? exp - ev.created_at : 0,
      prev === undefined ? 0 : Math.log1p((p.ms - prev) / 1000),
      perConn.get(p.conn) ?? 0,
      (readAt.get(tag) ?? Infinity) < p.ms ? 1 : 0,
      perTagDay.get(`${tag}|${Math.floor(p.ms / DAY)}`) ?? 0,
      sameSecond,
      Math.sin(hour),
      Math.cos(hour)
    ]);
    y.push(real.has(ev.id) ? 1 : 0);
    lastByActor.set(actor, p.ms);
    perConn.set(p.conn, (perConn.get(p.conn) ?? 0) + 1);
  });
  return { x, y, names: [...FEATURES] };
}

/** Area under the ROC curve of `scores` for labels `y` (ties count one half). */
export function auc(scores: readonly number[], y: readonly (0 | 1)[]): number {
  const idx = scores.map((s, i) => [s, i] as const).sort((a, b) => a[0] - b[0]);
  let rankSumPos = 0;
  let i = 0;
  while (i < idx.length) {
    let j = i;
    while (j + 1 < idx.length && idx[j + 1]![0] === idx[i]![0]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (y[idx[k]![1]] === 1) rankSumPos += rank;
    i = j + 1;
  }
  const pos = y.filter((v) => v === 1).length;
  const neg = y.length - pos;
  if (pos === 0 || neg === 0) return NaN;
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}

interface Model1 {
  w: number[];
  b: number;
  mean: number[];
  sd: number[];
}

function fit(x: readonly number[][], y: readonly (0 | 1)[], iterations = 400, rate = 0.5, l2 = 1e-3): Model1 {
  const d = x[0]?.length ?? 0;
  const mean = Array.from({ length: d }, (_, j) => x.reduce((s, r) => s + r[j]!, 0) / x.length);
  const sd = Array.from({ length: d }, (_, j) => Math.sqrt(x.reduce((s, r) => s + (r[j]! - mean[j]!) ** 2, 0) / x.length) || 1);
  const z = x.map((r) => r.map((v, j) => (v - mean[j]!) / sd[j]!));
  const w = new Array<number>(d).fill(0);
  let b = 0;
  // Classes weighted equally, so a rare class (real among much cover) is not ignored.
  const pos = y.filter((v) => v === 1).length;
  const wPos = pos > 0 ? y.length / (2 * pos) : 1;
  const wNeg = pos < y.length ? y.length / (2 * (y.length - pos)) : 1;
  for (let it = 0; it < iterations; it++) {
    const g = new Array<number>(d).fill(0);
    let gb = 0;
    for (let i = 0; i < z.length; i++) {
      const r = z[i]!;
      let s = b;
      for (let j = 0; j < d; j++) s += w[j]! * r[j]!;
      const err = (1 / (1 + Math.exp(-s)) - y[i]!) * (y[i] === 1 ? wPos : wNeg);
      for (let j = 0; j < d; j++) g[j]! += err * r[j]!;
      gb += err;
    }
    for (let j = 0; j < d; j++) w[j]! -= rate * (g[j]! / z.length + l2 * w[j]!);
    b -= (rate * gb) / z.length;
  }
  return { w, b, mean, sd };
}

function score(m: Model1, r: readonly number[]): number {
  let s = m.b;
  for (let j = 0; j < r.length; j++) s += m.w[j]! * ((r[j]! - m.mean[j]!) / m.sd[j]!);
  return s;
}

/**
 * k-fold cross-validated AUC of the logistic regression: each example is scored by a model that did
 * not see it. Folds are dealt in order of a fixed permutation from `rand` (stratified by label).
 */
export function crossValidatedAuc(ex: Examples, rand: () => number, folds = 5): { auc: number; n: number; real: number; cover: number } {
  const n = ex.y.length;
  const real = ex.y.filter((v) => v === 1).length;
  const out = { n, real, cover: n - real, auc: NaN };
  if (real < folds || n - real < folds) return out;
  const fold = new Array<number>(n);
  for (const label of [0, 1] as const) {
    const ids = ex.y.flatMap((v, i) => (v === label ? [i] : []));
    for (let i = ids.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1)) % (i + 1);
      [ids[i], ids[j]] = [ids[j]!, ids[i]!];
    }
    ids.forEach((id, k) => (fold[id] = k % folds));
  }
  const scores = new Array<number>(n).fill(0);
  for (let f = 0; f < folds; f++) {
    const train = ex.x.flatMap((_, i) => (fold[i] !== f ? [i] : []));
    const m = fit(train.map((i) => ex.x[i]!), train.map((i) => ex.y[i]!));
    for (let i = 0; i < n; i++) if (fold[i] === f) scores[i] = score(m, ex.x[i]!);
  }
  out.auc = auc(scores, ex.y);
  return out;
}
