/**
 * NIP-17 interop (issue 5): the published NIP-17/NIP-59 examples open through our code; nostr-tools'
 * own nip17.wrapEvent DMs open with ours, and ours open with nostr-tools' nip59.unwrapEvent with ONE
 * rumor id across every copy; a NIP-07 shim with only getPublicKey/signEvent/nip44 sends and reads;
 * send planning (relays per copy, NO_DM_RELAYS); kind 15 files and kind 7 reactions; kind 10050
 * lists; legacy NIP-04 decrypt; counted typed failures.
 */
import { describe, expect, it } from 'vitest';
import * as ntNip04 from 'nostr-tools/nip04';
import { v2 as ntNip44 } from 'nostr-tools/nip44';
import { wrapEvent as ntWrapDm } from 'nostr-tools/nip17';
import { unwrapEvent as ntUnwrap } from 'nostr-tools/nip59';
import { finalizeEvent, getEventHash, getPublicKey, type NostrEvent } from 'nostr-tools/pure';
import { sha256 } from '@noble/hashes/sha2.js';
import { decodeNsec } from '../../src/lib/crypto/nip19';
import { getConversationKey, nip44Encrypt } from '../../src/lib/crypto/nip44';
import {
  MAX_RUMOR_BYTES,
  TIMESTAMP_JITTER_SECONDS,
  nip17ChatTemplate,
  nip17ReactionTemplate,
  unwrapGiftWrap,
  wrapNip17Message,
  type Nip17File
} from '../../src/lib/crypto/nip17';
import { buildDmRelayList, parseDmRelayList, newerDmRelayList, MAX_DM_RELAYS } from '../../src/lib/crypto/dm-relays';
import { nip04Decrypt } from '../../src/lib/crypto/nip04';
import { decryptNip17File } from '../../src/lib/crypto/file';
import { downloadNip17File, type FileFetch } from '../../src/lib/sync/file-download';
import { LocalSigner, Nip07Signer, type Nip07Like, type Signer } from '../../src/lib/crypto/signer';
import { generateSecretKey } from '../../src/lib/crypto/keys';
import { verifyEvent, type VerifiedEvent } from '../../src/lib/crypto/nostr-event';
import {
  legacyNip04,
  newNip17Stats,
  openIncomingGiftWrap,
  planNip17Send,
  giftWrapFilters,
  nip42Auth,
  NO_DM_RELAYS_MESSAGE,
  type Nip17Message,
  type Nip17OpenResult
} from '../../src/lib/sync/nip17';
import { bytesToHex, hexToBytes, randomBytes } from '../../src/lib/shared/bytes';
import { isVeilError } from '../../src/lib/shared/errors';
import { loadVectors } from '../helpers/vectors';

type Ev = { id: string; pubkey: string; created_at: number; kind: number; tags: string[][]; content: string; sig: string };
interface X {
  nip59_example: { author_privkey_hex: string; recipient_privkey_hex: string; events: Ev[] };
  nip17_example: { message: string; sender_nsec: string; receiver_nsec: string; gift_wraps_receiver_then_sender: Ev[] };
}
const x = loadVectors<X>('nip17-nip59-examples.json');
const now = () => Math.floor(Date.now() / 1000);

function ok(r: Nip17OpenResult): Nip17Message {
  if (!r.ok) throw new Error(`expected to open, got ${r.reason} (${r.code})`);
  return r.message;
}

/** A NIP-07 extension as the page would see it, exposing ONLY getPublicKey, signEvent and nip44. */
function nip07Shim(sk: Uint8Array): Nip07Like {
  const pub = getPublicKey(sk);
  return {
    getPublicKey: async () => pub,
    signEvent: async (t) => JSON.parse(JSON.stringify(finalizeEvent(t, sk))) as unknown,
    nip44: {
      encrypt: async (peer, pt) => ntNip44.encrypt(pt, ntNip44.utils.getConversationKey(sk, peer)),
      decrypt: async (peer, ct) => ntNip44.decrypt(ct, ntNip44.utils.getConversationKey(sk, peer))
    }
  };
}

