/**
 * App-layer loader of the libsecp256k1 WebAssembly module for the scan (sync/scan.ts; spec 0001
 * §Constant time and the WebAssembly path). Vite copies the file into the build under a hashed
 * name; it is loaded after sign-in and kept in a cache on first use (wasm-cache.ts), not precached.
 * Offline before it was ever fetched, the scan runs on JavaScript (loadScanCrypto).
 * `veil-secp256k1-wasm` is an alias (vite.config.ts) for tiny-secp256k1's `lib/secp256k1.wasm`,
 * which that package's `exports` map does not expose.
 */
import wasmUrl from 'veil-secp256k1-wasm?url';
import type { WasmLoader } from '../sync/scan';
import { cachedBytes } from './wasm-cache';

/** The module bytes (same origin; the CSP allows 'wasm-unsafe-eval'). */
export const loadSecp256k1Wasm: WasmLoader = () => cachedBytes(wasmUrl);
