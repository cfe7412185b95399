/**
 * The adversary suite, small and with a fixed world seed (issue 9 item 3; `npm run privacy` is the
 * full run): 8 Veil users and 8 NIP-17 users with the same contact graph, 3 simulated days, through
 * the observing relay. What it asserts is real on the current code:
 * - the population works (messages sent and delivered through real relays);
 * - the attacks work: on NIP-17 they recover ≥ 90% of the social graph and name sender and recipient
 *   (relay sees IPs; ≥ 75% without IPs, where sockets are grouped by opening time);
 * - Veil (Live and Private) holds the groups switched on in checks.ts TARGETS_ENABLED: socket roles,
 *   recipient named not significantly above 1.5× chance under both models, no degree leak, cross-day
 *   linking not significantly above 1.2× chance; in Private mode also no identity lookup within a
 *   minute of an arrival and two relays matching copies not significantly above 1.2× chance.
 *   "Significantly": by more than SAMPLING_Z binomial
 *   standard errors over the ~30 messages of this run (the real relays and sockets make each run's
 *   interleaving, and so its figures, differ a little from the last: 13%, 16% and 23% in three runs
 *   of the same seed against a 21% bound). NIP-17's 100% is far outside that; the exact targets are
 *   measured by `npm run privacy` (see checks.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enabledTargets, PRIVATE_MODE_READY, SAMPLING_Z, targetFailures } from './checks';
import { formatTable, runSuite, type WorldMetrics } from './report';

const SEED = 7;
let worlds: WorldMetrics[] = [];
const byLabel = (label: string): WorldMetrics => {
  const w = worlds.find((x) => x.label === label);
  if (!w) throw new Error(`no world ${label}`);
  return w;
};

beforeAll(async () => {
  worlds = await runSuite({ users: 8, days: 3, seed: SEED, private: PRIVATE_MODE_READY, parallel: true, world: { sessionsPerDay: 1.5, degree: 2.5 } });
}, 420_000);

afterAll(() => {
  if (process.env.PRIVACY_TABLE) console.log(formatTable(worlds));
});

describe('adversary suite (8 + 8 users, 3 simulated days, seed 7)', () => {
  it('every world carried real traffic: messages sent and delivered', () => {
    for (const w of worlds) {
      expect(w.messages.sent, w.label).toBeGreaterThanOrEqual(20);
      expect(w.messages.delivered / w.messages.sent, w.label).toBeGreaterThanOrEqual(0.95);
      expect(w.run.truth.edges.length, w.label).toBeGreaterThanOrEqual(4);
      // Each simulated user's sockets left from its own loopback address (127.0.0.10 + i).
      expect(w.clientIps, w.label).toBe(w.run.truth.users.length);
    }
  });

  it('the attacks work: on NIP-17 they recover the graph and name both ends, with and without IPs', () => {
    const nip17 = byLabel('NIP-17');
    // Without IPs the attacker groups sockets by opening time, and people who come online in the
    // same moment (or on a loaded machine) share a group: a little lower, still far above chance.
    for (const [model, min] of [['ip', 0.9], ['noip', 0.75]] as const) {
      const tag = nip17.edges[model]['tag linking']!;
      expect(tag.precision, model).toBeGreaterThanOrEqual(min);
      expect(tag.recall, model).toBeGreaterThanOrEqual(min);
      expect(tag.precision, model).toBeGreaterThan(tag.chance);
      expect(nip17.ident[model].sender, model).toBeGreaterThanOrEqual(min);
      expect(nip17.ident[model].recipient, model).toBeGreaterThanOrEqual(min);
    }
    // The recipient's npub is its mailbox: the same tag every day links its reader across days.
    expect(nip17.crossDay.rate).toBeGreaterThanOrEqual(0.9);
  });

  it('Veil holds every target switched on for its mode (checks.ts TARGETS_ENABLED)', () => {
    // Every world's failures at once, so one world's miss does not hide another's.
    const failures = worlds.filter((x) => x.run.protocol === 'veil').flatMap((w) => targetFailures(w, enabledTargets(w.run.mode), SAMPLING_Z).map((f) => `${w.label}: ${f}`));
    expect(failures).toEqual([]);
  });

  it('Veil envelope sockets never carry an identity: no AUTH, no authors filter, no npub or hex identity', () => {
    for (const w of worlds.filter((x) => x.run.protocol === 'veil')) expect(w.roleViolations, w.label).toEqual([]);
  });
});
