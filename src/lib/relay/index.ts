/** The relay layer (docs/design.md §7): a leaf that imports only shared/ and npm packages. */
export * from './types';
export { normalizeRelayUrl, isRelayUrl, relayInfoUrl, MAX_RELAY_URL_LENGTH } from './url';
export { verifyRelayEvent, parseEventShape, defaultVerifier, EVENT_LIMITS } from './verify';
export { parseRejection, publishError, closedError, cleanRelayText } from './reasons';
export { RelayConnection, backoffDelay, DEFAULT_MAX_MESSAGE_LENGTH } from './connection';
export type { ConnectionOptions, ConnectionStatus, ConnectionCounters, BackoffOptions } from './connection';
export { fetchRelayInfo, parseRelayInfo } from './nip11';
export type { RelayInfo, RelayLimits } from './nip11';
export { RelayPool } from './pool';
export type { PoolOptions, PoolSubscribeHandlers, PoolSubscription, RelayStatus } from './pool';
export { Nip46RelayTransport } from './nip46-transport';