describe('published examples open through openIncomingGiftWrap', () => {
  const ex = x.nip17_example;
  const sender = decodeNsec(ex.sender_nsec);
  const receiver = decodeNsec(ex.receiver_nsec);
  const [toReceiver, toSender] = ex.gift_wraps_receiver_then_sender as [Ev, Ev];

  it('NIP-17 "Hola, que tal?": the receiver copy is incoming from the sender, the sender copy is outgoing to the receiver', async () => {
    const stats = newNip17Stats();
    const inMsg = ok(await openIncomingGiftWrap(toReceiver, new LocalSigner(receiver), getPublicKey(receiver), stats));
    expect(inMsg).toMatchObject({ text: ex.message, kind: 14, sender: getPublicKey(sender), peer: getPublicKey(sender), direction: 'in' });
    const outMsg = ok(await openIncomingGiftWrap(toSender, new LocalSigner(sender), getPublicKey(sender), stats));
    expect(outMsg).toMatchObject({ text: ex.message, sender: getPublicKey(sender), peer: getPublicKey(receiver), direction: 'out' });
    // one message: both copies carry the same rumor
    expect(outMsg.id).toBe(inMsg.id);
    expect(stats).toEqual({ opened: 2, failures: {} });
  });

  it('NIP-59 example opens, but its kind 1 rumor is not a chat message (counted rumor-kind)', async () => {
    const ex59 = x.nip59_example;
    const wrap = ex59.events[2]!;
    const recipient = hexToBytes(ex59.recipient_privkey_hex);
    expect((await unwrapGiftWrap(wrap, new LocalSigner(recipient))).rumor.id).toBe(ex59.events[0]!.id);
    const stats = newNip17Stats();
    const r = await openIncomingGiftWrap(wrap, recipient, getPublicKey(recipient), stats);
    expect(r).toEqual({ ok: false, reason: 'rumor-kind', code: 'INVALID_EVENT' });
    expect(stats.failures['rumor-kind']).toBe(1);
  });

  it('a wrap addressed to someone else is refused before decryption (wrap-recipient)', async () => {
    const r = await openIncomingGiftWrap(toReceiver, new LocalSigner(sender), getPublicKey(sender));
    expect(r).toMatchObject({ ok: false, reason: 'wrap-recipient' });
  });
});

