/**
 * App-layer loader of the libsecp256k1 WebAssembly module for the scan (sync/scan.ts; spec 0001
 * §Constant time and the WebAssembly path). Vite copies the file into the build under a hashed
 * name and the service worker precaches it (vite.config.ts globPatterns include wasm), so the
 * scan works offline. `veil-secp256k1-wasm` is an alias (vite.config.ts) for tiny-secp256k1's
 * `lib/secp256k1.wasm`, which that package's `exports` map does not expose.
 */
import wasmUrl from 'veil-secp256k1-wasm?url';
import type { WasmLoader } from '../sync/scan';

/** Fetches the module bytes (same origin; the CSP allows 'wasm-unsafe-eval'). */
export const loadSecp256k1Wasm: WasmLoader = async () => {
  const res = await fetch(wasmUrl);
  if (!res.ok) throw new TypeError('secp256k1.wasm not available');
  return new Uint8Array(await res.arrayBuffer());
};
