/**
 * Broadcast channel posts and links (spec docs/proposals/0011-channels.md, issue 15 §3): the
 * vectors of tests/vectors/channel-v1.json reproduced and opened, and what a reader must refuse.
 */
import { readFileSync } from 'node:fs';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { finalizeEvent } from 'nostr-tools/pure';
import { describe, expect, it } from 'vitest';
import { bucketPoint, pairBucketIndex, pairTag, pairTagKey } from '../../src/lib/crypto/bucket';
import {
  CHANNEL_POST_KIND,
  channelBucketKey,
  channelKeySchedule,
  channelPostTemplate,
  channelTagKey,
  finishChannelOpen,
  sealChannelPost,
  sealChannelPostDeterministic,
  trialOpenChannel
} from '../../src/lib/crypto/channel';
import { channelLinkPayload, channelLinkUrl, decodeChannelLink, encodeChannelLink, type ChannelLink } from '../../src/lib/crypto/channel-link';
import { chatMessageTemplate, envelopeKey, openEnvelope, sealEnvelope, type SealRandomness } from '../../src/lib/crypto/envelope';
import { envelopePairTag } from '../../src/lib/crypto/envelope-open';
import { generateSecretKey, getXOnlyPublicKey } from '../../src/lib/crypto/keys';
import { derivePairKey, epochDay } from '../../src/lib/crypto/mailbox';
import { base64Decode, base64Encode, bytesToHex, concatBytes, hexToBytes, randomBytes, utf8Encode } from '../../src/lib/shared/bytes';
import { isVeilError } from '../../src/lib/shared/errors';
import { trustEvent } from '../../src/lib/shared/trusted-event';
import type { NostrEventJson } from '../../src/lib/shared/nostr';
import { checkedOwnVectors, vectorPath } from '../helpers/vectors';

interface PostVector {
  label: string;
  relay: string;
  now: number;
  day: number;
  level: number;
  epoch: number;
  channelKey: string;
  bucketKey: string;
  index: number;
  mailbox: string;
  tagKey: string;
  ephemeralSecret: string;
  ephemeralPublic: string;
  sessionKey: string;
  createdAtOffset: number;
  signatureAux: string;
  prk: string;
  kek: string;
  wrapNonce: string;
  wrappedKey: string;
  nonce: string;
  aad: string;
  bodyKey: string;
  commitment: string;
  inner: NostrEventJson;
  outer: NostrEventJson;
}
const V = checkedOwnVectors<{
  ownerSecret: string;
  owner: string;
  posts: PostVector[];
  link: { owner: string; epoch: number; key: string; relays: string[]; name: string; payload: string; url: string };
}>('channel-v1.json', readFileSync(vectorPath('channel-v1.json')));

const trusted = (e: NostrEventJson) => {
  const t = trustEvent(e);
  if (!t.ok) throw new Error('outer event does not verify');
  return t.event;
};
const code = (e: unknown) => (isVeilError(e) ? e.code : e);
const ownerSecret = hexToBytes(V.ownerSecret);
const NOW = 1_800_000_000;
const DAY = epochDay(NOW);
const RELAY = 'wss://relay.example.com';

/** A post of this test: signed by `signer` (the owner unless said), sealed under `ck` for `epoch`. */
async function makePost(ck: Uint8Array, epoch: number, text: string, signer: Uint8Array = ownerSecret, tagEpoch = epoch) {
  const inner = finalizeEvent({ ...channelPostTemplate({ text, epoch: tagEpoch, createdAt: NOW }) }, signer) as unknown as NostrEventJson;
  const mailbox = bucketPoint(RELAY, DAY, 0, pairBucketIndex(channelBucketKey(ck), RELAY, DAY, 0));
  return sealChannelPost({ channelKey: ck, mailbox, tagKey: channelTagKey(ck, DAY), payload: { type: 'event', event: inner }, nowSeconds: NOW });
}

/** What a reader of (ck, epoch) makes of an outer event: the text, 'cover', or null (not this channel's). */
async function read(outer: NostrEventJson, ck: Uint8Array, epoch: number, owner = V.owner): Promise<string | null> {
  const u = trialOpenChannel(trusted(outer), ck);
  if (!u) return null;
  const opened = await finishChannelOpen(u, owner, epoch).catch(() => null);
  return opened === null ? null : opened.type === 'cover' ? 'cover' : opened.event.content;
}

