/**
 * Broadcast channel posts through a real relay (scripts/relay.mjs; spec 0011, issue 15 §3), at the
 * sync layer (the app has no channel screens yet): one owner, three subscribers reading the day's
 * shared bucket as every Veil reader does, a DM and cover in the same bucket, a rotation that leaves
 * one subscriber out. What the relay stores names nobody.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finalizeEvent } from 'nostr-tools/pure';
import { bucketPoint, pairBucketIndex, pairTagKey } from '../../src/lib/crypto/bucket';
import { chatMessageTemplate, envelopeKey, sealEnvelope } from '../../src/lib/crypto/envelope';
import { generateSecretKey, getXOnlyPublicKey } from '../../src/lib/crypto/keys';
import { derivePairKey, epochDay } from '../../src/lib/crypto/mailbox';
import { bytesToHex, randomBytes } from '../../src/lib/shared/bytes';
import type { NostrEventJson } from '../../src/lib/shared/nostr';
import { trustEvent } from '../../src/lib/shared/trusted-event';
import { ChannelTags, channelPlacement, openChannelPost, sealPostForRelays, type HeldChannel } from '../../src/lib/sync/channel-posts';
import { RawClient } from '../helpers/raw-ws';
import { startRelay, type TestRelay } from '../helpers/relay';

let relay: TestRelay;
let raw: RawClient;
beforeAll(async () => {
  relay = await startRelay();
  raw = await RawClient.open(relay.url);
});
afterAll(async () => {
  await raw.close();
  await relay.stop();
});

const nowS = () => Math.floor(Date.now() / 1000);

/** A subscriber's read of today's level-0 shared bucket on the relay: the texts of the posts it recognises and opens. */
async function readAs(channels: HeldChannel[], sub: string): Promise<string[]> {
  const day = epochDay(nowS());
  const bucket = bucketPoint(relay.url, day, 0, 0);
  const got = await raw.query(sub, { kinds: [1067], '#p': [bucket] });
  const tags = new ChannelTags();
  tags.follow(channels);
  const texts: string[] = [];
  for (const e of got) {
    const m = tags.match(e as unknown as NostrEventJson, day);
    if (!m) continue;
    const t = trustEvent(e); // verified before it is opened, as the pool does
    if (!t.ok) continue;
    const opened = await openChannelPost(t.event, m);
    if (opened?.type === 'post') texts.push(opened.event.content);
  }
  return texts.sort();
}

describe('a channel with one owner and three subscribers, through a real relay', () => {
  it('every post reaches all three; a rotation leaves the removed one reading nothing new; the relay stores no identity', async () => {
    const ownerSecret = generateSecretKey();
    const owner = bytesToHex(getXOnlyPublicKey(ownerSecret));
    const epoch0 = { epoch: 0, key: randomBytes(32) };
    const ownerDevice: HeldChannel = { owner, epochs: [epoch0], ownerSecret };
    const subscriber: HeldChannel = { owner, epochs: [epoch0] };
    const day = epochDay(nowS());

    // At level 0 the post goes to the one shared bucket of the day, the one every Veil reader reads.
    expect(channelPlacement(epoch0.key, relay.url, day, 0)).toEqual({ index: 0, mailbox: bucketPoint(relay.url, day, 0, 0) });

    for (const text of ['first post', 'second post']) {
      for (const { event } of await sealPostForRelays(ownerDevice, { text }, [relay.url], nowS())) expect((await raw.publish(event))[0]).toBe(true);
    }
    // Someone else's DM and a stranger channel's post in the same bucket.
    const a = generateSecretKey();
    const b = envelopeKey(generateSecretKey());
    const pk = derivePairKey(a, b.publicKey);
    const dm = finalizeEvent(chatMessageTemplate({ text: 'not a post', recipients: [owner], createdAt: nowS() }), a) as unknown as NostrEventJson;
    const sealed = await sealEnvelope({ recipientEk: b.publicKey, mailbox: bucketPoint(relay.url, day, 0, pairBucketIndex(pk, relay.url, day, 0)), pairTagKey: pairTagKey(pk, getXOnlyPublicKey(a), b.publicKey, day), payload: { type: 'event', event: dm } });
    expect((await raw.publish(sealed))[0]).toBe(true);
    const stranger = generateSecretKey();
    const other: HeldChannel = { owner: bytesToHex(getXOnlyPublicKey(stranger)), epochs: [{ epoch: 0, key: randomBytes(32) }], ownerSecret: stranger };
    for (const { event } of await sealPostForRelays(other, { text: 'another channel' }, [relay.url], nowS())) expect((await raw.publish(event))[0]).toBe(true);

    // Three subscribers: each reads both posts and nothing else.
    for (const sub of ['s1', 's2', 's3']) expect(await readAs([subscriber], sub)).toEqual(['first post', 'second post']);

    // Rotation: the owner posts `rotated` in epoch 0, then posts under a new random key that only s1 and s2 get.
    for (const { event } of await sealPostForRelays(ownerDevice, { text: 'the key changes now', rotated: 1 }, [relay.url], nowS())) expect((await raw.publish(event))[0]).toBe(true);
    const epoch1 = { epoch: 1, key: randomBytes(32) };
    const rotated: HeldChannel = { owner, epochs: [epoch0, epoch1], ownerSecret };
    for (const { event } of await sealPostForRelays(rotated, { text: 'after the rotation' }, [relay.url], nowS())) expect((await raw.publish(event))[0]).toBe(true);
    const kept: HeldChannel = { owner, epochs: [epoch0, epoch1] };
    expect(await readAs([kept], 's1b')).toEqual(['after the rotation', 'first post', 'second post', 'the key changes now']);
    expect(await readAs([kept], 's2b')).toEqual(['after the rotation', 'first post', 'second post', 'the key changes now']);
    expect(await readAs([subscriber], 's3b')).toEqual(['first post', 'second post', 'the key changes now']); // removed: nothing new

    // What the relay holds: kind 1067 envelopes of throw-away keys in one bucket, and no key of anyone involved.
    const stored = await raw.query('dump', { kinds: [1067] });
    expect(stored.length).toBe(6); // 4 posts, the DM, the stranger channel's post
    const dump = JSON.stringify(stored);
    for (const who of [owner, bytesToHex(b.publicKey), bytesToHex(getXOnlyPublicKey(a))]) expect(dump).not.toContain(who);
    expect(new Set(stored.map((e) => (e.tags as string[][])[0]![1]))).toEqual(new Set([bucketPoint(relay.url, day, 0, 0)]));
    expect(new Set(stored.map((e) => e.pubkey)).size).toBe(6); // a fresh ephemeral key each
  });

  it('only an owner device posts, and only with this channel’s owner key', async () => {
    const key = { epoch: 0, key: randomBytes(32) };
    const owner = bytesToHex(getXOnlyPublicKey(generateSecretKey()));
    await expect(sealPostForRelays({ owner, epochs: [key] }, { text: 'x' }, [relay.url], nowS())).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(sealPostForRelays({ owner, epochs: [key], ownerSecret: generateSecretKey() }, { text: 'x' }, [relay.url], nowS())).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});
