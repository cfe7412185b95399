/**
 * The two-recipient envelope of issue 16 item 5 for tests/vectors/envelope-v3.json (written by
 * scripts/gen-envelope-v3-vectors.ts): one kind-1067 event that carol opens as cover and bob as a
 * signed message, built with GCM multi-key collisions (tests/helpers/salamander.ts). In its v2 form
 * both opened it; v2 is now refused. In its v3 form the commitment names one session key, so only
 * that recipient opens it.
 */
import { bytesToHex } from '../src/lib/shared/bytes';
import type { SecretKey, XOnlyPublicKey } from '../src/lib/crypto/keys';
import { twoRecipientEnvelope, V2_LAYOUT, V3_LAYOUT, type Layout } from '../tests/helpers/salamander';

interface Person {
  identitySecret: SecretKey;
  identity: string;
  ek: XOnlyPublicKey;
}

export function twoRecipientCases(o: { ephemeralSecret: SecretKey; authorSecret: SecretKey; bob: Person; carol: Person; bucket: string; now: number }) {
  const cases: { name: string; description: string; layout: Layout; extraFor?: 'cover' | 'message'; expect: { bob: string; carol: string } }[] = [
    {
      name: 'v2 two-recipient',
      description: 'version 2: the wrapped key opens under both EKs (two session keys) and the body under both: carol read cover, bob a signed message. v2 is refused now.',
      layout: V2_LAYOUT,
      expect: { bob: 'refused', carol: 'refused' }
    },
    {
      name: 'v3 two-recipient, commitment to bob',
      description: "version 3 with the same collisions under the v3 body keys; the commitment is bob's: bob opens the message, carol's commitment check refuses it",
      layout: V3_LAYOUT,
      extraFor: 'message',
      expect: { bob: 'message', carol: 'refused' }
    },
    {
      name: 'v3 two-recipient, commitment to carol',
      description: "as above with carol's commitment: carol opens cover, bob's commitment check refuses it",
      layout: V3_LAYOUT,
      extraFor: 'cover',
      expect: { bob: 'refused', carol: 'cover' }
    }
  ];
  return cases.map((c) => {
    const s = twoRecipientEnvelope({
      ephemeralSecret: o.ephemeralSecret,
      coverEk: o.carol.ek,
      messageEk: o.bob.ek,
      messageIdentity: o.bob.identity,
      authorSecret: o.authorSecret,
      mailbox: o.bucket,
      now: o.now,
      layout: c.layout,
      ...(c.extraFor ? { extraFor: c.extraFor } : {})
    });
    return {
      name: c.name,
      description: c.description,
      version: c.layout.version,
      session_keys: { bob: bytesToHex(s.messageSessionKey), carol: bytesToHex(s.coverSessionKey) },
      nonces_tried: s.tries,
      expect: c.expect,
      outer: s.event
    };
  });
}
