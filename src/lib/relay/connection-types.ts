/** Options, handlers and status of one relay socket (./connection.ts). */
import type { BackoffOptions } from './backoff';
import type { AuthCounters, AuthState } from './nip42';
import type { Filter, NostrEvent, RelayRejection, RelayState, WebSocketConstructor } from './types';

export interface ConnectionOptions {
  WebSocket: WebSocketConstructor;
  /** Frames longer than this many characters are dropped unread. Default 512 KiB. */
  maxMessageLength?: number;
  /** A socket still connecting after this long is abandoned. Default 10000 ms. */
  connectTimeoutMs?: number;
  backoff?: BackoffOptions;
  /** Uniform [0, 1) source for jitter. Default: CSPRNG (shared/bytes randomFloat). */
  random?: () => number;
  /** Clock in ms. Default Date.now. */
  now?: () => number;
  /**
   * NIP-42: signs a kind 22242 event for a challenge. Omit to never authenticate. Called only when the
   * relay refuses a subscription or a publish with `auth-required:`, once per challenge (./nip42.ts).
   */
  auth?: (challenge: string, relayUrl: string) => Promise<NostrEvent>;
  /** With `auth`: at most this many signatures per minute on this connection. Default 3. */
  authPerMinute?: number;
  /**
   * When given, every REQ (the first, each re-send after a reconnect, the resume after an AUTH) is
   * handed to it with its filters, and is written when it calls `send` — then only if the
   * subscription and the socket are still the ones it was for. Without it a REQ is written at once.
   * The messenger's identity-linked sockets wait there for its identity gate (sync/sockets.ts).
   */
  reqGate?: (filters: readonly Filter[], send: () => void) => void;
}

export interface ConnectionSubscriptionHandlers {
  /** A raw, UNVERIFIED event object from the relay. */
  onevent(raw: unknown): void;
  /** The relay sent EOSE (again after each reconnect). */
  oneose?(): void;
  /** The relay ended the subscription with CLOSED; it is not re-sent. */
  onclosed?(rejection: RelayRejection): void;
  /** The REQ was handed to `reqGate`, which did not let it go at once (it waits). */
  onheld?(): void;
  /** The REQ was written (again after each reconnect). */
  onsent?(): void;
}

export interface ConnectionCounters extends AuthCounters {
  /** Non-text, non-JSON or wrongly shaped frames. */
  garbage: number;
  /** Frames above maxMessageLength. */
  oversized: number;
  /** EVENT/EOSE/CLOSED for a subscription we do not have. */
  unknownSubscription: number;
  /** Exceptions thrown by our own handlers (caught so one bad handler cannot stop the socket). */
  handlerErrors: number;
  notices: number;
  /** NIP-42 challenges received (each replaces the last; none signs anything by itself). */
  authChallenges: number;
}

export interface ConnectionStatus {
  url: string;
  state: RelayState;
  connected: boolean;
  /** Why the last socket failed (our words, not the relay's). */
  error?: string;
  /** ms timestamp of the last frame received. */
  lastSeen?: number;
  /** NIP-42 state, on a connection with an `auth` callback only. */
  auth?: AuthState;
  /** Last NOTICE text, bounded and cleaned (status listeners hear of NOTICEs at most once a second). */
  lastNotice?: string;
  /** Failed attempts since the last stable connection. */
  attempts: number;
  /** ms timestamp of the next reconnection attempt, while waiting for it. */
  nextRetryAt?: number;
  counters: ConnectionCounters;
}
