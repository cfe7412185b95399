/**
 * The secp256k1 operations of a seal and an open (spec 0001 §Sealing, §Validation, §Constant time and
 * the WebAssembly path), behind one interface so the same envelope code runs on JavaScript or on
 * libsecp256k1 compiled to WebAssembly (issue 12 item 4). `jsCurve` is @noble/curves and keys.ts; the
 * scan's modules give a WebAssembly one (crypto/ecdh-wasm.ts `wasmCurve`, sync/scan.ts). Both give
 * identical results: the same x-only keys, the same ECDH x coordinate, the same BIP-340 signature for a
 * given auxiliary randomness (tests/unit/curve-wasm.test.ts against the BIP-340 vectors and noble).
 *
 * Every operation that touches a secret here is constant time on both backends: noble's base-point
 * multiply and keys.ts ECDH are; on WebAssembly the key and the signature come from libsecp256k1's
 * `keypair_create` and `schnorrsig_sign` (constant-time ecmult_gen, context blinded), the ECDH from
 * veil-ecdh.wasm's one constant-time multiply or tiny-secp256k1's split secret (ecdh-wasm.ts).
 */
import { schnorr } from '@noble/curves/secp256k1.js';
import { abytes } from '../shared/bytes';
import type { EcdhFn, SchnorrVerifyFn, WasmSecp256k1 } from './ecdh-wasm';
import { assertSecretKey, ecdh, getXOnlyPublicKey, type SecretKey, type XOnlyPublicKey } from './keys';

export interface Curve {
  readonly backend: 'js' | 'wasm';
  /** BIP-340 x-only public key of a valid secret key (keys.ts `getXOnlyPublicKey` contract). */
  xOnlyPublicKey(sk: SecretKey): XOnlyPublicKey;
  /** x(sk·P), P validated (keys.ts `ecdh` contract: throws INVALID_KEY for a bad point). */
  readonly ecdh: EcdhFn;
  /** BIP-340 signature (64 bytes) of a 32-byte message under `sk`, with 32 bytes of auxiliary randomness. */
  signSchnorr(msg: Uint8Array, sk: SecretKey, aux: Uint8Array): Uint8Array;
  /** BIP-340 verification; false (never a throw) for any malformed input. */
  readonly verifySchnorr: SchnorrVerifyFn;
}

/** The JavaScript curve: keys.ts and @noble/curves' BIP-340. */
export const jsCurve: Curve = {
  backend: 'js',
  xOnlyPublicKey: getXOnlyPublicKey,
  ecdh,
  signSchnorr: (msg, sk, aux) => {
    abytes(msg, 32, 'message');
    abytes(aux, 32, 'signature aux');
    assertSecretKey(sk);
    return schnorr.sign(msg, sk, aux);
  },
  verifySchnorr: (sig, msg, pub) => {
    try {
      return schnorr.verify(sig, msg, pub);
    } catch {
      return false;
    }
  }
};

/**
 * The WebAssembly curve: tiny-secp256k1's module signs, verifies and derives keys; the ECDH is `ecdh`
 * when given (veil-ecdh.wasm's constant-time one), else the module's split-secret ECDH.
 */
export function wasmCurve(w: Pick<WasmSecp256k1, 'ecdh' | 'verifySchnorr' | 'signSchnorr' | 'xOnlyPublicKey'>, ecdh?: EcdhFn): Curve {
  return { backend: 'wasm', xOnlyPublicKey: w.xOnlyPublicKey, ecdh: ecdh ?? w.ecdh, signSchnorr: w.signSchnorr, verifySchnorr: w.verifySchnorr };
}
