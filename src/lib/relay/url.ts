/**
 * Relay URL normalization (NIP-01 relays are `ws://` or `wss://` URLs). Normalizing gives one
 * key per relay, so the same relay typed two ways is one socket, one status and one dedupe source.
 */
import { VeilError } from '../shared/errors';

export const MAX_RELAY_URL_LENGTH = 512;

function invalid(why: string): VeilError {
  return new VeilError('RELAY_URL_INVALID', `relay URL ${why}`);
}

/**
 * Returns the canonical form of a relay URL: scheme and host lowercase, default port
 * (80 for ws, 443 for wss) removed, fragment removed, trailing slashes removed.
 * Throws RELAY_URL_INVALID for anything that is not a ws/wss URL with a host, for
 * credentials in the URL, control characters or spaces, and for more than 512 characters.
 */
export function normalizeRelayUrl(input: unknown): string {
  if (typeof input !== 'string') throw invalid('must be a string');
  const s = input.trim();
  if (s.length === 0) throw invalid('is empty');
  if (s.length > MAX_RELAY_URL_LENGTH) throw invalid(`is longer than ${MAX_RELAY_URL_LENGTH} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0020\u007f]/.test(s)) throw invalid('contains spaces or control characters');
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
  const defaultPort = u.protocol === 'ws:' ? '80' : '443';
  const port = u.port === '' || u.port === defaultPort ? '' : `:${u.port}`;
  const path = u.pathname.replace(/\/+$/, '');
  const out = `${u.protocol}//${u.hostname.toLowerCase()}${port}${path}${u.search}`;
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

/** The NIP-11 HTTP(S) address of a normalized relay URL (same host, port and path). */
export function relayInfoUrl(relayUrl: string): string {
  return relayUrl.replace(/^ws/, 'http');
}
