/**
 * The one inbound pipeline (src/lib/sync/inbound.ts) with a real VeilStore on fake-indexeddb and
 * no relay: envelopes and gift wraps are sealed here and handed to their receivers the way the
 * pools hand verified events over. Also `decline()` leaving no per-chat state behind.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { bytesToHex } from '../../src/lib/shared/bytes';
import { isVeilError, VeilError } from '../../src/lib/shared/errors';
import { encodeContactCard } from '../../src/lib/crypto/card';
import { chatMessageTemplate, envelopeKey, sealEnvelope, type EnvelopeKey } from '../../src/lib/crypto/envelope';
import { buildInboxRecord, parseInboxRecord } from '../../src/lib/crypto/inbox';
import { bucketPoint } from '../../src/lib/crypto/bucket';
import { ecdh as ecdhJs, generateSecretKey, getXOnlyPublicKey } from '../../src/lib/crypto/keys';
import { epochDay, introMailbox } from '../../src/lib/crypto/mailbox';
import { nip17ChatTemplate, nip17ReactionTemplate, wrapNip17Message } from '../../src/lib/crypto/nip17';
import { LocalSigner, type Signer } from '../../src/lib/crypto/signer';
import type { VerifiedEvent as RelayVerifiedEvent } from '../../src/lib/relay/types';
import { VeilStore } from '../../src/lib/store/db';
import type { SyncContext } from '../../src/lib/sync/context';
import { InboundPipeline } from '../../src/lib/sync/inbound';
import { Messenger } from '../../src/lib/sync/messenger';
import { Peers, storePeerRepo } from '../../src/lib/sync/peers';
import { PairKeys } from '../../src/lib/sync/pair-keys';
import { envelopeReceiver, CARD_TAG, EK_TAG } from '../../src/lib/sync/receive-envelope';
import { nip17Receiver } from '../../src/lib/sync/receive-nip17';
import { outerEvent } from '../../src/lib/sync/outer';
import { MAX_OUTER_OFFSET_S } from '../../src/lib/store/db';
import { newNip17Stats } from '../../src/lib/sync/nip17';
import type { InboxRecord } from '../../src/lib/crypto/inbox';
import type { MessengerEvent } from '../../src/lib/sync/types';
import { freshPlatform, TEST_ITERATIONS } from '../helpers/store-idb';
import { testSyncContext } from '../helpers/sync-context';

const RELAY = 'wss://relay.example';

interface Party {
  sk: Uint8Array;
  pubkey: string;
  signer: LocalSigner;
}

function party(): Party {
  const sk = generateSecretKey();
  return { sk, pubkey: bytesToHex(getXOnlyPublicKey(sk)), signer: new LocalSigner(sk) };
}

/** A fixed clock, so the clamp is checked against a known "now". */
const NOW_MS = 1_780_000_000_000;
const NOW_S = NOW_MS / 1000;

let store: VeilStore;
let me: Party;
let myEk: EnvelopeKey;
let ctx: SyncContext;
let peers: Peers;
let pipeline: InboundPipeline;
let applied: { pubkey: string; rec: InboxRecord }[];
let refreshed: string[];
let events: MessengerEvent[];

async function openStore(): Promise<VeilStore> {
  const s = await VeilStore.open(freshPlatform(), 'veil-inbound');
  await s.setupVault('correct horse battery staple', { iterations: TEST_ITERATIONS });
  return s;
}

beforeEach(async () => {
  store = await openStore();
  me = party();
  myEk = envelopeKey(generateSecretKey());
  events = [];
  applied = [];
  refreshed = [];
  ctx = testSyncContext({ store, signer: me.signer, me: me.pubkey, ek: myEk, nowMs: () => NOW_MS, emit: (e) => events.push(e) });
  peers = new Peers(storePeerRepo(store));
  pipeline = new InboundPipeline(ctx, {
    peers,
    lookup: {
      applyRecord: async (pubkey, rec) => {
        applied.push({ pubkey, rec });
        return true;
      },
      refreshLater: (pubkey) => {
        refreshed.push(pubkey);
      }
    }
  });
});

