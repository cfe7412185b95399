/**
 * The constant-time WebAssembly ECDH (src/lib/crypto/ecdh-ct-wasm.ts, our veil-ecdh.wasm built
 * from libsecp256k1) against keys.ts: all 496 Wycheproof ECDH cases, every Wycheproof key in five
 * encodings, 1,000 random pairs, random and mutated encodings accepted and refused exactly as
 * keys.ts does, 20,000 invalid inputs without a trap, secrets gone from wasm memory after each
 * call, the fallback to keys.ts when the module traps, and sync/scan.ts choosing it.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import fc from 'fast-check';
import * as secp from '@noble/secp256k1';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createCtWasmEcdh, type CtWasmEcdh } from '../../src/lib/crypto/ecdh-ct-wasm';
import { ecdh, generateSecretKey, parsePublicKey } from '../../src/lib/crypto/keys';
import { bytesToHex, concatBytes, hexToBytes } from '../../src/lib/shared/bytes';
import { isVeilError } from '../../src/lib/shared/errors';
import { loadScanCrypto } from '../../src/lib/sync/scan';
import { loadVectors } from '../helpers/vectors';
import { caught } from '../helpers/error-code';

const WASM_FILE = resolve(process.cwd(), 'src/lib/crypto/wasm/veil-ecdh.wasm');
const bytes = (): Uint8Array<ArrayBuffer> => new Uint8Array(readFileSync(WASM_FILE));

let C: CtWasmEcdh;
beforeAll(async () => {
  C = await createCtWasmEcdh(bytes());
});
afterEach(() => {
  vi.restoreAllMocks();
});

interface Jwk { x: string; y: string; d?: string }
interface Case { tcId: number; public: Jwk; private: Jwk; shared: string; result: 'valid' | 'invalid' | 'acceptable' }
const cases = loadVectors<{ testGroups: { tests: Case[] }[] }>('wycheproof-ecdh-secp256k1-jwk.json').testGroups.flatMap((g) => g.tests);
const b64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64url'));


/**
 * Asserts that the module accepts `pub` exactly when keys.ts does, with the same x(sk·P), and
 * refuses it with INVALID_KEY otherwise. Returns whether it was accepted.
 */
function agrees(sk: Uint8Array, pub: Uint8Array, label: string): boolean {
  const jsOk = caught(() => parsePublicKey(pub)) === null;
  let got: Uint8Array | null = null;
  const e = caught(() => (got = C.ecdh(sk, pub)));
  if (jsOk) {
    expect(e, label).toBeNull();
    expect(bytesToHex(got!), label).toBe(bytesToHex(ecdh(sk, pub)));
  } else {
    expect(isVeilError(e, 'INVALID_KEY'), `${label}: ${String(e)}`).toBe(true);
  }
  return jsOk;
}

const P = 2n ** 256n - 2n ** 32n - 977n;
const be32 = (v: bigint) => hexToBytes(v.toString(16).padStart(64, '0'));
const validSk = fc.uint8Array({ minLength: 32, maxLength: 32 }).filter((b) => secp.utils.isValidSecretKey(b));

