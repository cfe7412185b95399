/**
 * secp256k1 ECDH and BIP-340 verification on libsecp256k1 compiled to WebAssembly, for the
 * intro-mailbox scan (spec 0001 §Trial open, §Constant time and the WebAssembly path; issue 3
 * item 6). The module is the `secp256k1.wasm` shipped by the npm package tiny-secp256k1 2.2.4
 * (libsecp256k1 via rust-secp256k1-sys 0.8.1). We do not use that package's JavaScript: its
 * loader reads the file with `fs` in Node and needs a bundler plugin for `import './x.wasm'` in
 * the browser. Here the caller hands us the bytes (or a compiled module), so the same code runs
 * in Node, the page and a service worker.
 *
 * Constant time. The only scalar multiply by an arbitrary point that the module exports,
 * `pointMultiply`, is libsecp256k1's `ec_pubkey_tweak_mul`, which in this version runs the
 * VARIABLE-time `secp256k1_ecmult` (tweaks are treated as public): multiplying by 1 is about 4×
 * faster than by a random scalar (measured). It must never see the EK secret. We therefore split
 * the secret on every call: a fresh uniform a ∈ [1, n), b = sk − a mod n (libsecp256k1's
 * constant-time scalar arithmetic, inside the module), and compute sk·P = a·P + b·P. Each
 * multiply sees a fresh uniformly distributed scalar, independent of sk on its own; the
 * secret exists only as their sum. This costs a second multiply and buys back what the
 * variable-time code leaks about a fixed scalar across many envelopes.
 *
 * Public keys are validated by the module itself (libsecp256k1 `ec_pubkey_parse` and
 * `xonly_pubkey_parse`, through the non-throwing `isPoint`): an x-only key is handed over as the compressed encoding 02‖x (lift_x with even
 * y, as BIP-340 and keys.ts do), and the one encoding libsecp256k1 accepts but keys.ts does not,
 * the 65-byte "hybrid" form (prefix 06/07), is refused here before the module sees it. So the
 * wasm path accepts and rejects exactly the bytes keys.ts `parsePublicKey` does (property-tested
 * in tests/unit/ecdh-wasm.test.ts, with every Wycheproof invalid point) without paying for the
 * JavaScript square root (about 0.2 ms per key).
 *
 * Never let the module throw. tiny-secp256k1's Rust reports bad input by calling the imported
 * `throwError`, whose JavaScript exception unwinds the WebAssembly frames without restoring the
 * module's shadow-stack pointer: each throw leaks stack, and after some thousands the instance
 * traps on every call ("memory access out of bounds"). Anyone can post events with invalid keys,
 * so that would be a remote denial of service. Every input the module could refuse is therefore
 * checked first with `isPoint`, which returns 0/1 and never throws; if a throw or trap happens
 * anyway, the instance is abandoned and the JavaScript implementations answer from then on.
 */
import { abytes, bytesToHex, equalBytes, wipe } from '../shared/bytes';
import { VeilError } from '../shared/errors';
import { jsCurve } from './curve';
import { assertSecretKey, ecdh as jsEcdhImpl, generateSecretKey, getXOnlyPublicKey, type SecretKey } from './keys';

/** An ECDH implementation: the 32-byte x coordinate of sk·P, public key validated (keys.ts `ecdh` contract). */
export type EcdhFn = (sk: SecretKey, pub: Uint8Array) => Uint8Array;

/** A BIP-340 verifier: (64-byte signature, 32-byte message, 32-byte x-only key) → valid. */
export type SchnorrVerifyFn = (sig: Uint8Array, msg: Uint8Array, pub: Uint8Array) => boolean;

/** What the WebAssembly module gives the scan path. */
export interface WasmSecp256k1 {
  readonly backend: 'wasm';
  /** Same contract and results as keys.ts `ecdh`; secret blinded by splitting (see module doc). */
  ecdh: EcdhFn;
  /** BIP-340 verify (libsecp256k1 schnorrsig); never throws for malformed input, returns false. */
  verifySchnorr: SchnorrVerifyFn;
  /** BIP-340 sign (libsecp256k1 keypair_create + schnorrsig_sign with `aux` as aux_rand32; constant time). */
  signSchnorr(msg: Uint8Array, sk: SecretKey, aux: Uint8Array): Uint8Array;
  /** x-only public key (libsecp256k1 keypair_create, constant time). */
  xOnlyPublicKey(sk: SecretKey): Uint8Array;
  /** True once the module threw or trapped and the JavaScript path answers instead (a bug; see module doc). */
  degraded(): boolean;
}

