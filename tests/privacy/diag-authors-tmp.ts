import { runWorld } from './population';
const run = await runWorld({ users: 8, days: 3, seed: 7, protocol: 'veil', mode: 'private', cover: 'off', sessionsPerDay: 1.5, degree: 2.5 });
const users = run.truth.users as any[];
const idx = new Map(users.map((u: any, i: number) => [u.pubkey ?? u, i]));
console.log('truth user sample', JSON.stringify(users[0]).slice(0, 200));
const conns = new Map<number, any>();
const edges = new Set(run.truth.edges.map((e: any) => JSON.stringify(e)));
console.log('edges', JSON.stringify(run.truth.edges));
for (const r of run.log as any[]) {
  if (r.t === 'open') conns.set(r.conn, r);
  if (r.t !== 'req') continue;
  for (const f of r.filters) {
    if (!f.authors) continue;
    const c = conns.get(r.conn);
    console.log(((r.ms - run.truth.start) / 3600000).toFixed(3) + 'h', c?.ip, c?.relay?.slice(-6), 'kinds', JSON.stringify(f.kinds), 'authors', f.authors.map((a: string) => idx.get(a) ?? '?').join(','));
  }
}
process.exit(0);
