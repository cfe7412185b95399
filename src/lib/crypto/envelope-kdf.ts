/**
 * The envelope key schedule (spec 0001 §Key schedule): ss = x(e·EK); prk = HKDF-Extract(salt
 * "veil/env1/kem", ss ‖ E ‖ EK); kek ‖ wrapNonce = HKDF-Expand(prk, "veil/env1/wrap", 44).
 * It runs once per scanned envelope, so it is written out for this one length (below).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8Encode } from '../shared/bytes';

const LABEL_KEM = utf8Encode('veil/env1/kem');
const LABEL_WRAP = utf8Encode('veil/env1/wrap');

type Sha256State = ReturnType<typeof sha256.create>;
/** A SHA-256 state never updated: cloning it into a used state resets that state. */
const SHA256_FRESH = sha256.create();
/** Scratch states and pad block of the key schedule (synchronous, so never used concurrently; wiped after each use). */
const KS_PAD = new Uint8Array(64);
const KS_INNER = sha256.create();
const KS_OUTER = sha256.create();
const KS_WORK = sha256.create();

/** `into` := SHA-256 state after absorbing (key ‖ zeros) ⊕ byte, the HMAC inner or outer pad (RFC 2104; key ≤ 64 bytes). */
function hmacPad(key: Uint8Array, byte: number, into: Sha256State = sha256.create()): Sha256State {
  KS_PAD.fill(byte);
  for (let i = 0; i < key.length; i++) KS_PAD[i]! ^= key[i]!;
  SHA256_FRESH._cloneInto(into).update(KS_PAD);
  KS_PAD.fill(0);
  return into;
}

/** out[0..32) := HMAC from the prepared pads over the concatenation of `parts`, through the scratch state. */
function hmacWith(inner: Sha256State, outer: Sha256State, out: Uint8Array, ...parts: Uint8Array[]): void {
  inner._cloneInto(KS_WORK);
  for (const p of parts) KS_WORK.update(p);
  KS_WORK.digestInto(out);
  outer._cloneInto(KS_WORK).update(out.subarray(0, 32)).digestInto(out);
}

/** HMAC-SHA256 pads of the extract salt "veil/env1/kem", computed once. */
const EXTRACT_INNER = hmacPad(LABEL_KEM, 0x36);
const EXTRACT_OUTER = hmacPad(LABEL_KEM, 0x5c);
const COUNTER_1 = Uint8Array.of(1);
const COUNTER_2 = Uint8Array.of(2);

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
 * load, the IKM is fed in three pieces instead of being concatenated, hash states are reused
 * scratch objects, and the expand blocks T(1) = HMAC(prk, info ‖ 01) and
 * T(2) = HMAC(prk, T(1) ‖ info ‖ 02) are written into one 64-byte buffer whose first 44 bytes are
 * the OKM. `kek` and `wrapNonce` are views of it: wiping them wipes it (the unused tail is wiped
 * here), and the scratch states are wiped before returning. Same bytes as @noble/hashes hkdf:
 * the published vectors check prk, kek and the wrap nonce.
 */
export function keySchedule(ss: Uint8Array, ephemeral: Uint8Array, ek: Uint8Array): KeySchedule {
  const prk = new Uint8Array(32);
  const t = new Uint8Array(64);
  try {
    hmacWith(EXTRACT_INNER, EXTRACT_OUTER, prk, ss, ephemeral, ek);
    hmacPad(prk, 0x36, KS_INNER);
    hmacPad(prk, 0x5c, KS_OUTER);
    const t1 = t.subarray(0, 32);
    hmacWith(KS_INNER, KS_OUTER, t1, LABEL_WRAP, COUNTER_1);
    hmacWith(KS_INNER, KS_OUTER, t.subarray(32), t1, LABEL_WRAP, COUNTER_2);
    t.fill(0, 44);
    return { prk, kek: t.subarray(0, 32), wrapNonce: t.subarray(32, 44) };
  } finally {
    KS_INNER.destroy();
    KS_OUTER.destroy();
    KS_WORK.destroy();
  }
}