/** A kind 14 from `from` to me, sealed to my EK in my intro mailbox: what the envelope pool delivers. */
async function envelopeFrom(from: Party, text: string, opts: { createdAt?: number; tags?: string[][] } = {}): Promise<RelayVerifiedEvent> {
  const template = chatMessageTemplate({ text, recipients: [me.pubkey], createdAt: opts.createdAt ?? NOW_S - 5 });
  template.tags.push(...(opts.tags ?? []));
  const inner = await from.signer.signEvent(template);
  const mailbox = introMailbox(myEk.publicKey, RELAY, epochDay(NOW_S));
  const outer = await sealEnvelope({ recipientEk: myEk.publicKey, mailbox, payload: { type: 'event', event: inner }, nowSeconds: NOW_S });
  return outer as unknown as RelayVerifiedEvent;
}

/** A NIP-17 gift wrap from `from` to me (rumor `template`): what the DM-read pool delivers. */
async function wrapFrom(from: Party, template: Parameters<typeof wrapNip17Message>[0]['rumor']): Promise<{ wrap: RelayVerifiedEvent; rumorId: string }> {
  const w = await wrapNip17Message({ rumor: template, recipients: [me.pubkey], signer: from.signer, nowSeconds: NOW_S, selfCopy: false });
  return { wrap: w.copies[0]!.wrap as unknown as RelayVerifiedEvent, rumorId: w.rumor.id };
}

const INTRO_ENTRY = { kind: 'intro' as const, relay: RELAY, day: epochDay(NOW_S) };
const receiveEnvelope = () => envelopeReceiver(ctx, { pipeline, classify: () => INTRO_ENTRY, senders: () => [] });
const receiveWrap = (signer: Signer = me.signer) => nip17Receiver({ ...ctx, signer }, { pipeline, stats: newNip17Stats() });

async function messagesWith(peer: string) {
  return (await store.pageMessages(await store.conversationIdFor([peer]), { limit: 50 })).messages;
}

