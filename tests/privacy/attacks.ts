/**
 * What a relay operator recovers from its log alone (DESIGN.md §8): pure functions over the
 * observer's log (observer.ts). Each attack returns a scored edge list between attacker-side
 * nodes: an "actor" (`ip:127.0.0.12` when the relay sees IPs; `g:7`, a group of connections opened
 * together, when it does not: Tor-like) or an identity pubkey the log names (`pk:<hex>`).
 * score.ts maps nodes back to true users and scores them against the ground truth.
 */
import type { Filter, LogRecord, LoggedEvent } from './observer';

export type Model = 'ip' | 'noip';
export interface ScoredEdge {
  a: string;
  b: string;
  score: number;
}

/** Event kinds that carry messages: Veil envelopes and NIP-17 gift wraps. */
export const MESSAGE_KINDS: ReadonlySet<number> = new Set([1067, 1059]);
/** Connections opened within this long of the previous one count as one client (no-IP model). */
export const GROUP_MS = 25;
export const FANOUT_MS = 2_000;
export const REPLY_WINDOW_MS = 10 * 60_000;
export const REACTION_MS = 60_000;
export const DISCLOSURE_WINDOW_MS = 30 * 60_000;

export interface ConnInfo {
  conn: number;
  relay: string;
  ip: string;
  open: number;
  actor: string;
}

/** The attacker's view: who each connection is (by model) and the log indexed for the attacks. */
export interface View {
  model: Model;
  conns: Map<number, ConnInfo>;
  log: LogRecord[];
  /** First publish of each event id. */
  published: Map<string, { conn: number; ms: number; event: LoggedEvent; relay: string }>;
}

export function makeView(log: readonly LogRecord[], model: Model): View {
  const conns = new Map<number, ConnInfo>();
  let group = 0;
  let lastOpen = -Infinity;
  const opens = log.filter((r): r is Extract<LogRecord, { t: 'open' }> => r.t === 'open').sort((x, y) => x.ms - y.ms || x.conn - y.conn);
  for (const o of opens) {
    if (o.ms - lastOpen > GROUP_MS) group++;
    lastOpen = o.ms;
    conns.set(o.conn, { conn: o.conn, relay: o.relay, ip: o.ip, open: o.ms, actor: model === 'ip' ? `ip:${o.ip}` : `g:${group}` });
  }
  const published: View['published'] = new Map();
  for (const r of log) if (r.t === 'publish' && !published.has(r.event.id)) published.set(r.event.id, { conn: r.conn, ms: r.ms, event: r.event, relay: conns.get(r.conn)?.relay ?? '' });
  return { model, conns, log: [...log], published };
}

export function actorOf(v: View, conn: number): string {
  return v.conns.get(conn)?.actor ?? `c:${conn}`;
}

export function pTag(ev: LoggedEvent): string | undefined {
  return ev.tags.find((t) => t[0] === 'p')?.[1];
}

function stringList(f: Filter, key: string): string[] {
  const v = f[key];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** Filters of a REQ that read message kinds (`#p` lists). */
export function readTags(r: Extract<LogRecord, { t: 'req' }>): string[] {
  const out: string[] = [];
  for (const f of r.filters) {
    const kinds = Array.isArray(f.kinds) ? (f.kinds as unknown[]) : [];
    if (kinds.some((k) => MESSAGE_KINDS.has(k as number))) out.push(...stringList(f, '#p'));
  }
  return out;
}

export function authorsOf(r: Extract<LogRecord, { t: 'req' }>): string[] {
  return r.filters.flatMap((f) => stringList(f, 'authors'));
}

class EdgeSum {
  readonly #m = new Map<string, ScoredEdge>();
  add(a: string, b: string, s: number): void {
    if (a === b || !Number.isFinite(s) || s === 0) return;
    const [x, y] = a < b ? [a, b] : [b, a];
    const k = `${x}|${y}`;
    const e = this.#m.get(k) ?? { a: x, b: y, score: 0 };
    e.score += s;
    this.#m.set(k, e);
  }
  list(): ScoredEdge[] {
    return [...this.#m.values()];
  }
}

/** Message publishes, in time order. */
function messagePublishes(v: View): { conn: number; ms: number; event: LoggedEvent; actor: string }[] {
  return [...v.published.values()].filter((p) => MESSAGE_KINDS.has(p.event.kind)).map((p) => ({ ...p, actor: actorOf(v, p.conn) })).sort((a, b) => a.ms - b.ms);
}

/** Actors whose REQs named each message tag. */
export function readersByTag(v: View): Map<string, Set<string>> {
  const readers = new Map<string, Set<string>>();
  for (const r of v.log) if (r.t === 'req') for (const tag of readTags(r)) readers.set(tag, (readers.get(tag) ?? new Set()).add(actorOf(v, r.conn)));
  return readers;
}

/** Every delivery of each message event: to which actor, when. */
export function deliveriesById(v: View): Map<string, { actor: string; ms: number }[]> {
  const out = new Map<string, { actor: string; ms: number }[]>();
  for (const r of v.log) {
    if (r.t !== 'deliver' || !MESSAGE_KINDS.has(r.kind)) continue;
    const list = out.get(r.id) ?? [];
    list.push({ actor: actorOf(v, r.conn), ms: r.ms });
    out.set(r.id, list);
  }
  return out;
}

/** When each actor sent a REQ (and, with `publishes`, published a message), in log order. */
export function activityByActor(v: View, publishes = false): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const r of v.log) {
    if (r.t !== 'req' && !(publishes && r.t === 'publish' && MESSAGE_KINDS.has(r.event.kind))) continue;
    const list = out.get(actorOf(v, r.conn)) ?? [];
    list.push(r.ms);
    out.set(actorOf(v, r.conn), list);
  }
  return out;
}

