/**
 * My intro bucket is read trial-open first (issue 12 §3): most of what lands there is other people's
 * first contacts and junk, and a failed trial-open needs no seen-set read. One that unwraps is looked
 * up before it is opened further, so an intro envelope already stored (a re-read after a restart)
 * is neither opened again, stored twice, nor counted as new mail for me (the identity gate's quiet
 * minute). Shared-bucket envelopes keep the seen-set read first (they matched a pair tag: mine).
 * The real pipeline on a real VeilStore (fake-indexeddb).
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { bucketPoint } from '../../src/lib/crypto/bucket';
import { chatMessageTemplate, envelopeKey, sealEnvelope, type EnvelopeKey } from '../../src/lib/crypto/envelope';
import { generateSecretKey, getXOnlyPublicKey } from '../../src/lib/crypto/keys';
import { epochDay, introMailbox } from '../../src/lib/crypto/mailbox';
import { LocalSigner } from '../../src/lib/crypto/signer';
import { bytesToHex } from '../../src/lib/shared/bytes';
import type { VerifiedEvent as RelayVerifiedEvent } from '../../src/lib/relay/types';
import { VeilStore } from '../../src/lib/store/db';
import type { SyncContext } from '../../src/lib/sync/context';
import { InboundPipeline } from '../../src/lib/sync/inbound';
import { PairKeys } from '../../src/lib/sync/pair-keys';
import { Peers, storePeerRepo } from '../../src/lib/sync/peers';
import { envelopeReceiver, mayBeMine, openEnvelope, sortEnvelope } from '../../src/lib/sync/receive-envelope';
import { RelayPool } from '../../src/lib/relay/pool';
import { verifyEventSignature, type EventVerifier } from '../../src/lib/shared/trusted-event';
import { jsEcdh } from '../../src/lib/crypto/ecdh-wasm';
import { mockSockets } from '../helpers/mock-ws';
import { freshPlatform, TEST_ITERATIONS } from '../helpers/store-idb';
import { testSyncContext } from '../helpers/sync-context';

const RELAY = 'wss://relay.example';
const NOW_MS = 1_780_000_000_000;
const NOW_S = NOW_MS / 1000;
const DAY = epochDay(NOW_S);

let store: VeilStore;
let ctx: SyncContext;
let pipeline: InboundPipeline;
let myEk: EnvelopeKey;
let me: string;
const bob = new LocalSigner(generateSecretKey());

beforeEach(async () => {
  store = await VeilStore.open(freshPlatform(), 'veil-intro');
  await store.setupVault('correct horse battery staple', { iterations: TEST_ITERATIONS });
  const sk = generateSecretKey();
  me = bytesToHex(getXOnlyPublicKey(sk));
  myEk = envelopeKey(generateSecretKey());
  ctx = testSyncContext({ store, signer: new LocalSigner(sk), me, ek: myEk, nowMs: () => NOW_MS });
  pipeline = new InboundPipeline(ctx, { peers: new Peers(storePeerRepo(store)), lookup: { applyRecord: async () => true, refreshLater: () => {} } });
});

async function sealed(to: EnvelopeKey, mailbox: string, text: string, pairTagKey?: Uint8Array): Promise<RelayVerifiedEvent> {
  const inner = await bob.signEvent(chatMessageTemplate({ text, recipients: [me], createdAt: NOW_S - 5 }));
  return (await sealEnvelope({ recipientEk: to.publicKey, mailbox, payload: { type: 'event', event: inner }, nowSeconds: NOW_S, ...(pairTagKey ? { pairTagKey } : {}) })) as unknown as RelayVerifiedEvent;
}

const intro = () => introMailbox(myEk.publicKey, RELAY, DAY);
const introReceiver = () => envelopeReceiver(ctx, { pipeline, classify: () => ({ kind: 'intro', relay: RELAY, day: DAY }), senders: () => [] });

describe('my intro bucket, trial-open first', () => {
  it('someone else’s intro envelopes cost no seen-set read', async () => {
    const seen = vi.spyOn(store, 'hasSeen');
    const receive = introReceiver();
    for (let i = 0; i < 5; i++) await receive(await sealed(envelopeKey(generateSecretKey()), intro(), `not mine ${i}`), RELAY);
    expect(seen).not.toHaveBeenCalled();
    expect(ctx.counters.openFailures).toBe(5);
  });

  it('mine is stored once; read again after a restart it is found seen before it is opened or counted as new mail', async () => {
    const outer = await sealed(myEk, intro(), 'hello');
    await introReceiver()(outer, RELAY);
    const cid = await store.conversationIdFor([await bob.getPublicKey()]);
    expect((await store.pageMessages(cid, { limit: 5 })).messages.map((m) => m.content.body)).toEqual(['hello']);
    expect(ctx.identityGate.wait()).toBeGreaterThan(0); // mail for me: the quiet minute runs

    // A restart: a new pipeline (empty memory), the same store, a clock past the quiet minute.
    const later = NOW_MS + 10 * 60_000;
    ctx = testSyncContext({ store, signer: ctx.signer, me, ek: myEk, nowMs: () => later });
    pipeline = new InboundPipeline(ctx, { peers: new Peers(storePeerRepo(store)), lookup: { applyRecord: async () => true, refreshLater: () => {} } });
    const seen = vi.spyOn(store, 'hasSeen');
    await introReceiver()(outer, RELAY);
    expect(seen).toHaveBeenCalledTimes(1);
    expect(ctx.counters.duplicates).toBe(1);
    expect(ctx.identityGate.wait()).toBe(0); // an old message is no new mail: nothing to hide
    expect((await store.pageMessages(cid, { limit: 5 })).messages).toHaveLength(1);
    const c = (await store.listConversations()).find((x) => x.id === cid);
    expect(c?.unread).toBe(1);
  });

  it('a shared-bucket envelope is still looked up in the seen set first', async () => {
    const bobEk = envelopeKey(generateSecretKey());
    const tagKey = new PairKeys(bobEk).tagKey(bytesToHex(bobEk.publicKey), bytesToHex(myEk.publicKey), DAY)!;
    const outer = await sealed(myEk, bucketPoint(RELAY, DAY, 0, 0), 'in the shared bucket', tagKey);
    const seen = vi.spyOn(store, 'hasSeen');
    await envelopeReceiver(ctx, { pipeline, classify: () => ({ kind: 'bucket', relay: RELAY, day: DAY }), senders: () => [bytesToHex(bobEk.publicKey)] })(outer, RELAY);
    expect(seen).toHaveBeenCalledTimes(1);
    expect(ctx.counters.duplicates).toBe(0);
  });
});

describe('my intro bucket through the pool: the signature checked only after a successful trial-open', () => {
  /** The pool as the Messenger wires it for envelopes: prefilter, deferred delivery, the queue's opener. */
  function deferredPool() {
    const m = mockSockets();
    let verified = 0;
    const verifyEvent: EventVerifier = (e) => (verified++, verifyEventSignature(e));
    const deps = { pipeline, classify: () => ({ kind: 'intro' as const, relay: RELAY, day: DAY }), senders: () => [], scan: { ecdh: jsEcdh, verifyEvent } };
    const open = openEnvelope(ctx, deps);
    const work: Promise<void>[] = [];
    const pool = new RelayPool([RELAY], { WebSocket: m.WebSocket, verify: verifyEvent, prefilter: (relay, ev) => mayBeMine(ctx, deps, ev, relay) });
    pool.subscribe([{ kinds: [1067], '#p': [intro()] }], {
      onevent: () => {
        throw new Error('an intro envelope was verified before its trial-open');
      },
      ondeferred: (ev, relays) => {
        const c = sortEnvelope(ctx, deps, ev, [...relays][0]!, false);
        if (c) work.push(open(c));
      }
    });
    const socket = m.last();
    socket.accept();
    const sub = socket.sentOf('REQ').at(-1)![1] as string;
    return { send: async (ev: RelayVerifiedEvent) => (socket.frame(['EVENT', sub, ev]), await Promise.all(work)), verified: () => verified, pool };
  }

  it('someone else’s intro envelopes are rejected by trial-open with no signature check', async () => {
    const p = deferredPool();
    for (let i = 0; i < 5; i++) await p.send(await sealed(envelopeKey(generateSecretKey()), intro(), `not mine ${i}`));
    expect(p.verified()).toBe(0);
    expect(ctx.counters.openFailures).toBe(5);
    p.pool.close();
  });

  it('a copy of mine with a forged signature is dropped and not remembered; the real one is then stored once', async () => {
    const p = deferredPool();
    const real = await sealed(myEk, intro(), 'the real one');
    await p.send({ ...real, sig: real.sig.startsWith('00') ? '11'.repeat(64) : '00'.repeat(64) });
    expect(p.verified()).toBe(1);
    expect(ctx.counters.invalidEvents).toBe(1);
    expect(await store.hasSeen(real.id)).toBe(false);
    await p.send(real);
    expect(p.verified()).toBe(2);
    const cid = await store.conversationIdFor([await bob.getPublicKey()]);
    expect((await store.pageMessages(cid, { limit: 5 })).messages.map((m) => m.content.body)).toEqual(['the real one']);
    await p.send(real); // the same copy again: deduped by the pool, not opened again
    expect(p.verified()).toBe(2);
    p.pool.close();
  });
});

