/**
 * The one relay-URL normaliser (docs/proposals/0003-mailboxes.md §Relay URL). Every layer keys
 * relays by its output: the relay pool (one socket, one status, one dedupe source per relay) and
 * mailbox derivation, which hashes these bytes, so sender and reader must agree byte for byte.
 * Two normalisers that differ on one input would put a message in a mailbox nobody reads.
 */
import { VeilError } from './errors';

/** Longest relay URL accepted, input (after trimming) and output alike. The output is ASCII, so characters = bytes. */
export const MAX_RELAY_URL_LENGTH = 512;

function invalid(why: string): VeilError {
  return new VeilError('RELAY_URL_INVALID', `relay URL ${why}`);
}

/**
 * Returns the canonical form of a relay URL (spec 0003 §Relay URL): surrounding whitespace trimmed;
 * it must then start with `ws://` or `wss://` (any case) and hold no space or control character;
 * WHATWG URL parse (which lowercases and IDNA-encodes the host, drops a default port and
 * percent-encodes the path and query); no user or password; fragment dropped; every trailing `/`
 * of the path removed; query kept. Result `scheme "://" host [":" port] path query`, ASCII, at most
 * 512 characters. Idempotent. Throws RELAY_URL_INVALID otherwise.
 */
export function normalizeRelayUrl(input: unknown): string {
  if (typeof input !== 'string') throw invalid('must be a string');
  const s = input.trim();
  if (s.length === 0) throw invalid('is empty');
  if (s.length > MAX_RELAY_URL_LENGTH) throw invalid(`is longer than ${MAX_RELAY_URL_LENGTH} characters`);
  // The WHATWG parser would silently delete tabs and newlines inside the URL, so "wss://a\nb" and
  // "wss://ab" would be one relay; we refuse them instead, and spaces with them.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0020\u007f]/.test(s)) throw invalid('contains spaces or control characters');
  // Also refuses what the parser would repair: "wss:relay.example", "wss:\\relay.example".
  if (!/^wss?:\/\//i.test(s)) throw invalid('must start with ws:// or wss://');
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    throw invalid('is not a valid URL');
  }
  if (u.protocol !== 'ws:' && u.protocol !== 'wss:') throw invalid('must use ws or wss');
  if (u.username !== '' || u.password !== '') throw invalid('must not contain credentials');
  if (u.hostname === '') throw invalid('has no host');
  // ws and wss are WHATWG "special" schemes: `host` is already lowercase, punycode, without a default port.
  const out = `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}${u.search}`;
  if (out.length > MAX_RELAY_URL_LENGTH) throw invalid(`is longer than ${MAX_RELAY_URL_LENGTH} characters`);
  return out;
}

/** True when `input` is a relay URL that normalizeRelayUrl accepts. */
export function isRelayUrl(input: unknown): boolean {
  try {
    normalizeRelayUrl(input);
    return true;
  } catch {
    return false;
  }
}

/** True when `input` is already in normal form (what storage should hold). */
export function isNormalRelayUrl(input: unknown): input is string {
  try {
    return normalizeRelayUrl(input) === input;
  } catch {
    return false;
  }
}
