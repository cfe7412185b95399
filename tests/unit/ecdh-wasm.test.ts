/**
 * The WebAssembly secp256k1 path (src/lib/crypto/ecdh-wasm.ts, spec 0001 §Constant time and the
 * WebAssembly path) against the JavaScript one: all 496 Wycheproof ECDH cases, every envelope
 * vector trial-opened and opened identically, random keys (fast-check, 1000 runs) equal to
 * @noble/secp256k1, BIP-340 verification equal to @noble/curves, and the scan loader's fallback.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import fc from 'fast-check';
import * as secp from '@noble/secp256k1';
import { schnorr } from '@noble/curves/secp256k1.js';
import { beforeAll, describe, expect, it } from 'vitest';
import type { NostrEvent } from 'nostr-tools/pure';
import type { VerifiedEvent } from '../../src/lib/crypto/nostr-event';
import { finalizeEvent } from 'nostr-tools/pure';
import { createWasmEcdh, type WasmSecp256k1 } from '../../src/lib/crypto/ecdh-wasm';
import { ecdh, parsePublicKey } from '../../src/lib/crypto/keys';
import { envelopeKey, openEnvelope, trialOpen } from '../../src/lib/crypto/envelope';
import { bytesToHex, concatBytes, hexToBytes } from '../../src/lib/shared/bytes';
import { isVeilError } from '../../src/lib/shared/errors';
import { loadScanCrypto, scanBatch, trialOpenBatch } from '../../src/lib/sync/scan';
import { loadVectors, vectorPath } from '../helpers/vectors';
import { caught, settled } from '../helpers/error-code';

const WASM_FILE = resolve(process.cwd(), 'node_modules/tiny-secp256k1/lib/secp256k1.wasm');
const wasmBytes = (): Uint8Array => new Uint8Array(readFileSync(WASM_FILE));

let W: WasmSecp256k1;
beforeAll(async () => {
  W = await createWasmEcdh(wasmBytes());
});

interface Jwk { kty: string; crv: string; x: string; y: string; d?: string }
interface Case { tcId: number; flags: string[]; public: Jwk; private: Jwk; shared: string; result: 'valid' | 'invalid' | 'acceptable' }
const wy = loadVectors<{ testGroups: { tests: Case[] }[] }>('wycheproof-ecdh-secp256k1-jwk.json');
const cases = wy.testGroups.flatMap((g) => g.tests);
const b64url = (s: string) => new Uint8Array(Buffer.from(s, 'base64url'));


describe('wasm ECDH: Wycheproof secp256k1 (all 496)', () => {
  it('has 496 cases: 473 valid, 23 invalid', () => {
    expect(cases.length).toBe(496);
    expect(cases.filter((c) => c.result === 'valid').length).toBe(473);
    expect(cases.filter((c) => c.result === 'invalid').length).toBe(23);
  });

  it('valid cases give the published secret (SEC1 and x-only); invalid points are rejected like keys.ts', () => {
    let valid = 0;
    let rejected = 0;
    for (const c of cases) {
      const sk = b64url(c.private.d!);
      const pub = concatBytes(Uint8Array.of(4), b64url(c.public.x), b64url(c.public.y));
      if (c.result === 'valid') {
        expect(bytesToHex(W.ecdh(sk, pub)), `tcId ${c.tcId}`).toBe(c.shared);
        expect(bytesToHex(W.ecdh(sk, b64url(c.public.x))), `tcId ${c.tcId} x-only`).toBe(c.shared);
        valid++;
      } else if (c.tcId === 490) {
        // A P-256 label on valid secp256k1 bytes: only a JWK reader can reject it (see wycheproof-ecdh.test.ts).
        expect(bytesToHex(W.ecdh(sk, pub))).toBe(bytesToHex(ecdh(sk, pub)));
      } else {
        const e = caught(() => W.ecdh(sk, pub));
        expect(isVeilError(e, 'INVALID_KEY'), `tcId ${c.tcId}`).toBe(true);
        expect(isVeilError(caught(() => ecdh(sk, pub)), 'INVALID_KEY')).toBe(true);
        rejected++;
      }
    }
    expect(valid).toBe(473);
    expect(rejected).toBe(22);
  });
});

describe('wasm ECDH: equal to JavaScript', () => {
  const sk = fc.uint8Array({ minLength: 32, maxLength: 32 }).filter((b) => secp.utils.isValidSecretKey(b));

  it('x(sk·P) equals @noble/secp256k1 for random keys (1000 runs)', () => {
    fc.assert(
      fc.property(sk, sk, fc.boolean(), (a, b, compressed) => {
        const pub = secp.getPublicKey(b, compressed);
        const want = secp.getSharedSecret(a, pub, true).slice(1);
        expect(bytesToHex(W.ecdh(a, pub))).toBe(bytesToHex(want));
        expect(bytesToHex(W.ecdh(a, pub.slice(1, 33)))).toBe(bytesToHex(want));
      }),
      { numRuns: 1000 }
    );
  });

  it('accepts and rejects the same public key bytes as parsePublicKey (1000 runs)', () => {
    const edge = fc.constantFrom(0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0xff);
    const anyKey = fc.oneof(
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.tuple(edge, fc.uint8Array({ minLength: 32, maxLength: 32 })).map(([p, x]) => concatBytes(Uint8Array.of(p), x)),
      fc.tuple(edge, fc.uint8Array({ minLength: 64, maxLength: 64 })).map(([p, x]) => concatBytes(Uint8Array.of(p), x)),
      // Valid points in every encoding, hybrid (0x06/0x07) prefixes and flipped bits.
      fc.tuple(sk, fc.constantFrom(32, 33, 65), edge, fc.nat(64 * 8)).map(([s, len, pfx, bit]) => {
        const full = secp.getPublicKey(s, false);
        const enc = len === 65 ? full.slice() : len === 33 ? secp.getPublicKey(s, true) : secp.getPublicKey(s, true).slice(1);
        if (pfx === 0x06 || pfx === 0x07) enc[0] = pfx;
        if (bit < enc.length * 8 && bit % 3 === 0) enc[bit >> 3]! ^= 1 << (bit & 7);
        return enc;
      }),
      fc.uint8Array({ minLength: 0, maxLength: 70 })
    );
    const one = new Uint8Array(32);
    one[31] = 9;
    fc.assert(
      fc.property(anyKey, (pub) => {
        const jsOk = caught(() => parsePublicKey(pub)) === null;
        const e = caught(() => W.ecdh(one, pub));
        if (jsOk) {
          expect(e).toBeNull();
          expect(bytesToHex(W.ecdh(one, pub))).toBe(bytesToHex(ecdh(one, pub)));
        } else {
          expect(isVeilError(e, 'INVALID_KEY') || isVeilError(e, 'INVALID_INPUT')).toBe(true);
        }
      }),
      { numRuns: 1000 }
    );
  });

  /** Same acceptance as keys.ts, and the same x(sk·P) when accepted (the module parses the key). */
  const sameAsJs = (sk: Uint8Array, pub: Uint8Array, label: string, compare = true): boolean => {
    const jsOk = caught(() => parsePublicKey(pub)) === null;
    const e = caught(() => W.ecdh(sk, pub));
    if (jsOk) {
      expect(e, label).toBeNull();
      if (compare) expect(bytesToHex(W.ecdh(sk, pub)), label).toBe(bytesToHex(ecdh(sk, pub)));
    } else {
      expect(isVeilError(e, 'INVALID_KEY'), label).toBe(true);
    }
    return jsOk;
  };
  const P = 2n ** 256n - 2n ** 32n - 977n;
  const be32 = (v: bigint) => hexToBytes(v.toString(16).padStart(64, '0'));
  const nine = new Uint8Array(32);
  nine[31] = 9;

  it('x-only keys with no square root, x ≥ p and zero are rejected by both (1000 runs)', () => {
    let noRoot = 0;
    const x = fc.oneof(
      // Random x: about half have no square root of x³ + 7.
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      // x in [p, 2²⁵⁶): out of range, whether or not x − p would be valid.
      fc.bigInt(P, 2n ** 256n - 1n).map(be32),
      fc.constant(new Uint8Array(32))
    );
    fc.assert(
      fc.property(x, fc.constantFrom(0x02, 0x03), fc.uint8Array({ minLength: 32, maxLength: 32 }), (xb, pfx, yb) => {
        const xv = BigInt('0x' + bytesToHex(xb));
        const ok = sameAsJs(nine, xb, 'x-only');
        if (xv >= P || xv === 0n) expect(ok).toBe(false);
        if (!ok && xv < P && xv !== 0n) noRoot++;
        sameAsJs(nine, concatBytes(Uint8Array.of(pfx), xb), 'compressed');
        sameAsJs(nine, concatBytes(Uint8Array.of(4), xb, yb), 'uncompressed, random y');
        // y ≥ p with a valid x.
        sameAsJs(nine, concatBytes(Uint8Array.of(4), xb, be32(P + (BigInt('0x' + bytesToHex(yb)) % (2n ** 32n)))), 'uncompressed, y ≥ p');
      }),
      { numRuns: 1000 }
    );
    // x = 0: 7 has no square root mod p, so zero is rejected in every encoding.
    for (const z of [new Uint8Array(32), new Uint8Array(33).fill(2, 0, 1), new Uint8Array(65).fill(4, 0, 1), new Uint8Array(65)])
      expect(sameAsJs(nine, z, 'zero')).toBe(false);
    expect(noRoot).toBeGreaterThan(100);
  });

  it('every Wycheproof public key, in all four encodings, is accepted or rejected like keys.ts', () => {
    let invalidRejected = 0;
    for (const c of cases) {
      const sk = b64url(c.private.d!);
      const x = b64url(c.public.x);
      const y = b64url(c.public.y);
      const odd = (y[31]! & 1) === 1;
      const enc = [concatBytes(Uint8Array.of(4), x, y), concatBytes(Uint8Array.of(odd ? 3 : 2), x), concatBytes(Uint8Array.of(odd ? 2 : 3), x), x, concatBytes(Uint8Array.of(odd ? 7 : 6), x, y)];
      // Results of valid keys are compared in the test above; here every encoding's acceptance,
      // and the results for the invalid cases' other encodings.
      const ok = enc.map((e, i) => sameAsJs(sk, e, `tcId ${c.tcId} encoding ${i}`, c.result !== 'valid'));
      // Hybrid 06/07 keys are valid to libsecp256k1 but not to keys.ts: both must refuse them.
      expect(ok[4], `tcId ${c.tcId} hybrid`).toBe(false);
      if (c.result === 'invalid' && c.tcId !== 490) {
        expect(ok[0], `tcId ${c.tcId}`).toBe(false);
        invalidRejected++;
      }
    }
    expect(invalidRejected).toBe(22);
    expect(W.degraded()).toBe(false);
  });

  it('survives 20,000 invalid keys and signatures without the module throwing (no stack leak)', () => {
    const fresh = W;
    const sig = new Uint8Array(64);
    const msg = new Uint8Array(32);
    let rejected = 0;
    for (let i = 0; i < 20_000; i++) {
      const x = be32(P + BigInt(i)); // x ≥ p: rejected by both the ECDH and the verifier
      if (isVeilError(caught(() => fresh.ecdh(nine, x)), 'INVALID_KEY')) rejected++;
      if (!fresh.verifySchnorr(sig, msg, x)) rejected++;
    }
    expect(rejected).toBe(40_000);
    expect(fresh.degraded()).toBe(false);
    const pub = secp.getPublicKey(secp.utils.randomSecretKey(), true);
    expect(bytesToHex(fresh.ecdh(nine, pub))).toBe(bytesToHex(ecdh(nine, pub)));
  });

  it('rejects zero and out-of-range secrets as keys.ts does', () => {
    const pub = secp.getPublicKey(secp.utils.randomSecretKey(), true);
    const n = hexToBytes('fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141');
    for (const bad of [new Uint8Array(32), n, new Uint8Array(32).fill(0xff), new Uint8Array(31)]) {
      expect(caught(() => W.ecdh(bad, pub))).not.toBeNull();
      expect(caught(() => ecdh(bad, pub))).not.toBeNull();
    }
  });
});