describe('shared buckets: my envelopes found by their pair tag, before any curve operation', () => {
  const day = epochDay(NOW_S);
  const bucket = bucketPoint(RELAY, day, 0, 0);
  const BUCKET_ENTRY = { kind: 'bucket' as const, relay: RELAY, day };

  /** A pair envelope from `from` (device key `fromEk`) to `toEk`, tagged for that direction, in the shared bucket. */
  async function pairEnvelope(from: Party, fromEk: EnvelopeKey, toEk: EnvelopeKey, text: string): Promise<RelayVerifiedEvent> {
    const inner = await from.signer.signEvent(chatMessageTemplate({ text, recipients: [me.pubkey], createdAt: NOW_S - 5 }));
    const keys = new PairKeys(fromEk);
    const tagKey = keys.tagKey(bytesToHex(fromEk.publicKey), bytesToHex(toEk.publicKey), day)!;
    const outer = await sealEnvelope({ recipientEk: toEk.publicKey, mailbox: bucket, payload: { type: 'event', event: inner }, nowSeconds: NOW_S, pairTagKey: tagKey });
    return outer as unknown as RelayVerifiedEvent;
  }

  it('a known sender’s pair envelope opens with one ECDH; everyone else’s cost none', async () => {
    const bob = party();
    const bobEk = envelopeKey(generateSecretKey());
    const carolEk = envelopeKey(generateSecretKey());
    let ecdhCalls = 0;
    const ecdh = (sk: Uint8Array, pub: Uint8Array) => (ecdhCalls++, ecdhJs(sk, pub));
    const receive = envelopeReceiver(ctx, { pipeline, scan: { ecdh }, classify: () => BUCKET_ENTRY, senders: () => [bytesToHex(bobEk.publicKey)] });

    // Someone else's mail in the same bucket: Bob → Carol, and an intro-like envelope with a random nonce.
    await receive(await pairEnvelope(bob, bobEk, carolEk, 'not for me'), RELAY);
    const random = await sealEnvelope({ recipientEk: carolEk.publicKey, mailbox: bucket, payload: { type: 'cover', bytes: new Uint8Array(10) }, nowSeconds: NOW_S });
    await receive(random as unknown as RelayVerifiedEvent, RELAY);
    expect(ctx.counters.notMine).toBe(2);
    expect(ecdhCalls).toBe(0);

    await receive(await pairEnvelope(bob, bobEk, myEk, 'for me'), RELAY);
    expect(ecdhCalls).toBe(1);
    const [m, ...rest] = await messagesWith(bob.pubkey);
    expect(rest).toEqual([]);
    expect(m).toMatchObject({ direction: 'in', content: { body: 'for me', sender: bob.pubkey } });
    expect(ctx.counters.notMine).toBe(2);
  });

  it('the inner author must own the EK whose pair tag matched: a contact’s device cannot speak for another', async () => {
    const bob = party();
    const carol = party();
    const bobEk = envelopeKey(generateSecretKey());
    const bobHex = bytesToHex(bobEk.publicKey);
    const receive = envelopeReceiver(ctx, { pipeline, classify: () => BUCKET_ENTRY, senders: () => [bobHex], ownerOf: (ek) => (ek === bobHex ? bob.pubkey : undefined) });
    // Bob's device seals a message that Carol signed.
    await receive(await pairEnvelope(carol, bobEk, myEk, 'I am Carol, honest'), RELAY);
    expect(await messagesWith(carol.pubkey)).toEqual([]);
    expect(await messagesWith(bob.pubkey)).toEqual([]);
    await receive(await pairEnvelope(bob, bobEk, myEk, 'Bob himself'), RELAY);
    expect((await messagesWith(bob.pubkey)).map((m) => m.content.body)).toEqual(['Bob himself']);
  });

  it('keeps what relays saw: kind 1067, the shared bucket, the size class, the created_at offset, the relay', async () => {
    const bob = party();
    const bobEk = envelopeKey(generateSecretKey());
    const outer = await pairEnvelope(bob, bobEk, myEk, 'seen as');
    await envelopeReceiver(ctx, { pipeline, classify: () => BUCKET_ENTRY, senders: () => [bytesToHex(bobEk.publicKey)] })(outer, RELAY);
    const [m] = await messagesWith(bob.pubkey);
    expect(m?.content.outer).toEqual({ kind: 1067, tag: 'bucket', bytes: 1368, createdAtOffset: NOW_S - 5 - outer.created_at, relays: [RELAY] });
  });

  it('a pair tag of another day does not match (tags are bound to the bucket’s day)', async () => {
    const bob = party();
    const bobEk = envelopeKey(generateSecretKey());
    const outer = await pairEnvelope(bob, bobEk, myEk, 'yesterday’s key');
    const receive = envelopeReceiver(ctx, { pipeline, classify: () => ({ ...BUCKET_ENTRY, day: day - 1 }), senders: () => [bytesToHex(bobEk.publicKey)] });
    await receive(outer, RELAY);
    expect(ctx.counters.notMine).toBe(1);
    expect(await messagesWith(bob.pubkey)).toEqual([]);
  });
});

