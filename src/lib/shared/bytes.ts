/**
 * Byte helpers with no platform dependencies beyond the Web Crypto `crypto` global,
 * which Node 20, pages and service workers all provide.
 */
import { VeilError } from './errors';

/** Throws INVALID_INPUT unless `b` is a Uint8Array (of `len` bytes when given). */
export function abytes(b: unknown, len: number | undefined, name: string): asserts b is Uint8Array {
  if (!(b instanceof Uint8Array)) throw new VeilError('INVALID_INPUT', `${name} must be bytes`);
  if (len !== undefined && b.length !== len)
    throw new VeilError('INVALID_INPUT', `${name} must be ${len} bytes, got ${b.length}`);
}

/** Cryptographically secure random bytes. Never use Math.random for anything an observer sees. */
export function randomBytes(n: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(n);
  // getRandomValues is limited to 65536 bytes a call.
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  return out;
}

/** A uniform random integer in [0, max) from the CSPRNG, without modulo bias. */
export function randomInt(max: number): number {
  if (!Number.isSafeInteger(max) || max <= 0 || max > 2 ** 32) throw new VeilError('INVALID_INPUT', 'randomInt: bad max');
  const limit = 2 ** 32 - (2 ** 32 % max);
  const buf = new Uint32Array(1);
  for (;;) {
    crypto.getRandomValues(buf);
    const v = buf[0]!;
    if (v < limit) return v % max;
  }
}

/** A uniform random float in [0, 1) with 53 bits from the CSPRNG. */
export function randomFloat(): number {
  const buf = new Uint32Array(2);
  crypto.getRandomValues(buf);
  return (buf[0]! * 2 ** 21 + (buf[1]! >>> 11)) / 2 ** 53;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Constant-time comparison for equal-length inputs (length itself is not secret). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** Overwrites a temporary secret. JS cannot promise the engine kept no copy; this is best effort. */
export function wipe(...bufs: (Uint8Array | undefined)[]): void {
  for (const b of bufs) b?.fill(0);
}

const HEX = /^[0-9a-f]*$/;
export function hexToBytes(hex: string, len?: number): Uint8Array<ArrayBuffer> {
  if (typeof hex !== 'string' || hex.length % 2 !== 0 || !HEX.test(hex))
    throw new VeilError('INVALID_INPUT', 'expected lowercase hex');
  if (len !== undefined && hex.length !== len * 2) throw new VeilError('INVALID_INPUT', `expected ${len} bytes of hex`);
  const out = new Uint8Array(hex.length / 2);
  // Validated lowercase: '0'–'9' is 0x30–0x39, 'a'–'f' 0x61–0x66; low nibble + 9 for letters, no branch.
  for (let i = 0; i < out.length; i++) {
    const hi = hex.charCodeAt(2 * i);
    const lo = hex.charCodeAt(2 * i + 1);
    out[i] = (((hi & 0xf) + 9 * (hi >> 6)) << 4) | ((lo & 0xf) + 9 * (lo >> 6));
  }
  return out;
}

export function bytesToHex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += b[i]!.toString(16).padStart(2, '0');
  return s;
}

export function utf8Encode(s: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(s) as Uint8Array<ArrayBuffer>;
}

/** Strict UTF-8 decoding: invalid sequences throw instead of becoming U+FFFD. */
export function utf8Decode(b: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(b);
  } catch (cause) {
    throw new VeilError('INVALID_INPUT', 'invalid UTF-8', { cause });
  }
}

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;
export function base64Encode(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s);
}

/** Strict standard base64 (with padding); anything else is INVALID_INPUT. */
export function base64Decode(s: string): Uint8Array<ArrayBuffer> {
  if (typeof s !== 'string' || s.length % 4 !== 0 || !B64.test(s)) throw new VeilError('INVALID_INPUT', 'invalid base64');
  let bin: string;
  try {
    bin = atob(s);
  } catch (cause) {
    throw new VeilError('INVALID_INPUT', 'invalid base64', { cause });
  }
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  // Reject non-canonical encodings (stray bits in the last character).
  if (base64Encode(out) !== s) throw new VeilError('INVALID_INPUT', 'non-canonical base64');
  return out;
}

const B64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** Alphabet value of each ASCII code, -1 for anything else (padding included). */
const B64_VALUE = /* @__PURE__ */ (() => {
  const t = new Int8Array(128).fill(-1);
  for (let i = 0; i < 64; i++) t[B64_ALPHABET.charCodeAt(i)] = i;
  return t;
})();

/**
 * The 3·chars/4 bytes of the first `chars` characters of `s` (a multiple of 4), or null unless they
 * are all base64 alphabet characters (no padding). Such a prefix is always canonical, so when
 * base64Decode accepts `s` and no padding falls in the prefix, these are its first bytes. One
 * table read per character: for public data (an envelope header before the unwrap).
 */
export function base64DecodePrefix(s: string, chars: number): Uint8Array<ArrayBuffer> | null {
  if (chars % 4 !== 0 || s.length < chars) return null;
  const out = new Uint8Array((chars / 4) * 3);
  let bad = 0;
  for (let i = 0, o = 0; i < chars; i += 4, o += 3) {
    const a = B64_VALUE[s.charCodeAt(i) & 0x7f]! | (s.charCodeAt(i) & ~0x7f);
    const b = B64_VALUE[s.charCodeAt(i + 1) & 0x7f]! | (s.charCodeAt(i + 1) & ~0x7f);
    const c = B64_VALUE[s.charCodeAt(i + 2) & 0x7f]! | (s.charCodeAt(i + 2) & ~0x7f);
    const d = B64_VALUE[s.charCodeAt(i + 3) & 0x7f]! | (s.charCodeAt(i + 3) & ~0x7f);
    bad |= a | b | c | d;
    const n = (a << 18) | (b << 12) | (c << 6) | d;
    out[o] = n >> 16;
    out[o + 1] = n >> 8;
    out[o + 2] = n;
  }
  // A value outside 0…63 (−1 from the table, or a code above 0x7f) sets a bit above 0x3f.
  return bad & ~0x3f ? null : out;
}
