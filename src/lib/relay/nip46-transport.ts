/**
 * The relay side of NIP-46 (docs/design.md §7): sockets to the bunker's relays, one subscription for
 * the answers, publishing the requests. It carries sealed kind 24133 events and never looks
 * inside them; crypto/nip46.ts seals, opens and matches them. It satisfies crypto's
 * `Nip46Transport` structurally (sync/ wires the two; leaves do not import each other).
 *
 * Every answer comes through RelayPool.subscribe, which verifies the event's id and signature
 * (./verify.ts) and checks it against the filter before delivery.
 */
import { VeilError } from '../shared/errors';
import type { NostrEventJson } from '../shared/nostr';
import { RelayPool, type PoolOptions, type PoolSubscription } from './pool';
import type { VerifiedEvent } from './types';

/** NIP-46 request and response kind. */
const NIP46_EVENT_KIND = 24133;

export class Nip46RelayTransport {
  readonly #pool: RelayPool;
  #sub: PoolSubscription | undefined;

  /** `relays` are the bunker URL's relays; `opts` as for RelayPool (the WebSocket constructor). */
  constructor(relays: readonly string[], opts: PoolOptions) {
    this.#pool = new RelayPool(relays, opts);
  }

  /**
   * Subscribes to kind 24133 events by `remote` that p-tag `client` on every bunker relay and
   * resolves once each relay sent EOSE or is down (requests published after that get their
   * answers). Only verified events reach `onevent`.
   */
  listen(filter: { remote: string; client: string }, onevent: (event: VerifiedEvent) => void): Promise<void> {
    this.#sub?.close();
    return new Promise((resolve) => {
      this.#sub = this.#pool.subscribe([{ kinds: [NIP46_EVENT_KIND], authors: [filter.remote], '#p': [filter.client], limit: 0 }], {
        onevent: (event) => onevent(event),
        oneose: () => resolve()
      });
    });
  }

  /** Publishes to every bunker relay. Errors: RELAY_UNREACHABLE when no relay accepted the event. */
  async publish(event: NostrEventJson): Promise<void> {
    const results = await this.#pool.publish(event);
    if (!results.some((r) => r.status === 'ok')) throw new VeilError('RELAY_UNREACHABLE', 'no bunker relay accepted the request');
  }

  close(): void {
    this.#sub?.close();
    this.#sub = undefined;
    this.#pool.close();
  }
}
