/**
 * Two Messengers (Alice, Bob) with their own stores (fake-indexeddb) through real local relays
 * (scripts/relay.mjs over `ws`): first contact by npub lands in Requests, accept, replies, both
 * histories in order; then the relay's whole content is audited over a plain websocket (no
 * identity and no text outside the public inbox records); offline send delivered exactly once
 * after the relay comes back; two relays with one stopped; a second device of Alice; garbage in
 * the intro mailbox counted, never shown, never stopping delivery.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { finalizeEvent, generateSecretKey as ntGenerateSecretKey } from 'nostr-tools/pure';
import { bytesToHex, base64Encode, randomBytes } from '../../src/lib/shared/bytes';
import { envelopeKey, sealEnvelope, type EnvelopeKey } from '../../src/lib/crypto/envelope';
import { generateSecretKey, getXOnlyPublicKey } from '../../src/lib/crypto/keys';
import { epochDay, introMailbox } from '../../src/lib/crypto/mailbox';
import { encodeNpub } from '../../src/lib/crypto/nip19';
import { LocalSigner } from '../../src/lib/crypto/signer';
import { VeilStore } from '../../src/lib/store/db';
import { classOfContentLength } from '../../src/lib/camouflage/classes';
import { CREATED_AT_SPREAD } from '../../src/lib/crypto/envelope-format';
import { Messenger } from '../../src/lib/sync/messenger';
import type { ChatMessage } from '../../src/lib/sync/types';
import { startRelay, tempRelayDb, type TestRelay } from '../helpers/relay';
import { RawClient } from '../helpers/raw-ws';
import { freshPlatform, TEST_ITERATIONS } from '../helpers/store-idb';
import { FAST_TIMING } from '../helpers/timing';
import { untilChecked } from '../helpers/until';

interface Client {
  name: string;
  m: Messenger;
  store: VeilStore;
  sk: Uint8Array;
  pubkey: string;
  ek: EnvelopeKey;
  deps: Parameters<typeof Messenger.create>[0];
}

const clients: Client[] = [];
const relays: TestRelay[] = [];

async function client(name: string, relayUrls: string[], sk: Uint8Array = generateSecretKey()): Promise<Client> {
  const store = await VeilStore.open(freshPlatform(), `veil-${name}`);
  await store.setupVault('correct horse battery staple', { iterations: TEST_ITERATIONS });
  const ek = envelopeKey(generateSecretKey());
  const pubkey = bytesToHex(getXOnlyPublicKey(sk));
  const deps = {
    store,
    signer: new LocalSigner(sk),
    identity: pubkey,
    deviceId: bytesToHex(randomBytes(8)),
    ek,
    WebSocket,
    relays: relayUrls,
    deviceLabel: name,
    timing: FAST_TIMING
  };
  const m = await Messenger.create(deps);
  await m.start();
  const c = { name, m, store, sk, pubkey, ek, deps };
  clients.push(c);
  return c;
}

/**
 * Waits for a condition, re-checking on every messenger event and at a short interval (relay-side
 * changes such as a restart emit nothing here). Fails with `what` after `timeoutMs`.
 */
async function until<T>(check: () => Promise<T | undefined | false>, what: string, timeoutMs = 15_000): Promise<T> {
  return untilChecked(clients.map((c) => c.m), check, what, timeoutMs);
}

async function history(c: Client, conversationId: string): Promise<ChatMessage[]> {
  return (await c.m.pageMessages(conversationId, { limit: 200 })).reverse();
}

async function conversationWith(c: Client, peer: string): Promise<string | undefined> {
  const all = [...(await c.m.listChats('accepted')), ...(await c.m.listChats('request'))];
  return all.find((s) => s.peer === peer)?.id;
}

let r1: TestRelay;
let alice: Client;
let bob: Client;
let convB = ''; // Bob's conversation with Alice
let convA = ''; // Alice's conversation with Bob
const texts: string[] = [];

beforeAll(async () => {
  r1 = await startRelay({ db: tempRelayDb() });
  relays.push(r1);
  alice = await client('alice', [r1.url]);
  bob = await client('bob', [r1.url]);
});

afterAll(async () => {
  for (const c of clients) {
    await c.m.stop();
    c.store.close();
  }
  for (const r of relays) await r.stop();
});

