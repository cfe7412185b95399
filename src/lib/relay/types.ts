/**
 * Types shared by the relay layer (docs/design.md §7, §7). Platform objects (the WebSocket
 * constructor, fetch) are described structurally so the page, a service worker and Node (`ws`)
 * can all pass their own.
 */

import type { NostrEventJson } from '../shared/nostr';
import type { EventVerifier, TrustedEvent } from '../shared/trusted-event';

/** A NIP-01 event as it travels on the wire. Nothing about it is trusted until verified. */
export type NostrEvent = NostrEventJson;

/**
 * An event whose id was recomputed and whose signature was checked (docs/design.md §5): the one
 * trusted-event type of shared/trusted-event.ts, which only its `trustEvent` produces.
 * Alias kept so sync/ and store/ compile unchanged (issue 8); to be replaced by TrustedEvent.
 */
export type VerifiedEvent = TrustedEvent;

/** Checks id and signature of a well-formed event. Default: shared `verifyEventSignature`. */
export type { EventVerifier };

/** A NIP-01 filter. Tag filters are `#<letter>`: e.g. `{ kinds: [1067], '#p': [mailbox] }`. */
export type Filter = {
  ids?: string[];
  authors?: string[];
  kinds?: number[];
  since?: number;
  until?: number;
  limit?: number;
  search?: string;
  [tag: `#${string}`]: string[] | undefined;
};

/** Handlers are assigned, never called by us, so their parameter is `never`: any platform's fits. */
type SocketHandler = ((ev: never) => unknown) | null;

/** The part of the WebSocket API we use; the browser's WebSocket and `ws` both satisfy it. */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: SocketHandler;
  onclose: SocketHandler;
  onerror: SocketHandler;
  onmessage: SocketHandler;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** The part of `fetch` the NIP-11 fetcher uses. */
export type FetchLike = (
  url: string,
  init: { headers: Record<string, string>; signal: AbortSignal }
) => Promise<{
  ok: boolean;
  status: number;
  headers: { get(name: string): string | null };
  body?: ReadableStream<Uint8Array> | null;
  text(): Promise<string>;
}>;

/** Connection state of one relay socket. */
export type RelayState = 'connecting' | 'open' | 'closed' | 'error';

/** NIP-01 machine-readable prefixes of `OK false` and `CLOSED` messages, plus our catch-alls. */
export type RejectReason =
  | 'duplicate'
  | 'pow'
  | 'blocked'
  | 'rate-limited'
  | 'invalid'
  | 'restricted'
  | 'mute'
  | 'auth-required'
  | 'error'
  | 'unknown';

/** A relay's refusal: the parsed prefix and its (bounded, relay-written) text. */
export interface RelayRejection {
  reason: RejectReason;
  message: string;
}

/** Outcome of publishing one event to one relay. `duplicate:` counts as success (NIP-01). */
export type PublishResult =
  | { relay: string; status: 'ok'; duplicate: boolean; message: string }
  | { relay: string; status: 'rejected'; reason: RejectReason; message: string }
  | { relay: string; status: 'timeout' }
  | { relay: string; status: 'unreachable'; message: string };
