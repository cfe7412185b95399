/**
 * The service worker's outbox flush (sync/worker-flush.ts, issue 13 item 1) in Node against the real
 * local relay, with fake-indexeddb: Alice's page queued a message and closed before it went out; a
 * worker, with its own store on the same database opened by the device key, publishes it and records
 * the answers as the page does. Only while nobody else holds "veil-sockets"; never without the device
 * key; never in Private mode; and a flush cut short resends the very same events (no new ids).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { bytesToHex, randomBytes } from '../../src/lib/shared/bytes';
import { envelopeKey } from '../../src/lib/crypto/envelope';
import { generateSecretKey, getXOnlyPublicKey } from '../../src/lib/crypto/keys';
import { encodeNpub } from '../../src/lib/crypto/nip19';
import { LocalSigner } from '../../src/lib/crypto/signer';
import { VeilStore } from '../../src/lib/store/db';
import type { IdbPlatform } from '../../src/lib/store/migrations';
import { Messenger } from '../../src/lib/sync/messenger';
import type { ChatMessage } from '../../src/lib/sync/types';
import { flushOutboxFromWorker, socketsLock, syncAgain, SOCKETS_LOCK } from '../../src/lib/sync/worker-flush';
import { Locks } from '../helpers/locks';
import { RawClient } from '../helpers/raw-ws';
import { startRelay, type TestRelay } from '../helpers/relay';
import { freshPlatform, TEST_ITERATIONS } from '../helpers/store-idb';
import { FAST_TIMING } from '../helpers/timing';
import { untilChecked } from '../helpers/until';

const PASS = 'correct horse battery staple';

interface Client {
  m: Messenger;
  pubkey: string;
  platform: IdbPlatform;
  db: string;
  deps: Parameters<typeof Messenger.create>[0];
}

async function client(name: string, relay: string): Promise<Client> {
  const platform = freshPlatform();
  const db = `veil-${name}-${bytesToHex(randomBytes(4))}`;
  const store = await VeilStore.open(platform, db);
  await store.setupVault(PASS, { iterations: TEST_ITERATIONS, rememberDevice: true });
  const sk = generateSecretKey();
  const pubkey = bytesToHex(getXOnlyPublicKey(sk));
  const deps = { store, signer: new LocalSigner(sk), identity: pubkey, deviceId: bytesToHex(randomBytes(8)), ek: envelopeKey(generateSecretKey()), WebSocket, relays: [relay], timing: FAST_TIMING };
  const m = await Messenger.create(deps);
  await m.start();
  return { m, pubkey, platform, db, deps };
}

/** `ws` whose relay answers (OK) never arrive: the connection drops once the relay took the event. */
class AnswerLost extends WebSocket {
  static sent: string[] = [];
  override send(data: string, ...rest: never[]): void {
    const m = JSON.parse(data) as unknown[];
    if (m[0] === 'EVENT') AnswerLost.sent.push((m[1] as { id: string }).id);
    super.send(data, ...rest);
  }
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'message' && String(args[0]).startsWith('["OK"')) {
      this.terminate();
      return false;
    }
    return super.emit(event, ...args);
  }
}

let relay: TestRelay;
let alice: Client;
let bob: Client;
let convA = '';
let convB = '';
const locks = new Locks();

const history = async (c: Client, conv: string): Promise<ChatMessage[]> => (await c.m.pageMessages(conv, { limit: 200 })).reverse();
const until = <T>(check: () => Promise<T | undefined | false>, what: string) => untilChecked([alice.m, bob.m], check, what, 20_000);
/** What the worker's own stores on Alice's database were like when opened and after the flush. */
let opened: Array<{ lockedAtOpen: boolean; store: VeilStore }> = [];
/** Flushes as a fresh worker start: its own store on Alice's database, opened only under the lock. */
async function wake(WS: unknown = WebSocket) {
  opened = [];
  const openStore = async () => {
    const store = await VeilStore.open(alice.platform, alice.db);
    opened.push({ lockedAtOpen: store.isLocked(), store });
    return store;
  };
  return flushOutboxFromWorker({ openStore, WebSocket: WS, withSocketsLock: socketsLock(locks) });
}