describe('hand-made forgeries are rejected with counted reasons', () => {
  const alice = generateSecretKey();
  const mallory = generateSecretKey();
  const bob = generateSecretKey();
  const A = getPublicKey(alice);
  const B = getPublicKey(bob);

  function wrapRumor(rumor: object, sealer: Uint8Array, to = B): NostrEvent {
    const seal = finalizeEvent({ kind: 13, created_at: now(), tags: [], content: nip44Encrypt(JSON.stringify(rumor), getConversationKey(sealer, to)) }, sealer);
    const eph = generateSecretKey();
    return finalizeEvent({ kind: 1059, created_at: now(), tags: [['p', to]], content: nip44Encrypt(JSON.stringify(seal), getConversationKey(eph, to)) }, eph);
  }
  function rumor(pubkey: string, tags: string[][], kind = 14, content = 'hi') {
    const r = { pubkey, created_at: now(), kind, tags, content };
    return { ...r, id: getEventHash(r) };
  }

  it('a rumor whose pubkey differs from its seal signer (Mallory claims to be Alice)', async () => {
    const stats = newNip17Stats();
    const r = await openIncomingGiftWrap(wrapRumor(rumor(A, [['p', B]]), mallory), bob, B, stats);
    expect(r).toEqual({ ok: false, reason: 'rumor-author-mismatch', code: 'INVALID_EVENT' });
    expect(stats.failures['rumor-author-mismatch']).toBe(1);
    // the same rumor sealed by Alice herself opens
    expect(ok(await openIncomingGiftWrap(wrapRumor(rumor(A, [['p', B]]), alice), bob, B)).sender).toBe(A);
  });

  it('not addressed to me, group chats, bad p tags, broken wrap signature', async () => {
    const carol = getPublicKey(generateSecretKey());
    const stats = newNip17Stats();
    expect(await openIncomingGiftWrap(wrapRumor(rumor(A, [['p', carol]]), alice), bob, B, stats)).toMatchObject({ reason: 'not-addressed' });
    expect(await openIncomingGiftWrap(wrapRumor(rumor(A, [['p', B], ['p', carol]]), alice), bob, B, stats)).toMatchObject({ reason: 'group-unsupported' });
    expect(await openIncomingGiftWrap(wrapRumor(rumor(A, [['p', 'zz']]), alice), bob, B, stats)).toMatchObject({ reason: 'rumor-tags' });
    const w = wrapRumor(rumor(A, [['p', B]]), alice);
    expect(await openIncomingGiftWrap({ ...w, sig: w.sig.replace(/^./, (c) => (c === '0' ? '1' : '0')) }, bob, B, stats)).toMatchObject({
      reason: 'wrap-signature',
      code: 'INVALID_SIGNATURE'
    });
    expect(await openIncomingGiftWrap(null, bob, B, stats)).toMatchObject({ ok: false, reason: 'wrap-recipient' });
    expect(stats.failures).toEqual({ 'not-addressed': 1, 'group-unsupported': 1, 'rumor-tags': 1, 'wrap-signature': 1, 'wrap-recipient': 1 });
    expect(stats.opened).toBe(0);
  });

  it('a signer without nip44 cannot open: counted as "signer" (retry later), not as a bad wrap', async () => {
    const noNip44 = new Nip07Signer({ getPublicKey: async () => B, signEvent: async () => ({}) });
    const r = await openIncomingGiftWrap(wrapRumor(rumor(A, [['p', B]]), alice), noNip44, B);
    expect(r).toEqual({ ok: false, reason: 'signer', code: 'SIGNER_UNAVAILABLE' });
  });
});

