/**
 * Scoring the attacks (attacks.ts) against the ground truth (population.ts): attacker nodes mapped
 * back to true users, edge precision and recall of the undirected social graph against chance,
 * per-message sender and recipient identification against chance, and the reader-fingerprint
 * metrics (degree leak, cross-day linking) and the two-relay match rate.
 */
import { FANOUT_MS, MESSAGE_KINDS, REACTION_MS, activityByActor, actorOf, deliveriesById, pTag, readersByTag, readTags, type ScoredEdge, type View } from './attacks';
import type { LogRecord } from './observer';
import type { Truth, TruthMessage } from './population';

const DAY = 86_400_000;

/** Attacker node → true user index (undefined: not a user of this world). */
export function nodeUsers(v: View, truth: Truth): Map<string, number> {
  const byIp = new Map(truth.users.map((u, i) => [u.ip, i]));
  const out = new Map<string, number>();
  truth.users.forEach((u, i) => out.set(`pk:${u.pubkey}`, i));
  const votes = new Map<string, Map<number, number>>();
  for (const c of v.conns.values()) {
    const u = byIp.get(c.ip);
    if (u === undefined) continue;
    const m = votes.get(c.actor) ?? new Map<number, number>();
    m.set(u, (m.get(u) ?? 0) + 1);
    votes.set(c.actor, m);
  }
  for (const [actor, m] of votes) out.set(actor, [...m.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]![0]);
  return out;
}

export interface EdgeScore {
  precision: number;
  recall: number;
  chance: number;
}

const pairKey = (a: number, b: number): string => (a < b ? `${a}-${b}` : `${b}-${a}`);

/**
 * Edges summed per user pair; the attacker names every pair scoring at least the |E|-th best score
 * (and above 0). Precision = true among named / named (no pair named: the attacker guesses, chance),
 * recall = true among named / |E|. Chance = |E| / (N choose 2).
 */
export function scoreEdges(edges: readonly ScoredEdge[], truth: Truth, users: Map<string, number>): EdgeScore {
  const n = truth.users.length;
  const truthSet = new Set(truth.edges.map(([a, b]) => pairKey(a, b)));
  const chance = truthSet.size / ((n * (n - 1)) / 2);
  const sums = new Map<string, number>();
  for (const e of edges) {
    const a = users.get(e.a);
    const b = users.get(e.b);
    if (a === undefined || b === undefined || a === b) continue;
    sums.set(pairKey(a, b), (sums.get(pairKey(a, b)) ?? 0) + e.score);
  }
  const ranked = [...sums.entries()].filter(([, s]) => s > 1e-9).sort((x, y) => y[1] - x[1]);
  if (ranked.length === 0 || truthSet.size === 0) return { precision: chance, recall: 0, chance };
  const cut = ranked[Math.min(truthSet.size, ranked.length) - 1]![1] - 1e-9;
  const named = ranked.filter(([, s]) => s >= cut);
  const hits = named.filter(([k]) => truthSet.has(k)).length;
  return { precision: hits / named.length, recall: hits / truthSet.size, chance };
}

/** Expected accuracy of naming the top-scoring user (a tie is broken at random; no candidate: a guess). */
function credit(cands: Map<number, number>, right: number, others: number): number {
  let best = 0;
  for (const s of cands.values()) best = Math.max(best, s);
  if (best <= 0) return 1 / others;
  const top = [...cands.entries()].filter(([, s]) => s === best).map(([u]) => u);
  return top.includes(right) ? 1 / top.length : 0;
}

export interface Identification {
  sender: number;
  recipient: number;
  chance: number;
  /** Messages scored. */
  n: number;
}

/**
 * Per message: the sender named as whoever published its outer events; the recipient as whoever
 * asked for its `p` tag (weight 2), got it live within FANOUT_MS (1) or got it at all (0.5), and
 * sent a new REQ within REACTION_MS after getting it (1).
 */
