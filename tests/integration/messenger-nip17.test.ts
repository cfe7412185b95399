/**
 * NIP-17 inside the Messenger (issue 5), through the real local relay: a Veil Messenger (Alice) and
 * "other clients" written only with nostr-tools (Carol, Dave) talk both ways. Veil's copies are
 * opened by nostr-tools' own nip59.unwrapEvent (text, tags, one rumor id across copies); DMs made by
 * nostr-tools' nip17.wrapEvent land in the same conversation (strangers in Requests); a self copy
 * from Alice's other client shows as outgoing; NIP-04 is read as legacy; a kind 7 reaction attaches
 * to its message; a kind 15 file downloads through the Messenger's fetch and decrypts (a swapped
 * file is refused); a contact without a 10050 list gets NO_DM_RELAYS; and when Carol starts using
 * Veil (publishes an inbox record) the chat upgrades to the envelope and the next message is one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { wrapEvent as ntWrapDm } from 'nostr-tools/nip17';
import * as nip59 from 'nostr-tools/nip59';
import * as ntNip04 from 'nostr-tools/nip04';
import { finalizeEvent, generateSecretKey as ntSecretKey, getPublicKey, type NostrEvent } from 'nostr-tools/pure';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, randomBytes } from '../../src/lib/shared/bytes';
import { isVeilError } from '../../src/lib/shared/errors';
import { envelopeKey } from '../../src/lib/crypto/envelope';
import { generateSecretKey } from '../../src/lib/crypto/keys';
import { encodeNpub } from '../../src/lib/crypto/nip19';
import { LocalSigner } from '../../src/lib/crypto/signer';
import { VeilStore } from '../../src/lib/store/db';
import { Messenger, UPGRADED_NOTE } from '../../src/lib/sync/messenger';
import type { ChatMessage } from '../../src/lib/sync/types';
import { RawClient } from '../helpers/raw-ws';
import { startRelay, type TestRelay } from '../helpers/relay';
import { freshPlatform, TEST_ITERATIONS } from '../helpers/store-idb';
import { FAST_TIMING } from '../helpers/timing';
import { untilChecked } from '../helpers/until';

interface Veil {
  m: Messenger;
  store: VeilStore;
  sk: Uint8Array;
  pubkey: string;
}

const running: Veil[] = [];
let relay: TestRelay;
let raw: RawClient;
let alice: Veil;
const carolSk = ntSecretKey();
const carol = getPublicKey(carolSk);
let conv = '';
let firstId = '';
let q = 0;

/** Alice's file server: kind 15 ciphertexts by URL; anything else (NIP-11) fails like a network error. */
const served = new Map<string, Uint8Array>();
const fileFetch = (async (url: string) => {
  const body = served.get(url);
  if (!body) throw new TypeError('fetch failed');
  return new Response(body.slice());
}) as typeof fetch;

async function veil(name: string, sk: Uint8Array): Promise<Veil> {
  const store = await VeilStore.open(freshPlatform(), `veil-nip17-${name}`);
  await store.setupVault('correct horse battery staple', { iterations: TEST_ITERATIONS });
  const m = await Messenger.create({
    store,
    signer: new LocalSigner(sk),
    identity: getPublicKey(sk),
    deviceId: bytesToHex(randomBytes(8)),
    ek: envelopeKey(generateSecretKey()),
    WebSocket,
    fetch: fileFetch,
    relays: [relay.url],
    deviceLabel: name,
    queryTimeoutMs: 3000,
    timing: FAST_TIMING
  });
  await m.start();
  const v = { m, store, sk, pubkey: getPublicKey(sk) };
  running.push(v);
  return v;
}

/** Waits for a condition, re-checking on every messenger event and every 100 ms. */
async function until<T>(check: () => Promise<T | undefined | false>, what: string, timeoutMs = 15_000): Promise<T> {
  return untilChecked(running.map((v) => v.m), check, what, timeoutMs);
}

async function history(v: Veil, conversationId: string): Promise<ChatMessage[]> {
  return (await v.m.pageMessages(conversationId, { limit: 200 })).reverse();
}

/** Everything the relay holds that matches, read over a plain websocket. */
async function query(filter: object): Promise<NostrEvent[]> {
  return (await raw.query(`q${q++}`, filter)) as unknown as NostrEvent[];
}

async function publish(ev: NostrEvent): Promise<void> {
  const [ok, reason] = await raw.publish(ev);
  expect(ok, reason).toBe(true);
}

function dmRelayList(sk: Uint8Array, relays: string[]): NostrEvent {
  return finalizeEvent({ kind: 10050, created_at: Math.floor(Date.now() / 1000), tags: relays.map((r) => ['relay', r]), content: '' }, sk);
}