describe('stored, then claimed as seen', () => {
  it('a page killed after the message was stored and before the claim loses nothing: the next read finds it stored and claims it', async () => {
    const outer = await sealed(myEk, intro(), 'kept across a crash');
    const claim = vi.spyOn(store, 'claimSeen').mockRejectedValueOnce(new Error('the page died here'));
    await expect(introReceiver()(outer, RELAY)).rejects.toThrow('the page died here');
    const cid = await store.conversationIdFor([await bob.getPublicKey()]);
    expect((await store.pageMessages(cid, { limit: 5 })).messages.map((m) => m.content.body)).toEqual(['kept across a crash']);
    expect(await store.hasSeen(outer.id)).toBe(false);

    // The next start: a new pipeline reads the same envelope again.
    pipeline = new InboundPipeline(ctx, { peers: new Peers(storePeerRepo(store)), lookup: { applyRecord: async () => true, refreshLater: () => {} } });
    await introReceiver()(outer, RELAY);
    expect(claim).toHaveBeenCalledTimes(2);
    expect(await store.hasSeen(outer.id)).toBe(true);
    expect((await store.pageMessages(cid, { limit: 5 })).messages).toHaveLength(1);
    expect((await store.listConversations()).find((c) => c.id === cid)?.unread).toBe(1);
  });
});
