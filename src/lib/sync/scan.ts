/**
 * The crypto of the intro-mailbox scan (spec 0001 §Trial open and §Constant time and the
 * WebAssembly path; issue 3 item 6, issue 12 item 2): every envelope from a relay is verified
 * (id + BIP-340) and then trial-opened, one ECDH each. Two libsecp256k1 WebAssembly modules do
 * that several times faster than JavaScript: tiny-secp256k1's (crypto/ecdh-wasm.ts) verifies
 * BIP-340, and ours, veil-ecdh.wasm (crypto/ecdh-ct-wasm.ts), does the ECDH with one
 * constant-time multiply. Each falls back on its own: without veil-ecdh.wasm the ECDH is
 * tiny-secp256k1's split-secret one, without either module it is keys.ts; when WebAssembly is
 * missing or refused (old engine, CSP without 'wasm-unsafe-eval', a damaged file) everything
 * runs on the JavaScript path, which gives the same results, only slower.
 *
 * Platform-neutral: the caller passes loaders that return the module bytes (the app fetches the
 * URLs Vite gives for the two .wasm files; Node reads the files).
 */
import { trustEvent, type TrustedEvent } from '../shared/trusted-event';
import { getEventHash } from 'nostr-tools/pure';
import { createWasmEcdh, jsEcdh, type EcdhFn, type SchnorrVerifyFn, type WasmSource } from '../crypto/ecdh-wasm';
import { createCtWasmEcdh } from '../crypto/ecdh-ct-wasm';
import { jsCurve, wasmCurve, type Curve } from '../crypto/curve';
import { trialOpenSync, type EnvelopeKey, type UnwrappedEnvelope } from '../crypto/envelope';
import { hexToBytes } from '../shared/bytes';
import type { EventVerifier, NostrEvent } from '../relay/types';

/** Returns the bytes of a module (or the compiled module): tiny-secp256k1's `secp256k1.wasm`, or veil-ecdh.wasm. */
export type WasmLoader = () => Promise<WasmSource>;

/** ECDH and event verification for the scan, with the backend that provides them. */
export interface ScanCrypto {
  readonly backend: 'wasm' | 'js';
  /** Which ECDH `ecdh` is: veil-ecdh.wasm (constant time), tiny-secp256k1 split secret, or keys.ts. */
  readonly ecdhBackend: 'wasm-ct' | 'wasm-split' | 'js';
  /** keys.ts `ecdh` contract; pass as `trialOpen(…, { ecdh })`. */
  readonly ecdh: EcdhFn;
  /** NIP-01 id recomputation + BIP-340; pass as RelayPool's `verify`. Never throws. */
  readonly verifyEvent: EventVerifier;
  /** The BIP-340 check alone, for shared/trusted-event's `trustEvent(…, { schnorr })`. */
  readonly schnorr: SchnorrVerifyFn;
  /** Everything a seal and an open need (crypto/curve.ts), on the same modules: pass to sealEnvelope and finishOpen. */
  readonly curve: Curve;
  /** Why JavaScript verifies (no loader, or tiny-secp256k1's error class name); absent when its wasm loaded. */
  readonly fallbackReason?: string;
}

function eventVerifier(verifySchnorr: SchnorrVerifyFn): EventVerifier {
  return (e: NostrEvent) => {
    try {
      if (getEventHash(e) !== e.id) return false;
      return verifySchnorr(hexToBytes(e.sig, 64), hexToBytes(e.id, 32), hexToBytes(e.pubkey, 32));
    } catch {
      return false;
    }
  };
}

/** The JavaScript scan crypto (keys.ts ECDH on @noble/curves, @noble/curves schnorr). */
export function jsScanCrypto(fallbackReason = 'no WebAssembly loader'): ScanCrypto {
  const verify = jsCurve.verifySchnorr;
  return { backend: 'js', ecdhBackend: 'js', ecdh: jsEcdh, verifyEvent: eventVerifier(verify), schnorr: verify, curve: jsCurve, fallbackReason };
}

/** Promises by loader pair: tiny-secp256k1's loader, then veil-ecdh.wasm's (or none). */
const loaded = new WeakMap<WasmLoader, { none?: Promise<ScanCrypto>; byCt: WeakMap<WasmLoader, Promise<ScanCrypto>> }>();

/** The error's class name only (messages may carry URLs or paths). */
const reason = (e: unknown): string => (e instanceof Error ? e.name : 'load failed');

