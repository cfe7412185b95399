/**
 * Reading while locked (sync/locked-read.ts, issue 13 §2) in Node against the real local relay, with
 * fake-indexeddb. Alice did NOT choose "remember on this device": the worker has no key at all. With
 * "check while locked" on, a wake reads the shared bucket, keeps the envelopes as sent, says "may
 * have arrived" once; then the relay goes away, and Alice's unlock opens what was kept, in order,
 * and empties the locked inbox. With the setting off nothing is read or kept.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { finalizeEvent } from 'nostr-tools';
import { bytesToHex, randomBytes } from '../../src/lib/shared/bytes';
import { encodeNpub } from '../../src/lib/crypto/nip19';
import { VeilStore } from '../../src/lib/store/db';
import type { IdbPlatform } from '../../src/lib/store/migrations';
import { createLocalIdentity } from '../../src/lib/sync/account';
import { Messenger } from '../../src/lib/sync/messenger';
import { socketsLock } from '../../src/lib/sync/worker-flush';
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
let deps: Parameters<typeof Messenger.create>[0];
let bob: VeilClient;
let convB = '';
const locks = new Locks();

const wake = () => readFromWorker({ openStore: () => VeilStore.open(platform, db), WebSocket, withSocketsLock: socketsLock(locks), relays: [] });

async function bobSends(text: string): Promise<void> {
  const id = await bob.m.send(convB, text);
  await untilChecked([bob.m], async () => (await bob.m.pageMessages(convB, { limit: 100 })).find((x) => x.id === id && x.status === 'sent'), `"${text}" at the relay`, 20_000);
}

/** Opens Alice's store without touching it (the worker's view). */
async function raw<T>(fn: (s: VeilStore) => Promise<T>): Promise<T> {
  const s = await VeilStore.open(platform, db);
  try {
    return await fn(s);
  } finally {
    s.close();
  }
}

beforeAll(async () => {
  relay = await startRelay();
  platform = freshPlatform();
  db = `veil-alice-${bytesToHex(randomBytes(4))}`;
  const store = await VeilStore.open(platform, db);
  const { session } = await createLocalIdentity(store, PASS, { remember: false });
  deps = { store, signer: session.signer, identity: session.account.pubkey, deviceId: session.deviceId, ek: session.ek, WebSocket, relays: [relay.url], timing: FAST_TIMING };
  const m = await Messenger.create(deps);
  await m.start();
  expect(await m.lockedRead.enabled()).toBe(false);
  await m.lockedRead.set(true);
  bob = await veilClient('bob', [relay.url]);
  convB = await bob.m.startChat(encodeNpub(session.account.pubkey));
  await bob.m.send(convB, 'while the app was open');
  await untilChecked([m], async () => (await m.listChats('request')).some((c) => c.unread > 0), 'the first message at Alice', 20_000);
  await m.stop();
  store.lock();
  store.close();
}, 60_000);

afterAll(async () => {
  await bob.m.stop();
  await relay.stop();
});

describe('a locked app with "check while locked" on', () => {
  it('keeps the envelopes unopened, says so once, and opens them at unlock, in order, with the relay gone', async () => {
    for (const n of [1, 2, 3]) await bobSends(`while locked ${n}`);
    // Bob goes offline: his Live cover (a slot every ~40 s early in a session) would otherwise add an
    // envelope between the two wakes below, and the second is to find nothing new.
    await bob.m.stop();
    const r = await wake();
    expect(r.outcome).toBe('locked');
    const kept = r.outcome === 'locked' ? r.kept : undefined;
    // Everyone's envelopes of the window are kept (level 0: one shared bucket); these four at least.
    expect(kept).toMatchObject({ relays: 1, complete: 1, notify: true });
    expect(kept!.added).toBeGreaterThanOrEqual(4);
    const stored = await raw((s) => s.lockedInbox.list());
    expect(stored.map((x) => x.event.kind).every((k) => k === 1067)).toBe(true);
    expect(stored.every((x, i) => i === 0 || stored[i - 1]!.event.created_at <= x.event.created_at)).toBe(true);
    // Nothing could be opened: the store is still locked and holds no new message.
    expect(await raw(async (s) => s.isLocked())).toBe(true);

    // The same envelopes again: nothing new, no second notification.
    const again = await wake();
    expect(again.outcome === 'locked' && again.kept).toMatchObject({ added: 0, notify: false });

    // A forged record in the locked inbox (anyone with the disk can write it) is never opened.
    const forged = finalizeEvent({ kind: 1067, created_at: stored[0]!.event.created_at, tags: stored[0]!.event.tags.map((t) => [...t]), content: stored[0]!.event.content }, randomBytes(32));
    await raw((s) => s.lockedInbox.add([{ event: { ...forged, content: forged.content + 'x' }, relay: stored[0]!.relay }]));

    // The relay goes away; Alice unlocks: the kept envelopes are the only source.
    await relay.stop();
    const store = await VeilStore.open(platform, db);
    await store.unlock(PASS);
    const m = await Messenger.create({ ...deps, store });
    await m.start();
    const cid = await store.conversationIdFor([bob.pubkey]);
    await untilChecked([m], async () => (await m.pageMessages(cid, { limit: 100 })).length >= 4, 'the kept messages at Alice', 20_000);
    expect((await m.pageMessages(cid, { limit: 100 })).map((x) => x.text).reverse()).toEqual(['while the app was open', 'while locked 1', 'while locked 2', 'while locked 3']);
    await untilChecked([m], async () => (await store.lockedInbox.count()) === 0, 'the locked inbox emptied', 10_000);
    expect(await store.lockedInbox.plan()).toMatchObject({ notified: false, relays: [relay.url.replace(/\/$/, '')] });

    // Off: the plan and anything kept are deleted, and a locked wake reads nothing.
    await m.lockedRead.set(false);
    expect(await m.lockedRead.enabled()).toBe(false);
    await m.stop();
    store.lock();
    store.close();
    expect(await wake()).toEqual({ outcome: 'locked' });
  }, 90_000);
});