describe('wasm BIP-340 verify: equal to @noble/curves', () => {
  it('valid, tampered and malformed signatures (300 runs)', () => {
    const sk = fc.uint8Array({ minLength: 32, maxLength: 32 }).filter((b) => secp.utils.isValidSecretKey(b));
    fc.assert(
      fc.property(sk, fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.nat(96 * 8 + 40), (s, msg, flip) => {
        const sig = schnorr.sign(msg, s);
        const pub = schnorr.getPublicKey(s);
        expect(W.verifySchnorr(sig, msg, pub)).toBe(true);
        // Flip one bit of sig ‖ msg ‖ pub, or (past the end) set r ≥ p, s ≥ n, or an x not on the curve.
        const all = concatBytes(sig, msg, pub);
        if (flip < all.length * 8) all[flip >> 3]! ^= 1 << (flip & 7);
        else if (flip % 3 === 0) all.fill(0xff, 0, 32);
        else if (flip % 3 === 1) all.fill(0xff, 32, 64);
        else all.set(hexToBytes('eefdea4cdb677750a420fee807eacf21eb9898ae79b9768766e4faa04a2d4a34'), 96);
        const [s2, m2, p2] = [all.subarray(0, 64), all.subarray(64, 96), all.subarray(96)];
        let want: boolean;
        try {
          want = schnorr.verify(s2, m2, p2);
        } catch {
          want = false;
        }
        expect(W.verifySchnorr(s2, m2, p2)).toBe(want);
      }),
      { numRuns: 300 }
    );
  });
});

