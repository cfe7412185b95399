/**
 * Disappearing messages between two Messengers through a real relay (scripts/relay.mjs): the timer
 * is agreed inside the chat (a control message each way, a system line on both sides naming who set
 * it), a message sent under it carries its expiry on both ends, every envelope the relay holds of it
 * expires no later, and once the deadline has passed (the clocks moved on, the apps started again)
 * it is gone from both stores and both outboxes while the system lines stay.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { bytesToHex, randomBytes } from '../../src/lib/shared/bytes';
import { envelopeKey } from '../../src/lib/crypto/envelope';
import { generateSecretKey, getXOnlyPublicKey } from '../../src/lib/crypto/keys';
import { encodeNpub } from '../../src/lib/crypto/nip19';
import { LocalSigner } from '../../src/lib/crypto/signer';
import { VeilStore } from '../../src/lib/store/db';
import { Messenger } from '../../src/lib/sync/messenger';
import type { ChatMessage } from '../../src/lib/sync/types';
import { startRelay, tempRelayDb, type TestRelay } from '../helpers/relay';
import { RawClient } from '../helpers/raw-ws';
import { freshPlatform, TEST_ITERATIONS } from '../helpers/store-idb';
import { FAST_TIMING } from '../helpers/timing';
import { untilChecked } from '../helpers/until';

interface Client {
  m: Messenger;
  store: VeilStore;
  pubkey: string;
  /** Added to the real clock: moves this client's time on. */
  shift: { ms: number };
}

let relay: TestRelay;
const clients: Client[] = [];

async function client(name: string): Promise<Client> {
  const store = await VeilStore.open(freshPlatform(), `veil-disappearing-${name}`);
  await store.setupVault('correct horse battery staple', { iterations: TEST_ITERATIONS });
  const sk = generateSecretKey();
  const pubkey = bytesToHex(getXOnlyPublicKey(sk));
  const shift = { ms: 0 };
  const m = await Messenger.create({
    store,
    signer: new LocalSigner(sk),
    identity: pubkey,
    deviceId: bytesToHex(randomBytes(8)),
    ek: envelopeKey(generateSecretKey()),
    WebSocket,
    relays: [relay.url],
    deviceLabel: name,
    timing: FAST_TIMING,
    nowMs: () => Date.now() + shift.ms
  });
  await m.start();
  const c = { m, store, pubkey, shift };
  clients.push(c);
  return c;
}

const until = <T>(check: () => Promise<T | undefined | false>, what: string) => untilChecked(clients.map((c) => c.m), check, what, 20_000);
const history = async (c: Client, cid: string): Promise<ChatMessage[]> => (await c.m.pageMessages(cid, { limit: 100 })).reverse();
const systemLines = async (c: Client, cid: string) => (await history(c, cid)).filter((m) => m.system).map((m) => m.text);

beforeAll(async () => {
  relay = await startRelay({ db: tempRelayDb() });
});

afterAll(async () => {
  for (const c of clients) {
    await c.m.stop();
    c.store.close();
  }
  await relay.stop();
});

describe('disappearing messages through a real relay', () => {
  it('agreed in the chat both ways; the message expires on both ends, in the stores, the outboxes and at the relay', async () => {
    const alice = await client('alice');
    const bob = await client('bob');
    const convB = await bob.m.startChat(encodeNpub(alice.pubkey));
    await bob.m.send(convB, 'hello Alice');
    const convA = (await until(async () => (await alice.m.listChats('request')).find((c) => c.peer === bob.pubkey), 'request at Alice')).id;
    await alice.m.accept(bob.pubkey);

    // Alice sets one minute: a control message, and a system line on both sides.
    await alice.m.disappearing.set(convA, 60);
    expect(await systemLines(alice, convA)).toEqual(['You set messages to disappear after 1 minute']);
    await until(async () => (await bob.m.disappearing.get(convB)).seconds === 60, 'the timer at Bob');
    expect(await bob.m.disappearing.get(convB)).toMatchObject({ seconds: 60, by: alice.pubkey });
    expect(await systemLines(bob, convB)).toEqual(['Your contact set messages to disappear after 1 minute']);

    // A message under it: the same expiry on both ends, counted from its created_at.
    const id = await alice.m.send(convA, 'this will not last');
    const atBob = await until(async () => (await history(bob, convB)).find((m) => m.id === id), 'the message at Bob');
    const mine = (await history(alice, convA)).find((m) => m.id === id)!;
    expect(mine.expiresAt).toBe((mine.createdAt + 60) * 1000);
    expect(atBob.expiresAt).toBe(mine.expiresAt);
    await until(async () => (await history(alice, convA)).find((m) => m.id === id)?.status === 'sent', 'sent');

    // Every envelope the relay holds that expires within a day is one of this message's copies: each no later than the expiry.
    const raw = await RawClient.open(relay.url);
    const envelopes = (await raw.query('audit', { kinds: [1067], limit: 500 })) as unknown as { created_at: number; tags: string[][] }[];
    raw.close();
    const short = envelopes.map((e) => Number(e.tags.find((t) => t[0] === 'expiration')![1])).filter((exp) => exp < Date.now() / 1000 + 86_400);
    expect(short.length).toBeGreaterThanOrEqual(1);
    for (const exp of short) expect(exp).toBeLessThanOrEqual(mine.expiresAt! / 1000);

    // Bob turns it off: Alice sees it, and her next message does not expire.
    await bob.m.disappearing.set(convB, 0);
    await until(async () => (await alice.m.disappearing.get(convA)).seconds === 0, 'off at Alice');
    expect(await systemLines(alice, convA)).toEqual(['You set messages to disappear after 1 minute', 'Your contact turned off disappearing messages']);
    const kept = await alice.m.send(convA, 'this one stays');
    expect((await history(alice, convA)).find((m) => m.id === kept)?.expiresAt).toBeUndefined();

    // A minute later (both clocks moved on; each app starts again and sweeps at start).
    for (const c of [alice, bob]) {
      c.shift.ms = 120_000; // created_at may run a few seconds ahead of the clock (sendCreatedAt keeps the order)
      await c.m.stop();
      await c.m.start();
    }
    expect(await alice.store.getMessage(id)).toBeUndefined();
    expect(await bob.store.getMessage(id)).toBeUndefined();
    expect(await alice.store.listOutboxByMessage(id)).toEqual([]);
    expect((await history(alice, convA)).map((m) => m.id)).not.toContain(id);
    expect((await history(bob, convB)).map((m) => m.id)).not.toContain(id);
    expect(await systemLines(bob, convB)).toEqual(['Your contact set messages to disappear after 1 minute', 'You turned off disappearing messages']);
    expect(await alice.store.getMessage(kept)).toBeDefined();
  });
});
