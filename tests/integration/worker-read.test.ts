/**
 * The service worker's periodic read (sync/worker-read.ts, issue 13) in Node against the real local
 * relay, with fake-indexeddb: Alice ("remember on this device") closed the app; Bob writes twice; a
 * worker with its own store on Alice's database, opened by the device key, reads the envelope relays
 * once and stores both messages, exactly once, telling which chat got them and the unread count.
 * Only while nobody else holds "veil-sockets"; never without the device key; nothing stays open.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { bytesToHex, randomBytes } from '../../src/lib/shared/bytes';
import { encodeNpub } from '../../src/lib/crypto/nip19';
import { VeilStore } from '../../src/lib/store/db';
import type { IdbPlatform } from '../../src/lib/store/migrations';
import { createLocalIdentity, forgetDevice } from '../../src/lib/sync/account';
import { Messenger } from '../../src/lib/sync/messenger';
import { socketsLock, SOCKETS_LOCK } from '../../src/lib/sync/worker-flush';
import { readFromWorker } from '../../src/lib/sync/worker-read';
import { Locks } from '../helpers/locks';
import { startRelay, type TestRelay } from '../helpers/relay';
import { freshPlatform } from '../helpers/store-idb';
import { FAST_TIMING } from '../helpers/timing';
import { untilChecked } from '../helpers/until';
import { veilClient, type VeilClient } from '../helpers/veil-client';

const PASS = 'correct horse battery staple';

let relay: TestRelay;
let platform: IdbPlatform;
let db: string;
let alice: { m: Messenger; pubkey: string; deps: Parameters<typeof Messenger.create>[0] };
let bob: VeilClient;
let convB = '';
const locks = new Locks();
/** The stores the worker opened (each must be locked and closed after). */
let opened: VeilStore[] = [];
/** What the worker was told as soon as the read was stored (it notifies from there). */
let reported: unknown[] = [];

function wake(timeoutMs?: number) {
  opened = [];
  const openStore = async () => {
    const store = await VeilStore.open(platform, db);
    opened.push(store);
    return store;
  };
  reported = [];
  return readFromWorker({ openStore, WebSocket, withSocketsLock: socketsLock(locks), relays: [], onRead: async (r) => void reported.push(r), ...(timeoutMs ? { timeoutMs } : {}) });
}

/** Bob sends `text` and waits until the relay took it (the worker must find it there). */
async function bobSends(text: string): Promise<void> {
  const id = await bob.m.send(convB, text);
  await untilChecked([bob.m], async () => (await bob.m.pageMessages(convB, { limit: 100 })).find((x) => x.id === id && x.status === 'sent'), `"${text}" at the relay`, 20_000);
}

/** Alice's messages in the chat with Bob, as her reopened app reads them. */
async function aliceTexts(): Promise<string[]> {
  const store = await VeilStore.open(platform, db);
  try {
    await store.unlock(PASS);
    const m = await Messenger.create({ ...alice.deps, store });
    const cid = await store.conversationIdFor([bob.pubkey]);
    return (await m.pageMessages(cid, { limit: 100 })).map((x) => x.text).reverse();
  } finally {
    store.lock();
    store.close();
  }
}

beforeAll(async () => {
  relay = await startRelay();
  platform = freshPlatform();
  db = `veil-alice-${bytesToHex(randomBytes(4))}`;
  const store = await VeilStore.open(platform, db);
  const { session } = await createLocalIdentity(store, PASS, { remember: true });
  alice = { pubkey: session.account.pubkey, deps: { store, signer: session.signer, identity: session.account.pubkey, deviceId: session.deviceId, ek: session.ek, WebSocket, relays: [relay.url], timing: FAST_TIMING }, m: undefined as unknown as Messenger };
  alice.m = await Messenger.create(alice.deps);
  await alice.m.start();
  bob = await veilClient('bob', [relay.url]);
  convB = await bob.m.startChat(encodeNpub(alice.pubkey));
  await bob.m.send(convB, 'while the app was open');
  await untilChecked([alice.m], async () => (await alice.m.listChats('request')).some((c) => c.unread > 0), 'the first message at Alice', 20_000);
  // Every page closes.
  await alice.m.stop();
  store.lock();
  store.close();
}, 60_000);

afterAll(async () => {
  await bob.m.stop();
  await relay.stop();
});

describe('the worker reads while no page is open', () => {
  it('stores what arrived, once, and names the chat and the unread count', async () => {
    await bobSends('while closed 1');
    await bobSends('while closed 2');
    const r = await wake();
    expect(r).toMatchObject({ outcome: 'read', relays: 1, complete: 1, unread: 3 });
    expect(r.outcome === 'read' && r.arrived).toHaveLength(1);
    expect(reported).toEqual([r]);
    expect(opened.every((s) => s.isLocked())).toBe(true);
    expect(await aliceTexts()).toEqual(['while the app was open', 'while closed 1', 'while closed 2']);

    // Nothing new: the next read stores nothing again and names no chat.
    const again = await wake();
    expect(again).toMatchObject({ outcome: 'read', complete: 1, unread: 3, arrived: [] });
    expect(await aliceTexts()).toHaveLength(3);
  }, 60_000);

  it('a page holding the sockets: busy, the store not even opened', async () => {
    const release = locks.hold(SOCKETS_LOCK);
    await bobSends('while a page owns the sockets');
    expect(await wake()).toEqual({ outcome: 'busy' });
    expect(opened).toHaveLength(0);
    await release();
    const r = await wake();
    expect(r).toMatchObject({ outcome: 'read', unread: 4 });
    expect((await aliceTexts()).at(-1)).toBe('while a page owns the sockets');
  }, 60_000);

  it('an unreachable relay: the read gives up after its timeout, nothing stored', async () => {
    const store = await VeilStore.open(platform, db);
    await store.unlock(PASS);
    const relays = await store.listRelays();
    await store.putRelay({ url: 'ws://127.0.0.1:9', role: 'envelope' });
    for (const r of relays) await store.deleteRelay(r.url);
    store.lock();
    store.close();
    const r = await wake(2000);
    expect(r).toMatchObject({ outcome: 'read', relays: 1, complete: 0, arrived: [] });
    expect(opened.every((s) => s.isLocked())).toBe(true);
  }, 60_000);

  it('without the device key ("remember" turned off) nothing is read', async () => {
    const store = await VeilStore.open(platform, db);
    await store.unlock(PASS);
    await forgetDevice(store);
    store.lock();
    store.close();
    expect(await wake()).toEqual({ outcome: 'locked' });
  }, 60_000);
});
