/**
 * The SHA-256 compression function (FIPS 180-4 §6.2.2) on a caller's 8-word state, for the envelope
 * key schedule (./envelope-kdf.ts): nine compressions per scanned envelope, where @noble/hashes'
 * streaming objects (clone, buffer, view and bookkeeping per call) cost more than the compressions
 * themselves. Only fixed-length messages go through it; the result is checked against noble's
 * sha256 / hkdf (tests/unit/envelope-kdf.test.ts) and the published envelope vectors.
 * No branch or index depends on the data.
 */
import { SHA256_IV } from '@noble/hashes/_md.js';

/** FIPS 180-4 §4.2.2: the first 32 bits of the fractional parts of the cube roots of the first 64 primes. */
// prettier-ignore
const K = Int32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
]);

/** The message schedule scratch (synchronous use only; wiped by `wipeSha256Scratch`). */
const W = new Int32Array(64);

/** A fresh state: SHA-256's initial hash value. */
export function sha256Iv(into: Int32Array): Int32Array {
  for (let i = 0; i < 8; i++) into[i] = SHA256_IV[i]! | 0;
  return into;
}

/** `st` := compress(`st`, the 64-byte block of `b` at `at`), big-endian words. */
export function sha256Compress(st: Int32Array, b: Uint8Array, at: number): void {
  for (let i = 0; i < 16; i++, at += 4) W[i] = (b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!;
  for (let i = 16; i < 64; i++) {
    const x = W[i - 15]!;
    const y = W[i - 2]!;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    W[i] = (W[i - 16]! + s0 + W[i - 7]! + s1) | 0;
  }
  let a = st[0]!;
  let b2 = st[1]!;
  let c = st[2]!;
  let d = st[3]!;
  let e = st[4]!;
  let f = st[5]!;
  let g = st[6]!;
  let h = st[7]!;
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i]! + W[i]!) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & b2) ^ (a & c) ^ (b2 & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b2;
    b2 = a;
    a = (t1 + t2) | 0;
  }
  st[0] = (st[0]! + a) | 0;
  st[1] = (st[1]! + b2) | 0;
  st[2] = (st[2]! + c) | 0;
  st[3] = (st[3]! + d) | 0;
  st[4] = (st[4]! + e) | 0;
  st[5] = (st[5]! + f) | 0;
  st[6] = (st[6]! + g) | 0;
  st[7] = (st[7]! + h) | 0;
}

/**
 * Pads and absorbs the last `len` message bytes, held in `buf[0..len)` (`buf` ≥ 128 bytes; len ≤ 119),
 * after `before` bytes already absorbed into `st` (a multiple of 64), then writes the digest to
 * `out[at..at+32)`. Overwrites `buf` up to the end of the padding.
 */
export function sha256Finish(st: Int32Array, buf: Uint8Array, len: number, before: number, out: Uint8Array, at: number): void {
  const end = len + 9 <= 64 ? 64 : 128;
  buf[len] = 0x80;
  buf.fill(0, len + 1, end - 4);
  const bits = (before + len) * 8;
  buf[end - 4] = bits >>> 24;
  buf[end - 3] = bits >>> 16;
  buf[end - 2] = bits >>> 8;
  buf[end - 1] = bits;
  sha256Compress(st, buf, 0);
  if (end === 128) sha256Compress(st, buf, 64);
  for (let i = 0; i < 8; i++) {
    const w = st[i]!;
    out[at + 4 * i] = w >>> 24;
    out[at + 4 * i + 1] = w >>> 16;
    out[at + 4 * i + 2] = w >>> 8;
    out[at + 4 * i + 3] = w;
  }
}

export function wipeSha256Scratch(): void {
  W.fill(0);
}