describe('envelope receiver → the one inbound pipeline', () => {
  it('a stranger’s envelope is stored as a received message and makes a request', async () => {
    const bob = party();
    const outer = await envelopeFrom(bob, 'hello from Bob');
    await receiveEnvelope()(outer, RELAY);
    const [m, ...rest] = await messagesWith(bob.pubkey);
    expect(rest).toEqual([]);
    expect(m).toMatchObject({ direction: 'in', status: 'received', content: { body: 'hello from Bob', sender: bob.pubkey, kind: 14 } });
    expect(m?.content.outer).toEqual({ kind: 1067, tag: 'intro', bytes: outer.content.length, createdAtOffset: NOW_S - 5 - outer.created_at, relays: [RELAY] });
    expect((await store.getContact(bob.pubkey))?.state).toBe('request');
    expect(events).toContainEqual({ type: 'messages', conversationId: m!.conversationId });
    // Nothing is known about Bob's devices yet: the public pool is asked once.
    expect(refreshed).toEqual([bob.pubkey]);
  });

  it('the same envelope twice is stored once and counted as one duplicate', async () => {
    const bob = party();
    const outer = await envelopeFrom(bob, 'once');
    const receive = receiveEnvelope();
    await receive(outer, RELAY);
    await receive(outer, 'wss://other.example');
    expect(await messagesWith(bob.pubkey)).toHaveLength(1);
    expect(ctx.counters.duplicates).toBe(1);
    expect(ctx.counters.openFailures).toBe(0);
  });

  it('a blocked sender is dropped: no message, no request, and the envelope is not opened again', async () => {
    const bob = party();
    await store.blockContact(bob.pubkey);
    const outer = await envelopeFrom(bob, 'let me in');
    await receiveEnvelope()(outer, RELAY);
    expect(await messagesWith(bob.pubkey)).toEqual([]);
    expect((await store.getContact(bob.pubkey))?.state).toBe('blocked');
    expect(await store.hasSeen(outer.id)).toBe(true);
  });

  it('a created_at far in the future is clamped to now + 10 minutes', async () => {
    const bob = party();
    await receiveEnvelope()(await envelopeFrom(bob, 'from the future', { createdAt: NOW_S + 86_400 }), RELAY);
    const [m] = await messagesWith(bob.pubkey);
    expect(m?.createdAt).toBe(NOW_S + 600);
  });

  it('an envelope for another EK is a counted open failure, never a message', async () => {
    const bob = party();
    const otherEk = envelopeKey(generateSecretKey());
    const inner = await bob.signer.signEvent(chatMessageTemplate({ text: 'not for you', recipients: [me.pubkey], createdAt: NOW_S }));
    const outer = await sealEnvelope({ recipientEk: otherEk.publicKey, mailbox: introMailbox(otherEk.publicKey, RELAY, epochDay(NOW_S)), payload: { type: 'event', event: inner }, nowSeconds: NOW_S });
    await receiveEnvelope()(outer as unknown as RelayVerifiedEvent, RELAY);
    expect(ctx.counters.openFailures).toBe(1);
    expect(await store.listConversations()).toEqual([]);
  });

  it('the card and EK carried in the message reach routing state', async () => {
    const bob = party();
    const bobEk = bytesToHex(envelopeKey(generateSecretKey()).publicKey);
    const record = parseInboxRecord(await bob.signer.signEvent(buildInboxRecord({ devices: [{ id: '0123456789abcdef', ek: bobEk, addedAt: NOW_S - 60, label: 'phone', relays: [RELAY] }], removed: [] }, NOW_S - 30)));
    const outer = await envelopeFrom(bob, 'with card', { tags: [[CARD_TAG, encodeContactCard(record.event)], [EK_TAG, bobEk]] });
    await receiveEnvelope()(outer, RELAY);
    expect(applied.map((a) => [a.pubkey, a.rec.devices[0]?.ek])).toEqual([[bob.pubkey, bobEk]]);
    expect((await peers.get(bob.pubkey)).pairReady).toEqual([bobEk]);
  });
});

describe('a full disk while a message comes in', () => {
  /** Every write to the `messages` store throws the browser's quota error, as a full disk does. */
  function diskFullForMessages(): () => void {
    const proto = globalThis.IDBObjectStore.prototype;
    const original = proto.put;
    proto.put = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
      if (this.name === 'messages') throw new DOMException('simulated', 'QuotaExceededError');
      return original.apply(this, args);
    };
    return () => {
      proto.put = original;
    };
  }

  it('an envelope that could not be stored is not marked seen: reported as STORAGE_QUOTA, stored when read again', async () => {
    const bob = party();
    const outer = await envelopeFrom(bob, 'arrived on a full disk');
    const spaceBack = diskFullForMessages();
    let err: unknown;
    try {
      err = await receiveEnvelope()(outer, RELAY).catch((e: unknown) => e);
    } finally {
      spaceBack();
    }
    expect(isVeilError(err, 'STORAGE_QUOTA')).toBe(true);
    expect(await store.hasSeen(outer.id)).toBe(false);
    expect(await messagesWith(bob.pubkey)).toEqual([]);
    // The next read (a re-read, a reconnect, the next start) stores it, once.
    await receiveEnvelope()(outer, RELAY);
    await pipeline.idle();
    expect((await messagesWith(bob.pubkey)).map((m) => m.content.body)).toEqual(['arrived on a full disk']);
    expect(await store.hasSeen(outer.id)).toBe(true);
  });

  it('a gift wrap the same way', async () => {
    const carol = party();
    const { wrap, rumorId } = await wrapFrom(carol, nip17ChatTemplate({ text: 'dm on a full disk', recipients: [me.pubkey], createdAt: NOW_S }));
    const spaceBack = diskFullForMessages();
    let err: unknown;
    try {
      err = await receiveWrap()(wrap).catch((e: unknown) => e);
    } finally {
      spaceBack();
    }
    expect(isVeilError(err, 'STORAGE_QUOTA')).toBe(true);
    expect(await store.hasSeen(wrap.id)).toBe(false);
    await receiveWrap()(wrap);
    await pipeline.idle();
    expect((await messagesWith(carol.pubkey)).map((m) => m.id)).toEqual([rumorId]);
  });
});

