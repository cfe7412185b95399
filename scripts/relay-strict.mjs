// Strict mode for the local relay (`node scripts/relay.mjs --strict`): the defaults of strfry, the most
// deployed relay, as clients meet them (docs/relay.md, "Strict mode"). Written from strfry's documented
// behaviour and observed answers; no strfry code is used.
//
// - Reads of kinds 4 and 1059 need NIP-42 AUTH: a REQ whose every filter asks only for those kinds, on a
//   connection that has not authenticated, gets `["AUTH", challenge]` (once per connection, on demand)
//   and `["CLOSED", sub, "ERROR: auth-required: requested filter requires authentication"]`. After AUTH,
//   such events go only to the pubkey they involve (author or `p` tag), stored and live alike.
// - REQ filters: unknown keys, tag filters on more than 3 letters, `#e`/`#p` values that are not 64 hex,
//   or more than 20 filters fail the whole REQ with a NOTICE "ERROR: bad req: …"; `limit` is capped at 500.
// - EVENT: more than 64 KiB of JSON, or created_at more than 900 s ahead, is refused with OK false "invalid: …".
// - 200 subscriptions per connection.
import { randomBytes } from 'node:crypto';
import { verifyEvent } from 'nostr-tools/pure';

export const STRICT_LIMITS = Object.freeze({
  maxEventBytes: 64 * 1024,
  maxLimit: 500,
  maxTagLetters: 3,
  maxFilters: 20,
  maxSubscriptions: 200,
  createdAtAheadSeconds: 900,
  authWindowSeconds: 600,
  restrictedKinds: Object.freeze([4, 1059])
});

export const AUTH_REQUIRED_REASON = 'ERROR: auth-required: requested filter requires authentication';

const FILTER_KEYS = new Set(['ids', 'authors', 'kinds', 'since', 'until', 'limit', 'search']);
const HEX64 = /^[0-9a-f]{64}$/;
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Why a filter is refused (strfry's wording after "bad req: "), or null when it is acceptable. */
export function filterProblem(filter) {
  if (!filter || typeof filter !== 'object' || Array.isArray(filter)) return 'filter is not an object';
  let letters = 0;
  for (const [key, value] of Object.entries(filter)) {
    if (key.startsWith('#')) {
      if (key.length !== 2) return 'unindexed tag filter';
      letters += 1;
      if (!Array.isArray(value)) return 'tag filter is not an array';
      if ((key === '#e' || key === '#p') && !value.every((v) => typeof v === 'string' && HEX64.test(v)))
        return 'filter item too small';
    } else if (!FILTER_KEYS.has(key)) {
      return 'unrecognised filter item';
    }
  }
  if (letters > STRICT_LIMITS.maxTagLetters) return 'too many tags in filter';
  return null;
}

const restricted = (kind) => STRICT_LIMITS.restrictedKinds.includes(kind);

/** True when every filter asks for restricted kinds only (strfry's "fully restricted" filter group). */
export function fullyRestricted(filters) {
  return filters.length > 0 && filters.every((f) => Array.isArray(f.kinds) && f.kinds.length > 0 && f.kinds.every(restricted));
}

/** An event of a restricted kind goes only to the authenticated pubkey it involves. */
export function mayReceive(event, authed) {
  if (!restricted(event.kind)) return true;
  if (!authed) return false;
  return event.pubkey === authed || event.tags.some((t) => t[0] === 'p' && t[1] === authed);
}

/**
 * Per-connection strict state. `inbound(message)` returns the message to hand to the relay core (limit
 * capped), or null when this module answered it itself through `reply`. `outbound(data)` says whether a
 * frame the core wants to send may go out.
 */
export function strictConnection({ reply, relayUrl }) {
  let challenge = null;
  let authed = null;

  function answerAuth(event) {
    const id = typeof event?.id === 'string' ? event.id : '';
    const fail = (why) => reply(['OK', id, false, `invalid: ${why}`]);
    if (!challenge) return fail('no challenge was sent');
    if (!event || event.kind !== 22242 || !Array.isArray(event.tags)) return fail('not an auth event');
    if (!verifyEvent(event)) return fail('bad signature');
    if (Math.abs(event.created_at - nowSeconds()) > STRICT_LIMITS.authWindowSeconds) return fail('created_at out of range');
    const tag = (name) => event.tags.find((t) => t[0] === name)?.[1];
    if (tag('challenge') !== challenge) return fail('wrong challenge');
    const relayTag = tag('relay');
    if (typeof relayTag !== 'string' || !sameHost(relayTag, relayUrl)) return fail('wrong relay');
    authed = event.pubkey;
    reply(['OK', id, true, '']);
  }

  function inbound(message) {
    if (!Array.isArray(message)) return message;
    const [type] = message;
    if (type === 'AUTH') {
      answerAuth(message[1]);
      return null;
    }
    if (type === 'EVENT') {
      const event = message[1];
      const id = typeof event?.id === 'string' ? event.id : '';
      if (Buffer.byteLength(JSON.stringify(event ?? null)) > STRICT_LIMITS.maxEventBytes) {
        reply(['OK', id, false, 'invalid: event too large']);
        return null;
      }
      if (typeof event?.created_at === 'number' && event.created_at > nowSeconds() + STRICT_LIMITS.createdAtAheadSeconds) {
        reply(['OK', id, false, 'invalid: created_at too late']);
        return null;
      }
      return message;
    }
    if (type === 'REQ') {
      const sub = message[1];
      const filters = message.slice(2);
      if (filters.length > STRICT_LIMITS.maxFilters) {
        reply(['NOTICE', 'ERROR: bad req: arr too big']);
        return null;
      }
      for (const f of filters) {
        const problem = filterProblem(f);
        if (problem) {
          reply(['NOTICE', `ERROR: bad req: ${problem}`]);
          return null;
        }
      }
      if (!authed && fullyRestricted(filters)) {
        if (!challenge) {
          challenge = randomBytes(16).toString('base64url');
          reply(['AUTH', challenge]);
        }
        reply(['CLOSED', sub, AUTH_REQUIRED_REASON]);
        return null;
      }
      const capped = filters.map((f) =>
        typeof f.limit === 'number' && f.limit > STRICT_LIMITS.maxLimit ? { ...f, limit: STRICT_LIMITS.maxLimit } : f
      );
      return ['REQ', sub, ...capped];
    }
    return message;
  }

  function outbound(data) {
    if (!data.startsWith('["EVENT"')) return true;
    const event = JSON.parse(data)[2];
    return mayReceive(event, authed);
  }

  return { inbound, outbound };
}

function sameHost(a, b) {
  try {
    const x = new URL(a);
    const y = new URL(b);
    const port = (u) => u.port || (u.protocol === 'wss:' || u.protocol === 'https:' ? '443' : '80');
    return x.hostname === y.hostname && port(x) === port(y);
  } catch {
    return false;
  }
}