describe('interop with nostr-tools, both ways', () => {
  const alice = generateSecretKey();
  const bob = generateSecretKey();
  const A = getPublicKey(alice);
  const B = getPublicKey(bob);

  it("nostr-tools' nip17.wrapEvent DM (reply + subject) opens with our code", async () => {
    const replyTo = bytesToHex(randomBytes(32));
    const wrap = ntWrapDm(alice, { publicKey: B, relayUrl: 'wss://dm.example.com' }, 'hello from nostr-tools ✓', 'Topic', { eventId: replyTo });
    const m = ok(await openIncomingGiftWrap(JSON.parse(JSON.stringify(wrap)), new LocalSigner(bob), B));
    expect(m).toMatchObject({ text: 'hello from nostr-tools ✓', sender: A, peer: A, direction: 'in', kind: 14, replyTo, subject: 'Topic' });
    const opened = await unwrapGiftWrap(wrap, bob);
    expect(opened.rumor.tags).toEqual([['p', B, 'wss://dm.example.com'], ['e', replyTo, '', 'reply'], ['subject', 'Topic']]);
  });

  it("our wraps open with nostr-tools' nip59.unwrapEvent: same text and tags, ONE rumor id in every copy", async () => {
    const carol = generateSecretKey();
    const C = getPublicKey(carol);
    const replyTo = bytesToHex(randomBytes(32));
    const t = now();
    const template = nip17ChatTemplate({ text: 'héllo 👋', recipients: [B, C], createdAt: t, replyTo, subject: 'S' });
    const { rumor, copies } = await wrapNip17Message({ rumor: template, recipients: [B, C], signer: new LocalSigner(alice), nowSeconds: t });
    expect(copies.map((c) => [c.recipient, c.self])).toEqual([
      [B, false],
      [C, false],
      [A, true]
    ]);
    const keyOf: Record<string, Uint8Array> = { [A]: alice, [B]: bob, [C]: carol };
    const ids = new Set<string>();
    for (const c of copies) {
      const r = ntUnwrap(JSON.parse(JSON.stringify(c.wrap)) as NostrEvent, keyOf[c.recipient]!);
      ids.add(r.id);
      expect(r.content).toBe('héllo 👋');
      expect(r.pubkey).toBe(A);
      expect(r.kind).toBe(14);
      expect(r.created_at).toBe(t);
      expect(r.tags).toEqual([['p', B], ['p', C], ['e', replyTo], ['subject', 'S']]);
      expect(c.wrap.tags).toEqual([['p', c.recipient]]);
      expect(c.seal.tags).toEqual([]);
      expect(c.seal.pubkey).toBe(A);
    }
    expect([...ids]).toEqual([rumor.id]);
    // a fresh throwaway key per wrap
    expect(new Set(copies.map((c) => c.wrap.pubkey)).size).toBe(3);
    expect(copies.some((c) => c.wrap.pubkey === A)).toBe(false);
  });

  it('seal and wrap times are random within the last two days; the rumor keeps the real time', async () => {
    const t = now();
    const recipients = Array.from({ length: 8 }, () => getPublicKey(generateSecretKey()));
    const { rumor, copies } = await wrapNip17Message({ rumor: nip17ChatTemplate({ text: 'x', recipients, createdAt: t }), recipients, signer: new LocalSigner(alice), nowSeconds: t });
    expect(rumor.created_at).toBe(t);
    const times = copies.flatMap((c) => [c.seal.created_at, c.wrap.created_at]);
    for (const s of times) {
      expect(s).toBeLessThanOrEqual(t);
      expect(s).toBeGreaterThanOrEqual(t - TIMESTAMP_JITTER_SECONDS);
    }
    // 18 draws from 172801 values: all equal only with negligible probability
    expect(new Set(times).size).toBeGreaterThan(1);
  });

  it('an oversized message is refused before anything is signed', async () => {
    const text = 'a'.repeat(MAX_RUMOR_BYTES);
    const e = await wrapNip17Message({ rumor: nip17ChatTemplate({ text, recipients: [B], createdAt: now() }), recipients: [B], signer: new LocalSigner(alice) }).catch((err: unknown) => err);
    expect(isVeilError(e, 'TOO_LARGE')).toBe(true);
  });
});

describe('a NIP-07 shim exposing only getPublicKey, signEvent and nip44', () => {
  const alice = generateSecretKey();
  const bob = generateSecretKey();
  const A = getPublicKey(alice);
  const B = getPublicKey(bob);

  it('sends NIP-17 (opened by nostr-tools) and reads NIP-17 (made by nostr-tools)', async () => {
    const aliceExt = new Nip07Signer(nip07Shim(alice));
    const bobExt = new Nip07Signer(nip07Shim(bob));
    expect(aliceExt.nip04Decrypt).toBeUndefined();
    const plan = await planNip17Send({ text: 'via extension', me: A, peer: B, peerDmRelays: ['wss://bob.dm'], myDmRelays: ['wss://alice.dm'], signer: aliceExt, nowSeconds: now() });
    const toBob = plan.publishes.find((p) => p.to === 'peer')!.event;
    expect(ntUnwrap(toBob as unknown as NostrEvent, bob)).toMatchObject({ id: plan.rumorId, content: 'via extension', pubkey: A });
    // Bob reads it through his extension shim, and Alice's other device reads her self copy through hers
    expect(ok(await openIncomingGiftWrap(toBob, bobExt, B))).toMatchObject({ id: plan.rumorId, text: 'via extension', sender: A, direction: 'in' });
    const self = plan.publishes.find((p) => p.to === 'self')!.event;
    expect(ok(await openIncomingGiftWrap(self, aliceExt, A))).toMatchObject({ id: plan.rumorId, peer: B, direction: 'out' });
    // and Bob's extension reads what nostr-tools made
    const wrap = ntWrapDm(alice, { publicKey: B }, 'made by nostr-tools');
    expect(ok(await openIncomingGiftWrap(wrap, bobExt, B))).toMatchObject({ text: 'made by nostr-tools', sender: A });
  });

  it('an extension without nip44 cannot send NIP-17 (typed SIGNER_UNAVAILABLE)', async () => {
    const shim = nip07Shim(alice);
    delete shim.nip44;
    const e = await planNip17Send({ text: 'x', me: A, peer: B, peerDmRelays: ['wss://bob.dm'], myDmRelays: [], signer: new Nip07Signer(shim), nowSeconds: now() }).catch((err: unknown) => err);
    expect(isVeilError(e, 'SIGNER_UNAVAILABLE')).toBe(true);
  });
});