/** Tag linking: the publisher of an event with `p` = T, joined with every reader whose REQ names T. */
export function tagLinking(v: View): ScoredEdge[] {
  const readers = readersByTag(v);
  const out = new EdgeSum();
  for (const p of messagePublishes(v)) {
    const tag = pTag(p.event);
    const rs = [...(tag ? (readers.get(tag) ?? []) : [])].filter((a) => a !== p.actor);
    for (const a of rs) out.add(p.actor, a, 1 / rs.length);
  }
  return out.list();
}

/** Live fan-out timing: who receives an event within FANOUT_MS of its publish (1/k each of k receivers). */
export function fanoutTiming(v: View, windowMs = FANOUT_MS): ScoredEdge[] {
  const out = new EdgeSum();
  const deliveries = deliveriesById(v);
  for (const p of messagePublishes(v)) {
    const got = new Set((deliveries.get(p.event.id) ?? []).filter((d) => d.ms >= p.ms && d.ms <= p.ms + windowMs && d.actor !== p.actor).map((d) => d.actor));
    for (const a of got) out.add(p.actor, a, 1 / got.size);
  }
  return out.list();
}

/** One "send" per actor and burst: the copies of one message to several relays count once. */
export function sends(v: View): { actor: string; ms: number }[] {
  const out: { actor: string; ms: number }[] = [];
  const last = new Map<string, number>();
  for (const p of messagePublishes(v)) {
    if (p.ms - (last.get(p.actor) ?? -Infinity) > 1_000) out.push({ actor: p.actor, ms: p.ms });
    last.set(p.actor, p.ms);
  }
  return out;
}

function span(v: View): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (const r of v.log) {
    lo = Math.min(lo, r.ms);
    hi = Math.max(hi, r.ms);
  }
  return Math.max(1, hi - lo);
}

/**
 * Observed minus expected co-occurrences: for each event of `a` (from `as`), the events of each
 * other actor in (t, t + window] (from `bs`), less what independent activity would give.
 */
function cooccurrence(as: { actor: string; ms: number }[], bs: { actor: string; ms: number }[], window: number, total: number): ScoredEdge[] {
  const out = new EdgeSum();
  const nA = new Map<string, number>();
  const nB = new Map<string, number>();
  for (const x of as) nA.set(x.actor, (nA.get(x.actor) ?? 0) + 1);
  for (const x of bs) nB.set(x.actor, (nB.get(x.actor) ?? 0) + 1);
  const sorted = [...bs].sort((x, y) => x.ms - y.ms);
  const pair = new Map<string, number>();
  for (const a of as) {
    for (const b of sorted) {
      if (b.ms <= a.ms) continue;
      if (b.ms > a.ms + window) break;
      if (b.actor !== a.actor) pair.set(`${a.actor}\u0000${b.actor}`, (pair.get(`${a.actor}\u0000${b.actor}`) ?? 0) + 1);
    }
  }
  for (const [a, na] of nA)
    for (const [b, nb] of nB) {
      if (a === b) continue;
      out.add(a, b, (pair.get(`${a}\u0000${b}`) ?? 0) - (na * nb * window) / total);
    }
  return out.list();
}

/** Reply timing: a send by B within REPLY_WINDOW_MS after a send by A, counted over the run. */
export function replyTiming(v: View, windowMs = REPLY_WINDOW_MS): ScoredEdge[] {
  const s = sends(v);
  return cooccurrence(s, s, windowMs, span(v));
}

