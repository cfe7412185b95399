/**
 * The envelope key schedule (spec 0001 §Key schedule): ss = x(e·EK); prk = HKDF-Extract(salt
 * "veil/env1/kem", ss ‖ E ‖ EK); kek ‖ wrapNonce = HKDF-Expand(prk, "veil/env1/wrap", 44).
 * It runs once per scanned envelope, so it is written out for this one length (below).
 */
import { utf8Encode } from '../shared/bytes';
import { sha256Compress, sha256Finish, sha256Iv, wipeSha256Scratch } from './sha256-block';

const LABEL_KEM = utf8Encode('veil/env1/kem');
const LABEL_WRAP = utf8Encode('veil/env1/wrap');

/** Message scratch and hash states of the key schedule (synchronous, so never used concurrently; wiped after each use). */
const KS_BUF = new Uint8Array(128);
const KS_STATE = new Int32Array(8);
const KS_INNER = new Int32Array(8);
const KS_OUTER = new Int32Array(8);

/** `into` := SHA-256 state after absorbing (key ‖ zeros) ⊕ byte, the HMAC inner or outer pad (RFC 2104; key ≤ 64 bytes). */
function hmacPad(key: Uint8Array, byte: number, into: Int32Array = new Int32Array(8)): Int32Array {
  KS_BUF.fill(byte, 0, 64);
  for (let i = 0; i < key.length; i++) KS_BUF[i]! ^= key[i]!;
  sha256Compress(sha256Iv(into), KS_BUF, 0);
  return into;
}

/** out[at..at+32) := HMAC from the prepared pads over KS_BUF[0..len), through the scratch state. */
function hmacWith(inner: Int32Array, outer: Int32Array, len: number, out: Uint8Array, at: number): void {
  KS_STATE.set(inner);
  sha256Finish(KS_STATE, KS_BUF, len, 64, KS_BUF, 0);
  KS_STATE.set(outer);
  sha256Finish(KS_STATE, KS_BUF, 32, 64, out, at);
}

/** HMAC-SHA256 pads of the extract salt "veil/env1/kem", computed once. */
const EXTRACT_INNER = hmacPad(LABEL_KEM, 0x36);
const EXTRACT_OUTER = hmacPad(LABEL_KEM, 0x5c);

/** The key schedule's outputs. `kek` and `wrapNonce` are views of one buffer: wipe them both. */
export interface KeySchedule {
  prk: Uint8Array;
  kek: Uint8Array;
  wrapNonce: Uint8Array;
}

/**
 * Key schedule (spec 0001 §Key schedule) from ss, E and EK.
 *
 * RFC 5869 / RFC 2104 written out for this one length, because it runs once per scanned
 * envelope (nine SHA-256 compressions, the minimum for HMAC): the salt's pads are absorbed once at
 * load, the IKM is copied into one scratch block, the compressions are ./sha256-block.ts's on
 * reused 8-word states (no hash objects), and the expand blocks T(1) = HMAC(prk, info ‖ 01) and
 * T(2) = HMAC(prk, T(1) ‖ info ‖ 02) are written into one 64-byte buffer whose first 44 bytes are
 * the OKM. `kek` and `wrapNonce` are views of it: wiping them wipes it (the unused tail is wiped
 * here), and the scratch states are wiped before returning. Same bytes as @noble/hashes hkdf:
 * the published vectors check prk, kek and the wrap nonce.
 */
export function keySchedule(ss: Uint8Array, ephemeral: Uint8Array, ek: Uint8Array): KeySchedule {
  const ikm = ss.length + ephemeral.length + ek.length;
  if (ikm > 119) throw new RangeError('keySchedule: input keying material too long');
  const prk = new Uint8Array(32);
  const t = new Uint8Array(64);
  try {
    KS_BUF.set(ss, 0);
    KS_BUF.set(ephemeral, ss.length);
    KS_BUF.set(ek, ss.length + ephemeral.length);
    hmacWith(EXTRACT_INNER, EXTRACT_OUTER, ikm, prk, 0);
    hmacPad(prk, 0x36, KS_INNER);
    hmacPad(prk, 0x5c, KS_OUTER);
    // T(1) = HMAC(prk, info ‖ 01), T(2) = HMAC(prk, T(1) ‖ info ‖ 02).
    KS_BUF.set(LABEL_WRAP, 0);
    KS_BUF[LABEL_WRAP.length] = 1;
    hmacWith(KS_INNER, KS_OUTER, LABEL_WRAP.length + 1, t, 0);
    KS_BUF.set(t.subarray(0, 32), 0);
    KS_BUF.set(LABEL_WRAP, 32);
    KS_BUF[32 + LABEL_WRAP.length] = 2;
    hmacWith(KS_INNER, KS_OUTER, 32 + LABEL_WRAP.length + 1, t, 32);
    t.fill(0, 44);
    return { prk, kek: t.subarray(0, 32), wrapNonce: t.subarray(32, 44) };
  } finally {
    KS_BUF.fill(0);
    KS_STATE.fill(0);
    KS_INNER.fill(0);
    KS_OUTER.fill(0);
    wipeSha256Scratch();
  }
}