describe('planNip17Send', () => {
  const alice = generateSecretKey();
  const bob = generateSecretKey();
  const A = getPublicKey(alice);
  const B = getPublicKey(bob);
  const signer: Signer = new LocalSigner(alice);

  it('peer copies go only to the peer DM relays, the self copy only to mine; one rumor id', async () => {
    const plan = await planNip17Send({
      text: 'hi',
      me: A,
      peer: B,
      peerDmRelays: ['wss://b1.example/', 'WSS://B2.example', 'not a url'],
      myDmRelays: ['wss://a1.example'],
      signer,
      nowSeconds: now()
    });
    expect(plan.publishes.map((p) => [p.to, p.relay])).toEqual([
      ['peer', 'wss://b1.example'],
      ['peer', 'wss://b2.example'],
      ['self', 'wss://a1.example']
    ]);
    const peerWrap = plan.publishes[0]!.event;
    expect(plan.publishes[1]!.event).toBe(peerWrap); // the same wrap to each of the peer's relays
    expect(peerWrap.tags).toEqual([['p', B]]);
    expect(plan.publishes[2]!.event.tags).toEqual([['p', A]]);
    expect(ntUnwrap(peerWrap as unknown as NostrEvent, bob).id).toBe(plan.rumorId);
    expect(ntUnwrap(plan.publishes[2]!.event as unknown as NostrEvent, alice).id).toBe(plan.rumorId);
    expect(plan.rumor.id).toBe(plan.rumorId);
  });

  it('a peer without a kind 10050 list: NO_DM_RELAYS with a message that says what to do', async () => {
    for (const peerDmRelays of [null, [], ['https://not-a-relay']]) {
      const e = await planNip17Send({ text: 'hi', me: A, peer: B, peerDmRelays, myDmRelays: ['wss://a1.example'], signer, nowSeconds: now() }).catch((err: unknown) => err);
      expect(isVeilError(e, 'NO_DM_RELAYS')).toBe(true);
      expect((e as Error).message).toBe(NO_DM_RELAYS_MESSAGE);
    }
    expect(NO_DM_RELAYS_MESSAGE).toMatch(/Ask them/);
  });

  it('without DM relays of my own there is no self copy', async () => {
    const plan = await planNip17Send({ text: 'hi', me: A, peer: B, peerDmRelays: ['wss://b1.example'], myDmRelays: [], signer, nowSeconds: now() });
    expect(plan.publishes.map((p) => p.to)).toEqual(['peer']);
  });

  it('a signer that is not `me` is refused', async () => {
    const e = await planNip17Send({ text: 'hi', me: B, peer: A, peerDmRelays: ['wss://b1.example'], myDmRelays: [], signer, nowSeconds: now() }).catch((err: unknown) => err);
    expect(isVeilError(e, 'INVALID_INPUT')).toBe(true);
  });

  it('a reaction attaches to its message', async () => {
    const target = bytesToHex(randomBytes(32));
    const rumor = nip17ReactionTemplate({ targetId: target, emoji: '❤️', recipients: [B], createdAt: now() });
    const { copies } = await wrapNip17Message({ rumor, recipients: [B], signer, nowSeconds: now(), selfCopy: false });
    const wrap = copies[0]!.wrap;
    const m = ok(await openIncomingGiftWrap(wrap, bob, B));
    expect(m).toMatchObject({ kind: 7, text: '❤️', reaction: { targetId: target, emoji: '❤️' }, sender: A, peer: A });
    expect(ntUnwrap(wrap as unknown as NostrEvent, bob).tags).toEqual([['e', target], ['p', B], ['k', '14']]);
  });
});

