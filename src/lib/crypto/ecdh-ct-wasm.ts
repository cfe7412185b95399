/**
 * Constant-time secp256k1 ECDH in WebAssembly with one scalar multiply (spec 0001 §Constant
 * time and the WebAssembly path; issue 12 item 2). The module is ours:
 * `src/lib/crypto/wasm/veil-ecdh.wasm`, built by `scripts/build-ecdh-wasm.sh` from
 * `wasm/ecdh/veil_ecdh.c` and libsecp256k1's C sources (vendor/libsecp256k1/, a 2019 snapshot).
 * Its one function, `veil_ecdh`, is libsecp256k1's `secp256k1_ec_pubkey_parse` followed by
 * `secp256k1_ecdh` with an output function that returns x(sk·P) unhashed; the multiply is
 * `secp256k1_ecmult_const` (fixed window, every table entry read by cmov, no secret-dependent
 * branch or index). So, unlike ecdh-wasm.ts (tiny-secp256k1, whose only multiply is variable
 * time and therefore gets the secret split in two), the secret goes to the module as it is.
 *
 * Like ecdh-wasm.ts the caller hands us the bytes or a compiled module: no I/O here, and the
 * same code runs in Node, the page and a service worker.
 *
 * Acceptance is keys.ts `ecdh`'s: the secret goes through `assertSecretKey`; a 32-byte x-only
 * key is handed over as 02‖x (lift_x with even y, as BIP-340 and keys.ts do); 33-byte keys
 * with prefix 02/03 and 65-byte keys with prefix 04 are parsed by the module (x, y < p, on the
 * curve, a square root for the compressed form); every other length or prefix (also the hybrid
 * 06/07 that libsecp256k1 would take) is refused, by us and again by the C code. Refusals throw
 * VeilError('INVALID_KEY') as keys.ts does (INVALID_INPUT for something that is not bytes).
 * Property-tested against keys.ts in tests/unit/ecdh-ct-wasm.test.ts.
 *
 * The module has no imports, never calls out, and reports bad input by returning 0, so hostile
 * keys cannot make it throw (unlike tiny-secp256k1's throwError, see ecdh-wasm.ts). Should it
 * trap anyway (a bug), the instance is abandoned and keys.ts answers from then on.
 *
 * Secrets in wasm memory: after every call we zero the input/output buffer and the whole shadow
 * stack (the first `veil_stack_end()` bytes; the module is linked with --stack-first, so the
 * stack holds every local of the multiply: scalar, wNAF digits, table, intermediate points).
 */
import { abytes, equalBytes, wipe } from '../shared/bytes';
import { VeilError } from '../shared/errors';
import { assertSecretKey, ecdh as jsEcdh, getXOnlyPublicKey } from './keys';
import type { EcdhFn, WasmSource } from './ecdh-wasm';

/** What the constant-time module gives the scan path. */
export interface CtWasmEcdh {
  readonly backend: 'wasm-ct';
  /** Same contract and results as keys.ts `ecdh`; one constant-time multiply (see module doc). */
  ecdh: EcdhFn;
  /** True once the module trapped and keys.ts answers instead (a bug; see module doc). */
  degraded(): boolean;
  /** The module's memory, for tests: between calls it holds no secret (see module doc). */
  readonly memory: WebAssembly.Memory;
}

/** Exports of veil-ecdh.wasm (wasm/ecdh/veil_ecdh.c). */
interface Exports {
  memory: WebAssembly.Memory;
  /** Address of the 97-byte buffer: secret key [0, 32), public key [32, 97); output [0, 32). */
  veil_io(): number;
  /** End of the shadow stack, which occupies [0, veil_stack_end()). */
  veil_stack_end(): number;
  /** x(sk·P) into io[0, 32) for the key at io[32, 32 + publen); 1, or 0 for a refused key. */
  veil_ecdh(publen: number): number;
}

const REQUIRED: readonly (keyof Exports)[] = ['memory', 'veil_io', 'veil_stack_end', 'veil_ecdh'];

const IO_LEN = 32 + 65;

const invalidKey = (): VeilError => new VeilError('INVALID_KEY', 'public key is not a valid secp256k1 point');

