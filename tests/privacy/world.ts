/**
 * The world model of the privacy suite (pure, seeded): who knows whom, when each person is online,
 * when conversations start, how long they are and how long a human takes to reply. The seeded PRNG
 * is fine here: the relay never sees it; it only decides what the simulated humans do. Keys, and
 * everything the code under test puts on the wire, come from the code's own CSPRNG.
 */
import { seeded } from './clock';

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

export interface WorldConfig {
  users: number;
  days: number;
  seed: number;
  /** Mean number of contacts per user. */
  degree?: number;
  /** Online sessions per user and day (mean). */
  sessionsPerDay?: number;
  /** Probability that a given pair starts a conversation on a given day. */
  convPerEdgeDay?: number;
}

export interface Session {
  start: number;
  end: number;
}

export interface ConversationPlan {
  id: number;
  a: number;
  b: number;
  /** ms from the world's start when `a` sends the first message (inside one of a's sessions). */
  at: number;
  /** Messages in the conversation, alternating a, b, a, … */
  length: number;
}

export interface WorldPlan {
  users: number;
  days: number;
  /** Undirected contact graph, a < b. */
  graph: [number, number][];
  /** Per user, sorted, non-overlapping, in ms from the world's start. */
  sessions: Session[][];
  conversations: ConversationPlan[];
  /** End of the simulated days (ms from start); a final session for everyone follows. */
  end: number;
  /** A human's reply delay after reading a message (ms). */
  replyDelay(): number;
}

/** Builds the world: a random graph (no isolated user), sessions and conversation starts. */
export function planWorld(cfg: WorldConfig): WorldPlan {
  const rnd = seeded(cfg.seed);
  const n = cfg.users;
  const degree = cfg.degree ?? 3;
  const graph: [number, number][] = [];
  const has = new Set<string>();
  const add = (a: number, b: number): void => {
    const [x, y] = a < b ? [a, b] : [b, a];
    if (x === y || has.has(`${x}-${y}`)) return;
    has.add(`${x}-${y}`);
    graph.push([x, y]);
  };
  const p = Math.min(1, degree / (n - 1));
  for (let a = 0; a < n; a++) for (let b = a + 1; b < n; b++) if (rnd() < p) add(a, b);
  for (let a = 0; a < n; a++) if (!graph.some(([x, y]) => x === a || y === a)) add(a, (a + 1 + Math.floor(rnd() * (n - 1))) % n);

  const sessions: Session[][] = [];
  const perDay = cfg.sessionsPerDay ?? 3;
  for (let u = 0; u < n; u++) {
    // Everyone is online once in the first hour, so their records and DM relay lists exist.
    const list: Session[] = [{ start: Math.floor(rnd() * 30 * MINUTE), end: 0 }];
    list[0]!.end = list[0]!.start + 20 * MINUTE + Math.floor(rnd() * 20 * MINUTE);
    for (let d = 0; d < cfg.days; d++) {
      const k = Math.max(1, Math.round(perDay * (0.5 + rnd())));
      for (let i = 0; i < k; i++) {
        const start = d * DAY + 7 * HOUR + Math.floor(rnd() * 16 * HOUR);
        list.push({ start, end: start + 15 * MINUTE + Math.floor(rnd() * 100 * MINUTE) });
      }
    }
    list.sort((x, y) => x.start - y.start);
    const merged: Session[] = [];
    for (const s of list) {
      const last = merged[merged.length - 1];
      if (last && s.start <= last.end + MINUTE) last.end = Math.max(last.end, s.end);
      else merged.push({ ...s });
    }
    sessions.push(merged);
  }

  const conversations: ConversationPlan[] = [];
  const conv = cfg.convPerEdgeDay ?? 0.4;
  for (let d = 0; d < cfg.days; d++) {
    for (const [x, y] of graph) {
      if (rnd() >= conv) continue;
      const [a, b] = rnd() < 0.5 ? [x, y] : [y, x];
      const today = sessions[a]!.filter((s) => s.start >= d * DAY && s.start < (d + 1) * DAY && s.start > HOUR);
      const s = today[Math.floor(rnd() * today.length)];
      if (!s) continue;
      const at = s.start + Math.floor(rnd() * Math.max(1, s.end - s.start - 2 * MINUTE));
      conversations.push({ id: conversations.length, a, b, at, length: 2 + Math.floor(rnd() * 5) });
    }
  }
  conversations.sort((p1, p2) => p1.at - p2.at);
  return {
    users: n,
    days: cfg.days,
    graph,
    sessions,
    conversations,
    end: cfg.days * DAY,
    replyDelay: () => 20_000 + Math.floor(rnd() * rnd() * 8 * MINUTE)
  };
}

/** The session of `user` that contains `t`, or the next one (undefined when none is left). */
export function sessionAt(plan: WorldPlan, user: number, t: number): Session | undefined {
  return plan.sessions[user]!.find((s) => s.end > t);
}

/** Human-ish message text of a plausible length (the world model, not observable beyond size class). */
export function messageText(conv: number, k: number, len: number): string {
  const base = `conversation ${conv}, message ${k}: `;
  return (base + 'lorem ipsum dolor sit amet '.repeat(Math.ceil(len / 27))).slice(0, Math.max(base.length + 4, len));
}
