/**
 * The outbox as a persistent job queue (src/lib/sync/outbox-queue.ts) on a real VeilStore
 * (fake-indexeddb) with an injected publish router instead of relays: what each answer does to
 * the message's status and the entries, the queue's own backoff on a controlled clock, retry().
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bytesToHex } from '../../src/lib/shared/bytes';
import { isVeilError } from '../../src/lib/shared/errors';
import { generateSecretKey, getXOnlyPublicKey } from '../../src/lib/crypto/keys';
import { LocalSigner } from '../../src/lib/crypto/signer';
import type { NostrEvent } from '../../src/lib/relay/types';
import { VeilStore } from '../../src/lib/store/db';
import { BASE_BACKOFF_MS, entryId, type PublishOutcome } from '../../src/lib/sync/outbox';
import { OutboxQueue, saveOutgoing } from '../../src/lib/sync/outbox-queue';
import { freshPlatform, TEST_ITERATIONS } from '../helpers/store-idb';

const A = 'wss://a.example';
const B = 'wss://b.example';

let store: VeilStore;
let clock: number;
let queue: OutboxQueue;
let route: (event: NostrEvent, relay: string) => PublishOutcome;
let published: string[];
let deliveries: string[];
let conversationId: string;
let messageId: string;

beforeEach(async () => {
  store = await VeilStore.open(freshPlatform(), 'veil-outbox-queue');
  await store.setupVault('correct horse battery staple', { iterations: TEST_ITERATIONS });
  clock = 1_780_000_000_000;
  published = [];
  deliveries = [];
  route = () => ({ status: 'ok' });
  queue = new OutboxQueue({
    store,
    now: () => clock,
    publish: async (event, relay) => {
      published.push(relay);
      return route(event, relay);
    },
    onDelivery: (cid) => deliveries.push(cid),
    onError: (e) => {
      throw e;
    }
  });
  const me = new LocalSigner(generateSecretKey());
  const peer = bytesToHex(getXOnlyPublicKey(generateSecretKey()));
  conversationId = await store.ensureConversation([peer]);
  const event = await me.signEvent({ kind: 1067, created_at: Math.floor(clock / 1000), tags: [], content: 'sealed' });
  const selfCopy = await me.signEvent({ kind: 1067, created_at: Math.floor(clock / 1000), tags: [], content: 'sealed for my phone' });
  messageId = bytesToHex(getXOnlyPublicKey(generateSecretKey()));
  await saveOutgoing(store, {
    message: { id: messageId, conversationId, createdAt: Math.floor(clock / 1000), direction: 'out', status: 'sending', content: { body: 'hi', sender: await me.getPublicKey(), kind: 14 } },
    entries: [
      { id: entryId(messageId, 'peer', 0), messageId, items: [{ relay: A, event }, { relay: B, event }], nextAttemptAt: 0 },
      { id: entryId(messageId, 'self', 0), messageId, items: [{ relay: A, event: selfCopy }], nextAttemptAt: 0 }
    ]
  });
});

afterEach(async () => {
  await queue.stop();
  store.close();
});

describe('OutboxQueue', () => {
  it('publishes every copy through the router; accepted + refused → sent, shown per relay, entries removed', async () => {
    route = (_e, relay) => (relay === A ? { status: 'ok' } : { status: 'rejected', reason: 'invalid', message: 'too big' });
    queue.start();
    await queue.flush();
    expect(published.sort()).toEqual([A, A, B]);
    const m = await store.getMessage(messageId);
    expect(m?.status).toBe('sent');
    expect(m?.relays.map((r) => [r.relay, r.ok, r.message])).toEqual([
      [A, true, undefined],
      [B, false, 'invalid: too big']
    ]);
    expect(await store.getOutbox(entryId(messageId, 'peer', 0))).toBeUndefined();
    expect(await store.getOutbox(entryId(messageId, 'self', 0))).toBeUndefined();
    expect(deliveries).toContain(conversationId);
  });

  it('a relay that does not answer is retried with its own backoff, then delivered', async () => {
    route = () => ({ status: 'timeout' });
    queue.start();
    await queue.flush();
    expect(published).toHaveLength(3);
    const entry = await store.getOutbox(entryId(messageId, 'peer', 0));
    expect(entry?.attempts).toBe(1);
    // First retry after BASE_BACKOFF_MS with 50–100 % jitter.
    expect(entry!.nextAttemptAt).toBeGreaterThanOrEqual(clock + BASE_BACKOFF_MS / 2);
    expect(entry!.nextAttemptAt).toBeLessThanOrEqual(clock + BASE_BACKOFF_MS);

    await queue.flush(); // not due yet: nothing goes out
    expect(published).toHaveLength(3);

    route = () => ({ status: 'ok' });
    clock += BASE_BACKOFF_MS;
    await queue.flush();
    expect(published).toHaveLength(6);
    expect((await store.getMessage(messageId))?.status).toBe('sent');
    expect(await store.getOutbox(entryId(messageId, 'peer', 0))).toBeUndefined();
  });

  it('refused everywhere → failed and kept; retry() re-arms the same events and delivers them', async () => {
    route = () => ({ status: 'rejected', reason: 'blocked', message: 'not today' });
    queue.start();
    await queue.flush();
    expect((await store.getMessage(messageId))?.status).toBe('failed');
    const parked = await store.getOutbox(entryId(messageId, 'peer', 0));
    expect(parked?.nextAttemptAt).toBe(Number.MAX_SAFE_INTEGER);

    route = () => ({ status: 'ok' });
    await queue.retry(messageId);
    await queue.flush();
    expect((await store.getMessage(messageId))?.status).toBe('sent');
    expect(published).toHaveLength(6);
  });

  it('retry() of a message with no entries is NOT_FOUND; nothing is published before start()', async () => {
    await queue.flush();
    expect(published).toEqual([]);
    const e = await queue.retry('f'.repeat(64)).catch((err: unknown) => err);
    expect(isVeilError(e, 'NOT_FOUND')).toBe(true);
  });

  it('a copy that landed is recorded at once: stopped while another relay waits (a Private-mode slot), the next start sends only the waiting one', async () => {
    let releaseB!: (o: PublishOutcome) => void;
    queue = new OutboxQueue({
      store,
      now: () => clock,
      publish: (_event, relay) => {
        published.push(relay);
        if (relay === B && !releaseB) return new Promise<PublishOutcome>((r) => (releaseB = r));
        return Promise.resolve({ status: 'ok' });
      },
      onDelivery: () => {},
      onError: (e) => {
        throw e;
      }
    });
    queue.start();
    // A's copies land; B's waits. The store has A's ok before B answers.
    await expect.poll(async () => (await store.getOutbox(entryId(messageId, 'peer', 0)))?.items.find((i) => i.relay === A)?.status).toBe('ok');
    const stopping = queue.stop();
    releaseB({ status: 'unreachable', message: 'private mode stopped' });
    await stopping;
    published = [];
    queue.start();
    await queue.flush();
    expect(published).toEqual([B]);
    expect((await store.getMessage(messageId))?.status).toBe('sent');
  });

  it('a copy waiting for its slot holds back neither a later message nor a second flush, and is not sent twice', async () => {
    let releaseB!: (o: PublishOutcome) => void;
    const sent: string[] = [];
    queue = new OutboxQueue({
      store,
      now: () => clock,
      publish: (event, relay) => {
        sent.push(`${event.content}@${relay}`);
        if (relay === B && event.content === 'sealed') return new Promise<PublishOutcome>((r) => (releaseB = r));
        return Promise.resolve({ status: 'ok' });
      },
      onDelivery: () => {},
      onError: (e) => {
        throw e;
      }
    });
    queue.start();
    await expect.poll(() => sent.includes(`sealed@${B}`)).toBe(true);
    // A second message, written while the first one's copy to B still waits (Private mode: minutes).
    const me = new LocalSigner(generateSecretKey());
    const later = await me.signEvent({ kind: 1067, created_at: Math.floor(clock / 1000), tags: [], content: 'later' });
    const laterId = bytesToHex(getXOnlyPublicKey(generateSecretKey()));
    await saveOutgoing(store, {
      message: { id: laterId, conversationId, createdAt: Math.floor(clock / 1000), direction: 'out', status: 'sending', content: { body: 'again', sender: await me.getPublicKey(), kind: 14 } },
      entries: [{ id: entryId(laterId, 'peer', 0), messageId: laterId, items: [{ relay: A, event: later }], nextAttemptAt: 0 }]
    });
    queue.kick(true);
    await expect.poll(async () => (await store.getMessage(laterId))?.status).toBe('sent');
    expect(sent.filter((x) => x === `sealed@${B}`)).toHaveLength(1);
    // A flush waits for the copy it found on its way, and records it.
    const flushed = queue.flush();
    releaseB({ status: 'ok' });
    await flushed;
    expect(sent.filter((x) => x === `sealed@${B}`)).toHaveLength(1);
    expect((await store.getMessage(messageId))?.status).toBe('sent');
    expect(await store.getOutbox(entryId(messageId, 'peer', 0))).toBeUndefined();
  });

  it('passes that overlap on one message write its status one at a time: no stale "sending" after "sent"', async () => {
    // Seen in CI: a tick's pass read the message while the first pass's copies were out, wrote
    // "sending" after the first pass had written "sent" and dropped the entries: it stayed "sending".
    let releaseB!: (o: PublishOutcome) => void;
    const writes: string[] = [];
    const write = store.updateMessageStatus.bind(store);
    store.updateMessageStatus = (id, status, ...rest) => {
      if (id === messageId) writes.push(status);
      return write(id, status, ...rest);
    };
    queue = new OutboxQueue({
      store,
      now: () => clock,
      publish: (event, relay) => (relay === B && event.content === 'sealed' ? new Promise<PublishOutcome>((r) => (releaseB = r)) : Promise.resolve({ status: 'ok' })),
      onDelivery: () => {},
      onError: (e) => {
        throw e;
      }
    });
    queue.start();
    await expect.poll(() => typeof releaseB).toBe('function');
    // Another pass while the copy to B is out (a forced one reads every open entry: a mode switch, a
    // second start), then a second message whose pass chooses after it.
    queue.kick(true);
    const me = new LocalSigner(generateSecretKey());
    const laterId = bytesToHex(getXOnlyPublicKey(generateSecretKey()));
    await saveOutgoing(store, {
      message: { id: laterId, conversationId, createdAt: Math.floor(clock / 1000), direction: 'out', status: 'sending', content: { body: 'again', sender: await me.getPublicKey(), kind: 14 } },
      entries: [{ id: entryId(laterId, 'peer', 0), messageId: laterId, items: [{ relay: A, event: await me.signEvent({ kind: 1067, created_at: Math.floor(clock / 1000), tags: [], content: 'later' }) }], nextAttemptAt: 0 }]
    });
    queue.kick(false);
    await expect.poll(async () => (await store.getMessage(laterId))?.status).toBe('sent');
    const done = queue.flush();
    releaseB({ status: 'ok' });
    await done;
    await queue.stop();
    expect(writes.at(-1)).toBe('sent');
    expect((await store.getMessage(messageId))?.status).toBe('sent');
    expect(await store.listOutboxByMessage(messageId)).toEqual([]);
  });
});