describe('channel vectors (tests/vectors/channel-v1.json)', () => {
  it('the owner key is the vector owner secret’s', () => {
    expect(bytesToHex(getXOnlyPublicKey(ownerSecret))).toBe(V.owner);
  });

  for (const v of V.posts) {
    it(`${v.label}: every derivation, computed independently of channel.ts, matches`, () => {
      const ck = hexToBytes(v.channelKey);
      const E = hexToBytes(v.ephemeralPublic);
      const be32 = (n: number) => Uint8Array.of(n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
      expect(bytesToHex(hmac(sha256, ck, utf8Encode('veil/chan1/bucket')))).toBe(v.bucketKey);
      expect(bytesToHex(hmac(sha256, ck, concatBytes(utf8Encode('veil/chan1/tag'), Uint8Array.of(0), be32(v.day))))).toBe(v.tagKey);
      const okm = hkdf(sha256, concatBytes(ck, E), utf8Encode('veil/chan1/kem'), utf8Encode('veil/env1/wrap'), 44);
      expect([bytesToHex(okm.subarray(0, 32)), bytesToHex(okm.subarray(32))]).toEqual([v.kek, v.wrapNonce]);
      // and through the code
      expect(bytesToHex(channelBucketKey(ck))).toBe(v.bucketKey);
      expect(bytesToHex(channelTagKey(ck, v.day))).toBe(v.tagKey);
      const ks = channelKeySchedule(ck, E);
      expect([bytesToHex(ks.prk), bytesToHex(ks.kek), bytesToHex(ks.wrapNonce)]).toEqual([v.prk, v.kek, v.wrapNonce]);
      expect(pairBucketIndex(hexToBytes(v.bucketKey), v.relay, v.day, v.level)).toBe(v.index);
      expect(bucketPoint(v.relay, v.day, v.level, v.index)).toBe(v.mailbox);
      expect(bytesToHex(pairTag(hexToBytes(v.tagKey), E))).toBe(v.nonce);
      expect(envelopePairTag(v.outer)).toEqual(hexToBytes(v.nonce)); // the body nonce is the tag
      expect(bytesToHex(getXOnlyPublicKey(hexToBytes(v.ephemeralSecret)))).toBe(v.ephemeralPublic);
    });

    it(`${v.label}: sealing again with the vector's randomness gives the same events, and a reader opens it`, async () => {
      const ck = hexToBytes(v.channelKey);
      const rnd: SealRandomness = {
        ephemeralSecret: hexToBytes(v.ephemeralSecret),
        sessionKey: hexToBytes(v.sessionKey),
        nonce: new Uint8Array(12),
        createdAtOffset: v.createdAtOffset,
        signatureAux: hexToBytes(v.signatureAux)
      };
      const { event, trace } = await sealChannelPostDeterministic({ channelKey: ck, mailbox: v.mailbox, tagKey: hexToBytes(v.tagKey), payload: { type: 'event', event: v.inner }, nowSeconds: v.now }, rnd);
      expect(event).toEqual(v.outer);
      expect([bytesToHex(trace.wrappedKey), bytesToHex(trace.aad), bytesToHex(trace.bodyKey), bytesToHex(trace.commitment)]).toEqual([v.wrappedKey, v.aad, v.bodyKey, v.commitment]);
      expect(v.outer.tags.map((t) => t[0])).toEqual(['p', 'expiration']); // an envelope like any other
      expect(v.outer.pubkey).toBe(v.ephemeralPublic);
      expect(await read(v.outer, ck, v.epoch)).toBe(v.inner.content);
      expect(v.inner.kind).toBe(CHANNEL_POST_KIND);
    });
  }

  it('the link decodes to its fields and encodes back to the same payload and URL', () => {
    const link = decodeChannelLink(V.link.payload);
    expect({ ...link, key: bytesToHex(link.key) }).toEqual({ owner: V.link.owner, epoch: V.link.epoch, key: V.link.key, relays: V.link.relays, name: V.link.name });
    expect(encodeChannelLink(link)).toBe(V.link.payload);
    expect(channelLinkUrl('https://veil.example/', link)).toBe(V.link.url);
    expect(channelLinkPayload(`  ${V.link.url}\n`)).toBe(V.link.payload);
  });
});

describe('a channel reader refuses', () => {
  const ck = randomBytes(32);

  it('posts of another key or epoch: a removed reader with the old key reads nothing after a rotation', async () => {
    const ck1 = randomBytes(32);
    const before = await makePost(ck, 0, 'epoch 0');
    const after = await makePost(ck1, 1, 'epoch 1');
    expect(await read(before, ck, 0)).toBe('epoch 0');
    expect(await read(after, ck1, 1)).toBe('epoch 1');
    expect(await read(after, ck, 0)).toBeNull(); // the removed reader
    expect(await read(after, ck, 1)).toBeNull();
    // and the new epoch's post is not even in the old key's tag or, above level 4, its bucket
    expect(envelopePairTag(after)).not.toEqual(pairTag(channelTagKey(ck, DAY), hexToBytes(after.pubkey)));
  });

  it('a post signed by anyone but the owner key (a reader holds CK, not O), or naming another epoch', async () => {
    expect(await read(await makePost(ck, 0, 'forged', generateSecretKey()), ck, 0)).toBeNull();
    expect(await read(await makePost(ck, 0, 'old epoch moved', ownerSecret, 4), ck, 0)).toBeNull();
    expect(await read(await makePost(ck, 0, 'fine'), ck, 0, bytesToHex(getXOnlyPublicKey(generateSecretKey())))).toBeNull(); // another channel's owner
  });

  it('an ordinary envelope: a DM is no post, and a post is no DM', async () => {
    const ek = envelopeKey(generateSecretKey());
    const dm = finalizeEvent(chatMessageTemplate({ text: 'hi', recipients: [V.owner], createdAt: NOW }), ownerSecret) as unknown as NostrEventJson;
    const sealedDm = await sealEnvelope({ recipientEk: ek.publicKey, mailbox: bucketPoint(RELAY, DAY, 0, 0), payload: { type: 'event', event: dm }, nowSeconds: NOW });
    expect(await read(sealedDm, ck, 0)).toBeNull();
    const post = await makePost(ck, 0, 'a post');
    expect(await openEnvelope(post, ek, V.owner).catch(code)).toBe('ENVELOPE_OPEN_FAILED');
    // the channel sealer takes only kind 1069, the DM sealer never takes it
    await expect(sealChannelPost({ channelKey: ck, mailbox: bucketPoint(RELAY, DAY, 0, 0), tagKey: channelTagKey(ck, DAY), payload: { type: 'event', event: dm }, nowSeconds: NOW })).rejects.toMatchObject({ code: 'INVALID_EVENT' });
    const inner = finalizeEvent(channelPostTemplate({ text: 'x', epoch: 0, createdAt: NOW }), ownerSecret) as unknown as NostrEventJson;
    await expect(sealEnvelope({ recipientEk: ek.publicKey, mailbox: bucketPoint(RELAY, DAY, 0, 0), payload: { type: 'event', event: inner }, nowSeconds: NOW })).rejects.toMatchObject({ code: 'INVALID_EVENT' });
  });

  it('a post whose session key was swapped: the commitment binds the body to one session key (one meaning for every reader)', async () => {
    const post = await makePost(ck, 0, 'the one meaning');
    const bin = base64Decode(post.content);
    // A reader (who holds CK, hence the kek) rewraps a different session key in place of the post's.
    const ks = channelKeySchedule(ck, hexToBytes(post.pubkey));
    const k = await crypto.subtle.importKey('raw', ks.kek as Uint8Array<ArrayBuffer>, 'AES-GCM', false, ['encrypt']);
    const rewrapped = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: ks.wrapNonce as Uint8Array<ArrayBuffer> }, k, randomBytes(32)));
    const forged = bin.slice();
    forged.set(rewrapped, 1);
    const outer = { ...post, content: base64Encode(forged) };
    // (the outer signature no longer matches either; the unwrap refuses before that matters)
    expect(trialOpenChannel(outer as never, ck)).toBeNull();
    const flipped = bin.slice();
    flipped[61]! ^= 1; // a commitment bit
    expect(trialOpenChannel({ ...post, content: base64Encode(flipped) } as never, ck)).toBeNull();
    expect(await read(post, ck, 0)).toBe('the one meaning');
  });

  it('nothing in the relay-visible shape tells a post from a pair envelope: same kind, tags, sizes, bucket at level 0', async () => {
    const post = await makePost(ck, 0, 'short');
    const a = generateSecretKey();
    const b = envelopeKey(generateSecretKey());
    const pairKey = derivePairKey(a, b.publicKey);
    const dm = finalizeEvent(chatMessageTemplate({ text: 'short', recipients: [V.owner], createdAt: NOW }), ownerSecret) as unknown as NostrEventJson;
    const env = await sealEnvelope({
      recipientEk: b.publicKey,
      mailbox: bucketPoint(RELAY, DAY, 0, pairBucketIndex(pairKey, RELAY, DAY, 0)),
      pairTagKey: pairTagKey(pairKey, getXOnlyPublicKey(a), b.publicKey, DAY),
      payload: { type: 'event', event: dm },
      nowSeconds: NOW
    });
    expect(post.kind).toBe(env.kind);
    expect(post.tags[0]).toEqual(env.tags[0]); // the one bucket of the day
    expect(post.tags.map((t) => t[0])).toEqual(env.tags.map((t) => t[0]));
    expect(post.content.length).toBe(env.content.length);
  });
});

