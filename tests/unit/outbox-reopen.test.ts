/**
 * The outbox's reconnect rule (src/lib/sync/outbox-queue.ts, issue 11): when a relay's socket opens
 * again, only its copies that failed because it was down are tried early, once; other copies wait for
 * their backoff; a storm of reconnects gets at most one early pass per relay per REOPEN_GAP_MS; and
 * status snapshots only count as a reconnect on a real transition to open. Real VeilStore
 * (fake-indexeddb), injected router, controlled clock.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bytesToHex } from '../../src/lib/shared/bytes';
import { generateSecretKey, getXOnlyPublicKey } from '../../src/lib/crypto/keys';
import { LocalSigner } from '../../src/lib/crypto/signer';
import type { NostrEvent } from '../../src/lib/relay/types';
import { VeilStore } from '../../src/lib/store/db';
import { entryId, MAX_ATTEMPTS, type PublishOutcome } from '../../src/lib/sync/outbox';
import { OutboxQueue, REOPEN_GAP_MS, reopenWatcher, saveOutgoing } from '../../src/lib/sync/outbox-queue';
import { freshPlatform, TEST_ITERATIONS } from '../helpers/store-idb';

const A = 'wss://a.example';
const B = 'wss://b.example';
const C = 'wss://c.example';

let store: VeilStore;
let clock: number;
let queue: OutboxQueue;
let route: (relay: string) => PublishOutcome;
let published: string[];
let messageId: string;

const DOWN: PublishOutcome = { status: 'unreachable', message: 'connection lost: socket closed (code 1006)' };
const BUSY: PublishOutcome = { status: 'rejected', reason: 'rate-limited', message: 'slow down' };
const count = (relay: string) => published.filter((r) => r === relay).length;

beforeEach(async () => {
  store = await VeilStore.open(freshPlatform(), 'veil-outbox-reopen');
  await store.setupVault('correct horse battery staple', { iterations: TEST_ITERATIONS });
  clock = 1_780_000_000_000;
  published = [];
  route = () => ({ status: 'ok' });
  queue = new OutboxQueue({
    store,
    now: () => clock,
    publish: async (_event: NostrEvent, relay) => {
      published.push(relay);
      return route(relay);
    },
    onDelivery: () => {},
    onError: (e) => {
      throw e;
    }
  });
  const me = new LocalSigner(generateSecretKey());
  const conversationId = await store.ensureConversation([bytesToHex(getXOnlyPublicKey(generateSecretKey()))]);
  const event = await me.signEvent({ kind: 1067, created_at: Math.floor(clock / 1000), tags: [], content: 'sealed' });
  messageId = bytesToHex(getXOnlyPublicKey(generateSecretKey()));
  await saveOutgoing(store, {
    message: { id: messageId, conversationId, createdAt: Math.floor(clock / 1000), direction: 'out', status: 'sending', content: { body: 'hi', sender: await me.getPublicKey(), kind: 14 } },
    entries: [{ id: entryId(messageId, 'peer', 0), messageId, items: [{ relay: A, event }, { relay: B, event }, { relay: C, event }], nextAttemptAt: 0 }]
  });
});

afterEach(async () => {
  await queue.stop();
  store.close();
});

describe('OutboxQueue.relayOpened', () => {
  it("a reconnect retries that relay's down copies once, now; a refused copy and other relays wait for the backoff", async () => {
    route = (relay) => (relay === C ? BUSY : DOWN);
    queue.start();
    await queue.flush();
    expect(published.sort()).toEqual([A, B, C]);
    published = [];
    clock += 10; // long before the backoff (≥ 500 ms) is over
    queue.relayOpened(A);
    await queue.flush();
    expect(published).toEqual([A]);
    queue.relayOpened(A); // again within REOPEN_GAP_MS: nothing
    queue.relayOpened(C); // C was refused, not down: nothing early
    await queue.flush();
    expect(published).toEqual([A]);
    const rec = await store.getOutbox(entryId(messageId, 'peer', 0));
    expect(rec?.items.map((it) => [it.relay, it.attempts])).toEqual([
      [A, 2],
      [B, 1],
      [C, 1]
    ]);
  });

  it('a relay flapping every 5 ms for 5 s: at most one early pass per REOPEN_GAP_MS, parked after MAX_ATTEMPTS', async () => {
    route = () => DOWN;
    queue.start();
    await queue.flush();
    for (let i = 0; i < 1000; i++) {
      clock += 5;
      queue.relayOpened(A);
      await queue.flush();
    }
    const early = 5000 / REOPEN_GAP_MS;
    // the first attempt, one early try per gap, and whatever came due on the backoff in those 5 s (≤ 4)
    expect(count(A)).toBeLessThanOrEqual(1 + early + 4);
    expect(count(A)).toBeGreaterThanOrEqual(2);
    for (let i = 0; i < 1000; i++) {
      clock += REOPEN_GAP_MS;
      queue.relayOpened(A);
      await queue.flush();
    }
    expect(count(A)).toBeLessThanOrEqual(MAX_ATTEMPTS);
  });

  it('reopenWatcher calls back only on a transition to open, never for snapshots of an open socket', () => {
    const opened: string[] = [];
    const watch = reopenWatcher((r) => opened.push(r));
    for (const state of ['connecting', 'open', 'open', 'open', 'error', 'connecting', 'open', 'open']) watch({ url: A, state });
    for (let i = 0; i < 1000; i++) watch({ url: B, state: 'open' });
    expect(opened).toEqual([A, A, B]);
  });
});
