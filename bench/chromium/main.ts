/** The page of bench/chromium/run.ts: envelope.bench.ts's run() with the wasm fetched as the app fetches it. */
import wasmUrl from 'veil-secp256k1-wasm?url';
import ctWasmUrl from '../../src/lib/crypto/wasm/veil-ecdh.wasm?url';
import { run } from '../envelope.bench';
import { setCtWasmLoader } from '../ct-ecdh';

const loadWasm = async (): Promise<Uint8Array> => new Uint8Array(await (await fetch(wasmUrl)).arrayBuffer());
setCtWasmLoader(async () => new Uint8Array(await (await fetch(ctWasmUrl)).arrayBuffer()));
(window as unknown as { __bench: { run(): ReturnType<typeof run> } }).__bench = { run: () => run(loadWasm) };
