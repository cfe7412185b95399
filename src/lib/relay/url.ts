/**
 * Relay URLs (NIP-01 relays are `ws://` or `wss://` URLs). The normaliser itself lives in
 * shared/relay-url.ts, because mailbox derivation (crypto/mailbox.ts) hashes the same bytes.
 */
export { normalizeRelayUrl, isRelayUrl, MAX_RELAY_URL_LENGTH } from '../shared/relay-url';

/** The NIP-11 HTTP(S) address of a normalized relay URL (same host, port and path). */
export function relayInfoUrl(relayUrl: string): string {
  return relayUrl.replace(/^ws/, 'http');
}