export function identify(v: View, truth: Truth, users: Map<string, number>): Identification {
  const readers = readersByTag(v);
  const deliveries = deliveriesById(v);
  const reqTimes = activityByActor(v);
  const others = Math.max(1, truth.users.length - 1);
  let s = 0;
  let rc = 0;
  const msgs = truth.messages.filter((m) => m.outer.length > 0);
  for (const m of msgs) {
    const senders = new Map<number, number>();
    const recips = new Map<number, number>();
    const bump = (map: Map<number, number>, actor: string, w: number): void => {
      const u = users.get(actor);
      if (u !== undefined) map.set(u, (map.get(u) ?? 0) + w);
    };
    for (const o of m.outer) {
      const p = v.published.get(o.id);
      if (!p) continue;
      const from = actorOf(v, p.conn);
      bump(senders, from, 1);
      const tag = pTag(p.event);
      for (const a of tag ? (readers.get(tag) ?? []) : []) if (a !== from) bump(recips, a, 2);
      for (const d of deliveries.get(o.id) ?? []) {
        if (d.actor === from) continue;
        bump(recips, d.actor, d.ms - p.ms <= FANOUT_MS ? 1 : 0.5);
        // A reader that resubscribes right after receiving it reacted to a first contact.
        if ((reqTimes.get(d.actor) ?? []).some((t) => t > d.ms && t <= d.ms + REACTION_MS)) bump(recips, d.actor, 1);
      }
    }
    recips.delete(m.from);
    s += credit(senders, m.from, truth.users.length);
    rc += credit(recips, m.to, others);
  }
  const k = Math.max(1, msgs.length);
  return { sender: s / k, recipient: rc / k, chance: 1 / others, n: msgs.length };
}

/**
 * The degree leak: Pearson correlation, over users, of the most message tags one of their REQs
 * names per day it covers (the days follow from its `since`) with their true number of contacts.
 */
export function degreeLeak(v: View, truth: Truth, users: Map<string, number>): number {
  const degree = new Array<number>(truth.users.length).fill(0);
  for (const [a, b] of truth.edges) {
    degree[a]!++;
    degree[b]!++;
  }
  const best = new Map<number, number>();
  for (const r of v.log) {
    if (r.t !== 'req') continue;
    const tags = new Set(readTags(r));
    const u = users.get(actorOf(v, r.conn));
    if (tags.size === 0 || u === undefined) continue;
    const since = Math.min(...r.filters.map((f) => (typeof f.since === 'number' ? f.since : Infinity)));
    const days = Number.isFinite(since) ? Math.max(1, Math.floor(r.ms / DAY) + 2 - Math.floor((since + 2 * 86_400 + 600) / 86_400)) : 1;
    best.set(u, Math.max(best.get(u) ?? 0, tags.size / days));
  }
  const list = [...best.entries()];
  return pearson(
    list.map(([, x]) => x),
    list.map(([u]) => degree[u]!)
  );
}

export function pearson(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  if (n < 2) return NaN;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
    syy += (ys[i]! - my) ** 2;
  }
  return sxx === 0 || syy === 0 ? NaN : sxy / Math.sqrt(sxx * syy);
}

export interface Rate {
  rate: number;
  chance: number;
  /** How many cases were scored. */
  n: number;
}

/**
 * Cross-day linking without IPs: each connection reading message tags on day d+1 is linked to the
 * day-d connection whose tag set overlaps most (no overlap: a guess). Correct when both are the same
 * true user. Chance: 1 / number of users reading on day d.
 */