describe('kind 15 file messages', () => {
  const alice = generateSecretKey();
  const bob = generateSecretKey();
  const B = getPublicKey(bob);

  async function encryptedFile(plain: Uint8Array<ArrayBuffer>, nonceLen = 12) {
    const key = randomBytes(32);
    const nonce = randomBytes(nonceLen);
    const k = await crypto.subtle.importKey('raw', key, { name: 'AES-GCM' }, false, ['encrypt']);
    const ct = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: nonce }, k, plain));
    return { key, nonce, ct };
  }

  async function sendFile(tags: string[][], url: string): Promise<Nip17OpenResult> {
    const { copies } = await wrapNip17Message({
      rumor: { kind: 15, created_at: now(), tags: [['p', B], ...tags], content: url },
      recipients: [B],
      signer: new LocalSigner(alice),
      selfCopy: false
    });
    return openIncomingGiftWrap(copies[0]!.wrap, bob, B);
  }

  it('parses url, MIME, key/nonce/hashes; downloads, checks x and ox, decrypts; refuses a swapped file', async () => {
    const plain = new TextEncoder().encode('a picture, really');
    const { key, nonce, ct } = await encryptedFile(plain, 16);
    const tags = [
      ['file-type', 'image/jpeg'],
      ['encryption-algorithm', 'aes-gcm'],
      ['decryption-key', bytesToHex(key)],
      ['decryption-nonce', bytesToHex(nonce)],
      ['x', bytesToHex(sha256(ct))],
      ['ox', bytesToHex(sha256(plain))],
      ['size', String(ct.length)],
      ['fallback', 'https://mirror.example/f']
    ];
    const m = ok(await sendFile(tags, 'https://blossom.example/f'));
    const file = m.file as Nip17File;
    expect(m.kind).toBe(15);
    expect(file).toMatchObject({ url: 'https://blossom.example/f', mimeType: 'image/jpeg', keyHex: bytesToHex(key), nonceHex: bytesToHex(nonce), size: ct.length, fallbacks: ['https://mirror.example/f'] });

    const served: Record<string, Uint8Array> = { 'https://mirror.example/f': ct };
    const fetchStub: FileFetch = async (url) => {
      const body = served[url];
      return { ok: !!body, status: body ? 200 : 404, body: null, arrayBuffer: async () => (body ?? new Uint8Array(0)).slice().buffer };
    };
    // the main URL is 404: the fallback serves it
    const got = await downloadNip17File(file, fetchStub);
    expect(new TextDecoder().decode(got.bytes)).toBe('a picture, really');
    expect(got.mimeType).toBe('image/jpeg');

    // crypto's half takes bytes: the right ones decrypt, a swapped byte fails the x hash
    expect(new TextDecoder().decode((await decryptNip17File(ct, file)).bytes)).toBe('a picture, really');
    const swapped = ct.slice();
    swapped[0]! ^= 1;
    expect(await decryptNip17File(swapped, file).catch((e: unknown) => (isVeilError(e) ? e.code : e))).toBe('DECRYPT_FAILED');
    const { sha256: _x, ...unhashed } = file;
    expect(await decryptNip17File(swapped, unhashed).catch((e: unknown) => (isVeilError(e) ? e.code : e))).toBe('DECRYPT_FAILED'); // AES-GCM tag
    // a swapped copy on the main URL is skipped for the good fallback; only wrong copies → DECRYPT_FAILED
    served['https://blossom.example/f'] = swapped;
    expect(new TextDecoder().decode((await downloadNip17File(file, fetchStub)).bytes)).toBe('a picture, really');
    delete served['https://blossom.example/f'];
    served['https://mirror.example/f'] = swapped;
    expect(await downloadNip17File(file, fetchStub).catch((e: unknown) => (isVeilError(e) ? e.code : e))).toBe('DECRYPT_FAILED');
    delete served['https://mirror.example/f'];
    expect(await downloadNip17File(file, fetchStub).catch((e: unknown) => (isVeilError(e) ? e.code : e))).toBe('FILE_UNAVAILABLE');
    served['https://blossom.example/f'] = ct;
    expect(await downloadNip17File(file, fetchStub, { maxBytes: ct.length - 1 }).catch((e: unknown) => (isVeilError(e) ? e.code : e))).toBe('TOO_LARGE');
  });

  it('a stream larger than the bound is cut off while reading', async () => {
    const { key, nonce } = await encryptedFile(new Uint8Array(1));
    const file: Nip17File = { url: 'https://x.example/f', algorithm: 'aes-gcm', keyHex: bytesToHex(key), nonceHex: bytesToHex(nonce), fallbacks: [] };
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        pulled++;
        c.enqueue(new Uint8Array(1024));
      }
    });
    const fetchStub: FileFetch = async () => ({ ok: true, status: 200, body, arrayBuffer: async () => new ArrayBuffer(0) });
    expect(await downloadNip17File(file, fetchStub, { maxBytes: 10 * 1024 }).catch((e: unknown) => (isVeilError(e) ? e.code : e))).toBe('TOO_LARGE');
    expect(pulled).toBeLessThan(20);
  });

  it('http URLs, missing keys and other algorithms are file-malformed', async () => {
    const good = [['decryption-key', bytesToHex(randomBytes(32))], ['decryption-nonce', bytesToHex(randomBytes(12))]];
    expect(await sendFile(good, 'http://blossom.example/f')).toMatchObject({ reason: 'file-malformed' });
    expect(await sendFile(good.slice(1), 'https://blossom.example/f')).toMatchObject({ reason: 'file-malformed' });
    expect(await sendFile([...good, ['encryption-algorithm', 'aes-cbc']], 'https://blossom.example/f')).toMatchObject({ reason: 'file-malformed' });
  });
});

