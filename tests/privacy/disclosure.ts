/**
 * A long statistical-disclosure attack on one user (issue 10 "Must show"), with and without cover,
 * as a model: 30 days are far beyond what the full-stack suite (population.ts) can simulate, so
 * this runs the world as events, not sockets. What the relay sees is what the suite shows it sees
 * in Live mode: who publishes an envelope and when (the recipient is hidden in the shared bucket).
 * The cover moments come from the app's own CoverSchedule (src/lib/camouflage/schedule.ts) on a
 * virtual clock, fed with real sends as the messenger feeds it.
 *
 * World: N users online in sessions; each pair of contacts holds conversations (a message, then
 * replies back and forth while both are online, each after an exponential human delay). The attack
 * (Danezis' SDA over timing): for each publish by the target, the users who publish within
 * WINDOW_MS after it; minus the same count after random moments of the target's online time. The
 * attacker names the target's top-scoring user each day; the figure is the first day from which that
 * user is a true contact on every later day (NaN when that never settles within the run).
 */
import { CoverSchedule, type CoverRate } from '../../src/lib/camouflage/schedule';
import { seeded } from './clock';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
export const WINDOW_MS = 5 * MIN;

export interface DisclosureOptions {
  users: number;
  contactsPerUser: number;
  days: number;
  seed: number;
  cover: CoverRate;
  /** Envelope relays every user writes to (a real send and a cover slot publish to each). */
  relays: number;
  /** Conversations a user starts per day, on average. */
  conversationsPerDay: number;
}

export const DEFAULT_DISCLOSURE: Omit<DisclosureOptions, 'seed' | 'cover'> = { users: 40, contactsPerUser: 3, days: 30, relays: 2, conversationsPerDay: 3 };

interface Pub {
  user: number;
  at: number;
}

export interface DisclosureResult {
  /** First day (1-based) from which the attacker's top guess is a true contact on every later day; NaN if never. */
  identifiedOnDay: number;
  /** Per day: was the top guess a true contact. */
  daily: boolean[];
  targetPublishes: { real: number; cover: number };
}

