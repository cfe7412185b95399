/**
 * Key commitment (issue 16 item 5). AES-GCM is not key-committing: a sender who knows the ephemeral
 * secret can build one kind-1067 event that two recipients both open, as cover for one and as a
 * signed message for the other (tests/helpers/salamander.ts builds it in well under a second).
 * Version 2 opened it for both; version 3 (spec 0009) commits to the session key, so at most one
 * recipient opens any envelope, and versions 1 and 2 are refused.
 */
import { describe, expect, it } from 'vitest';
import { sha256 } from '@noble/hashes/sha2.js';
import { getPublicKey } from 'nostr-tools/pure';
import type { TrustedEvent } from '../../src/lib/shared/trusted-event';
import { envelopeKey, openEnvelope, trialOpenSync } from '../../src/lib/crypto/envelope';
import { aesGcmOpenSync } from '../../src/lib/crypto/aes';
import { keySchedule } from '../../src/lib/crypto/envelope-kdf';
import { ecdh, getXOnlyPublicKey } from '../../src/lib/crypto/keys';
import { base64Decode, bytesToHex, equalBytes, hexToBytes, utf8Encode } from '../../src/lib/shared/bytes';
import { envelopeAad } from '../../src/lib/crypto/envelope-format';
import { twoRecipientEnvelope, V2_LAYOUT, V3_LAYOUT } from '../helpers/salamander';

const key = (label: string) => sha256(utf8Encode(`veil-tests/salamander/${label}`));
const NOW = 1_767_225_600;
const bob = envelopeKey(key('bob-ek'));
const carol = envelopeKey(key('carol-ek'));
const bobId = getPublicKey(key('bob-id'));
const carolId = getPublicKey(key('carol-id'));
const author = key('mallory-id');
const ephemeralSecret = key('ephemeral');
const mailbox = bytesToHex(getXOnlyPublicKey(key('bucket')));

const V2 = V2_LAYOUT;

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

const V3 = V3_LAYOUT;

const refused = async (p: Promise<unknown>) => expect(p).rejects.toMatchObject({ code: 'ENVELOPE_OPEN_FAILED' });

describe('version 2 (AES-GCM alone)', () => {
  const s = twoRecipientEnvelope({ ...input, layout: V2 });
  it('was opened by both recipients; now neither opens it (v2 is refused)', async () => {
    await refused(openEnvelope(s.event, carol, carolId));
    await refused(openEnvelope(s.event, bob, bobId));
  });
});

describe('version 3 (key-committing)', () => {
  for (const extraFor of ['message', 'cover'] as const) {
    it(`refuses the recipient whose session key the commitment does not name (commitment to the ${extraFor})`, async () => {
      const s = twoRecipientEnvelope({ ...input, layout: V3, extraFor });
      // The GCM collision still holds: the body is authentic under both body keys.
      const bin = base64Decode(s.event.content);
      const nonce = bin.subarray(49, 61);
      const aad = envelopeAad(3, 1067, hexToBytes(mailbox, 32), getXOnlyPublicKey(ephemeralSecret));
      for (const sk of [s.coverSessionKey, s.messageSessionKey]) expect(aesGcmOpenSync(V3.bodyKey(sk), nonce, bin.subarray(93), aad)).not.toBeNull();
      // Only the commitment refuses it, and already in the trial open.
      const [named, other] = extraFor === 'message' ? [bob, carol] : [carol, bob];
      expect(trialOpenSync(s.event as TrustedEvent, named)).not.toBeNull();
      expect(trialOpenSync(s.event as TrustedEvent, other)).toBeNull();
      if (extraFor === 'message') {
        expect(await openEnvelope(s.event, bob, bobId)).toMatchObject({ type: 'message' });
        await refused(openEnvelope(s.event, carol, carolId));
      } else {
        expect(await openEnvelope(s.event, carol, carolId)).toMatchObject({ type: 'cover' });
        await refused(openEnvelope(s.event, bob, bobId));
      }
    });
  }
});