beforeAll(async () => {
  relay = await startRelay();
  raw = await RawClient.open(relay.url);
  // Carol's own client publishes her DM relays, as 0xchat or Amethyst would.
  await publish(dmRelayList(carolSk, [relay.url]));
  alice = await veil('alice', ntSecretKey());
});

afterAll(async () => {
  for (const v of running) {
    await v.m.stop();
    v.store.close();
  }
  await raw?.close();
  await relay?.stop();
});

describe('Messenger speaks NIP-17 with a nostr-tools client', () => {
  it('publishes my kind 10050 (default: my envelope relays) on start', async () => {
    const lists = await until(async () => {
      const l = await query({ kinds: [10050], authors: [alice.pubkey] });
      return l.length > 0 && l;
    }, 'Alice 10050');
    expect(lists[0]!.tags).toEqual([['relay', relay.url]]);
    expect(alice.m.dmRelays()).toEqual([relay.url]);
  });

  it('a contact without an inbox record but with DM relays becomes a NIP-17 chat; one without gets NO_DM_RELAYS', async () => {
    conv = await alice.m.startChat(encodeNpub(carol));
    const chat = (await alice.m.listChats('accepted')).find((c) => c.id === conv);
    expect(chat?.protocol).toBe('nip17');
    expect((await alice.m.contact(carol))?.protocol).toBe('nip17');

    const nobody = getPublicKey(ntSecretKey());
    const err = await alice.m.startChat(encodeNpub(nobody)).catch((e: unknown) => e);
    expect(isVeilError(err, 'NO_DM_RELAYS')).toBe(true);
    expect((err as Error).message).toMatch(/DM relays/);
    expect(await alice.m.contact(nobody)).toBeUndefined();
  });

  it("Veil's message opens with nostr-tools: expected text and tags, ONE rumor id in every copy", async () => {
    firstId = await alice.m.send(conv, 'Hello Carol from Veil');
    await until(async () => (await history(alice, conv)).find((m) => m.id === firstId && m.status === 'sent'), 'sent');
    const sent = (await history(alice, conv)).find((m) => m.id === firstId)!;
    // Per relay, as for envelopes: Carol's DM relay and mine are the same relay here.
    expect(sent.deliveries).toEqual([{ relay: relay.url, ok: true }]);

    const toCarol = await query({ kinds: [1059], '#p': [carol] });
    const toMe = await query({ kinds: [1059], '#p': [alice.pubkey] });
    expect(toCarol).toHaveLength(1);
    expect(toMe).toHaveLength(1);
    const rumor = nip59.unwrapEvent(toCarol[0]!, carolSk);
    expect(rumor.kind).toBe(14);
    expect(rumor.pubkey).toBe(alice.pubkey);
    expect(rumor.content).toBe('Hello Carol from Veil');
    expect(rumor.tags).toEqual([['p', carol]]);
    const mine = nip59.unwrapEvent(toMe[0]!, alice.sk);
    expect(mine.id).toBe(rumor.id);
    expect(rumor.id).toBe(firstId);
    // Wraps are signed by throwaway keys, never by Alice; envelopes never carry wraps.
    for (const w of [...toCarol, ...toMe]) expect(w.pubkey).not.toBe(alice.pubkey);
    // What relays saw, as kept with the message: the wrap to Carol, naming her, on the NIP-17 publish socket.
    expect(sent.relayView).toEqual({
      kind: 1059,
      tag: 'recipient',
      bytes: toCarol[0]!.content.length,
      createdAtOffset: rumor.created_at - toCarol[0]!.created_at,
      relays: [relay.url],
      socket: 'nip17Publish'
    });
    // The self copy came back on Alice's DM subscription and did not duplicate the message.
    await until(async () => alice.m.nip17Stats().opened >= 1, 'self copy opened');
    expect((await history(alice, conv)).filter((m) => m.text === 'Hello Carol from Veil')).toHaveLength(1);
  });

  it("Carol's reply made by nostr-tools' nip17.wrapEvent lands in the same chat; a reaction attaches", async () => {
    await publish(ntWrapDm(carolSk, { publicKey: alice.pubkey, relayUrl: relay.url }, 'Hi Alice, Carol on another client', undefined, { eventId: firstId }));
    const reply = await until(async () => (await history(alice, conv)).find((m) => m.text === 'Hi Alice, Carol on another client'), 'reply');
    expect(reply.direction).toBe('in');
    expect(reply.author).toBe(carol);
    expect(reply.replyTo?.id).toBe(firstId);
    expect(reply.relayView).toMatchObject({ kind: 1059, tag: 'recipient', relays: [relay.url], socket: 'nip17Publish', readBy: 'dmRead' });

    const reaction = nip59.wrapEvent({ kind: 7, content: '❤️', tags: [['e', firstId], ['p', alice.pubkey]], created_at: Math.floor(Date.now() / 1000) }, carolSk, alice.pubkey);
    await publish(reaction);
    const reacted = await until(async () => (await history(alice, conv)).find((m) => m.id === firstId && m.reactions?.length), 'reaction');
    expect(reacted.reactions).toEqual([{ emoji: '❤️', mine: false }]);
    expect((await history(alice, conv)).some((m) => m.text === '❤️')).toBe(false);
  });

  it("Carol's kind 15 file (nostr-tools wrap) downloads through the Messenger's fetch and decrypts; a swapped file is refused", async () => {
    const plain = new TextEncoder().encode('a picture from Carol');
    const key = randomBytes(32);
    const nonce = randomBytes(12);
    const k = await crypto.subtle.importKey('raw', key, { name: 'AES-GCM' }, false, ['encrypt']);
    const ct = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: nonce }, k, plain));
    const url = `https://files.example/${bytesToHex(randomBytes(8))}`;
    const tags = [
      ['p', alice.pubkey],
      ['file-type', 'image/png'],
      ['encryption-algorithm', 'aes-gcm'],
      ['decryption-key', bytesToHex(key)],
      ['decryption-nonce', bytesToHex(nonce)],
      ['x', bytesToHex(sha256(ct))]
    ];
    await publish(nip59.wrapEvent({ kind: 15, content: url, tags, created_at: Math.floor(Date.now() / 1000) }, carolSk, alice.pubkey));
    const m = await until(async () => (await history(alice, conv)).find((x) => x.file?.url === url), 'file message');
    expect(m.file).toMatchObject({ url, mimeType: 'image/png' });
    served.set(url, ct);
    const got = await alice.m.downloadFile(m.id);
    expect(new TextDecoder().decode(got.bytes)).toBe('a picture from Carol');
    expect(got.mimeType).toBe('image/png');
    const swapped = ct.slice();
    swapped[0]! ^= 1;
    served.set(url, swapped);
    expect(isVeilError(await alice.m.downloadFile(m.id).catch((e: unknown) => e), 'DECRYPT_FAILED')).toBe(true);
    served.delete(url);
    expect(isVeilError(await alice.m.downloadFile(m.id).catch((e: unknown) => e), 'FILE_UNAVAILABLE')).toBe(true);
  });

  it('a self copy from my other client shows as outgoing; NIP-04 reads as legacy; a stranger is a request', async () => {
    const now = Math.floor(Date.now() / 1000);
    const rumor = nip59.createRumor({ kind: 14, content: 'Sent from my phone', tags: [['p', carol]], created_at: now }, alice.sk);
    await publish(nip59.createWrap(nip59.createSeal(rumor, alice.sk, alice.pubkey), alice.pubkey));
    const own = await until(async () => (await history(alice, conv)).find((m) => m.id === rumor.id), 'own copy');
    expect(own.direction).toBe('out');
    expect(own.author).toBe(alice.pubkey);

    const legacy = finalizeEvent({ kind: 4, created_at: now, tags: [['p', alice.pubkey]], content: ntNip04.encrypt(carolSk, alice.pubkey, 'old style DM') }, carolSk);
    await publish(legacy);
    const l = await until(async () => (await history(alice, conv)).find((m) => m.text === 'old style DM'), 'legacy');
    expect(l.legacy).toBe(true);

    const daveSk = ntSecretKey();
    await publish(ntWrapDm(daveSk, { publicKey: alice.pubkey }, 'Hi, we have not met'));
    const req = await until(async () => (await alice.m.listChats('request')).find((c) => c.peer === getPublicKey(daveSk)), 'request');
    expect(req.protocol).toBe('nip17');
    expect((await history(alice, req.id)).map((m) => [m.direction, m.text])).toEqual([['in', 'Hi, we have not met']]);
  });

  it('upgrades to the envelope when Carol publishes a Veil inbox record; the next message is an envelope', async () => {
    const wrapsBefore = (await query({ kinds: [1059], '#p': [carol] })).length;
    const carolVeil = await veil('carol', carolSk);
    await until(async () => (await alice.m.listChats('accepted')).find((c) => c.id === conv && c.protocol === 'veil'), 'upgrade');
    expect((await alice.m.contact(carol))?.protocol).toBe('veil');
    const note = (await history(alice, conv)).find((m) => m.system);
    expect(note?.text).toBe(UPGRADED_NOTE);

    await alice.m.send(conv, 'Now through the envelope');
    const got = await until(
      async () => {
        const chats = [...(await carolVeil.m.listChats('request')), ...(await carolVeil.m.listChats('accepted'))];
        const c = chats.find((x) => x.peer === alice.pubkey);
        return c && (await history(carolVeil, c.id)).find((m) => m.text === 'Now through the envelope');
      },
      'envelope at Carol',
      20_000
    );
    expect(got.direction).toBe('in');
    // No new gift wrap named Carol: the message went as an envelope.
    expect((await query({ kinds: [1059], '#p': [carol] })).length).toBe(wrapsBefore);
  });
});