interface EnvVec { name: string; recipient: string; recipient_identity?: string; outer: unknown; intermediate?: { ephemeral_public: string; shared_secret: string } }
const env = JSON.parse(readFileSync(vectorPath('envelope-v3.json'), 'utf8')) as {
  keys: Record<string, { identity: string; ek_secret: string }>;
  valid: EnvVec[];
  invalid: EnvVec[];
};


describe('envelope vectors through the wasm ECDH', () => {
  it(`${env.valid.length} valid and ${env.invalid.length} invalid vectors: same trial-open and open results`, async () => {
    expect(env.valid.length).toBeGreaterThanOrEqual(6);
    expect(env.invalid.length).toBeGreaterThanOrEqual(10);
    let opened = 0;
    for (const v of [...env.valid, ...env.invalid]) {
      const k = env.keys[v.recipient]!;
      const ek = envelopeKey(hexToBytes(k.ek_secret));
      if (v.intermediate) expect(bytesToHex(W.ecdh(ek.secret, hexToBytes(v.intermediate.ephemeral_public)))).toBe(v.intermediate.shared_secret);
      const js = await trialOpen(v.outer as VerifiedEvent, ek).catch(() => 'threw');
      const wa = await trialOpen(v.outer as VerifiedEvent, ek, { ecdh: W.ecdh }).catch(() => 'threw');
      expect(js === null, v.name).toBe(wa === null);
      if (js && wa && typeof js !== 'string' && typeof wa !== 'string') expect(bytesToHex(wa.sessionKey), v.name).toBe(bytesToHex(js.sessionKey));
      const who = v.recipient_identity ?? k.identity;
      const a = await settled(openEnvelope(structuredClone(v.outer), ek, who));
      const b = await settled(openEnvelope(structuredClone(v.outer), ek, who, { ecdh: W.ecdh }));
      expect(b, v.name).toBe(a);
      if (!a.startsWith('error')) opened++;
    }
    expect(opened).toBe(env.valid.length);
  });
});