/** Simulates the world and runs the attack on user 0. */
export async function disclosureAttack(o: DisclosureOptions): Promise<DisclosureResult> {
  const rand = seeded(o.seed);
  const exp = (mean: number): number => -mean * Math.log(1 - rand());
  // Contact graph: each user gets contactsPerUser random others (symmetric).
  const contacts = Array.from({ length: o.users }, () => new Set<number>());
  for (let u = 0; u < o.users; u++) {
    while (contacts[u]!.size < o.contactsPerUser) {
      const v = Math.floor(rand() * o.users);
      if (v === u) continue;
      contacts[u]!.add(v);
      contacts[v]!.add(u);
    }
  }
  // Sessions: two a day of 30–150 min at random hours.
  const sessions: [number, number][][] = Array.from({ length: o.users }, () => []);
  for (let u = 0; u < o.users; u++) {
    for (let d = 0; d < o.days; d++) {
      for (let k = 0; k < 2; k++) {
        const start = d * DAY + rand() * (DAY - 3 * HOUR);
        sessions[u]!.push([start, start + 30 * MIN + rand() * 120 * MIN]);
      }
    }
    sessions[u]!.sort((a, b) => a[0] - b[0]);
  }
  const online = (u: number, t: number): boolean => sessions[u]!.some(([a, b]) => t >= a && t < b);
  const pubs: Pub[] = [];
  let targetReal = 0;
  // Real traffic: conversations start in a session of the initiator; replies alternate while both are online.
  const realAt: number[][] = Array.from({ length: o.users }, () => []);
  for (let u = 0; u < o.users; u++) {
    const n = Math.round(o.conversationsPerDay * o.days);
    for (let i = 0; i < n; i++) {
      const [a, b] = sessions[u]![Math.floor(rand() * sessions[u]!.length)]!;
      let t = a + rand() * (b - a);
      const peers = [...contacts[u]!];
      const peer = peers[Math.floor(rand() * peers.length)]!;
      let from = u;
      let to = peer;
      for (let turn = 0; turn < 8 && online(from, t); turn++) {
        realAt[from]!.push(t);
        const reply = t + exp(2 * MIN);
        if (!online(to, reply) || rand() < 0.25) break;
        [from, to] = [to, from];
        t = reply;
      }
    }
  }
  // Each user's publishes: real ones at once to every relay; cover from the app's schedule while online.
  for (let u = 0; u < o.users; u++) {
    const real = realAt[u]!.sort((a, b) => a - b);
    if (u === 0) targetReal = real.length;
    for (const t of real) pubs.push({ user: u, at: t });
    if (o.cover === 'off') continue;
    let now = 0;
    const q: { at: number; fn: () => void; id: number }[] = [];
    let seq = 0;
    const timers = { setTimeout: (fn: () => void, ms: number) => (q.push({ at: now + ms, fn, id: ++seq }), seq), clearTimeout: (h: unknown) => void q.splice(q.findIndex((x) => x.id === h) >>> 0, 1) };
    const relays = Array.from({ length: o.relays }, (_, i) => `wss://r${i}`);
    let lastCoverAt = -1;
    const sched = new CoverSchedule({ timers, now: () => now, random: rand, send: async () => void (now !== lastCoverAt && (pubs.push({ user: u, at: now }), (lastCoverAt = now))) });
    let ri = 0;
    for (const [a, b] of sessions[u]!) {
      now = a;
      sched.start(relays, o.cover);
      for (;;) {
        q.sort((x, y) => x.at - y.at);
        const nextReal = real[ri] !== undefined && real[ri]! < b ? real[ri]! : Infinity;
        const nextTimer = q[0] && q[0].at < b ? q[0].at : Infinity;
        if (nextReal === Infinity && nextTimer === Infinity) break;
        if (nextReal <= nextTimer) {
          now = nextReal;
          ri++;
          for (const r of relays) sched.realSent(r);
        } else {
          const t = q.shift()!;
          now = t.at;
          t.fn();
          await null; // the slot's send runs before the next timer, as in the app
        }
      }
      sched.stop();
      q.length = 0;
      while (real[ri] !== undefined && real[ri]! < b) ri++;
    }
  }
  pubs.sort((a, b) => a.at - b.at);
  const targetPubs = pubs.filter((p) => p.user === 0);
  // Background rounds: random moments of the target's online time, as many as its publishes.
  const bg: number[] = [];
  const targetSessions = sessions[0]!;
  const onlineTotal = targetSessions.reduce((s, [a, b]) => s + (b - a), 0);
  for (let i = 0; i < Math.max(50, targetPubs.length); i++) {
    let x = rand() * onlineTotal;
    for (const [a, b] of targetSessions) {
      if (x < b - a) {
        bg.push(a + x);
        break;
      }
      x -= b - a;
    }
  }
  bg.sort((a, b) => a - b);
  const after = (t: number): Set<number> => {
    const out = new Set<number>();
    let lo = 0;
    let hi = pubs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (pubs[mid]!.at <= t) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < pubs.length && pubs[i]!.at <= t + WINDOW_MS; i++) if (pubs[i]!.user !== 0) out.add(pubs[i]!.user);
    return out;
  };
  const daily: boolean[] = [];
  const fg = new Float64Array(o.users);
  const bgc = new Float64Array(o.users);
  let nf = 0;
  let nb = 0;
  let fi = 0;
  let bi = 0;
  for (let d = 1; d <= o.days; d++) {
    const end = d * DAY;
    for (; fi < targetPubs.length && targetPubs[fi]!.at < end; fi++, nf++) for (const u of after(targetPubs[fi]!.at)) fg[u]!++;
    for (; bi < bg.length && bg[bi]! < end; bi++, nb++) for (const u of after(bg[bi]!)) bgc[u]!++;
    let best = -Infinity;
    let top = -1;
    for (let u = 1; u < o.users; u++) {
      const s = (nf ? fg[u]! / nf : 0) - (nb ? bgc[u]! / nb : 0);
      if (s > best) {
        best = s;
        top = u;
      }
    }
    daily.push(nf > 0 && contacts[0]!.has(top));
  }
  let from = daily.length;
  while (from > 0 && daily[from - 1]) from--;
  return { identifiedOnDay: from < daily.length ? from + 1 : NaN, daily, targetPublishes: { real: targetReal, cover: targetPubs.length - targetReal } };
}
