/**
 * Private mode and shared buckets through a real relay (spec 0005): two Messengers in Private mode
 * (short test timings; the rules are the same) reach each other by first contact and reply; every
 * envelope on the relay sits in the day's one shared bucket or the intro bucket (no tag names a
 * pair); the empty send slots carried cover, so the relay holds more envelopes than messages; and
 * switching back to Live mode delivers at once over the open subscription.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { bytesToHex, randomBytes } from '../../src/lib/shared/bytes';
import { bucketPoint } from '../../src/lib/crypto/bucket';
import { envelopeKey } from '../../src/lib/crypto/envelope';
import { generateSecretKey, getXOnlyPublicKey } from '../../src/lib/crypto/keys';
import { epochDay, introMailbox } from '../../src/lib/crypto/mailbox';
import { encodeNpub } from '../../src/lib/crypto/nip19';
import { LocalSigner } from '../../src/lib/crypto/signer';
import { VeilStore } from '../../src/lib/store/db';
import { Messenger } from '../../src/lib/sync/messenger';
import type { ChatMessage } from '../../src/lib/sync/types';
import { startRelay, type TestRelay } from '../helpers/relay';
import { RawClient } from '../helpers/raw-ws';
import { freshPlatform, TEST_ITERATIONS } from '../helpers/store-idb';
import { FAST_TIMING } from '../helpers/timing';

interface Client {
  m: Messenger;
  store: VeilStore;
  pubkey: string;
  ek: ReturnType<typeof envelopeKey>;
}

let relay: TestRelay;
const clients: Client[] = [];

async function client(name: string): Promise<Client> {
  const store = await VeilStore.open(freshPlatform(), `veil-private-${name}`);
  await store.setupVault('correct horse battery staple', { iterations: TEST_ITERATIONS });
  const sk = generateSecretKey();
  const ek = envelopeKey(generateSecretKey());
  const pubkey = bytesToHex(getXOnlyPublicKey(sk));
  const m = await Messenger.create({
    store,
    signer: new LocalSigner(sk),
    identity: pubkey,
    deviceId: bytesToHex(randomBytes(8)),
    ek,
    WebSocket,
    relays: [relay.url],
    deviceLabel: name,
    timing: FAST_TIMING,
    mode: 'private'
  });
  await m.start();
  const c = { m, store, pubkey, ek };
  clients.push(c);
  return c;
}

/** Re-checks `check` on every messenger event and every 50 ms until it yields, or fails after 20 s. */
async function until<T>(check: () => Promise<T | undefined | false>, what: string): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const history = async (c: Client, id: string): Promise<ChatMessage[]> => (await c.m.pageMessages(id, { limit: 100 })).reverse();

beforeAll(async () => {
  relay = await startRelay();
});

afterAll(async () => {
  for (const c of clients) {
    await c.m.stop();
    c.store.close();
  }
  await relay.stop();
});

describe('Private mode through a real relay', () => {
  it('first contact, a reply, cover in empty slots, and only shared tags on the relay', async () => {
    const alice = await client('alice');
    const bob = await client('bob');
    expect(alice.m.privacy()).toEqual({ mode: 'private', publishRecord: true, coverRate: 'default' });

    const convB = await bob.m.startChat(encodeNpub(alice.pubkey));
    await bob.m.send(convB, 'hello in private');
    const req = await until(async () => (await alice.m.listChats('request')).find((c) => c.peer === bob.pubkey), 'request at Alice');
    expect((await history(alice, req.id)).map((m) => m.text)).toEqual(['hello in private']);
    await alice.m.accept(bob.pubkey);
    await alice.m.send(req.id, 'hi back, also private');
    await until(async () => (await history(bob, convB)).some((m) => m.direction === 'in' && m.text === 'hi back, also private'), 'reply at Bob');
    await until(async () => (await history(bob, convB)).every((m) => m.direction === 'in' || m.status === 'sent'), 'Bob sees sent');

    // What the relay holds: kind 1067 only in today's shared bucket or someone's intro bucket.
    const day = epochDay(Math.floor(Date.now() / 1000));
    const shared = new Set([day - 1, day, day + 1].map((d) => bucketPoint(relay.url, d, 0, 0)));
    const intro = new Set([day - 1, day, day + 1].map((d) => introMailbox(alice.ek.publicKey, relay.url, d)));
    const raw = await RawClient.open(relay.url);
    const all = (await raw.query('all', { kinds: [1067], limit: 1000 })) as unknown as { tags: string[][] }[];
    raw.close();
    const tags = all.map((e) => e.tags.find((t) => t[0] === 'p')![1]!);
    expect(tags.every((t) => shared.has(t) || intro.has(t))).toBe(true);
    expect(tags.filter((t) => shared.has(t)).length).toBeGreaterThan(1);
    // Two messages (and Bob's and Alice's copies need no other device): the rest is cover from empty slots.
    expect(all.length).toBeGreaterThan(2);
  });

  it('back to Live mode: the next message arrives over the open subscription', async () => {
    const [alice, bob] = clients as [Client, Client];
    await alice.m.setPrivacyMode('live');
    await bob.m.setPrivacyMode('live');
    expect(bob.m.privacy().mode).toBe('live');
    const convB = (await bob.m.listChats('accepted')).find((c) => c.peer === alice.pubkey)!.id;
    await bob.m.send(convB, 'live again');
    const convA = (await alice.m.listChats('accepted')).find((c) => c.peer === bob.pubkey)!.id;
    await until(async () => (await history(alice, convA)).some((m) => m.text === 'live again'), 'live message at Alice');
  });
});