describe('Messenger between two people through a real relay', () => {
  it('first contact by npub is a request; accepted; replies flow both ways; histories in order', async () => {
    expect(alice.m.contactCard()).toMatch(/^web\+veil:c=/);
    convB = await bob.m.startChat(encodeNpub(alice.pubkey));
    texts.push('Hello Alice, it is Bob', 'Are you there?');
    const b1 = await bob.m.send(convB, texts[0]!);
    await bob.m.send(convB, texts[1]!);

    const req = await until(async () => (await alice.m.listChats('request')).find((c) => c.peer === bob.pubkey && c.unread === 2), 'request at Alice');
    convA = req.id;
    expect(await alice.m.listChats('accepted')).toEqual([]);
    expect((await history(alice, convA)).map((m) => [m.direction, m.author, m.text])).toEqual([
      ['in', bob.pubkey, texts[0]],
      ['in', bob.pubkey, texts[1]]
    ]);
    await until(async () => (await history(bob, convB)).every((m) => m.status === 'sent') || undefined, 'Bob sees sent');
    const sent = await history(bob, convB);
    expect(sent[0]!.deliveries).toEqual([{ relay: r1.url, ok: true }]);

    await alice.m.accept(bob.pubkey);
    expect((await alice.m.listChats('accepted')).map((c) => c.peer)).toEqual([bob.pubkey]);
    await alice.m.markRead(convA);
    expect((await alice.m.listChats('accepted'))[0]!.unread).toBe(0);
    texts.push('Hi Bob! Yes, here.');
    await alice.m.send(convA, texts[2]!, { replyTo: b1 });

    const got = await until(async () => {
      const h = await history(bob, convB);
      return h.length === 3 ? h : undefined;
    }, 'reply at Bob');
    expect(got.map((m) => [m.direction, m.text])).toEqual([
      ['out', texts[0]],
      ['out', texts[1]],
      ['in', texts[2]]
    ]);
    expect(got[2]!.replyTo).toEqual({ id: b1, text: texts[0], author: bob.pubkey });
    // What the relay saw: Bob's first envelope went to Alice's intro bucket (her device did not know his
    // yet); her reply, by then pair-ready, to their shared bucket. Each a kind 1067 of one of the four
    // sizes, backdated by up to two days, on this relay.
    const seen = (m: ChatMessage) => {
      const v = m.relayView!;
      expect(v, m.text).toMatchObject({ kind: 1067, socket: 'envelopePublish', relays: [r1.url] });
      expect(classOfContentLength(v.bytes)).toBeGreaterThanOrEqual(0);
      expect(v.createdAtOffset).toBeGreaterThanOrEqual(0);
      expect(v.createdAtOffset).toBeLessThanOrEqual(CREATED_AT_SPREAD + 60);
      return [m.direction, v.tag, v.readBy];
    };
    expect(got.map(seen)).toEqual([
      ['out', 'intro', undefined],
      ['out', 'intro', undefined],
      ['in', 'bucket', 'envelopeRead']
    ]);
    texts.push('Good to hear from you');
    await bob.m.send(convB, texts[3]!);
    const aliceSide = await until(async () => {
      const h = await history(alice, convA);
      return h.length === 4 ? h : undefined;
    }, 'fourth message at Alice');
    expect(aliceSide.map((m) => m.text)).toEqual(texts);
    expect(aliceSide.map((m) => m.direction)).toEqual(['in', 'in', 'out', 'in']);
    expect(aliceSide.map(seen)).toEqual([
      ['in', 'intro', 'envelopeRead'],
      ['in', 'intro', 'envelopeRead'],
      ['out', 'bucket', undefined],
      ['in', 'bucket', 'envelopeRead']
    ]);
    expect(alice.m.stats().openFailures).toBe(0);
  });

  it('the relay holds no identity and no text outside the public inbox records', async () => {
    const raw = await RawClient.open(r1.url);
    try {
      const events = await raw.query('audit', { limit: 1000 });
      const envelopes = events.filter((e) => e.kind === 1067);
      expect(envelopes.length).toBeGreaterThanOrEqual(4);
      const kinds = new Set(events.map((e) => e.kind));
      // 10050: the public NIP-17 DM relay list (issue 5 §1), which names its author on purpose.
      expect([...kinds].every((k) => k === 1067 || k === 11067 || k === 0 || k === 10050)).toBe(true);
      const identities = [alice.pubkey, bob.pubkey, encodeNpub(alice.pubkey), encodeNpub(bob.pubkey)];
      for (const e of events) {
        const json = JSON.stringify(e);
        for (const t of texts) expect(json).not.toContain(t);
        if (e.kind === 11067 || e.kind === 0 || e.kind === 10050) continue;
        for (const who of identities) {
          expect(String(e.pubkey)).not.toBe(who);
          expect(JSON.stringify(e.tags)).not.toContain(who);
          expect(String(e.content)).not.toContain(who);
        }
      }
    } finally {
      await raw.close();
    }
  });

  it('a message sent while the relay is down is delivered exactly once after it comes back', async () => {
    await r1.stop();
    const text = 'sent while offline';
    const id = await alice.m.send(convA, text);
    await until(async () => (await history(alice, convA)).find((m) => m.id === id && m.status === 'failed'), 'failed while down');
    const failed = (await history(alice, convA)).find((m) => m.id === id)!;
    expect(failed.deliveries).toEqual([expect.objectContaining({ relay: r1.url, ok: false })]);
    await r1.restart();
    await until(async () => (await history(bob, convB)).some((m) => m.text === text), 'Bob gets the offline message');
    await until(async () => (await history(alice, convA)).find((m) => m.id === id && m.status === 'sent'), 'sent after restart');
    // A later message proves the subscriptions are live again; then count copies.
    await alice.m.send(convA, 'after restart');
    await until(async () => (await history(bob, convB)).some((m) => m.text === 'after restart'), 'next message');
    expect((await history(bob, convB)).filter((m) => m.text === text)).toHaveLength(1);
  });

  it('two relays: one message over both shows once; with one stopped, delivery goes on', async () => {
    const r2 = await startRelay();
    relays.push(r2);
    await alice.m.addRelay(r2.url);
    expect(alice.m.relayStatus().map((r) => r.url)).toEqual([r1.url, r2.url]);
    // Bob learns Alice's new relay from her republished inbox record (public pool, live).
    await until(async () => ((await bob.m.contact(alice.pubkey))?.relays.includes(r2.url) ? true : undefined), 'Bob sees relay 2');

    const dupBefore = alice.m.stats().duplicates;
    const both = 'over two relays';
    await bob.m.send(convB, both);
    await until(async () => (await history(alice, convA)).some((m) => m.text === both), 'message over two relays');
    await until(async () => (alice.m.stats().duplicates > dupBefore ? true : undefined), 'second copy counted as duplicate');
    expect((await history(alice, convA)).filter((m) => m.text === both)).toHaveLength(1);
    await until(async () => {
      const m = (await history(bob, convB)).find((x) => x.text === both);
      return m?.status === 'sent' && m.deliveries.length === 2 && m.deliveries.every((d) => d.ok) ? true : undefined;
    }, 'sent to 2 of 2');

    await r1.stop();
    const via2 = 'relay one is down';
    await bob.m.send(convB, via2);
    await until(async () => (await history(alice, convA)).some((m) => m.text === via2), 'delivery through relay 2');
    const m = await until(async () => (await history(bob, convB)).find((x) => x.text === via2 && x.status === 'sent'), 'sent to 1 of 2');
    expect(m.deliveries.filter((d) => d.ok).map((d) => d.relay)).toEqual([r2.url]);
    await r1.restart();
  });

  it("a second device of Alice receives Bob's new messages and sees Alice's own sent ones", async () => {
    const alice2 = await client('alice2', [r1.url], alice.sk);
    // Both of Alice's devices end up in one merged record; Bob picks it up.
    await until(async () => ((await bob.m.contact(alice.pubkey))?.eks.length === 2 ? true : undefined), 'Bob knows both devices');
    await until(async () => (alice.m.contactCard() === alice2.m.contactCard() ? true : undefined), 'devices agree on the record');

    const fromBob = 'to both of your devices';
    await bob.m.send(convB, fromBob);
    const conv2 = await until(() => conversationWith(alice2, bob.pubkey), 'conversation on the second device');
    await until(async () => (await history(alice2, conv2)).some((m) => m.text === fromBob), 'Bob → second device');
    await until(async () => (await history(alice, convA)).some((m) => m.text === fromBob), 'Bob → first device');

    const own = 'written on the first device';
    await alice.m.send(convA, own);
    const copy = await until(async () => (await history(alice2, conv2)).find((m) => m.text === own), 'own copy on the second device');
    expect(copy).toMatchObject({ direction: 'out', author: alice.pubkey, status: 'sent' });
    await until(async () => (await history(bob, convB)).some((m) => m.text === own), 'Bob gets it too');
    // Writing from the second device: reaches Bob and the first device.
    const fromSecond = 'written on the second device';
    await alice2.m.send(conv2, fromSecond);
    await until(async () => (await history(bob, convB)).some((m) => m.text === fromSecond), 'second device → Bob');
    await until(async () => (await history(alice, convA)).find((m) => m.text === fromSecond && m.direction === 'out'), 'second device → first device');
  });

  it('garbage and foreign envelopes in the intro mailbox are counted, never shown, and do not stop delivery', async () => {
    const day = epochDay(Math.floor(Date.now() / 1000));
    const intro = introMailbox(alice.ek.publicKey, r1.url, day);
    const now = Math.floor(Date.now() / 1000);
    const raw = await RawClient.open(r1.url);
    const before = alice.m.stats();
    try {
      // Right shape, random bytes: cannot be opened.
      const junk = finalizeEvent(
        { kind: 1067, created_at: now - 10, tags: [['p', intro], ['expiration', String(now + 86_400)]], content: base64Encode(Uint8Array.of(1, ...randomBytes(1023))) },
        ntGenerateSecretKey()
      );
      // A real envelope for someone else (a stranger's EK) in the shared intro mailbox.
      const stranger = envelopeKey(generateSecretKey());
      const strangerSender = ntGenerateSecretKey();
      const innerForStranger = finalizeEvent({ kind: 14, created_at: now, tags: [['p', bytesToHex(stranger.publicKey)]], content: 'not for alice' }, strangerSender);
      const foreign = await sealEnvelope({ recipientEk: stranger.publicKey, mailbox: intro, payload: { type: 'event', event: innerForStranger } });
      for (const e of [JSON.parse(JSON.stringify(junk)), foreign]) expect((await raw.publish(e))[0]).toBe(true);
    } finally {
      await raw.close();
    }
    await until(async () => (alice.m.stats().openFailures >= before.openFailures + 2 ? true : undefined), 'two open failures counted');
    const after = 'still delivered after garbage';
    await bob.m.send(convB, after);
    await until(async () => (await history(alice, convA)).some((m) => m.text === after), 'delivery after garbage');
    const all = await history(alice, convA);
    expect(all.some((m) => m.text === 'not for alice')).toBe(false);
    expect(await alice.m.listChats('request')).toEqual([]);
  });

  it('after a reload: history intact, stored envelopes not shown twice, a message queued before start goes out', async () => {
    const before = await history(alice, convA);
    await alice.m.setDraft(convA, 'half-typed thought');
    await alice.m.stop();
    const m2 = await Messenger.create(alice.deps);
    alice.m = m2;
    expect(await m2.getDraft(convA)).toBe('half-typed thought');
    const queued = 'queued before start';
    const id = await m2.send(convA, queued);
    expect((await history(alice, convA)).find((m) => m.id === id)?.status).toBe('sending');
    await m2.start();
    await until(async () => (m2.stats().duplicates > 0 ? true : undefined), 'stored envelopes recognised as seen');
    await until(async () => (await history(bob, convB)).some((m) => m.text === queued), 'queued message delivered');
    await until(async () => (await history(alice, convA)).find((m) => m.id === id && m.status === 'sent'), 'queued message sent');
    const after = await history(alice, convA);
    expect(after.map((m) => m.id)).toEqual([...before.map((m) => m.id), id]);
    // My record is read again a random moment after start (identity-gate.ts), then both devices agree.
    const alice2 = clients.find((c) => c.name === 'alice2')!.m;
    await until(async () => (m2.contactCard() === alice2.contactCard() ? true : undefined), 'the reloaded device and alice2 agree on the record');
  });
});