/** The JavaScript ECDH (keys.ts, @noble/curves), the fallback when WebAssembly is unavailable. */
export const jsEcdh: EcdhFn = jsEcdhImpl;

/** Bytes of tiny-secp256k1 2.2.4's `lib/secp256k1.wasm`, or that module compiled. */
export type WasmSource = BufferSource | WebAssembly.Module;

/** Exports of the module that we use (names as tiny-secp256k1's Rust crate exports them). */
interface Exports {
  memory: WebAssembly.Memory;
  initializeContext(): void;
  PRIVATE_INPUT: WebAssembly.Global;
  PUBLIC_KEY_INPUT: WebAssembly.Global;
  PUBLIC_KEY_INPUT2: WebAssembly.Global;
  X_ONLY_PUBLIC_KEY_INPUT: WebAssembly.Global;
  TWEAK_INPUT: WebAssembly.Global;
  HASH_INPUT: WebAssembly.Global;
  SIGNATURE_INPUT: WebAssembly.Global;
  EXTRA_DATA_INPUT: WebAssembly.Global;
  pointMultiply(inLen: number, outLen: number): number;
  isPoint(inLen: number): number;
  pointAdd(aLen: number, bLen: number, outLen: number): number;
  pointCompress(inLen: number, outLen: number): void;
  privateSub(): number;
  verifySchnorr(): number;
  /** Signs HASH_INPUT with PRIVATE_INPUT into SIGNATURE_INPUT; `1` uses EXTRA_DATA_INPUT as BIP-340 aux_rand32. */
  signSchnorr(extra: number): void;
  /** X_ONLY_PUBLIC_KEY_INPUT ← x-only key of PRIVATE_INPUT. */
  xOnlyPointFromScalar(): void;
}

const REQUIRED: readonly (keyof Exports)[] = [
  'memory',
  'initializeContext',
  'PRIVATE_INPUT',
  'PUBLIC_KEY_INPUT',
  'PUBLIC_KEY_INPUT2',
  'X_ONLY_PUBLIC_KEY_INPUT',
  'TWEAK_INPUT',
  'HASH_INPUT',
  'SIGNATURE_INPUT',
  'pointMultiply',
  'isPoint',
  'pointAdd',
  'pointCompress',
  'privateSub',
  'verifySchnorr',
  'EXTRA_DATA_INPUT',
  'signSchnorr',
  'xOnlyPointFromScalar'
];

/** BIP-340 test vector 0's signature (secret key 3, aux_rand and message all zero). */
const BIP340_VECTOR_0_SIG =
  'e907831f80848d1069a5371b402410364bdf1c5f8307b0084c55f1ce2dca821525f66a4a85ea8b71e482a74f382d2ce5ebeee8fdb2172f477df4900d310536c0';

/** Thrown by our `throwError` import when the module rejects an input; caught below. */
class WasmInputError extends Error {}

function imports(): WebAssembly.Imports {
  return {
    // Seeds libsecp256k1's context randomization (side-channel blinding of k·G).
    './rand.js': {
      generateInt32: () => {
        const b = new Int32Array(1);
        crypto.getRandomValues(b);
        return b[0]!;
      }
    },
    './validate_error.js': {
      throwError: () => {
        throw new WasmInputError('wasm secp256k1 rejected an input');
      }
    }
  };
}

/**
 * Instantiates the module and returns ECDH + Schnorr verification on it. Throws
 * VeilError('INVALID_INPUT') if the bytes are not the expected module (missing exports) and
 * lets WebAssembly's own errors through when WebAssembly is unavailable or refused (CSP); the
 * caller (sync/scan.ts) falls back to JavaScript then. Self-tests one ECDH against keys.ts
 * before returning, so a wrong or damaged module is never used.
 */