/**
 * Loads the WebAssembly modules once per pair of loaders (later calls share the promise) and
 * returns the scan crypto. `load` gives tiny-secp256k1's module (BIP-340, and the split-secret
 * ECDH); `loadCt`, if given, veil-ecdh.wasm, whose constant-time ECDH is then used instead. On
 * any failure (WebAssembly undefined, fetch error, CSP refusal, self-test mismatch) the part
 * that failed falls back (see module doc); with neither module, the JavaScript path with the
 * reason. Never rejects.
 */
export function loadScanCrypto(load?: WasmLoader, loadCt?: WasmLoader): Promise<ScanCrypto> {
  if (!load || typeof WebAssembly !== 'object') return Promise.resolve(jsScanCrypto(load ? 'WebAssembly unavailable' : undefined));
  let byLoad = loaded.get(load);
  if (!byLoad) loaded.set(load, (byLoad = { byCt: new WeakMap() }));
  let p = loadCt ? byLoad.byCt.get(loadCt) : byLoad.none;
  if (!p) {
    p = (async (): Promise<ScanCrypto> => {
      const [w, c] = await Promise.all([
        (async () => createWasmEcdh(await load()))().catch((e: unknown) => reason(e)),
        loadCt ? (async () => createCtWasmEcdh(await loadCt()))().catch(() => null) : null
      ]);
      if (typeof w === 'string') {
        if (!c) return jsScanCrypto(w);
        return { ...jsScanCrypto(w), backend: 'wasm', ecdhBackend: 'wasm-ct', ecdh: c.ecdh, curve: { ...jsCurve, ecdh: c.ecdh } };
      }
      const ecdh = c ? c.ecdh : w.ecdh;
      return { backend: 'wasm', ecdhBackend: c ? 'wasm-ct' : 'wasm-split', ecdh, verifyEvent: eventVerifier(w.verifySchnorr), schnorr: w.verifySchnorr, curve: wasmCurve(w, ecdh) };
    })();
    if (loadCt) byLoad.byCt.set(loadCt, p);
    else byLoad.none = p;
  }
  return p;
}

/** One trial-open result of a batch: the unwrapped envelope, or null for a foreign one. */
export interface ScanResult {
  readonly event: TrustedEvent;
  readonly unwrapped: UnwrappedEnvelope | null;
}

/**
 * Trial-opens already verified envelopes with the scan's ECDH, in order (spec 0001 §Trial open).
 * One bad envelope never fails the batch: it yields null. Callers finish the ones that unwrapped
 * with `finishOpen` (which wipes their session keys). Runs as one synchronous loop (the unwrap is
 * synchronous); async only for the callers that await it.
 */
export async function trialOpenBatch(events: readonly TrustedEvent[], key: EnvelopeKey, scan: Pick<ScanCrypto, 'ecdh'>): Promise<ScanResult[]> {
  const opts = { ecdh: scan.ecdh };
  return events.map((event) => ({ event, unwrapped: trialOpenSync(event, key, opts) }));
}

/** One event of `scanBatch`: not verified (dropped), or verified and trial-opened. */
export type ScanBatchResult =
  | { readonly verified: false; readonly event: NostrEvent }
  | { readonly verified: true; readonly event: TrustedEvent; readonly unwrapped: UnwrappedEnvelope | null };

/**
 * The whole intro-mailbox scan step for events straight from a relay (spec 0001 §Validation,
 * §Trial open): for each event, in order, id + BIP-340 signature with the scan's verifier, then,
 * only if that passed, the trial open, all in one synchronous loop with no promise per event.
 * Events that fail verification are reported unverified and never trial-opened. Never throws.
 */
export function scanBatch(events: readonly NostrEvent[], key: EnvelopeKey, scan: Pick<ScanCrypto, 'ecdh' | 'schnorr'>): ScanBatchResult[] {
  const opts = { ecdh: scan.ecdh };
  const trust = { schnorr: scan.schnorr };
  return events.map((event): ScanBatchResult => {
    // The one verifier (shared/trusted-event.ts): shape, id recomputed, BIP-340 on the scan's backend.
    const t = trustEvent(event, trust);
    if (!t.ok) return { verified: false, event };
    return { verified: true, event: t.event, unwrapped: trialOpenSync(t.event, key, opts) };
  });
}
