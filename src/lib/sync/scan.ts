/**
 * The crypto of the intro-mailbox scan (spec 0001 §Trial open and §Constant time and the
 * WebAssembly path; issue 3 item 6): every envelope from a relay is verified (id + BIP-340) and
 * then trial-opened, one ECDH each. libsecp256k1 in WebAssembly (crypto/ecdh-wasm.ts) does both
 * several times faster than JavaScript; when WebAssembly is missing or refused (old engine, CSP
 * without 'wasm-unsafe-eval', a damaged file) we fall back to the JavaScript path, which gives
 * the same results, only slower.
 *
 * Platform-neutral: the caller passes a loader that returns the module bytes (the app fetches
 * the URL Vite gives for `tiny-secp256k1/lib/secp256k1.wasm?url`; Node reads the file).
 */
import { trustEvent, type TrustedEvent } from '../shared/trusted-event';
import { getEventHash } from 'nostr-tools/pure';
import { createWasmEcdh, jsEcdh, type EcdhFn, type SchnorrVerifyFn, type WasmSource } from '../crypto/ecdh-wasm';
import { trialOpenSync, type EnvelopeKey, type UnwrappedEnvelope } from '../crypto/envelope';
import { schnorr } from '@noble/curves/secp256k1.js';
import { hexToBytes } from '../shared/bytes';
import type { EventVerifier, NostrEvent } from '../relay/types';

/** Returns the bytes of tiny-secp256k1's `secp256k1.wasm` (or the compiled module). */
export type WasmLoader = () => Promise<WasmSource>;

/** ECDH and event verification for the scan, with the backend that provides them. */
export interface ScanCrypto {
  readonly backend: 'wasm' | 'js';
  /** keys.ts `ecdh` contract; pass as `trialOpen(…, { ecdh })`. */
  readonly ecdh: EcdhFn;
  /** NIP-01 id recomputation + BIP-340; pass as RelayPool's `verify`. Never throws. */
  readonly verifyEvent: EventVerifier;
  /** The BIP-340 check alone, for shared/trusted-event's `trustEvent(…, { schnorr })`. */
  readonly schnorr: SchnorrVerifyFn;
  /** Why the JavaScript path is in use (no loader, or the error class name); absent for wasm. */
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
  const verify: SchnorrVerifyFn = (s, m, p) => schnorr.verify(s, m, p);
  return { backend: 'js', ecdh: jsEcdh, verifyEvent: eventVerifier(verify), schnorr: verify, fallbackReason };
}

const loaded = new WeakMap<WasmLoader, Promise<ScanCrypto>>();

/**
 * Loads the WebAssembly module once per loader (later calls share the promise) and returns the
 * scan crypto; on any failure (WebAssembly undefined, fetch error, CSP refusal, self-test
 * mismatch) returns the JavaScript path with the reason. Never rejects.
 */
export function loadScanCrypto(load?: WasmLoader): Promise<ScanCrypto> {
  if (!load || typeof WebAssembly !== 'object') return Promise.resolve(jsScanCrypto(load ? 'WebAssembly unavailable' : undefined));
  let p = loaded.get(load);
  if (!p) {
    p = (async (): Promise<ScanCrypto> => {
      try {
        const w = await createWasmEcdh(await load());
        return { backend: 'wasm', ecdh: w.ecdh, verifyEvent: eventVerifier(w.verifySchnorr), schnorr: w.verifySchnorr };
      } catch (e) {
        // Only the error's class name: messages may carry URLs or paths.
        return jsScanCrypto(e instanceof Error ? e.name : 'load failed');
      }
    })();
    loaded.set(load, p);
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
