/**
 * App-layer loaders of the two libsecp256k1 WebAssembly modules of the scan (sync/scan.ts; spec
 * 0001 §Constant time and the WebAssembly path): tiny-secp256k1's (BIP-340 verification) and
 * ours, veil-ecdh.wasm (constant-time ECDH, crypto/ecdh-ct-wasm.ts). Vite copies the files into
 * the build under hashed names; they are loaded after sign-in and kept on first use, each in a
 * cache of its own (wasm-cache.ts), not precached. Offline before they were ever fetched, the
 * scan runs on JavaScript (loadScanCrypto). `veil-secp256k1-wasm` is an alias (vite.config.ts)
 * for tiny-secp256k1's `lib/secp256k1.wasm`, which that package's `exports` map does not expose.
 */
import wasmUrl from 'veil-secp256k1-wasm?url';
import ecdhWasmUrl from '$lib/crypto/wasm/veil-ecdh.wasm?url';
import type { WasmLoader } from '../sync/scan';
import { cachedBytes } from './wasm-cache';

/** tiny-secp256k1's module bytes (same origin; the CSP allows 'wasm-unsafe-eval'). */
export const loadSecp256k1Wasm: WasmLoader = () => cachedBytes(wasmUrl);

/** veil-ecdh.wasm's bytes (42 KB), in a cache of its own so the two files do not evict each other. */
export const loadEcdhWasm: WasmLoader = () => cachedBytes(ecdhWasmUrl, 'veil-wasm-ecdh');