/**
 * Instantiates veil-ecdh.wasm and returns its ECDH. Throws VeilError('INVALID_INPUT') if the
 * bytes are not that module (missing exports, imports wanted, layout out of range, failed
 * self-test) and lets WebAssembly's own errors through when WebAssembly is unavailable or
 * refused (CSP); the caller falls back to JavaScript then.
 */
export async function createCtWasmEcdh(source: WasmSource): Promise<CtWasmEcdh> {
  if (typeof WebAssembly !== 'object') throw new VeilError('INVALID_INPUT', 'WebAssembly is unavailable');
  const mod = source instanceof WebAssembly.Module ? source : await WebAssembly.compile(source);
  if (WebAssembly.Module.imports(mod).length !== 0) throw new VeilError('INVALID_INPUT', 'not the expected ECDH module');
  const inst = await WebAssembly.instantiate(mod, {});
  for (const k of REQUIRED) if (!(k in inst.exports)) throw new VeilError('INVALID_INPUT', 'not the expected ECDH module');
  const ex = inst.exports as unknown as Exports;
  const io = ex.veil_io();
  const stackEnd = ex.veil_stack_end();
  const size = ex.memory.buffer.byteLength;
  if (!Number.isInteger(io) || !Number.isInteger(stackEnd) || stackEnd <= 0 || io < stackEnd || io + IO_LEN > size)
    throw new VeilError('INVALID_INPUT', 'not the expected ECDH module');

  let heap = new Uint8Array(ex.memory.buffer);
  /** The whole memory; rebuilt if it ever grew (the module's memory is fixed, but be safe). */
  const mem = (): Uint8Array => {
    if (heap.byteLength === 0 || heap.buffer !== ex.memory.buffer) heap = new Uint8Array(ex.memory.buffer);
    return heap;
  };

  /** True once the module trapped: keys.ts answers every later call. Only reachable through a bug. */
  let broken = false;

  const wasmEcdh: EcdhFn = (sk, pub) => {
    const h = mem();
    try {
      h.set(sk, io);
      let len: number;
      if (pub.length === 32) {
        h[io + 32] = 0x02;
        h.set(pub, io + 33);
        len = 33;
      } else if ((pub.length === 33 && (pub[0] === 0x02 || pub[0] === 0x03)) || (pub.length === 65 && pub[0] === 0x04)) {
        h.set(pub, io + 32);
        len = pub.length;
      } else {
        throw invalidKey();
      }
      // sk was checked (0 < sk < n), so 0 means the module refused the public key.
      if (ex.veil_ecdh(len) !== 1) throw invalidKey();
      return h.slice(io, io + 32);
    } finally {
      const w = mem();
      w.fill(0, io, io + IO_LEN);
      w.fill(0, 0, stackEnd);
    }
  };

  const ecdh: EcdhFn = (sk, pub) => {
    assertSecretKey(sk);
    abytes(pub, undefined, 'public key');
    if (broken) return jsEcdh(sk, pub);
    try {
      return wasmEcdh(sk, pub);
    } catch (e) {
      if (e instanceof VeilError) throw e;
      // The module trapped: abandon it (see module doc).
      broken = true;
      return jsEcdh(sk, pub);
    }
  };

  // Known-answer self-test against keys.ts: x(3·(7·G)) both ways, x-only and SEC1 compressed.
  const three = new Uint8Array(32);
  three[31] = 3;
  const seven = new Uint8Array(32);
  seven[31] = 7;
  const p7 = getXOnlyPublicKey(seven);
  const want = jsEcdh(three, p7);
  const got = wasmEcdh(three, p7);
  const odd = new Uint8Array(33);
  odd[0] = 0x03;
  odd.set(p7, 1);
  const ok = equalBytes(got, want) && equalBytes(wasmEcdh(three, odd), jsEcdh(three, odd));
  wipe(got, want);
  if (!ok) throw new VeilError('INVALID_INPUT', 'ECDH module self-test failed');

  return { backend: 'wasm-ct', ecdh, degraded: () => broken, memory: ex.memory };
}
