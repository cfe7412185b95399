/**
 * Minimal BIP-173 bech32 (not bech32m), as NIP-19 and NIP-49 use it, with an explicit length bound.
 * Written out here (about 60 lines) rather than importing @scure/base, which is only a transitive
 * dependency of nostr-tools. Every failure is INVALID_INPUT; messages never echo the input.
 */
import { VeilError } from '../shared/errors';

const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const GEN = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];

function polymod(values: number[]): number {
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= GEN[i]!;
  }
  return chk >>> 0;
}

function hrpExpand(hrp: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < hrp.length; i++) out.push(hrp.charCodeAt(i) >> 5);
  out.push(0);
  for (let i = 0; i < hrp.length; i++) out.push(hrp.charCodeAt(i) & 31);
  return out;
}

function convertBits(data: ArrayLike<number>, from: number, to: number, pad: boolean): number[] {
  let acc = 0;
  let bits = 0;
  const out: number[] = [];
  const maxv = (1 << to) - 1;
  for (let i = 0; i < data.length; i++) {
    acc = (acc << from) | data[i]!;
    bits += from;
    while (bits >= to) {
      bits -= to;
      out.push((acc >>> bits) & maxv);
    }
    acc &= (1 << bits) - 1;
  }
  if (pad) {
    if (bits > 0) out.push((acc << (to - bits)) & maxv);
  } else if (bits >= from || ((acc << (to - bits)) & maxv) !== 0) {
    throw new VeilError('INVALID_INPUT', 'bech32: non-zero padding');
  }
  return out;
}

/** bech32 encoding of `bytes` under `hrp` (lowercase). */
export function bech32Encode(hrp: string, bytes: Uint8Array): string {
  const words = convertBits(bytes, 8, 5, true);
  const values = [...hrpExpand(hrp), ...words, 0, 0, 0, 0, 0, 0];
  const mod = polymod(values) ^ 1;
  let s = hrp + '1';
  for (const w of words) s += CHARSET[w];
  for (let i = 0; i < 6; i++) s += CHARSET[(mod >>> (5 * (5 - i))) & 31];
  return s;
}

/**
 * Decodes a bech32 string of at most `maxLen` characters. Accepts all-lower or all-upper case.
 * Returns the human-readable part (lowercase) and the data bytes.
 */
export function bech32Decode(s: string, maxLen: number): { hrp: string; bytes: Uint8Array } {
  if (typeof s !== 'string' || s.length > maxLen) throw new VeilError('INVALID_INPUT', 'bech32: too long');
  const lower = s.toLowerCase();
  if (s !== lower && s !== s.toUpperCase()) throw new VeilError('INVALID_INPUT', 'bech32: mixed case');
  const sep = lower.lastIndexOf('1');
  if (sep < 1 || sep + 7 > lower.length) throw new VeilError('INVALID_INPUT', 'bech32: malformed');
  const hrp = lower.slice(0, sep);
  for (let i = 0; i < hrp.length; i++) {
    const c = hrp.charCodeAt(i);
    if (c < 33 || c > 126) throw new VeilError('INVALID_INPUT', 'bech32: bad prefix');
  }
  const values: number[] = [];
  for (const ch of lower.slice(sep + 1)) {
    const v = CHARSET.indexOf(ch);
    if (v < 0) throw new VeilError('INVALID_INPUT', 'bech32: bad character');
    values.push(v);
  }
  if (polymod([...hrpExpand(hrp), ...values]) !== 1) throw new VeilError('INVALID_INPUT', 'bech32: bad checksum');
  return { hrp, bytes: Uint8Array.from(convertBits(values.slice(0, -6), 5, 8, false)) };
}
