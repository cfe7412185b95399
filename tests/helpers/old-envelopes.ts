/**
 * Checks for the vectors of envelope versions 1 and 2 (tests/vectors/envelope-v1.json and -v2.json),
 * which are not key-committing and have been refused since v3 (docs/proposals/0009-envelope-v3.md
 * §Versions 1 and 2). The files stay as published; what still holds of them is checked: the key
 * schedule and the wrap (unchanged in v3) reproduce their values, the AAD is that version's, and
 * every envelope in them, valid or not, is refused with the one generic error and by the trial open.
 */
import { expect } from 'vitest';
import { bytesToHex, hexToBytes } from '../../src/lib/shared/bytes';
import { isVeilError } from '../../src/lib/shared/errors';
import { trustEvent } from '../../src/lib/shared/trusted-event';
import { aesGcmEncrypt } from '../../src/lib/crypto/aes';
import { envelopeKey, openEnvelope, OPEN_FAILED_MESSAGE, trialOpenSync } from '../../src/lib/crypto/envelope';
import { envelopeAad, OUTER_RULES } from '../../src/lib/crypto/envelope-format';
import { keySchedule } from '../../src/lib/crypto/envelope-kdf';
import { ecdh, getXOnlyPublicKey } from '../../src/lib/crypto/keys';

export interface OldValid {
  name: string;
  recipient: string;
  recipient_ek: string;
  recipient_identity: string;
  randomness: { ephemeral_secret: string; session_key: string };
  intermediate: Record<'ephemeral_public' | 'shared_secret' | 'prk' | 'kek' | 'wrap_nonce' | 'wrapped_key' | 'aad', string>;
  outer: { pubkey: string; tags: string[][] };
}

/** The one generic refusal every version's opener gives (v3's vectors check it too). */
export async function expectGenericFailure(p: Promise<unknown>): Promise<void> {
  const err: unknown = await p.then(
    () => null,
    (e: unknown) => e
  );
  expect(isVeilError(err, 'ENVELOPE_OPEN_FAILED')).toBe(true);
  const e = err as Error;
  expect(e.message).toBe(OPEN_FAILED_MESSAGE);
  expect(e.cause).toBeUndefined();
  expect(Object.keys(e).sort()).toEqual(['code', 'name']);
}

/** The key schedule, wrap and AAD of an old valid vector still reproduce (they are v3's too, but for the version byte). */
export async function expectOldKeySchedule(v: OldValid, version: 1 | 2): Promise<void> {
  const e = hexToBytes(v.randomness.ephemeral_secret);
  const ek = hexToBytes(v.recipient_ek);
  const E = getXOnlyPublicKey(e);
  const ss = ecdh(e, ek);
  const ks = keySchedule(ss, E, ek);
  const wrapped = await aesGcmEncrypt(ks.kek, ks.wrapNonce, hexToBytes(v.randomness.session_key));
  const aad = envelopeAad(version, 1067, hexToBytes(v.outer.tags[0]![1]!, 32), E);
  const i = v.intermediate;
  expect([bytesToHex(E), bytesToHex(ss), bytesToHex(ks.prk), bytesToHex(ks.kek), bytesToHex(ks.wrapNonce), bytesToHex(wrapped), bytesToHex(aad)]).toEqual([
    i.ephemeral_public,
    i.shared_secret,
    i.prk,
    i.kek,
    i.wrap_nonce,
    i.wrapped_key,
    i.aad
  ]);
}

/** An old envelope is refused: by openEnvelope with the generic error, and by the trial open (null). */
export async function expectRefused(outer: unknown, ekSecretHex: string, identity: string): Promise<void> {
  const key = envelopeKey(hexToBytes(ekSecretHex));
  await expectGenericFailure(openEnvelope(structuredClone(outer), key, identity));
  const t = trustEvent(structuredClone(outer), { rules: OUTER_RULES });
  if (t.ok) expect(trialOpenSync(t.event, key)).toBeNull();
}