/** Alice's page closes; a new one queues `text` and closes before anything went out. Returns the message id. */
async function queuedAndClosed(text: string): Promise<string> {
  await alice.m.stop();
  alice.m = await Messenger.create(alice.deps); // not started: no socket, the entries only stored
  return alice.m.send(convA, text);
}

beforeAll(async () => {
  relay = await startRelay();
  alice = await client('alice', relay.url);
  bob = await client('bob', relay.url);
  convB = await bob.m.startChat(encodeNpub(alice.pubkey));
  await bob.m.send(convB, 'hello Alice');
  convA = (await until(async () => (await alice.m.listChats('request')).find((c) => c.peer === bob.pubkey), 'request at Alice')).id;
  await alice.m.accept(bob.pubkey);
}, 60_000);

afterAll(async () => {
  await alice?.m.stop();
  await bob?.m.stop();
  await relay?.stop();
});

describe('the service worker flushes the outbox', () => {
  it('a message queued before every page closed goes out once and shows "sent to 1 of 1"', async () => {
    const id = await queuedAndClosed('sent by the worker');
    expect((await history(alice, convA)).find((m) => m.id === id)?.status).toBe('sending');
    const r = await wake();
    expect(r).toEqual({ outcome: 'flushed', published: 1, conversations: [convA], open: 0 });
    expect(opened.map((o) => [o.lockedAtOpen, o.store.isLocked()])).toEqual([[true, true]]); // unlocked by the device key, locked again
    await until(async () => (await history(bob, convB)).some((m) => m.text === 'sent by the worker'), 'Bob gets it');
    const mine = (await history(alice, convA)).find((m) => m.id === id)!;
    expect(mine).toMatchObject({ status: 'sent', deliveries: [{ relay: relay.url, ok: true }] });
    expect(await alice.deps.store.listOutboxByMessage(id)).toEqual([]);
    // Nothing left: a second wake publishes nothing.
    expect(await wake()).toEqual({ outcome: 'flushed', published: 0, conversations: [], open: 0 });
    await alice.m.start();
    await alice.m.send(convA, 'a later one');
    await until(async () => (await history(bob, convB)).some((m) => m.text === 'a later one'), 'the next message');
    expect((await history(bob, convB)).filter((m) => m.text === 'sent by the worker')).toHaveLength(1);
  });

  it('a page that owns the sockets keeps them: busy, nothing published; a page opening mid-flush waits for the worker', async () => {
    const id = await queuedAndClosed('while a page owns the sockets');
    const release = locks.hold(SOCKETS_LOCK);
    expect(await wake()).toEqual({ outcome: 'busy' });
    expect(opened).toEqual([]); // nothing read while a page owns the sockets
    expect((await alice.deps.store.listOutboxByMessage(id))[0]!.items.map((i) => i.status)).toEqual(['pending']);
    await release();
    // The worker flushes; a page asks for the lock meanwhile and gets it only after the flush is recorded.
    const flush = wake();
    const pageSaw = locks.request(SOCKETS_LOCK, {}, async () => (await history(alice, convA)).find((m) => m.id === id)?.status);
    expect((await flush).outcome).toBe('flushed');
    expect(await pageSaw).toBe('sent');
    expect((await history(alice, convA)).find((m) => m.id === id)?.status).toBe('sent');
  });

  it('without "remember on this device" the worker reads nothing and sends nothing; Private mode leaves it to the app', async () => {
    const id = await queuedAndClosed('waits for the app');
    await alice.deps.store.forgetDevice();
    expect(await wake()).toEqual({ outcome: 'locked' });
    expect(opened[0]!.store.isLocked()).toBe(true);
    alice.deps.store.lock();
    await alice.deps.store.unlock(PASS, { rememberDevice: true });
    await alice.m.setPrivacyMode('private');
    expect(await wake()).toEqual({ outcome: 'private' });
    const entry = (await alice.deps.store.listOutboxByMessage(id))[0]!;
    expect(entry.attempts).toBe(0);
    await alice.m.setPrivacyMode('live');
    expect(await wake()).toMatchObject({ outcome: 'flushed', published: 1, open: 0 });
    await until(async () => (await history(bob, convB)).some((m) => m.text === 'waits for the app'), 'Bob gets it after all');
  });

  it('a flush cut short after the relay took the event: the next one resends the same id, Bob sees it once', async () => {
    const id = await queuedAndClosed('cut short');
    const queued = (await alice.deps.store.listOutboxByMessage(id)).flatMap((e) => e.items.map((i) => i.event.id));
    AnswerLost.sent = [];
    const cut = await wake(AnswerLost);
    expect(cut).toMatchObject({ outcome: 'flushed', published: 1, open: 1 });
    expect(AnswerLost.sent).toEqual(queued);
    await until(async () => (await history(bob, convB)).some((m) => m.text === 'cut short'), 'the relay had it: Bob gets it');
    expect((await history(alice, convA)).find((m) => m.id === id)?.status).not.toBe('sent');
    const after = (await alice.deps.store.listOutboxByMessage(id)).flatMap((e) => e.items.map((i) => i.event.id));
    expect(after).toEqual(queued); // the outbox minted nothing new
    // The next wake: the very same event again, the relay says duplicate, the message is sent.
    expect(await wake()).toEqual({ outcome: 'flushed', published: 1, conversations: [convA], open: 0 });
    expect((await history(alice, convA)).find((m) => m.id === id)).toMatchObject({ status: 'sent', deliveries: [{ relay: relay.url, ok: true }] });
    await alice.m.start();
    await alice.m.send(convA, 'after the cut');
    await until(async () => (await history(bob, convB)).some((m) => m.text === 'after the cut'), 'the next message');
    expect((await history(bob, convB)).filter((m) => m.text === 'cut short')).toHaveLength(1);
  });

  it('cut short after the copy was recorded but before its message was: the next wake writes "sent", publishing nothing', async () => {
    const id = await queuedAndClosed('recorded, the message not yet');
    const [entry] = await alice.deps.store.listOutboxByMessage(id);
    const item = entry!.items[0]!;
    // The relay took it and the copy was marked ok; the worker stopped before the message's status.
    const raw = await RawClient.open(item.relay);
    raw.send(['EVENT', item.event]);
    await raw.waitFor((m) => m[0] === 'OK' && m[1] === item.event.id && m[2] === true, 'OK');
    await raw.close();
    await alice.deps.store.markOutboxAttempt(entry!.id, [{ relay: item.relay, status: 'ok' }], null, Date.now());
    expect((await history(alice, convA)).find((m) => m.id === id)?.status).toBe('sending');
    expect(await wake()).toEqual({ outcome: 'flushed', published: 0, conversations: [convA], open: 0 });
    expect((await history(alice, convA)).find((m) => m.id === id)).toMatchObject({ status: 'sent', deliveries: [{ relay: relay.url, ok: true }] });
    expect(await alice.deps.store.listOutboxByMessage(id)).toEqual([]);
    await until(async () => (await history(bob, convB)).some((m) => m.text === 'recorded, the message not yet'), 'Bob has it');
  });

  it('a sync fails (the browser fires it again) only while a page owns the sockets or copies still wait', () => {
    expect(syncAgain({ outcome: 'busy' })).toBe(true);
    expect(syncAgain({ outcome: 'flushed', published: 1, conversations: [], open: 1 })).toBe(true);
    expect(syncAgain({ outcome: 'flushed', published: 1, conversations: [], open: 0 })).toBe(false);
    expect(syncAgain({ outcome: 'locked' })).toBe(false);
    expect(syncAgain({ outcome: 'private' })).toBe(false);
  });
});