describe('CT wasm ECDH: Wycheproof secp256k1', () => {
  it('all 496 cases: 473 valid give the published secret (SEC1, compressed, x-only), 22 invalid points refused', () => {
    expect(cases.length).toBe(496);
    let valid = 0;
    let refused = 0;
    for (const c of cases) {
      const sk = b64(c.private.d!);
      const x = b64(c.public.x);
      const y = b64(c.public.y);
      const sec1 = concatBytes(Uint8Array.of(4), x, y);
      if (c.result === 'valid') {
        const compressed = concatBytes(Uint8Array.of(2 + (y[31]! & 1)), x);
        for (const [enc, name] of [[sec1, 'SEC1'], [compressed, 'compressed'], [x, 'x-only']] as const)
          expect(bytesToHex(C.ecdh(sk, enc)), `tcId ${c.tcId} ${name}`).toBe(c.shared);
        valid++;
      } else if (c.tcId === 490) {
        // Valid secp256k1 bytes under a P-256 JWK label: only a JWK reader can refuse it.
        expect(bytesToHex(C.ecdh(sk, sec1))).toBe(bytesToHex(ecdh(sk, sec1)));
      } else {
        expect(isVeilError(caught(() => C.ecdh(sk, sec1)), 'INVALID_KEY'), `tcId ${c.tcId}`).toBe(true);
        expect(isVeilError(caught(() => ecdh(sk, sec1)), 'INVALID_KEY'), `tcId ${c.tcId} keys.ts`).toBe(true);
        refused++;
      }
    }
    expect([valid, refused]).toEqual([473, 22]);
  });

  it('every Wycheproof key in five encodings (SEC1, both parities, x-only, hybrid) is judged as keys.ts judges it', () => {
    let accepted = 0;
    for (const c of cases) {
      const sk = b64(c.private.d!);
      const x = b64(c.public.x);
      const y = b64(c.public.y);
      const odd = y[31]! & 1;
      const encodings = [
        concatBytes(Uint8Array.of(4), x, y),
        concatBytes(Uint8Array.of(2 + odd), x),
        concatBytes(Uint8Array.of(3 - odd), x),
        x,
        concatBytes(Uint8Array.of(6 + odd), x, y)
      ];
      const ok = encodings.map((enc, i) => agrees(sk, enc, `tcId ${c.tcId} encoding ${i}`));
      expect(ok[4], `tcId ${c.tcId} hybrid`).toBe(false);
      accepted += ok.filter(Boolean).length;
    }
    expect(accepted).toBeGreaterThan(473 * 3);
    expect(C.degraded()).toBe(false);
  });
});

describe('CT wasm ECDH: equal to keys.ts', () => {
  it('1,000 random key pairs, each public key as SEC1, compressed and x-only', () => {
    fc.assert(
      fc.property(validSk, validSk, (a, b) => {
        const full = secp.getPublicKey(b, false);
        const want = bytesToHex(ecdh(a, full));
        expect(bytesToHex(C.ecdh(a, full))).toBe(want);
        expect(bytesToHex(C.ecdh(a, secp.getPublicKey(b, true)))).toBe(want);
        const xonly = full.slice(1, 33);
        expect(bytesToHex(C.ecdh(a, xonly))).toBe(bytesToHex(ecdh(a, xonly)));
      }),
      { numRuns: 1000 }
    );
  });

  it('random, mutated and edge-case encodings are accepted and refused exactly as keys.ts (2,000 runs)', () => {
    const prefix = fc.constantFrom(0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0xff);
    const key = fc.oneof(
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.tuple(prefix, fc.uint8Array({ minLength: 32, maxLength: 32 })).map(([p, x]) => concatBytes(Uint8Array.of(p), x)),
      fc.tuple(prefix, fc.uint8Array({ minLength: 64, maxLength: 64 })).map(([p, xy]) => concatBytes(Uint8Array.of(p), xy)),
      // A valid key in one encoding with its prefix replaced and/or one bit flipped.
      fc.tuple(validSk, fc.constantFrom(32, 33, 65), fc.option(prefix), fc.option(fc.nat(65 * 8 - 1))).map(([s, len, p, bit]) => {
        const enc = len === 65 ? secp.getPublicKey(s, false) : len === 33 ? secp.getPublicKey(s, true) : secp.getPublicKey(s, true).slice(1);
        if (p !== null && len !== 32) enc[0] = p;
        if (bit !== null && bit < enc.length * 8) enc[bit >> 3]! ^= 1 << (bit & 7);
        return enc;
      }),
      // x ≥ p, x = 0, y ≥ p with a valid x.
      fc.bigInt(P, 2n ** 256n - 1n).map(be32),
      fc.constant(new Uint8Array(32)),
      fc.tuple(validSk, fc.bigInt(0n, 2n ** 32n)).map(([s, d]) => {
        const enc = secp.getPublicKey(s, false);
        enc.set(be32(P + d), 33);
        return enc;
      }),
      fc.uint8Array({ minLength: 0, maxLength: 70 })
    );
    fc.assert(
      fc.property(validSk, key, (sk, pub) => {
        agrees(sk, pub, bytesToHex(pub));
      }),
      { numRuns: 2000 }
    );
    expect(C.degraded()).toBe(false);
  });

  it('refuses secrets keys.ts refuses, and non-bytes, with the same error codes', () => {
    const pub = secp.getPublicKey(generateSecretKey(), true);
    const n = hexToBytes('fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141');
    for (const bad of [new Uint8Array(32), n, new Uint8Array(32).fill(0xff), new Uint8Array(31), new Uint8Array(33)]) {
      const js = caught(() => ecdh(bad, pub));
      const wa = caught(() => C.ecdh(bad, pub));
      expect(isVeilError(js)).toBe(true);
      expect(isVeilError(wa, (js as { code: 'INVALID_KEY' }).code)).toBe(true);
    }
    const sk = generateSecretKey();
    for (const notBytes of [null, 'ab', [1, 2, 3]] as unknown as Uint8Array[]) {
      const js = caught(() => ecdh(sk, notBytes));
      expect(isVeilError(caught(() => C.ecdh(sk, notBytes)), (js as { code: 'INVALID_INPUT' }).code)).toBe(true);
    }
  });
});