/**
 * Statistical disclosure (Danezis): every send is a round; its observation is the set of actors who
 * send within DISCLOSURE_WINDOW_MS after it. For sender S and actor R: the share of S's rounds in
 * which R shows up, less the share of all rounds in which R shows up (the background has the same
 * daily rhythm as S's rounds, so only what follows S in particular remains).
 */
export function disclosure(v: View, windowMs = DISCLOSURE_WINDOW_MS): ScoredEdge[] {
  const all = sends(v);
  const rounds = new Map<string, number>();
  const hits = new Map<string, Map<string, number>>();
  const background = new Map<string, number>();
  for (const r of all) {
    rounds.set(r.actor, (rounds.get(r.actor) ?? 0) + 1);
    const seen = new Set(all.filter((x) => x.ms > r.ms && x.ms <= r.ms + windowMs && x.actor !== r.actor).map((x) => x.actor));
    const h = hits.get(r.actor) ?? new Map<string, number>();
    for (const a of seen) {
      h.set(a, (h.get(a) ?? 0) + 1);
      background.set(a, (background.get(a) ?? 0) + 1);
    }
    hits.set(r.actor, h);
  }
  const out = new EdgeSum();
  for (const [sender, n] of rounds)
    for (const [r, b] of background) if (r !== sender) out.add(sender, r, (hits.get(sender)?.get(r) ?? 0) / n - b / all.length);
  return out.list();
}

/**
 * Author lookups: pubkeys named together in one `authors` filter (and each with the requester), and
 * lookups by an actor within REACTION_MS after an envelope was delivered to it (its publisher gets
 * the credit too).
 */
export function authorLookups(v: View, windowMs = REACTION_MS): ScoredEdge[] {
  const out = new EdgeSum();
  const recent = new Map<string, { ms: number; from: string }[]>();
  for (const r of v.log) {
    if (r.t === 'deliver' && MESSAGE_KINDS.has(r.kind)) {
      const from = v.published.get(r.id);
      const me = actorOf(v, r.conn);
      if (from) recent.set(me, [...(recent.get(me) ?? []).filter((x) => x.ms >= r.ms - windowMs), { ms: r.ms, from: actorOf(v, from.conn) }]);
    }
    if (r.t !== 'req') continue;
    const authors = [...new Set(authorsOf(r))];
    if (authors.length === 0) continue;
    const me = actorOf(v, r.conn);
    for (let i = 0; i < authors.length; i++) {
      out.add(me, `pk:${authors[i]}`, 1 / authors.length);
      for (let j = i + 1; j < authors.length; j++) out.add(`pk:${authors[i]}`, `pk:${authors[j]}`, 1 / (authors.length - 1));
    }
    const before = (recent.get(me) ?? []).filter((x) => x.ms >= r.ms - windowMs && x.from !== me);
    for (const x of before) out.add(x.from, me, 1 / before.length);
  }
  return out.list();
}

/** Intro reactions: a new REQ or a publish by the receiver within REACTION_MS after a delivery. */
export function introReactions(v: View, windowMs = REACTION_MS): ScoredEdge[] {
  const out = new EdgeSum();
  const acts = activityByActor(v, true);
  const seen = new Set<string>();
  for (const r of v.log) {
    if (r.t !== 'deliver' || !MESSAGE_KINDS.has(r.kind)) continue;
    const me = actorOf(v, r.conn);
    const from = v.published.get(r.id);
    if (!from || seen.has(`${me}|${r.id}`)) continue;
    seen.add(`${me}|${r.id}`);
    const sender = actorOf(v, from.conn);
    if ((acts.get(me) ?? []).some((t) => t > r.ms && t <= r.ms + windowMs)) out.add(sender, me, 1);
  }
  return out.list();
}

/** All attacks by name (the table's row order). */
export const ATTACKS: Readonly<Record<string, (v: View) => ScoredEdge[]>> = {
  'tag linking': tagLinking,
  'live fan-out timing': fanoutTiming,
  'reply timing': replyTiming,
  'author lookups': authorLookups,
  'intro reactions': introReactions,
  'statistical disclosure': disclosure
};

/** Every attack's edges, each scaled to a maximum of 1, summed. */
export function combined(v: View): ScoredEdge[] {
  const out = new EdgeSum();
  for (const f of Object.values(ATTACKS)) {
    const list = f(v);
    // reduce, not a spread: without IPs a list can hold hundreds of thousands of socket-group pairs, and a spread
    // overflowed the stack at the end of an hour-long 16-user, 7-day run.
    const max = list.reduce((m, e) => Math.max(m, e.score), 0);
    if (max > 0) for (const e of list) out.add(e.a, e.b, e.score / max);
  }
  return out.list();
}
