/**
 * Parsing of relay → client frames (NIP-01, NIP-42). Defensive: anything oversized, non-JSON or
 * wrongly shaped becomes `garbage` or `oversized` for the connection to count and ignore; nothing
 * here throws. Payloads that the connection interprets later (OK and CLOSED messages, NOTICE text)
 * stay `unknown` and are cleaned by ./reasons.ts.
 */

/** Longest NIP-42 challenge we answer. */
export const MAX_AUTH_CHALLENGE = 512;

export type RelayFrame =
  /** `raw` is an UNVERIFIED event object: the pool verifies it before anything else. */
  | { type: 'EVENT'; subId: string; raw: object }
  | { type: 'EOSE'; subId: string }
  | { type: 'OK'; eventId: string; ok: boolean; message: unknown }
  | { type: 'CLOSED'; subId: string; message: unknown }
  | { type: 'NOTICE'; message: unknown }
  | { type: 'AUTH'; challenge: string }
  /** A well-formed frame that is not ours (COUNT, NEG-*, future types, an over-long challenge). */
  | { type: 'ignored' }
  | { type: 'garbage' }
  | { type: 'oversized' };

const GARBAGE: RelayFrame = { type: 'garbage' };
const IGNORED: RelayFrame = { type: 'ignored' };

/** Parses one WebSocket message of at most `maxLength` characters. Never throws. */
export function parseRelayFrame(data: unknown, maxLength: number): RelayFrame {
  if (typeof data !== 'string') return GARBAGE;
  if (data.length > maxLength) return { type: 'oversized' };
  let msg: unknown;
  try {
    msg = JSON.parse(data);
  } catch {
    return GARBAGE;
  }
  if (!Array.isArray(msg) || typeof msg[0] !== 'string') return GARBAGE;
  const [type, a, b, c] = msg as unknown[];
  switch (type) {
    case 'EVENT':
      return typeof a === 'string' && typeof b === 'object' && b !== null ? { type, subId: a, raw: b } : GARBAGE;
    case 'EOSE':
      return typeof a === 'string' ? { type, subId: a } : GARBAGE;
    case 'OK':
      return typeof a === 'string' && typeof b === 'boolean' ? { type, eventId: a, ok: b, message: c } : GARBAGE;
    case 'CLOSED':
      return typeof a === 'string' ? { type, subId: a, message: b } : GARBAGE;
    case 'NOTICE':
      return { type, message: a };
    case 'AUTH':
      return typeof a === 'string' && a.length <= MAX_AUTH_CHALLENGE ? { type, challenge: a } : IGNORED;
    default:
      return IGNORED;
  }
}
