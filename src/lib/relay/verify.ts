/**
 * The relay layer's door to shared/trusted-event.ts (docs/design.md §5): every event from a relay
 * becomes a frozen TrustedEvent here, or is dropped, before the pool looks at its id.
 */
import { checkEventShape, RELAY_EVENT_LIMITS } from '../shared/event-shape';
import { eventId, trustEvent, verifyEventSignature } from '../shared/trusted-event';
import type { TrustedEvent } from '../shared/trusted-event';
import type { EventVerifier, NostrEvent } from './types';

/** Size bounds for one event from a relay. Veil's own events are far below them. */
export const EVENT_LIMITS = RELAY_EVENT_LIMITS;

/** Default verifier: the id recomputed (NIP-01 serialization) and the BIP-340 signature checked. */
export const defaultVerifier: EventVerifier = verifyEventSignature;

/** Returns a clean copy of `raw` if it has exactly the NIP-01 event shape within EVENT_LIMITS, else null. */
export function parseEventShape(raw: unknown): NostrEvent | null {
  const r = checkEventShape(raw, EVENT_LIMITS);
  return r.ok ? r.event : null;
}

/**
 * Verifies an event received from a relay: shape and sizes, then id and signature.
 * Returns a frozen `TrustedEvent`, or null for anything else (never throws; a throwing
 * verifier counts as a failure). Callers must run this before dedupe, storage or display.
 */
export function verifyRelayEvent(raw: unknown, verifier: EventVerifier = defaultVerifier): TrustedEvent | null {
  const r = trustEvent(raw, { rules: EVENT_LIMITS, verifier: verifier === defaultVerifier ? undefined : verifier });
  return r.ok ? r.event : null;
}

/** Signatures remembered by `rememberingVerifier`, per pool. */
export const VERIFIED_SIGNATURES_KEPT = 50_000;

/**
 * A verifier that recomputes every event's id but checks a signature only once (docs/design.md §5):
 * the id commits to pubkey, kind, tags and content, so an event whose recomputed id and signature
 * equal ones already verified is the same signed event. Buckets are read again and again (a
 * resubscription, each Private-mode poll), and the BIP-340 check is what costs; the id hash does
 * not. Keeps the last VERIFIED_SIGNATURES_KEPT (id, sig) pairs. Never throws.
 */
export function rememberingVerifier(inner: EventVerifier, kept = VERIFIED_SIGNATURES_KEPT): EventVerifier {
  const ok = new Set<string>();
  return (e: NostrEvent) => {
    try {
      if (eventId(e) !== e.id) return false;
      const key = e.id + e.sig;
      if (ok.has(key)) return true;
      if (inner(e) !== true) return false;
      if (ok.size >= kept) ok.delete(ok.values().next().value!);
      ok.add(key);
      return true;
    } catch {
      return false;
    }
  };
}