describe('kind 10050 DM relay lists', () => {
  const alice = generateSecretKey();
  const sign = (t: ReturnType<typeof buildDmRelayList>) => JSON.parse(JSON.stringify(finalizeEvent(t, alice))) as VerifiedEvent;

  it('build normalizes and dedupes; parse skips junk and bounds the list', () => {
    const t = buildDmRelayList(['wss://Relay.Example/', 'wss://relay.example', 'ws://127.0.0.1:7777'], 100);
    expect(t).toEqual({ kind: 10050, created_at: 100, tags: [['relay', 'wss://relay.example'], ['relay', 'ws://127.0.0.1:7777']], content: '' });
    expect(() => buildDmRelayList(['https://x'], 1)).toThrow();
    const many = Array.from({ length: 20 }, (_, i) => ['relay', `wss://r${i}.example`]);
    const ev = sign({ kind: 10050, created_at: 5, tags: [['relay', 'javascript:alert(1)'], ['r', 'wss://other.example'], ['relay', 'wss://R0.example/'], ...many], content: '' });
    const list = parseDmRelayList(ev);
    expect(list.relays.length).toBe(MAX_DM_RELAYS);
    expect(list.relays[0]).toBe('wss://r0.example');
    expect(list.relays).not.toContain('wss://other.example');
    expect(list.pubkey).toBe(getPublicKey(alice));
    const older = parseDmRelayList(sign({ ...buildDmRelayList(['wss://old.example'], 4) }));
    expect(newerDmRelayList(older, list)).toBe(list);
    expect(newerDmRelayList(list, older)).toBe(list);
  });

  it('the DM pool authenticates (NIP-42) with a kind 22242 signed by the identity for that relay and challenge', async () => {
    const ev = await nip42Auth(new LocalSigner(alice), () => 1234)('chal-1', 'wss://dm.example');
    expect(ev).toMatchObject({ kind: 22242, created_at: 1234, pubkey: getPublicKey(alice), content: '', tags: [['relay', 'wss://dm.example'], ['challenge', 'chal-1']] });
    expect(verifyEvent(ev).id).toBe(ev.id);
  });

  it('gift-wrap filters name only kind 1059 (and kind 4 with legacy) for me', () => {
    const me = getPublicKey(alice);
    expect(giftWrapFilters(me, { since: 10 })).toEqual([{ kinds: [1059], '#p': [me], since: 10 }]);
    expect(giftWrapFilters(me, { legacy: true }).map((f) => f.kinds)).toEqual([[1059], [4], [4]]);
  });
});