describe('sync/scan.ts', () => {
  it('loads the wasm once per loader and uses it', async () => {
    let calls = 0;
    const load = async () => {
      calls++;
      return wasmBytes();
    };
    const [a, b] = await Promise.all([loadScanCrypto(load), loadScanCrypto(load)]);
    expect(a).toBe(b);
    expect(calls).toBe(1);
    expect(a.backend).toBe('wasm');
    expect(a.fallbackReason).toBeUndefined();
  });

  it('falls back to JavaScript without a loader, on a failing loader and on a wrong module', async () => {
    expect((await loadScanCrypto()).backend).toBe('js');
    const failing = await loadScanCrypto(() => Promise.reject(new TypeError('offline')));
    expect(failing.backend).toBe('js');
    expect(failing.fallbackReason).toBe('TypeError');
    const garbage = await loadScanCrypto(async () => new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 9]));
    expect(garbage.backend).toBe('js');
    // A valid module that is not libsecp256k1: the smallest empty wasm module.
    const empty = await loadScanCrypto(async () => new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
    expect(empty.backend).toBe('js');
    expect(empty.fallbackReason).toBe('VeilError');
  });

  it('verifies events and trial-opens a batch with either backend, same results', async () => {
    const wasm = await loadScanCrypto(async () => wasmBytes());
    const js = await loadScanCrypto();
    const v = env.valid[0]!;
    const other = env.invalid.find((x) => x.recipient === v.recipient)!;
    const ek = envelopeKey(hexToBytes(env.keys[v.recipient]!.ek_secret));
    const signed = finalizeEvent({ kind: 1, created_at: 1, tags: [], content: 'x' }, hexToBytes(env.keys[v.recipient]!.ek_secret));
    const forged: NostrEvent = { ...signed, content: 'y' };
    const badSig: NostrEvent = { ...signed, sig: signed.sig.slice(0, 127) + (signed.sig.endsWith('0') ? '1' : '0') };
    for (const s of [wasm, js]) {
      expect(s.verifyEvent({ ...signed })).toBe(true);
      expect(s.verifyEvent(forged)).toBe(false);
      expect(s.verifyEvent(badSig)).toBe(false);
      expect(s.verifyEvent(v.outer as NostrEvent)).toBe(true);
    }
    const events = [v.outer, other.outer, v.outer] as VerifiedEvent[];
    const rw = await trialOpenBatch(events, ek, wasm);
    const rj = await trialOpenBatch(events, ek, js);
    expect(rw.map((r) => r.unwrapped !== null)).toEqual(rj.map((r) => r.unwrapped !== null));
    expect(rw[0]!.unwrapped).not.toBeNull();
    expect(bytesToHex(rw[2]!.unwrapped!.sessionKey)).toBe(bytesToHex(rj[2]!.unwrapped!.sessionKey));

    // scanBatch: verify, then trial-open only what verified, in one loop; same for both backends.
    const outerForged: NostrEvent = { ...(v.outer as NostrEvent), content: (v.outer as NostrEvent).content.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) };
    const batch = [structuredClone(v.outer), outerForged, structuredClone(other.outer), forged, structuredClone(v.outer)] as NostrEvent[];
    const summary = (r: ReturnType<typeof scanBatch>) => r.map((x) => (x.verified ? (x.unwrapped ? 'open' : 'foreign') : 'unverified'));
    const sw = scanBatch(batch, ek, wasm);
    const sj = scanBatch(batch, ek, js);
    const expected = [rj[0], null, rj[1], null, rj[2]].map((r) => (r === null ? 'unverified' : r!.unwrapped ? 'open' : 'foreign'));
    expect(summary(sw)).toEqual(expected);
    expect(summary(sj)).toEqual(expected);
    expect(expected).toContain('open');
    expect(expected).toContain('unverified');
    const first = sw[0]!;
    expect(first.verified && first.unwrapped ? bytesToHex(first.unwrapped.sessionKey) : '').toBe(bytesToHex(rj[0]!.unwrapped!.sessionKey));
  });
});