describe('gift-wrap receiver → the same pipeline', () => {
  it('a stranger’s NIP-17 message is stored under its rumor id and makes a NIP-17 request; the wrap again is a duplicate', async () => {
    const carol = party();
    const { wrap, rumorId } = await wrapFrom(carol, nip17ChatTemplate({ text: 'hi over NIP-17', recipients: [me.pubkey], createdAt: NOW_S + 86_400 }));
    await receiveWrap()(wrap, 'wss://dm.example');
    await receiveWrap()(wrap);
    const [m, ...rest] = await messagesWith(carol.pubkey);
    expect(rest).toEqual([]);
    expect(m).toMatchObject({ id: rumorId, direction: 'in', createdAt: NOW_S + 600, content: { body: 'hi over NIP-17', sender: carol.pubkey } });
    // What relays saw: a gift wrap naming me, from the relay it came from (the offset by the sender's clock).
    expect(m?.content.outer).toEqual({ kind: 1059, tag: 'recipient', bytes: wrap.content.length, createdAtOffset: NOW_S + 86_400 - wrap.created_at, relays: ['wss://dm.example'] });
    expect(await store.getContact(carol.pubkey)).toMatchObject({ state: 'request', protocol: 'nip17' });
    expect(ctx.counters.duplicates).toBe(1);
  });

  it('a blocked sender’s wrap is dropped the same way', async () => {
    const carol = party();
    await store.blockContact(carol.pubkey);
    await receiveWrap()((await wrapFrom(carol, nip17ChatTemplate({ text: 'blocked', recipients: [me.pubkey], createdAt: NOW_S }))).wrap);
    expect(await messagesWith(carol.pubkey)).toEqual([]);
  });

  it('a wrap the signer cannot open now is not marked seen, and opens on the next try', async () => {
    const carol = party();
    const { wrap, rumorId } = await wrapFrom(carol, nip17ChatTemplate({ text: 'later', recipients: [me.pubkey], createdAt: NOW_S }));
    const refusing: Signer = {
      kind: 'nip46',
      getPublicKey: async () => me.pubkey,
      signEvent: (t) => me.signer.signEvent(t),
      nip44Decrypt: async () => {
        throw new VeilError('SIGNER_UNAVAILABLE', 'the bunker is offline');
      },
      close: async () => {}
    };
    await receiveWrap(refusing)(wrap);
    expect(await store.hasSeen(wrap.id)).toBe(false);
    expect(await messagesWith(carol.pubkey)).toEqual([]);
    await receiveWrap()(wrap);
    expect((await messagesWith(carol.pubkey)).map((m) => m.id)).toEqual([rumorId]);
  });

  it('a reaction attaches to its message instead of becoming one', async () => {
    const carol = party();
    const first = await wrapFrom(carol, nip17ChatTemplate({ text: 'react to me', recipients: [me.pubkey], createdAt: NOW_S }));
    await receiveWrap()(first.wrap);
    await receiveWrap()((await wrapFrom(carol, nip17ReactionTemplate({ targetId: first.rumorId, emoji: '❤️', recipients: [me.pubkey], createdAt: NOW_S }))).wrap);
    expect((await messagesWith(carol.pubkey)).map((m) => m.id)).toEqual([first.rumorId]);
    const cid = await store.conversationIdFor([carol.pubkey]);
    expect(await store.getSetting(`sync.reactions.${cid}`)).toEqual({ [first.rumorId]: [expect.objectContaining({ emoji: '❤️', sender: carol.pubkey })] });
  });
});