export async function createWasmEcdh(source: WasmSource): Promise<WasmSecp256k1> {
  if (typeof WebAssembly !== 'object') throw new VeilError('INVALID_INPUT', 'WebAssembly is unavailable');
  const inst =
    source instanceof WebAssembly.Module
      ? await WebAssembly.instantiate(source, imports())
      : (await WebAssembly.instantiate(source, imports())).instance;
  const ex = inst.exports as unknown as Exports;
  for (const k of REQUIRED) if (!(k in inst.exports)) throw new VeilError('INVALID_INPUT', 'not the expected secp256k1 module');
  ex.initializeContext();

  const ptr = {
    priv: ex.PRIVATE_INPUT.value as number,
    pub: ex.PUBLIC_KEY_INPUT.value as number,
    pub2: ex.PUBLIC_KEY_INPUT2.value as number,
    xonly: ex.X_ONLY_PUBLIC_KEY_INPUT.value as number,
    tweak: ex.TWEAK_INPUT.value as number,
    hash: ex.HASH_INPUT.value as number,
    sig: ex.SIGNATURE_INPUT.value as number,
    extra: ex.EXTRA_DATA_INPUT.value as number
  };
  let heap = new Uint8Array(ex.memory.buffer);
  /** Views into the module's fixed input buffers; rebuilt if the memory ever grows (detaches). */
  const view = (p: number, n: number): Uint8Array => {
    if (heap.byteLength === 0 || heap.buffer !== ex.memory.buffer) heap = new Uint8Array(ex.memory.buffer);
    return heap.subarray(p, p + n);
  };

  /**
   * True once the module threw or trapped: its stack may be corrupt (see module doc), so the
   * JavaScript implementations answer every later call. Only reachable through a bug.
   */
  let broken = false;
  const jsVerify = jsCurve.verifySchnorr;

  /** The caller's key as 65 uncompressed bytes, validated by the module; reused across calls. */
  const p65 = new Uint8Array(65);
  /**
   * Validates `pub` inside the module with `isPoint` (libsecp256k1 ec_pubkey_parse: x, y < p, on
   * the curve; for 02/03‖x a square root must exist) and writes its uncompressed form to `p65`.
   * Throws INVALID_KEY for anything keys.ts `parsePublicKey` rejects.
   */
  const parse = (pub: Uint8Array): void => {
    abytes(pub, undefined, 'public key');
    const n = pub.length;
    const input = view(ptr.pub, 65);
    if (n === 32) {
      input[0] = 0x02;
      input.set(pub, 1);
    } else if ((n === 33 && (pub[0] === 0x02 || pub[0] === 0x03)) || (n === 65 && pub[0] === 0x04)) {
      // 65-byte hybrid keys (06/07) are valid to libsecp256k1 but not to keys.ts: refused here.
      input.set(pub);
    } else {
      throw new VeilError('INVALID_KEY', 'public key is not a valid secp256k1 point');
    }
    const len = n === 32 ? 33 : n;
    if (ex.isPoint(len) !== 1) throw new VeilError('INVALID_KEY', 'public key is not a valid secp256k1 point');
    ex.pointCompress(len, 65); // cannot fail now: the same parse just succeeded
    p65.set(view(ptr.pub, 65));
  };

  /** x(k·P) for the parsed P in `p65` and a scalar 0 < k < n, written to PUBLIC_KEY_INPUT (65 bytes). */
  const mul = (k: Uint8Array): boolean => {
    view(ptr.pub, 65).set(p65);
    view(ptr.tweak, 32).set(k);
    return ex.pointMultiply(65, 65) === 1;
  };

  const wasmEcdh: EcdhFn = (sk, pub) => {
    let a: Uint8Array | undefined;
    let b: Uint8Array | undefined;
    try {
      parse(pub);
      for (;;) {
        a = generateSecretKey();
        // b = sk − a mod n inside the module (constant-time scalar code); 0 only when a = sk.
        view(ptr.priv, 32).set(sk);
        view(ptr.tweak, 32).set(a);
        if (ex.privateSub() === 1) {
          b = view(ptr.priv, 32).slice();
          break;
        }
        wipe(a);
      }
      // a·P → PUBLIC_KEY_INPUT2, b·P → PUBLIC_KEY_INPUT, sum compressed → x.
      if (!mul(a)) throw new VeilError('INVALID_KEY', 'scalar multiplication failed');
      view(ptr.pub2, 65).set(view(ptr.pub, 65));
      if (!mul(b)) throw new VeilError('INVALID_KEY', 'scalar multiplication failed');
      // a·P + b·P is infinity only if sk·P is, impossible for 0 < sk < n and P ≠ O of prime order.
      if (ex.pointAdd(65, 65, 33) !== 1) throw new VeilError('INVALID_KEY', 'scalar multiplication failed');
      return view(ptr.pub, 33).slice(1);
    } finally {
      wipe(a, b, p65, view(ptr.priv, 32), view(ptr.tweak, 32), view(ptr.pub, 65), view(ptr.pub2, 65));
    }
  };

  const ecdh: EcdhFn = (sk, pub) => {
    assertSecretKey(sk);
    if (broken) return jsEcdhImpl(sk, pub);
    try {
      return wasmEcdh(sk, pub);
    } catch (e) {
      if (e instanceof VeilError) throw e;
      // The module threw through throwError or trapped: abandon it (see module doc).
      broken = true;
      return jsEcdhImpl(sk, pub);
    }
  };

  const verifySchnorr: SchnorrVerifyFn = (sig, msg, pub) => {
    abytes(sig, 64, 'signature');
    abytes(msg, 32, 'message');
    abytes(pub, 32, 'x-only public key');
    if (broken) return jsVerify(sig, msg, pub);
    try {
      // isPoint(32) is xonly_pubkey_parse: x < p with a square root. Checked first because
      // verifySchnorr would throw for it; r ≥ p and s ≥ n make schnorrsig_verify return 0.
      view(ptr.pub, 32).set(pub);
      if (ex.isPoint(32) !== 1) return false;
      view(ptr.sig, 64).set(sig);
      view(ptr.hash, 32).set(msg);
      view(ptr.xonly, 32).set(pub);
      return ex.verifySchnorr() === 1;
    } catch {
      broken = true;
      return jsVerify(sig, msg, pub);
    } finally {
      wipe(view(ptr.sig, 64), view(ptr.hash, 32), view(ptr.xonly, 32), view(ptr.pub, 32));
    }
  };

  // The secret is checked first (0 < sk < n), so keypair_create cannot refuse it and call throwError.
  const signSchnorr = (msg: Uint8Array, sk: SecretKey, aux: Uint8Array): Uint8Array => {
    abytes(msg, 32, 'message');
    abytes(aux, 32, 'signature aux');
    assertSecretKey(sk);
    if (broken) return jsCurve.signSchnorr(msg, sk, aux);
    try {
      view(ptr.hash, 32).set(msg);
      view(ptr.priv, 32).set(sk);
      view(ptr.extra, 32).set(aux);
      ex.signSchnorr(1);
      return view(ptr.sig, 64).slice();
    } catch {
      broken = true;
      return jsCurve.signSchnorr(msg, sk, aux);
    } finally {
      wipe(view(ptr.hash, 32), view(ptr.priv, 32), view(ptr.extra, 32), view(ptr.sig, 64));
    }
  };

  const xOnlyPublicKey = (sk: SecretKey): Uint8Array => {
    assertSecretKey(sk);
    if (broken) return getXOnlyPublicKey(sk);
    try {
      view(ptr.priv, 32).set(sk);
      ex.xOnlyPointFromScalar();
      return view(ptr.xonly, 32).slice();
    } catch {
      broken = true;
      return getXOnlyPublicKey(sk);
    } finally {
      wipe(view(ptr.priv, 32), view(ptr.xonly, 32));
    }
  };

  // Known-answer self-tests against the JavaScript path: x(3·(7·G)) both ways; BIP-340 vector 0
  // (sk 3, aux and message 0); the x-only key of 7.
  const three = new Uint8Array(32);
  three[31] = 3;
  const seven = new Uint8Array(32);
  seven[31] = 7;
  const p7 = getXOnlyPublicKey(seven);
  const want = jsEcdhImpl(three, p7);
  const got = ecdh(three, p7);
  const zero = new Uint8Array(32);
  const sig0 = bytesToHex(signSchnorr(zero, three, zero));
  if (!equalBytes(got, want) || sig0 !== BIP340_VECTOR_0_SIG || !equalBytes(xOnlyPublicKey(seven), p7) || broken)
    throw new VeilError('INVALID_INPUT', 'wasm secp256k1 self-test failed');

  return { backend: 'wasm', ecdh, verifySchnorr, signSchnorr, xOnlyPublicKey, degraded: () => broken };
}
