// Blossom authorization (BUD-01/BUD-02, docs/blossom.md): the `Authorization: Nostr <base64 event>`
// header carries a signed kind 24242 event. Pure functions: no I/O, the clock is passed in.
import { verifyEvent } from 'nostr-tools/pure';

export const AUTH_KIND = 24242;
/** How far in the future an auth event's created_at may be (clock skew between client and server). */
export const CREATED_AT_SLACK_SECONDS = 60;

const tagValue = (event, name) => event.tags.find((t) => Array.isArray(t) && t[0] === name)?.[1];

/**
 * Decodes and checks an Authorization header for `verb` ('upload', 'delete', 'list', 'get').
 * Returns `{ event }` or `{ error }` (a sentence for X-Reason). The `x` tags are checked
 * separately (hasHash), since an upload's hash is only known once the body is read.
 */
export function checkAuth(header, verb, nowSeconds) {
  if (!header) return { error: 'Missing Authorization header.' };
  const m = /^Nostr\s+([A-Za-z0-9+/=_-]+)\s*$/.exec(header);
  if (!m) return { error: 'Authorization header must be "Nostr <base64 event>".' };
  let event;
  try {
    event = JSON.parse(Buffer.from(m[1], 'base64').toString('utf8'));
  } catch {
    return { error: 'Authorization event is not base64-encoded JSON.' };
  }
  if (!event || typeof event !== 'object' || !Array.isArray(event.tags)) return { error: 'Authorization event is malformed.' };
  if (event.kind !== AUTH_KIND) return { error: `Authorization event must be kind ${AUTH_KIND}.` };
  let valid;
  try {
    valid = verifyEvent(event);
  } catch {
    valid = false;
  }
  if (!valid) return { error: 'Authorization event has an invalid id or signature.' };
  if (typeof event.created_at !== 'number' || event.created_at > nowSeconds + CREATED_AT_SLACK_SECONDS)
    return { error: 'Authorization event is created in the future.' };
  if (tagValue(event, 't') !== verb) return { error: `Authorization event must have a "t" tag of "${verb}".` };
  const expiration = Number.parseInt(tagValue(event, 'expiration') ?? '', 10);
  if (Number.isNaN(expiration)) return { error: 'Authorization event has no "expiration" tag.' };
  if (expiration <= nowSeconds) return { error: 'Authorization event has expired.' };
  return { event };
}

/** The hashes the event's `x` tags name (empty when it names none). */
export function authHashes(event) {
  return event.tags.filter((t) => Array.isArray(t) && t[0] === 'x' && typeof t[1] === 'string').map((t) => t[1]);
}

/** True when the event names no hash, or names `sha256` among its `x` tags. */
export function allowsHash(event, sha256) {
  const hashes = authHashes(event);
  return hashes.length === 0 || hashes.includes(sha256);
}