describe('CT wasm ECDH: hostile input and memory hygiene', () => {
  it('20,000 invalid public keys: all refused, no trap, still correct afterwards', () => {
    const sk = generateSecretKey();
    let refused = 0;
    const rnd = new Uint8Array(65);
    for (let i = 0; i < 20_000; i++) {
      crypto.getRandomValues(rnd);
      let pub: Uint8Array;
      switch (i % 5) {
        case 0:
          pub = be32(P + BigInt(i)); // x ≥ p
          break;
        case 1:
          pub = concatBytes(Uint8Array.of(4), rnd.subarray(0, 64)); // random point, almost surely off the curve
          break;
        case 2:
          pub = concatBytes(Uint8Array.of(6 + (i & 1)), secp.getPublicKey(sk, false).subarray(1)); // hybrid
          break;
        case 3:
          pub = rnd.subarray(0, i % 71 === 32 ? 31 : i % 71); // wrong length (never 32, 33 or 65 here)
          if (pub.length === 33 || pub.length === 65) pub = rnd.subarray(0, 34);
          break;
        default:
          pub = concatBytes(Uint8Array.of(4), secp.getPublicKey(sk, false).subarray(1, 64), Uint8Array.of(rnd[0]! | 1)); // bad y
          if (caught(() => parsePublicKey(pub)) === null) pub = be32(P); // the rare accident: use x = p
      }
      if (isVeilError(caught(() => C.ecdh(sk, pub)), 'INVALID_KEY')) refused++;
    }
    expect(refused).toBe(20_000);
    expect(C.degraded()).toBe(false);
    const pub = secp.getPublicKey(generateSecretKey(), true);
    expect(bytesToHex(C.ecdh(sk, pub))).toBe(bytesToHex(ecdh(sk, pub)));
  });

  it('leaves wasm memory exactly as it found it: no secret, no shared x, no intermediate', () => {
    const before = new Uint8Array(C.memory.buffer).slice();
    for (let i = 0; i < 20; i++) {
      const sk = generateSecretKey();
      const pub = secp.getPublicKey(generateSecretKey(), i % 2 === 0);
      C.ecdh(sk, pub);
      caught(() => C.ecdh(sk, be32(P)));
    }
    const after = new Uint8Array(C.memory.buffer);
    expect(after.length).toBe(before.length);
    let diff = 0;
    for (let i = 0; i < after.length; i++) if (after[i] !== before[i]) diff++;
    expect(diff).toBe(0);
  });

  it('a module that traps is abandoned and keys.ts answers from then on', async () => {
    const real = WebAssembly.instantiate.bind(WebAssembly);
    let trap = false;
    vi.spyOn(WebAssembly, 'instantiate').mockImplementation((async (m: WebAssembly.Module, imp?: WebAssembly.Imports) => {
      const inst = (await real(m, imp)) as unknown as WebAssembly.Instance;
      const ex = inst.exports as { veil_ecdh: (n: number) => number };
      return {
        exports: {
          ...inst.exports,
          veil_ecdh: (n: number) => {
            if (trap) throw new WebAssembly.RuntimeError('unreachable');
            return ex.veil_ecdh(n);
          }
        }
      };
    }) as unknown as typeof WebAssembly.instantiate);
    const T = await createCtWasmEcdh(bytes());
    const sk = generateSecretKey();
    const pub = secp.getPublicKey(generateSecretKey(), true);
    const want = bytesToHex(ecdh(sk, pub));
    expect(bytesToHex(T.ecdh(sk, pub))).toBe(want);
    trap = true;
    expect(bytesToHex(T.ecdh(sk, pub))).toBe(want);
    expect(T.degraded()).toBe(true);
    trap = false;
    expect(bytesToHex(T.ecdh(sk, pub))).toBe(want);
    expect(isVeilError(caught(() => T.ecdh(sk, be32(P))), 'INVALID_KEY')).toBe(true);
  });

  it('refuses a module that is not veil-ecdh.wasm', async () => {
    await expect(createCtWasmEcdh(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]))).rejects.toSatisfy((e) => isVeilError(e, 'INVALID_INPUT'));
    const tiny = new Uint8Array(readFileSync(resolve(process.cwd(), 'node_modules/tiny-secp256k1/lib/secp256k1.wasm')));
    await expect(createCtWasmEcdh(tiny)).rejects.toSatisfy((e) => isVeilError(e, 'INVALID_INPUT'));
    const compiled = await createCtWasmEcdh(await WebAssembly.compile(bytes()));
    expect(compiled.backend).toBe('wasm-ct');
  });
});

