/**
 * AES-GCM multi-key collisions ("invisible salamanders", Dodis–Grubbs–Ristenpart–Woodage 2018;
 * Albertini et al. 2020), for tests only. GCM's tag is E_K(J0) ⊕ GHASH_H(A, C), and GHASH is linear
 * over GF(2) in the bits of C; so for two known keys, flipping a chosen set of ciphertext bits can make
 * one ciphertext ‖ tag authentic under both. `collide` finds such flips by Gaussian elimination.
 *
 * GF(2^128) arithmetic follows NIST SP 800-38D §6.3 (blocks as big-endian 128-bit integers, bit 0 of
 * byte 0 the coefficient of x^0, R = 0xe1 ‖ 0^120). Slow BigInt code: a few thousand products at most.
 */
import { createCipheriv } from 'node:crypto';
import { gcm } from '@noble/ciphers/aes.js';

const R = 0xe1n << 120n;

export function gfMul(x: bigint, y: bigint): bigint {
  let z = 0n;
  let v = y;
  for (let i = 127n; i >= 0n; i--) {
    if ((x >> i) & 1n) z ^= v;
    v = v & 1n ? (v >> 1n) ^ R : v >> 1n;
  }
  return z;
}

export function toBig(block: Uint8Array): bigint {
  let n = 0n;
  for (let i = 0; i < 16; i++) n = (n << 8n) | BigInt(block[i] ?? 0);
  return n;
}

export function fromBig(n: bigint): Uint8Array {
  const out = new Uint8Array(16);
  for (let i = 15; i >= 0; i--, n >>= 8n) out[i] = Number(n & 0xffn);
  return out;
}

/** AES-256 of each 16-byte block of `blocks` (ECB), through node:crypto. */
export function aesEcb(key: Uint8Array, blocks: Uint8Array): Uint8Array {
  const c = createCipheriv('aes-256-ecb', key, null).setAutoPadding(false);
  return new Uint8Array(Buffer.concat([c.update(blocks), c.final()]));
}

/** The GCM keystream for `length` bytes: E_K(nonce ‖ be32(2)), E_K(nonce ‖ be32(3)), … */
export function keystream(key: Uint8Array, nonce: Uint8Array, length: number): Uint8Array {
  const n = Math.ceil(length / 16);
  const ctr = new Uint8Array(n * 16);
  for (let i = 0; i < n; i++) {
    ctr.set(nonce, i * 16);
    new DataView(ctr.buffer).setUint32(i * 16 + 12, i + 2);
  }
  return aesEcb(key, ctr).subarray(0, length);
}

export function xor(a: Uint8Array, b: Uint8Array): Uint8Array {
  return a.map((x, i) => x ^ b[i]!);
}

/** The GCM tag of ciphertext `c` (no tag) under key, nonce and AAD. */
function tagOf(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, c: Uint8Array): Uint8Array {
  return gcm(key, nonce, aad).encrypt(xor(c, keystream(key, nonce, c.length))).subarray(c.length);
}

/**
 * A subset of `vecs` whose XOR is `target` (bit i of the result = vecs[i] chosen), or null if
 * `target` is outside their span. Gaussian elimination over GF(2)^128.
 */
export function solveGf2(vecs: readonly bigint[], target: bigint): bigint | null {
  const byPivot = new Map<number, { v: bigint; combo: bigint }>();
  vecs.forEach((vec, i) => {
    let v = vec;
    let combo = 1n << BigInt(i);
    while (v) {
      const p = v.toString(2).length;
      const b = byPivot.get(p);
      if (!b) {
        byPivot.set(p, { v, combo });
        return;
      }
      v ^= b.v;
      combo ^= b.combo;
    }
  });
  let t = target;
  let combo = 0n;
  while (t) {
    const b = byPivot.get(t.toString(2).length);
    if (!b) return null;
    t ^= b.v;
    combo ^= b.combo;
  }
  return combo;
}

/** One bit of ciphertext the caller allows to flip: byte index and the bit's mask in that byte. */
export interface FreeBit {
  byte: number;
  mask: number;
}

/**
 * Flips some of `free` in ciphertext `c` (no tag) so that c ‖ tag is authentic under both
 * (k1, n1) and (k2, n2) with the same AAD. Returns the new ciphertext ‖ tag; throws when the free
 * bits do not span the needed difference (give more).
 */
export function collide(k1: Uint8Array, n1: Uint8Array, k2: Uint8Array, n2: Uint8Array, aad: Uint8Array, c: Uint8Array, free: readonly FreeBit[]): Uint8Array {
  const h1 = toBig(aesEcb(k1, new Uint8Array(16)));
  const h2 = toBig(aesEcb(k2, new Uint8Array(16)));
  const blocks = Math.ceil(c.length / 16);
  // GHASH = Σ X_j · H^(m − j + 1): ciphertext block j (0-based) is multiplied by H^(blocks − j + 1).
  const pow1 = [1n, h1];
  const pow2 = [1n, h2];
  for (let i = 2; i <= blocks + 1; i++) {
    pow1.push(gfMul(pow1[i - 1]!, h1));
    pow2.push(gfMul(pow2[i - 1]!, h2));
  }
  const effect = (f: FreeBit) => {
    const e = new Uint8Array(16);
    e[f.byte % 16] = f.mask;
    const p = blocks - Math.floor(f.byte / 16) + 1;
    return { d1: gfMul(toBig(e), pow1[p]!), d2: gfMul(toBig(e), pow2[p]!) };
  };
  const effects = free.map(effect);
  const t1 = toBig(tagOf(k1, n1, aad, c));
  const t2 = toBig(tagOf(k2, n2, aad, c));
  const combo = solveGf2(
    effects.map((e) => e.d1 ^ e.d2),
    t1 ^ t2
  );
  if (combo === null) throw new Error('free bits do not span the tag difference');
  const out = new Uint8Array(c.length + 16);
  out.set(c);
  let tag = t1;
  free.forEach((f, i) => {
    if ((combo >> BigInt(i)) & 1n) {
      out[f.byte]! ^= f.mask;
      tag ^= effects[i]!.d1;
    }
  });
  out.set(fromBig(tag), c.length);
  return out;
}
