/**
 * NIP-01 machine-readable prefixes in `OK false` and `CLOSED` messages:
 * "duplicate:", "pow:", "blocked:", "rate-limited:", "invalid:", "restricted:", "mute:", "error:",
 * and NIP-42's "auth-required:". Relay text is untrusted: it is bounded and stripped of control
 * characters before it is kept anywhere.
 */
import { VeilError } from '../shared/errors';
import type { PublishResult, RejectReason, RelayRejection } from './types';

export const MAX_RELAY_TEXT = 300;

const PREFIXES: readonly RejectReason[] = [
  'duplicate',
  'pow',
  'blocked',
  'rate-limited',
  'invalid',
  'restricted',
  'mute',
  'auth-required',
  'error'
];

/** Bounds and cleans a relay-written string for storage and display as text. */
export function cleanRelayText(text: unknown): string {
  if (typeof text !== 'string') return '';
  // eslint-disable-next-line no-control-regex
  return text.slice(0, MAX_RELAY_TEXT).replace(/[\u0000-\u001f\u007f]/g, ' ');
}

function prefixOf(text: string): { prefix: string; rest: string } {
  const colon = text.indexOf(':');
  return colon > 0 ? { prefix: text.slice(0, colon).trim().toLowerCase(), rest: text.slice(colon + 1) } : { prefix: '', rest: text };
}

const known = (p: string): p is RejectReason => (PREFIXES as readonly string[]).includes(p);

/**
 * Parses the machine-readable prefix of an `OK false` / `CLOSED` message (NIP-01). strfry puts its own
 * "ERROR: " before the NIP-01 prefix ("ERROR: auth-required: requested filter requires authentication"):
 * after one such "error:" the inner prefix, when it is a known one, is the reason.
 */
export function parseRejection(message: unknown): RelayRejection {
  const text = cleanRelayText(message);
  const outer = prefixOf(text);
  if (outer.prefix === 'error') {
    const inner = prefixOf(outer.rest).prefix;
    if (known(inner) && inner !== 'error') return { reason: inner, message: text };
  }
  return { reason: known(outer.prefix) ? outer.prefix : 'unknown', message: text };
}

/**
 * Maps a failed publish result to a typed error (RELAY_REJECTED, RELAY_TIMEOUT, RELAY_UNREACHABLE);
 * null for success. The message names the reason prefix only, never event content.
 */
export function publishError(result: PublishResult): VeilError | null {
  switch (result.status) {
    case 'ok':
      return null;
    case 'rejected':
      return new VeilError('RELAY_REJECTED', `relay rejected the event (${result.reason})`);
    case 'timeout':
      return new VeilError('RELAY_TIMEOUT', 'relay did not answer in time');
    case 'unreachable':
      return new VeilError('RELAY_UNREACHABLE', 'relay is unreachable');
  }
}

/** A typed error for a subscription the relay ended with CLOSED. */
export function closedError(rejection: RelayRejection): VeilError {
  return new VeilError('RELAY_CLOSED', `relay closed the subscription (${rejection.reason})`);
}

/** A relay's OK as a typed result: `duplicate:` counts as accepted (NIP-01). */
export function okResult(relay: string, ok: boolean, message: unknown): PublishResult {
  if (ok) {
    const text = cleanRelayText(message);
    return { relay, status: 'ok', duplicate: text.startsWith('duplicate:'), message: text };
  }
  const r = parseRejection(message);
  return r.reason === 'duplicate' ? { relay, status: 'ok', duplicate: true, message: r.message } : { relay, status: 'rejected', reason: r.reason, message: r.message };
}