describe('sync/scan.ts with veil-ecdh.wasm', () => {
  const tinyBytes = async () => new Uint8Array(readFileSync(resolve(process.cwd(), 'node_modules/tiny-secp256k1/lib/secp256k1.wasm')));
  const ctBytes = async () => bytes();
  const failing = () => Promise.reject(new TypeError('offline'));

  it('uses the constant-time ECDH when both modules load, once per pair of loaders', async () => {
    const [a, b] = await Promise.all([loadScanCrypto(tinyBytes, ctBytes), loadScanCrypto(tinyBytes, ctBytes)]);
    expect(a).toBe(b);
    expect([a.backend, a.ecdhBackend, a.fallbackReason]).toEqual(['wasm', 'wasm-ct', undefined]);
    const split = await loadScanCrypto(tinyBytes);
    expect(split).not.toBe(a);
    expect(split.ecdhBackend).toBe('wasm-split');
    const sk = generateSecretKey();
    const pub = secp.getPublicKey(generateSecretKey(), true).slice(1);
    expect(bytesToHex(a.ecdh(sk, pub))).toBe(bytesToHex(ecdh(sk, pub)));
    expect(bytesToHex(split.ecdh(sk, pub))).toBe(bytesToHex(ecdh(sk, pub)));
  });

  it('each module falls back on its own', async () => {
    const noCt = await loadScanCrypto(tinyBytes, failing);
    expect([noCt.backend, noCt.ecdhBackend]).toEqual(['wasm', 'wasm-split']);
    const onlyCt = await loadScanCrypto(failing, ctBytes);
    expect([onlyCt.backend, onlyCt.ecdhBackend, onlyCt.fallbackReason]).toEqual(['wasm', 'wasm-ct', 'TypeError']);
    const neither = await loadScanCrypto(failing, async () => new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
    expect([neither.backend, neither.ecdhBackend]).toEqual(['js', 'js']);
    const sk = generateSecretKey();
    const pub = secp.getPublicKey(generateSecretKey(), true);
    for (const s of [noCt, onlyCt, neither]) expect(bytesToHex(s.ecdh(sk, pub))).toBe(bytesToHex(ecdh(sk, pub)));
  });
});