describe('legacy NIP-04 (read only)', () => {
  const alice = generateSecretKey();
  const bob = generateSecretKey();
  const A = getPublicKey(alice);
  const B = getPublicKey(bob);

  it("decrypts nostr-tools' NIP-04 with a key, a LocalSigner and an extension's nip04; in and out", async () => {
    const content = ntNip04.encrypt(alice, B, 'old school ✉️');
    expect(await nip04Decrypt(bob, A, content)).toBe('old school ✉️');
    const ev = finalizeEvent({ kind: 4, created_at: now(), tags: [['p', B]], content }, alice);
    const stats = newNip17Stats();
    expect(ok(await legacyNip04(ev, new LocalSigner(bob), B, stats))).toMatchObject({ text: 'old school ✉️', sender: A, peer: A, direction: 'in', kind: 4, legacy: true });
    expect(ok(await legacyNip04(ev, new LocalSigner(alice), A, stats))).toMatchObject({ peer: B, direction: 'out' });
    const ext = new Nip07Signer({ ...nip07Shim(bob), nip04: { decrypt: async (peer, ct) => ntNip04.decrypt(bob, peer, ct) } });
    expect(ok(await legacyNip04(ev, ext, B, stats)).text).toBe('old school ✉️');
    expect(stats.opened).toBe(3);
  });

  it('tampering, wrong recipient, bad format and no nip04 are typed failures', async () => {
    const content = ntNip04.encrypt(alice, B, 'x'.repeat(40));
    const [ct, iv] = content.split('?iv=') as [string, string];
    const ctBytes = Uint8Array.from(atob(ct), (c) => c.charCodeAt(0));
    ctBytes[ctBytes.length - 17]! ^= 0xff; // CBC: flips the last plaintext byte, the PKCS#7 padding (0x08 → 0xf7)
    const tampered = btoa(String.fromCharCode(...ctBytes)) + '?iv=' + iv;
    const stats = newNip17Stats();
    const mk = (c: string, tags = [['p', B]]) => finalizeEvent({ kind: 4, created_at: now(), tags, content: c }, alice);
    expect(await legacyNip04(mk(tampered), bob, B, stats)).toMatchObject({ reason: 'legacy-decrypt', code: 'DECRYPT_FAILED' });
    expect(await legacyNip04(mk('garbage'), bob, B, stats)).toMatchObject({ reason: 'legacy-decrypt' });
    expect(await legacyNip04(mk(content, [['p', getPublicKey(generateSecretKey())]]), bob, B, stats)).toMatchObject({ reason: 'legacy-malformed' });
    expect(await legacyNip04(mk(content), nip07Only(bob), B, stats)).toMatchObject({ reason: 'signer', code: 'SIGNER_UNAVAILABLE' });
    expect(stats.failures).toEqual({ 'legacy-decrypt': 2, 'legacy-malformed': 1, signer: 1 });
  });

  function nip07Only(sk: Uint8Array): Signer {
    return new Nip07Signer(nip07Shim(sk));
  }
});