describe('outerEvent', () => {
  it('keeps only relay names the store accepts, once each, and clamps an absurd offset', () => {
    const ev = { kind: 1059, created_at: 1_000, content: 'x'.repeat(300) };
    expect(outerEvent(ev, 'recipient', 1_000 + 10 * MAX_OUTER_OFFSET_S, [RELAY, 'https://not-a-relay.example', RELAY])).toEqual({
      kind: 1059, tag: 'recipient', bytes: 300, createdAtOffset: MAX_OUTER_OFFSET_S, relays: [RELAY]
    });
  });
});

describe('storeIncoming: my own copies', () => {
  it('a copy of a message I sent accepts a pending request', async () => {
    const bob = party();
    await pipeline.storeIncoming({ id: 'a'.repeat(64), protocol: 'veil', sender: bob.pubkey, peer: bob.pubkey, direction: 'in', kind: 14, createdAt: NOW_S - 10, body: 'hi' });
    expect((await store.getContact(bob.pubkey))?.state).toBe('request');
    await pipeline.storeIncoming({ id: 'b'.repeat(64), protocol: 'veil', sender: me.pubkey, peer: bob.pubkey, direction: 'out', kind: 14, createdAt: NOW_S - 5, body: 'hello Bob' });
    expect((await store.getContact(bob.pubkey))?.state).toBe('accepted');
    expect((await messagesWith(bob.pubkey)).map((m) => [m.direction, m.status])).toEqual([
      ['out', 'sent'],
      ['in', 'received']
    ]);
  });
});

describe('decline()', () => {
  it('leaves no per-chat state behind: messages, contact, draft, peer routing, reactions', async () => {
    const bob = party();
    const m = await Messenger.create({ store, signer: me.signer, identity: me.pubkey, deviceId: '0011223344556677', ek: myEk, WebSocket: class {}, relays: [RELAY], nowMs: () => NOW_MS });
    await pipeline.storeIncoming({ id: 'c'.repeat(64), protocol: 'veil', sender: bob.pubkey, peer: bob.pubkey, direction: 'in', kind: 14, createdAt: NOW_S, body: 'request' });
    await pipeline.storeIncoming({ id: 'd'.repeat(64), protocol: 'veil', sender: bob.pubkey, peer: bob.pubkey, direction: 'in', kind: 7, createdAt: NOW_S, body: '+', reaction: { targetId: 'c'.repeat(64), emoji: '+' } });
    await peers.markPairReady(bob.pubkey, 'e'.repeat(64));
    const cid = await store.conversationIdFor([bob.pubkey]);
    await m.setDraft(cid, 'thinking about it');
    expect((await store.getPeer(bob.pubkey))?.pairReady).toEqual(['e'.repeat(64)]);
    expect(await store.getSetting(`sync.reactions.${cid}`)).toBeDefined();

    await m.decline(bob.pubkey);

    expect(await m.listChats()).toEqual([]);
    expect(await store.getContact(bob.pubkey)).toBeUndefined();
    expect(await store.getConversation(cid)).toBeUndefined();
    expect(await store.getMessage('c'.repeat(64))).toBeUndefined();
    expect(await store.getDraft(cid)).toBeNull();
    expect(await store.getPeer(bob.pubkey)).toBeUndefined();
    expect(await store.getSetting(`sync.reactions.${cid}`)).toBeUndefined();
    // A later message from them is a new request with fresh routing state.
    await pipeline.storeIncoming({ id: 'f'.repeat(64), protocol: 'veil', sender: bob.pubkey, peer: bob.pubkey, direction: 'in', kind: 14, createdAt: NOW_S, body: 'again' });
    expect((await store.getContact(bob.pubkey))?.state).toBe('request');
    expect((await new Peers(storePeerRepo(store)).get(bob.pubkey)).pairReady).toEqual([]);
  });
});
