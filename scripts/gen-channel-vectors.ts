/**
 * Writes tests/vectors/channel-v1.json: vectors of Veil broadcast channel posts and links
 * (docs/proposals/0011-channels.md). Every key and random choice is derived from fixed labels
 * (sha256("veil-vectors/channel1/<label>")), so running this again writes the same file byte for byte.
 * Run: node --import tsx scripts/gen-channel-vectors.ts
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import { schnorr } from '@noble/curves/secp256k1.js';
import { getEventHash, type NostrEvent } from 'nostr-tools/pure';
import { bytesToHex, hexToBytes, utf8Encode } from '../src/lib/shared/bytes';
import { getXOnlyPublicKey } from '../src/lib/crypto/keys';
import { CREATED_AT_SPREAD, type SealRandomness } from '../src/lib/crypto/envelope';
import { bucketPoint, pairBucketIndex, pairTag } from '../src/lib/crypto/bucket';
import { epochDay } from '../src/lib/crypto/mailbox';
import { channelBucketKey, channelPostTemplate, channelTagKey, sealChannelPostDeterministic } from '../src/lib/crypto/channel';
import { channelLinkUrl, encodeChannelLink } from '../src/lib/crypto/channel-link';

const h = (label: string) => sha256(utf8Encode(`veil-vectors/channel1/${label}`));
const hx = bytesToHex;
const NOW = 1_767_225_600 + 9 * 3600 + 41 * 60 + 17; // 2026-01-01T09:41:17Z
const DAY = epochDay(NOW);
const RELAY = 'wss://relay.example.com';
const ownerSecret = h('owner');
const owner = hx(getXOnlyPublicKey(ownerSecret));

function sign(t: Omit<NostrEvent, 'id' | 'sig' | 'pubkey'>, aux: string): NostrEvent {
  const unsigned = { ...t, pubkey: owner };
  const id = getEventHash(unsigned);
  return { id, pubkey: owner, created_at: t.created_at, kind: t.kind, tags: t.tags, content: t.content, sig: hx(schnorr.sign(hexToBytes(id), ownerSecret, h(aux))) };
}

function randomness(label: string): SealRandomness {
  return {
    ephemeralSecret: h(`${label}/ephemeral`),
    sessionKey: h(`${label}/session`),
    nonce: h(`${label}/nonce`).slice(0, 12),
    createdAtOffset: new DataView(h(`${label}/offset`).buffer).getUint32(0) % (CREATED_AT_SPREAD + 1),
    signatureAux: h(`${label}/aux`)
  };
}

async function post(label: string, epoch: number, level: number, text: string, extra: { name?: string; rotated?: number } = {}) {
  const ck = h(`${label}/ck${epoch}`);
  const bucketKey = channelBucketKey(ck);
  const index = pairBucketIndex(bucketKey, RELAY, DAY, level);
  const mailbox = bucketPoint(RELAY, DAY, level, index);
  const tagKey = channelTagKey(ck, DAY);
  const inner = sign(channelPostTemplate({ text, epoch, createdAt: NOW, ...extra }), `${label}/inner-aux`);
  const rnd = randomness(label);
  const { event, trace } = await sealChannelPostDeterministic({ channelKey: ck, mailbox, tagKey, payload: { type: 'event', event: inner }, nowSeconds: NOW }, rnd);
  if (hx(trace.nonce) !== hx(pairTag(tagKey, trace.ephemeralPublic))) throw new Error('nonce is not the channel tag');
  return {
    label,
    relay: RELAY,
    now: NOW,
    day: DAY,
    level,
    epoch,
    channelKey: hx(ck),
    bucketKey: hx(bucketKey),
    index,
    mailbox,
    tagKey: hx(tagKey),
    ephemeralSecret: hx(rnd.ephemeralSecret),
    ephemeralPublic: hx(trace.ephemeralPublic),
    sessionKey: hx(rnd.sessionKey),
    createdAtOffset: rnd.createdAtOffset,
    signatureAux: hx(rnd.signatureAux),
    prk: hx(trace.prk),
    kek: hx(trace.kek),
    wrapNonce: hx(trace.wrapNonce),
    wrappedKey: hx(trace.wrappedKey),
    nonce: hx(trace.nonce),
    aad: hx(trace.aad),
    bodyKey: hx(trace.bodyKey),
    commitment: hx(trace.commitment),
    inner,
    outer: event
  };
}

async function main(): Promise<void> {
  const posts = [
    await post('first', 0, 0, 'Welcome to the channel.', { name: 'Veil news' }),
    await post('leveled', 3, 5, 'A post at bucket level 5, in epoch 3.'),
    await post('rotation', 7, 0, 'The key changes now; members get the new link in their chat.', { rotated: 8 })
  ];
  const link = { owner, epoch: 0, key: hexToBytes(posts[0]!.channelKey), relays: [RELAY, 'ws://127.0.0.1:7777'], name: 'Veil news' };
  const out = {
    description: 'Veil broadcast channels (docs/proposals/0011-channels.md): channel posts with every intermediate value, and a channel link. Test keys only.',
    version: 1,
    ownerSecret: hx(ownerSecret),
    owner,
    posts,
    link: { ...link, key: hx(link.key), payload: encodeChannelLink(link), url: channelLinkUrl('https://veil.example', link) }
  };
  const path = resolve(process.cwd(), 'tests/vectors/channel-v1.json');
  writeFileSync(path, JSON.stringify(out, null, 2) + '\n');
  console.log(`wrote ${path}: ${posts.length} posts, 1 link`);
}

await main();