describe('channel links', () => {
  const good: ChannelLink = { owner: V.owner, epoch: 2, key: randomBytes(32), relays: ['wss://relay.example.com', 'ws://127.0.0.1:7777'], name: 'News' };
  const bytesOf = (l: ChannelLink) => {
    const s = encodeChannelLink(l).replace(/-/g, '+').replace(/_/g, '/');
    return base64Decode(s + '='.repeat((4 - (s.length % 4)) % 4));
  };
  const encode = (b: Uint8Array) => base64Encode(b).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

  it('round-trips and normalises relays', () => {
    const l = decodeChannelLink(encodeChannelLink({ ...good, relays: ['WSS://Relay.Example.com:443/', 'ws://127.0.0.1:7777'] }));
    expect(l.relays).toEqual(['wss://relay.example.com', 'ws://127.0.0.1:7777']);
    expect(l.key).toEqual(good.key);
    expect(l.epoch).toBe(2);
  });

  it('refuses what a careful reader must not guess at', () => {
    const bin = bytesOf(good);
    const refuse = (b: Uint8Array) => expect(() => decodeChannelLink(encode(b))).toThrow();
    refuse(concatBytes(bin, Uint8Array.of(0))); // trailing byte
    refuse(bin.subarray(0, bin.length - 1)); // truncated
    const v2 = bin.slice();
    v2[0] = 2;
    refuse(v2); // unknown version
    const notKey = bin.slice();
    notKey.fill(0xff, 1, 33);
    refuse(notKey); // owner ≥ p: no x-only key
    expect(() => decodeChannelLink('not base64url!')).toThrow();
    expect(() => decodeChannelLink('A'.repeat(800))).toThrow(/too large/);
    expect(() => encodeChannelLink({ ...good, relays: [] })).toThrow();
    expect(() => encodeChannelLink({ ...good, relays: Array.from({ length: 9 }, (_, i) => `wss://r${i}.example`) })).toThrow();
    expect(() => encodeChannelLink({ ...good, relays: ['wss://a.example', 'wss://A.example/'] })).toThrow(/repeat/);
    expect(() => encodeChannelLink({ ...good, name: 'bad\u0007name' })).toThrow();
    expect(() => encodeChannelLink({ ...good, name: 'x'.repeat(65) })).toThrow();
    expect(() => encodeChannelLink({ ...good, key: randomBytes(31) })).toThrow();
    expect(() => encodeChannelLink({ ...good, epoch: -1 })).toThrow();
    expect(channelLinkPayload('https://veil.example/#c=abc')).toBeNull(); // a contact card, not a channel
  });

  it('a relay in the link that is not in normal form is refused (one link per channel and epoch)', () => {
    const bin = bytesOf({ ...good, relays: ['wss://relay.example.com'] });
    const at = bin.indexOf(0x72, 70); // the "r" of relay.example.com
    const upper = bin.slice();
    upper[at] = 0x52; // "R"
    expect(() => decodeChannelLink(encode(upper))).toThrow(/normal form/);
  });
});