export function crossDayLinking(v: View, truth: Truth, kinds?: readonly number[]): Rate {
  const byIp = new Map(truth.users.map((u, i) => [u.ip, i]));
  const readers = new Map<number, { user: number; day: number; tags: Set<string> }>();
  for (const r of v.log) {
    if (r.t !== 'req') continue;
    if (kinds && !r.filters.some((f) => Array.isArray(f.kinds) && (f.kinds as unknown[]).some((k) => kinds.includes(k as number)))) continue;
    const tags = readTags(r);
    const c = v.conns.get(r.conn);
    const user = c ? byIp.get(c.ip) : undefined;
    if (tags.length === 0 || !c || user === undefined) continue;
    const e = readers.get(r.conn) ?? { user, day: Math.floor((c.open - truth.start) / DAY), tags: new Set<string>() };
    for (const t of tags) e.tags.add(t);
    readers.set(r.conn, e);
  }
  const list = [...readers.values()];
  let sum = 0;
  let chance = 0;
  let n = 0;
  for (const x of list) {
    const prev = list.filter((y) => y.day === x.day - 1);
    const prevUsers = new Set(prev.map((y) => y.user));
    if (!prevUsers.has(x.user)) continue;
    n++;
    chance += 1 / prevUsers.size;
    const overlap = prev.map((y) => ({ user: y.user, o: [...y.tags].filter((t) => x.tags.has(t)).length }));
    const best = overlap.reduce((m, o) => Math.max(m, o.o), -Infinity);
    if (best === 0) {
      sum += 1 / prevUsers.size;
      continue;
    }
    const top = overlap.filter((o) => o.o === best);
    sum += top.filter((o) => o.user === x.user).length / top.length;
  }
  return { rate: n ? sum / n : 0, chance: n ? chance / n : 0, n };
}

/**
 * Two colluding relays: each message publish on the first envelope relay is paired with the same
 * event on the second if there is one, else the publish on the second closest in time within 1 s, of the same size and (IP model) from the same
 * IP (no candidate: a guess). Correct when both carry the same message. Chance: 1 / message
 * publishes on the second relay that day.
 */
export function twoRelayMatch(v: View, truth: Truth, relays: readonly string[]): Rate {
  const msgOf = new Map<string, TruthMessage>();
  for (const m of truth.messages) for (const o of m.outer) msgOf.set(`${o.relay}|${o.id}`, m);
  const pubs = v.log.filter((r): r is Extract<LogRecord, { t: 'publish' }> => r.t === 'publish' && MESSAGE_KINDS.has(r.event.kind));
  const on = (relay: string) => pubs.filter((p) => v.conns.get(p.conn)?.relay === relay);
  const [ra, rb] = relays;
  if (!ra || !rb) return { rate: 0, chance: 0, n: 0 };
  const a = on(ra);
  const b = on(rb);
  const bMsgs = new Set(b.map((p) => msgOf.get(`${rb}|${p.event.id}`)).filter((m) => m));
  let sum = 0;
  let chance = 0;
  let n = 0;
  for (const p of a) {
    const m = msgOf.get(`${ra}|${p.event.id}`);
    if (!m || !bMsgs.has(m)) continue;
    n++;
    const day = Math.floor((p.ms - truth.start) / DAY);
    const guess = 1 / Math.max(1, b.filter((q) => Math.floor((q.ms - truth.start) / DAY) === day).length);
    chance += guess;
    const ip = v.conns.get(p.conn)?.ip;
    const same = b.filter((q) => q.event.id === p.event.id);
    const cands = same.length > 0 ? same : b.filter((q) => Math.abs(q.ms - p.ms) <= 1_000 && q.bytes === p.bytes && (v.model === 'noip' || v.conns.get(q.conn)?.ip === ip));
    if (cands.length === 0) {
      sum += guess;
      continue;
    }
    const best = cands.reduce((m, q) => Math.min(m, Math.abs(q.ms - p.ms)), Infinity);
    const top = cands.filter((q) => Math.abs(q.ms - p.ms) === best);
    sum += top.filter((q) => msgOf.get(`${rb}|${q.event.id}`) === m).length / top.length;
  }
  return { rate: n ? sum / n : 0, chance: n ? chance / n : 0, n };
}
