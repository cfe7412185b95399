/**
 * Contacts known to a second device (sync/contact-sync.ts, issue 14 §4), Messengers in Node through
 * a real local relay. Alice's first device talks with Bob (accepted), has blocked Carol and has a
 * request from Dave. She signs in on a second device: it learns Bob as a contact and Carol as
 * blocked (not Dave's request) from the first device, so Bob's next message lands in Chats, not in
 * Requests, and Carol's is dropped. Nothing of the list is readable on the relay.
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
import { RawClient } from '../helpers/raw-ws';
import { startRelay, type TestRelay } from '../helpers/relay';
import { freshPlatform, TEST_ITERATIONS } from '../helpers/store-idb';
import { FAST_TIMING } from '../helpers/timing';
import { untilChecked } from '../helpers/until';

interface Client {
  m: Messenger;
  store: VeilStore;
  sk: Uint8Array;
  pubkey: string;
}
const clients: Client[] = [];
let relay: TestRelay;

async function client(name: string, sk: Uint8Array = generateSecretKey()): Promise<Client> {
  const store = await VeilStore.open(freshPlatform(), `veil-${name}-${bytesToHex(randomBytes(4))}`);
  await store.setupVault('correct horse battery staple', { iterations: TEST_ITERATIONS });
  const pubkey = bytesToHex(getXOnlyPublicKey(sk));
  const m = await Messenger.create({ store, signer: new LocalSigner(sk), identity: pubkey, deviceId: bytesToHex(randomBytes(8)), ek: envelopeKey(generateSecretKey()), WebSocket, relays: [relay.url], timing: FAST_TIMING });
  await m.start();
  const c = { m, store, sk, pubkey };
  clients.push(c);
  return c;
}

const until = <T>(check: () => Promise<T | undefined | false>, what: string, ms = 30_000) => untilChecked(clients.map((c) => c.m), check, what, ms);
const chatWith = async (c: Client, peer: string, state: 'accepted' | 'request') => (await c.m.listChats(state)).find((x) => x.peer === peer);

beforeAll(async () => {
  relay = await startRelay();
});

afterAll(async () => {
  for (const c of clients) await c.m.stop();
  await relay.stop();
});

describe('a second device of mine learns my contacts', () => {
  it('accepted and blocked ones, not requests; messages then land where they would on the first device', async () => {
    const alice = await client('alice');
    const [bob, carol, dave] = [await client('bob'), await client('carol'), await client('dave')];
    const aliceNpub = encodeNpub(alice.pubkey);
    const toAlice = async (c: Client, text: string) => c.m.send(await c.m.startChat(aliceNpub), text);
    await toAlice(bob, 'hi, Bob here');
    await toAlice(carol, 'Carol here');
    await toAlice(dave, 'Dave here');
    for (const p of [bob, carol, dave]) await until(() => chatWith(alice, p.pubkey, 'request'), `the request of ${p.pubkey.slice(0, 8)} at Alice`);
    await alice.m.accept(bob.pubkey);
    await alice.m.block(carol.pubkey);

    const alice2 = await client('alice2', alice.sk);
    await until(async () => (await alice2.m.contact(bob.pubkey))?.state === 'accepted', 'Bob accepted on the second device');
    await until(async () => (await alice2.m.contact(carol.pubkey))?.state === 'blocked', 'Carol blocked on the second device');
    expect(await alice2.m.contact(dave.pubkey)).toBeUndefined(); // a request stays with the device that got it

    // Bob writes again once he knows both devices: the second device files it under Chats.
    await until(async () => ((await bob.m.contact(alice.pubkey))?.eks.length === 2 ? true : undefined), 'Bob knows both devices');
    const convB = (await bob.m.listChats()).find((x) => x.peer === alice.pubkey)!.id;
    await bob.m.send(convB, 'to both of your devices');
    await until(async () => (await chatWith(alice2, bob.pubkey, 'accepted'))?.preview?.includes('to both of your devices'), 'Bob in Chats on the second device');
    expect(await chatWith(alice2, bob.pubkey, 'request')).toBeUndefined();

    // Nothing of the list on the relay: no stored event names Bob or Carol, except their own records.
    const raw = await RawClient.open(relay.url);
    try {
      const all = await raw.query('all', { limit: 5000 });
      const foreign = all.filter((e) => e.pubkey !== bob.pubkey && e.pubkey !== carol.pubkey && JSON.stringify(e).match(new RegExp(`${bob.pubkey}|${carol.pubkey}`)));
      expect(foreign).toEqual([]);
    } finally {
      await raw.close();
    }
  }, 120_000);
});
