/**
 * Key commitment (issue 16 item 5). AES-GCM is not key-committing: a sender who knows the ephemeral
 * secret can build one kind-1067 event that two recipients both open, as cover for one and as a
 * signed message for the other (tests/helpers/salamander.ts builds it in well under a second).
 */
import { describe, expect, it } from 'vitest';
import { sha256 } from '@noble/hashes/sha2.js';
import { getPublicKey } from 'nostr-tools/pure';
import { envelopeKey, openEnvelope } from '../../src/lib/crypto/envelope';
import { aesGcmOpenSync } from '../../src/lib/crypto/aes';
import { keySchedule } from '../../src/lib/crypto/envelope-kdf';
import { ecdh, getXOnlyPublicKey } from '../../src/lib/crypto/keys';
import { base64Decode, bytesToHex, equalBytes, utf8Encode } from '../../src/lib/shared/bytes';
import { twoRecipientEnvelope, type Layout } from '../helpers/salamander';

const key = (label: string) => sha256(utf8Encode(`veil-tests/salamander/${label}`));
const NOW = 1_767_225_600;
const bob = envelopeKey(key('bob-ek'));
const carol = envelopeKey(key('carol-ek'));
const bobId = getPublicKey(key('bob-id'));
const carolId = getPublicKey(key('carol-id'));
const author = key('mallory-id');
const ephemeralSecret = key('ephemeral');
const mailbox = bytesToHex(getXOnlyPublicKey(key('bucket')));

/** Version 2 (spec 0004): the session key is the body key, nothing between nonce and body, class 2 = 2048 bytes. */
const V2: Layout = { version: 2, padded: 2048 - 77, minPayload: 945, bodyKey: (sk) => sk, extra: () => new Uint8Array(0) };

const input = { ephemeralSecret, coverEk: carol.publicKey, messageEk: bob.publicKey, messageIdentity: bobId, authorSecret: author, mailbox, now: NOW };

describe('the two-recipient envelope (GCM multi-key collision)', () => {
  const s = twoRecipientEnvelope({ ...input, layout: V2 });

  it('has a wrapped key that opens under both recipients, to two different session keys', () => {
    const wrapped = base64Decode(s.event.content).subarray(1, 49);
    const E = getXOnlyPublicKey(ephemeralSecret);
    const forCarol = keySchedule(ecdh(ephemeralSecret, carol.publicKey), E, carol.publicKey);
    const forBob = keySchedule(ecdh(ephemeralSecret, bob.publicKey), E, bob.publicKey);
    const a = aesGcmOpenSync(forCarol.kek, forCarol.wrapNonce, wrapped);
    const b = aesGcmOpenSync(forBob.kek, forBob.wrapNonce, wrapped);
    expect(a && equalBytes(a, s.coverSessionKey)).toBe(true);
    expect(b && equalBytes(b, s.messageSessionKey)).toBe(true);
    expect(equalBytes(s.coverSessionKey, s.messageSessionKey)).toBe(false);
    expect(s.event.content.length).toBe(2732);
  });
});

describe('version 2 (AES-GCM alone) opens it for both', () => {
  const s = twoRecipientEnvelope({ ...input, layout: V2 });
  it('carol opens cover and bob opens a signed message from the same event', async () => {
    expect(await openEnvelope(s.event, carol, carolId)).toMatchObject({ type: 'cover', outerId: s.event.id });
    const forBob = await openEnvelope(s.event, bob, bobId);
    expect(forBob.type).toBe('message');
    expect(forBob.type === 'message' && forBob.event.tags).toEqual([['p', bobId]]);
  });
});
