/**
 * secp256k1 keys and ECDH for Veil (docs/design.md §2–3), on @noble/secp256k1.
 *
 * Nostr public keys are BIP-340 x-only (32 bytes). Envelope keys (EK) and ephemeral keys use
 * the same form so that one key type flows through the whole protocol. Every public key that
 * enters from outside goes through `parsePublicKey`, which rejects off-curve points, the point
 * at infinity and out-of-range coordinates; every secret goes through `assertSecretKey`.
 */
import * as secp from '@noble/secp256k1';
import { secp256k1 as curves } from '@noble/curves/secp256k1.js';
import { abytes, bytesToHex, hexToBytes, randomBytes, wipe } from '../shared/bytes';
import { VeilError } from '../shared/errors';

export type SecretKey = Uint8Array;
/** 32-byte BIP-340 x-only public key. */
export type XOnlyPublicKey = Uint8Array;

/** True when `sk` is 32 bytes and 0 < sk < n. */
export function isValidSecretKey(sk: Uint8Array): boolean {
  return sk instanceof Uint8Array && sk.length === 32 && secp.utils.isValidSecretKey(sk);
}

export function assertSecretKey(sk: unknown, name = 'secret key'): asserts sk is SecretKey {
  abytes(sk, 32, name);
  if (!secp.utils.isValidSecretKey(sk)) throw new VeilError('INVALID_KEY', `${name} is zero or not below the group order`);
}

/** A fresh secret key from the CSPRNG (rejection-sampled so it is uniform in [1, n)). */
export function generateSecretKey(): SecretKey {
  for (;;) {
    const sk = randomBytes(32);
    if (secp.utils.isValidSecretKey(sk)) return sk;
  }
}

/** The x-only public key of `sk` (Nostr's `pubkey`). */
export function getXOnlyPublicKey(sk: SecretKey): XOnlyPublicKey {
  assertSecretKey(sk);
  return secp.getPublicKey(sk, true).subarray(1);
}

/**
 * Parses and validates a public key: 32-byte x-only (lifted to even y, as BIP-340 does),
 * 33-byte compressed or 65-byte uncompressed SEC1. Throws INVALID_KEY for anything that is not
 * a point of the curve other than infinity.
 */
export function parsePublicKey(pub: Uint8Array, name = 'public key'): secp.Point {
  abytes(pub, undefined, name);
  let sec: Uint8Array;
  if (pub.length === 32) {
    sec = new Uint8Array(33);
    sec[0] = 0x02;
    sec.set(pub, 1);
  } else if (pub.length === 33 || pub.length === 65) {
    sec = pub;
  } else {
    throw new VeilError('INVALID_KEY', `${name} must be 32, 33 or 65 bytes`);
  }
  let p: secp.Point;
  try {
    p = secp.Point.fromBytes(sec);
    p.assertValidity();
  } catch (cause) {
    throw new VeilError('INVALID_KEY', `${name} is not a valid secp256k1 point`, { cause });
  }
  if (p.is0()) throw new VeilError('INVALID_KEY', `${name} is the point at infinity`);
  return p;
}

/** True when `pub` parses as a valid key (see parsePublicKey). */
export function isValidPublicKey(pub: Uint8Array): boolean {
  try {
    parsePublicKey(pub);
    return true;
  } catch {
    return false;
  }
}

/** Validates a hex x-only pubkey as found in Nostr events and returns its bytes. */
export function xOnlyFromHex(hex: string, name = 'pubkey'): XOnlyPublicKey {
  let b: Uint8Array;
  try {
    b = hexToBytes(hex, 32);
  } catch (cause) {
    throw new VeilError('INVALID_KEY', `${name} must be 64 lowercase hex characters`, { cause });
  }
  parsePublicKey(b, name);
  return b;
}

export function xOnlyToHex(pub: XOnlyPublicKey): string {
  abytes(pub, 32, 'x-only public key');
  return bytesToHex(pub);
}

/**
 * ECDH: the 32-byte x coordinate of sk·P. The x coordinate is the same for P and −P, so the
 * result does not depend on which y an x-only key was lifted to. The public key is validated
 * first (invalid-curve attacks: Wycheproof's ecdh_secp256k1 set).
 *
 * The multiplication runs on @noble/curves (shipped with nostr-tools), whose GLV-endomorphism
 * multiply measured ≈1.4× faster than @noble/secp256k1's (bench/envelope.bench.ts); this matters
 * for trial-opening intro envelopes. The validated point is handed over uncompressed so it is not
 * lifted (square root) a second time; @noble/curves re-checks it is on the curve.
 */
export function ecdh(sk: SecretKey, pub: Uint8Array): Uint8Array {
  assertSecretKey(sk);
  const point = parsePublicKey(pub);
  const shared = curves.getSharedSecret(sk, point.toBytes(false), true);
  const x = shared.slice(1);
  wipe(shared);
  return x;
}
