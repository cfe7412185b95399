/**
 * `npm run disclosure`: the 30-day statistical-disclosure attack on one user (tests/privacy/disclosure.ts)
 * for seeds 1..N (--seeds N, default 10) at each cover rate; prints the day a contact is identified
 * per seed ("never" = not within the run) and the target's real / cover publishes.
 */
import { DEFAULT_DISCLOSURE, disclosureAttack } from '../tests/privacy/disclosure';
import type { CoverRate } from '../src/lib/camouflage/schedule';

const i = process.argv.indexOf('--seeds');
const n = i >= 0 ? Number(process.argv[i + 1]) : 10;
if (!Number.isSafeInteger(n) || n < 1) throw new Error('--seeds must be a positive integer');
console.log(`| cover rate | day a contact is identified, seeds 1–${n} | identified within ${DEFAULT_DISCLOSURE.days} days | target's real / cover publishes (seed 1) |`);
console.log('|---|---|---|---|');
for (const cover of ['off', 'low', 'default', 'high'] as CoverRate[]) {
  const rs = [];
  for (let seed = 1; seed <= n; seed++) rs.push(await disclosureAttack({ ...DEFAULT_DISCLOSURE, seed, cover }));
  const days = rs.map((r) => (Number.isFinite(r.identifiedOnDay) ? String(r.identifiedOnDay) : 'never'));
  const found = rs.filter((r) => Number.isFinite(r.identifiedOnDay)).length;
  console.log(`| ${cover} | ${days.join(', ')} | ${found} / ${n} | ${rs[0]!.targetPublishes.real} / ${rs[0]!.targetPublishes.cover} |`);
}
console.log(`\nWorld: ${DEFAULT_DISCLOSURE.users} users, ${DEFAULT_DISCLOSURE.contactsPerUser}+ contacts each, ${DEFAULT_DISCLOSURE.conversationsPerDay} conversations started per user-day, ${DEFAULT_DISCLOSURE.relays} relays, two sessions a day.`);
