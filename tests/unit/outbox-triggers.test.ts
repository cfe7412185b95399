/**
 * Relay text must not drive the outbox (issue 11, "Relay text as a trigger"): a whole Messenger on an
 * in-process fake relay (tests/helpers/fake-relay-ws.ts) with one queued envelope the relay keeps
 * refusing with a retryable `error:`. A NOTICE every 5 ms for 5 s must not republish it past its
 * backoff, and a relay whose sockets drop right after opening must not either. The figures are printed
 * (`npx vitest run tests/unit/outbox-triggers.test.ts`); the windows are measurements, not waits.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { bytesToHex, randomBytes } from '../../src/lib/shared/bytes';
import { envelopeKey } from '../../src/lib/crypto/envelope';
import { generateSecretKey, getXOnlyPublicKey } from '../../src/lib/crypto/keys';
import { LocalSigner } from '../../src/lib/crypto/signer';
import { VeilStore } from '../../src/lib/store/db';
import { Messenger } from '../../src/lib/sync/messenger';
import { entryId, MAX_ATTEMPTS } from '../../src/lib/sync/outbox';
import { saveOutgoing } from '../../src/lib/sync/outbox-queue';
import { fakeRelay, type FakeRelay, type FakeRelayOptions } from '../helpers/fake-relay-ws';
import { freshPlatform, TEST_ITERATIONS } from '../helpers/store-idb';
import { FAST_TIMING } from '../helpers/timing';

const RELAY = 'wss://busy.relay.test';
const WINDOW_MS = 5_000;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const elapsed = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A Messenger on the fake relay with one queued envelope; returns how often it was published in WINDOW_MS. */
async function measure(name: string, relayOpts: Omit<FakeRelayOptions, 'answer'>): Promise<{ frames: number; attempts: number; opened: number }> {
  const store = await VeilStore.open(freshPlatform(), `veil-triggers-${name}`);
  await store.setupVault('correct horse battery staple', { iterations: TEST_ITERATIONS });
  const sk = generateSecretKey();
  const signer = new LocalSigner(sk);
  const me = bytesToHex(getXOnlyPublicKey(sk));
  const peer = bytesToHex(getXOnlyPublicKey(generateSecretKey()));
  const conversationId = await store.ensureConversation([peer]);
  const created = Math.floor(Date.now() / 1000);
  const event = await new LocalSigner(generateSecretKey()).signEvent({ kind: 1067, created_at: created, tags: [], content: 'sealed' });
  const messageId = bytesToHex(getXOnlyPublicKey(generateSecretKey()));
  await saveOutgoing(store, {
    message: { id: messageId, conversationId, createdAt: created, direction: 'out', status: 'sending', content: { body: 'hi', sender: me, kind: 14 } },
    entries: [{ id: entryId(messageId, 'peer', 0), messageId, items: [{ relay: RELAY, event }], nextAttemptAt: 0 }]
  });
  const relay: FakeRelay = fakeRelay({ ...relayOpts, answer: (ev) => (ev.id === event.id ? [false, 'error: busy, try later'] : [true, '']) });
  const m = await Messenger.create({
    store,
    signer,
    identity: me,
    deviceId: bytesToHex(randomBytes(8)),
    ek: envelopeKey(generateSecretKey()),
    WebSocket: relay.WebSocket,
    relays: [RELAY],
    timing: FAST_TIMING
  });
  cleanups.push(() => store.close(), () => relay.stop(), () => m.stop());
  await m.start();
  await elapsed(WINDOW_MS);
  await m.stop();
  const frames = relay.events.filter((e) => e.event.id === event.id).length;
  const rec = await store.getOutbox(entryId(messageId, 'peer', 0));
  const attempts = rec?.items[0]?.attempts ?? 0;
  console.log(`${name}: ${frames} EVENT frames, ${attempts} outbox attempts in ${WINDOW_MS} ms (${relay.opened()} sockets opened)`);
  return { frames, attempts, opened: relay.opened() };
}

describe('relay text does not drive the outbox', () => {
  it('a NOTICE every 5 ms for 5 s: the refused envelope is retried on its backoff only', async () => {
    const { frames, attempts } = await measure('notice-flood', { noticeEveryMs: 5 });
    // backoff 0.5–1 s, 1–2 s, 2–4 s, …: at most 4 attempts fit in 5 s (the first one at start)
    expect(attempts).toBeGreaterThanOrEqual(2);
    expect(attempts).toBeLessThanOrEqual(4);
    expect(frames).toBe(attempts);
  }, 30_000);

  it('a relay that drops every socket 2 ms after it opens: reconnects never publish past the backoff', async () => {
    const { attempts, opened } = await measure('flapping', { flapAfterMs: 2, noticeEveryMs: 1 });
    expect(opened).toBeGreaterThan(2);
    expect(attempts).toBeGreaterThanOrEqual(1);
    // each attempt is either the backoff's or the one allowed per reconnect of that relay's publish socket
    expect(attempts).toBeLessThanOrEqual(Math.min(MAX_ATTEMPTS, 4 + opened));
    expect(attempts).toBeLessThanOrEqual(8);
  }, 30_000);
});
