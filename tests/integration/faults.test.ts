/**
 * Issue 11, fault injection with real sockets: Alice and Bob talk through a proxy
 * (tests/helpers/fault-proxy.ts) in front of the real local relay. After a clean first contact,
 * each fault profile in turn is switched on while both send; every message must reach the other
 * side, and none may show twice, with the fault still on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finalizeEvent, generateSecretKey as ntSecretKey } from 'nostr-tools/pure';
import { base64Encode, randomBytes } from '../../src/lib/shared/bytes';
import { bucketPoint } from '../../src/lib/crypto/bucket';
import { epochDay, normalizeRelayUrl } from '../../src/lib/crypto/mailbox';
import { encodeNpub } from '../../src/lib/crypto/nip19';
import { startFaultProxy, type FaultProfile, type FaultProxy, type FaultStats } from '../helpers/fault-proxy';
import { RawClient } from '../helpers/raw-ws';
import { startRelay, type TestRelay } from '../helpers/relay';
import { veilClient, type VeilClient } from '../helpers/veil-client';
import { untilChecked } from '../helpers/until';

const OK_PREFIXES = ['duplicate', 'pow', 'blocked', 'rate-limited', 'invalid', 'restricted', 'error', 'auth-required', 'mute'] as const;

/** The fault matrix (issue 11 §4), each with the proxy counter that shows it was applied. */
const PROFILES: (FaultProfile & { shows: keyof FaultStats; first?: boolean; busy?: number })[] = [
  // First, while the day's buckets hold little: 100 stored envelopes of strangers make each read about
  // 100 frames, so cuts land mid-answer and between answers. (A relay that cuts every connection
  // before one answer is complete starves any client: catch-up does not shrink its pages yet.)
  // `first`: the messages go out only once the fault has been applied once (a cut, a REQ answered).
  { name: 'disconnect every 200 frames (a busy relay)', disconnectEvery: 200, shows: 'disconnects', first: true, busy: 100 },
  { name: 'drop 30% of frames', drop: 0.3, shows: 'dropped' },
  { name: 'duplicate 20% of frames', duplicate: 0.2, shows: 'duplicated' },
  { name: 'reorder within 50 frames', reorderWindow: 50, shows: 'reordered' },
  { name: 'delay every frame 0–400 ms', delayMs: [0, 400], shows: 'delayed' },
  { name: 'OK false with each prefix (half of the OKs)', okFalsePrefix: OK_PREFIXES, okFalseRate: 0.5, shows: 'okFalse' },
  { name: 'lying EOSE (before the stored events)', lyingEose: true, shows: 'eoseLies', first: true },
  { name: 'no EOSE at all', noEose: true, shows: 'eoseDropped', first: true },
  { name: 'forged copies first', forgedFirst: true, shows: 'forged' },
  { name: 'replays of 20% of events', replay: 0.2, shows: 'replayed' },
  { name: '1 MB frames', bigFrame: 0.05, shows: 'bigFrames' },
  { name: 'AUTH and NOTICE floods', noticeEveryMs: 5, authEveryMs: 20, shows: 'notices' },
];

type Veil = VeilClient;

let relay: TestRelay;
let proxy: FaultProxy;
let alice: Veil;
let bob: Veil;
let convA = '';
let convB = '';

const veil = (name: string): Promise<Veil> => veilClient(`faults-${name}`, [proxy.url]);

async function until<T>(check: () => Promise<T | undefined | false>, what: string, timeoutMs = 60_000): Promise<T> {
  return untilChecked([alice.m, bob.m], check, what, timeoutMs);
}

/** Texts of the incoming messages of a conversation, in order, duplicates kept. */
async function incoming(v: Veil, conv: string): Promise<string[]> {
  return (await v.m.pageMessages(conv, { limit: 500 })).filter((m) => m.direction === 'in').map((m) => m.text);
}

/** `n` envelopes of strangers in today's shared bucket (random content: they open for nobody). */
async function publishOthers(n: number): Promise<void> {
  const now = Math.floor(Date.now() / 1000);
  const bucket = bucketPoint(normalizeRelayUrl(proxy.url), epochDay(now), 0, 0);
  const raw = await RawClient.open(relay.url);
  try {
    for (let i = 0; i < n; i++) {
      const ev = finalizeEvent({ kind: 1067, created_at: now - i, tags: [['p', bucket], ['expiration', String(now + 86_400)]], content: base64Encode(randomBytes(512)) }, ntSecretKey());
      expect((await raw.publish(ev))[0]).toBe(true);
    }
  } finally {
    await raw.close();
  }
}

beforeAll(async () => {
  relay = await startRelay();
  proxy = await startFaultProxy(relay.url, 11);
  alice = await veil('alice');
  bob = await veil('bob');
  convB = await bob.m.startChat(encodeNpub(alice.pubkey));
  await bob.m.send(convB, 'hello');
  const req = await until(async () => (await alice.m.listChats('request')).find((c) => c.peer === bob.pubkey), 'first contact');
  convA = req.id;
  await alice.m.accept(bob.pubkey);
  await alice.m.send(convA, 'hi back');
  await until(async () => ((await incoming(bob, convB)).includes('hi back') ? true : undefined), 'the reply');
}, 120_000);

afterAll(async () => {
  await alice?.m.stop();
  await bob?.m.stop();
  await proxy?.stop();
  await relay?.stop();
});

describe('delivery through a faulty relay connection', () => {
  for (const [i, profile] of PROFILES.entries()) {
    it(`${profile.name}: every message arrives, none twice`, async () => {
      if (profile.busy) await publishOthers(profile.busy);
      const before = proxy.stats[profile.shows];
      proxy.setProfile(profile);
      try {
        if (profile.first) await until(async () => (proxy.stats[profile.shows] > before ? true : undefined), `the proxy applying "${profile.name}"`);
        const fromBob: string[] = [];
        const fromAlice: string[] = [];
        /** `n` messages each way, then until both sides have every one sent so far. */
        const round = async (n: number): Promise<void> => {
          for (let k = 0; k < n; k++) {
            fromBob.push(`bob ${i}.${fromBob.length} under ${profile.name}`);
            await bob.m.send(convB, fromBob.at(-1)!);
            fromAlice.push(`alice ${i}.${fromAlice.length} under ${profile.name}`);
            await alice.m.send(convA, fromAlice.at(-1)!);
          }
          await until(async () => ((await incoming(alice, convA)).filter((t) => fromBob.includes(t)).length >= fromBob.length ? true : undefined), `Bob's ${fromBob.length} at Alice`);
          await until(async () => ((await incoming(bob, convB)).filter((t) => fromAlice.includes(t)).length >= fromAlice.length ? true : undefined), `Alice's ${fromAlice.length} at Bob`);
        };
        await round(3);
        // A fault that acts on later frames (a replay 5–50 frames on) needs traffic after it: more rounds until it acted.
        for (let extra = 0; proxy.stats[profile.shows] <= before && extra < 8; extra++) await round(1);
        // One more: whatever the fault made (a replayed or duplicated frame) is processed before this one arrives.
        await round(1);
        const atAlice = (await incoming(alice, convA)).filter((t) => fromBob.includes(t));
        const atBob = (await incoming(bob, convB)).filter((t) => fromAlice.includes(t));
        expect(atAlice.sort()).toEqual([...fromBob].sort());
        expect(atBob.sort()).toEqual([...fromAlice].sort());
        expect(proxy.stats[profile.shows], `the proxy applied "${profile.name}"`).toBeGreaterThan(before);
      } finally {
        proxy.setProfile({ name: 'none' });
      }
    }, 120_000);
  }

});
