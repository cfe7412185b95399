/**
 * AES-256-GCM decryption for short inputs (96-bit nonce, 128-bit tag; NIST SP 800-38D), behind
 * aes.ts `aesGcmOpenSync`: the envelope's 48-byte key unwrap, run once per scanned envelope.
 *
 * @noble/ciphers' own `gcm` builds, for every key, GHASH multiplication tables (384 objects) and
 * then indexes them with bits of the hash state: for three blocks the table costs more than the
 * rest of the unwrap, and its lookups are secret-indexed. Here GHASH is the bitwise multiply of
 * SP 800-38D Algorithm 1 with the 128 values H·x^i computed once per call: each product XORs every
 * H·x^i under a mask made from one bit, reading all 128 in the same order whatever the bits, so
 * there is no secret-dependent branch or index. The AES block function is noble's
 * (`unsafe.expandKeyLE`, `unsafe.encryptBlock`; table-based, see aes.ts). The tag is compared in
 * constant time and checked before any plaintext block is computed. Scratch state is wiped.
 * Checked against the Wycheproof AES-GCM vectors and against noble's `gcm`
 * (tests/unit/conformance/wycheproof-aes-gcm.test.ts, tests/unit/aes-gcm-open.test.ts).
 */
import { unsafe } from '@noble/ciphers/aes.js';

/** H·x^i for i = 0…127, four big-endian 32-bit words each (the key-dependent part of a call). */
const HX = new Int32Array(512);
/** The GHASH state Y, big-endian words. */
const Y = new Int32Array(4);
/** A 4-byte-aligned block for noble's in-place block encryption. */
const BLOCK = new Uint8Array(16);
const R = 0xe1000000 | 0;

/** Fills HX from H = Y's words: V_0 = H, V_{i+1} = V_i·x (right shift, reduce by R on carry). */
function powersOfX(h0: number, h1: number, h2: number, h3: number): void {
  for (let i = 0; i < 512; i += 4) {
    HX[i] = h0;
    HX[i + 1] = h1;
    HX[i + 2] = h2;
    HX[i + 3] = h3;
    const lsb = h3 & 1;
    h3 = (h3 >>> 1) | (h2 << 31);
    h2 = (h2 >>> 1) | (h1 << 31);
    h1 = (h1 >>> 1) | (h0 << 31);
    h0 = (h0 >>> 1) ^ (R & -lsb);
  }
}

/** Y := (Y ⊕ X)·H, X the words x0…x3: Σ bit_i(Y ⊕ X)·H·x^i, every term read and masked. */
function absorb(x0: number, x1: number, x2: number, x3: number): void {
  Y[0]! ^= x0;
  Y[1]! ^= x1;
  Y[2]! ^= x2;
  Y[3]! ^= x3;
  let z0 = 0;
  let z1 = 0;
  let z2 = 0;
  let z3 = 0;
  for (let w = 0; w < 4; w++) {
    const yw = Y[w]!;
    for (let j = 0, i = w * 128; j < 32; j++, i += 4) {
      const m = -((yw >>> (31 - j)) & 1);
      z0 ^= HX[i]! & m;
      z1 ^= HX[i + 1]! & m;
      z2 ^= HX[i + 2]! & m;
      z3 ^= HX[i + 3]! & m;
    }
  }
  Y[0] = z0;
  Y[1] = z1;
  Y[2] = z2;
  Y[3] = z3;
}

/** Big-endian word of up to 4 bytes of `b` from `at`, zero past `end` (lengths are public). */
function word(b: Uint8Array, at: number, end: number): number {
  let w = 0;
  for (let k = 0; k < 4; k++) w = (w << 8) | (at + k < end ? b[at + k]! : 0);
  return w;
}

/** GHASH of `b` zero-padded to whole blocks. */
function absorbPadded(b: Uint8Array): void {
  const n = b.length;
  for (let at = 0; at < n; at += 16) absorb(word(b, at, n), word(b, at + 4, n), word(b, at + 8, n), word(b, at + 12, n));
}

/** BLOCK := E_K(nonce ‖ be32(counter)); `xk` is noble's expanded key. */
function counterBlock(xk: Uint32Array, nonce: Uint8Array, counter: number): Uint8Array {
  BLOCK.set(nonce);
  BLOCK[12] = counter >>> 24;
  BLOCK[13] = counter >>> 16;
  BLOCK[14] = counter >>> 8;
  BLOCK[15] = counter;
  return unsafe.encryptBlock(xk, BLOCK);
}

/**
 * Decrypts ciphertext ‖ tag under a 32-byte key and 12-byte nonce (sizes checked by the caller),
 * with optional AAD. Null when the tag does not match or the input is shorter than a tag.
 */
export function gcmOpen(key: Uint8Array, nonce: Uint8Array, ciphertextAndTag: Uint8Array, aad?: Uint8Array): Uint8Array | null {
  const len = ciphertextAndTag.length - 16;
  if (len < 0) return null;
  const ct = ciphertextAndTag.subarray(0, len);
  const xk = unsafe.expandKeyLE(key);
  try {
    BLOCK.fill(0);
    unsafe.encryptBlock(xk, BLOCK);
    powersOfX(word(BLOCK, 0, 16), word(BLOCK, 4, 16), word(BLOCK, 8, 16), word(BLOCK, 12, 16));
    Y.fill(0);
    const aadLen = aad?.length ?? 0;
    if (aad) absorbPadded(aad);
    absorbPadded(ct);
    // len(A) ‖ len(C) in bits, 64-bit big-endian each.
    absorb(Math.floor(aadLen / 0x20000000), (aadLen * 8) | 0, Math.floor(len / 0x20000000), (len * 8) | 0);
    // tag = GHASH ⊕ E_K(J0), J0 = nonce ‖ 1; compared without a data-dependent branch.
    counterBlock(xk, nonce, 1);
    let diff = 0;
    for (let k = 0; k < 16; k++) diff |= BLOCK[k]! ^ ((Y[k >> 2]! >>> (24 - 8 * (k & 3))) & 0xff) ^ ciphertextAndTag[len + k]!;
    if (diff !== 0) return null;
    const out = new Uint8Array(len);
    for (let at = 0, c = 2; at < len; at += 16, c = (c + 1) >>> 0) {
      counterBlock(xk, nonce, c);
      for (let k = 0; k < 16 && at + k < len; k++) out[at + k] = ct[at + k]! ^ BLOCK[k]!;
    }
    return out;
  } finally {
    xk.fill(0);
    HX.fill(0);
    Y.fill(0);
    BLOCK.fill(0);
  }
}
