/**
 * A pool of relay connections (docs/design.md §4, §6, §7). Subscriptions span several relays; every
 * EVENT is verified (id and signature) BEFORE it is deduplicated, so a forged copy carrying a
 * real event's id can never hide the real one; verified events that do not match the
 * subscription's filters are dropped; each event is delivered once with the set of relays it
 * was seen on. A relay that is down only marks itself done: delivery through the others goes on.
 * Subscription ids are random and different on every relay, so relays cannot link them.
 */
import { matchFilters, type Filter as NtFilter } from 'nostr-tools/filter';
import type { NostrEvent as NtEvent } from 'nostr-tools/pure';
import { bytesToHex, randomBytes } from '../shared/bytes';
import { VeilError } from '../shared/errors';
import { RelayConnection, type ConnectionOptions, type ConnectionStatus } from './connection';
import { fetchRelayInfo, type FetchInfoOptions, type RelayInfo } from './nip11';
import { normalizeRelayUrl } from './url';
import { defaultVerifier, EVENT_LIMITS, parseEventShape, rememberingVerifier, verifyRelayEvent } from './verify';
import { checkEventId, type IdCheckedEvent } from '../shared/trusted-event';
import type { TrustedEvent } from '../shared/trusted-event';
import type { EventVerifier, FetchLike, Filter, NostrEvent, PublishResult, RelayRejection } from './types';

export interface PoolOptions extends ConnectionOptions {
  /** Signature check after the id is recomputed; default shared/trusted-event.ts verifyEventSignature. */
  verify?: EventVerifier;
  /** When given, each relay's NIP-11 document is fetched when the relay is added. */
  fetch?: FetchLike;
  info?: FetchInfoOptions;
  /** Default wait for OK per relay. Default 10000 ms. */
  publishTimeoutMs?: number;
  /** The merged oneose fires at the latest after this long. Default 10000 ms. */
  eoseTimeoutMs?: number;
  /**
   * Asked before an event from `relay` is verified: false drops it unverified (counted in
   * `refusedEvents`), e.g. when the consumer's queue for that relay is full. A refused event is never
   * deduplicated, stored or shown, so verification still comes before all of those.
   */
  admit?: (relay: string) => boolean;
  /**
   * Asked first, with the event's shape checked but NOT its id or signature (judge it only by its
   * own bytes): false drops it unverified, counted in `skippedEvents` and handed to `onskipped`
   * (someone else's mail in a shared bucket, which a catch-up must still count to page on);
   * 'defer' hands it to `ondeferred` with its id checked and its signature NOT (the consumer
   * verifies it once it proved worth it: my intro bucket, trial-opened first); true verifies it.
   */
  prefilter?: (relay: string, event: Readonly<NostrEvent>) => PrefilterVerdict;
  /** Ids remembered per subscription for dedupe (oldest forgotten first). Default 10000. */
  maxSeenPerSubscription?: number;
}

/** What `prefilter` says of an event: verify it (true), drop it (false), or deliver it id-checked only ('defer'). */
export type PrefilterVerdict = boolean | 'defer';

export interface PoolSubscribeHandlers {
  /** A verified, matching event, first time seen. `relays` keeps growing as others deliver it. */
  onevent(event: TrustedEvent, relays: ReadonlySet<string>): void;
  /**
   * An event `prefilter` dropped, UNVERIFIED (shape checked, matching the filters): for counting
   * only, e.g. how full a catch-up page was. Never dedupe, store or show it.
   */
  onskipped?(event: Readonly<NostrEvent>, relay: string): void;
  /**
   * An event `prefilter` deferred: shape and id checked, matching, first time seen with this
   * signature; its SIGNATURE IS NOT VERIFIED (`trustEvent` before dedupe as mine, storage or
   * display). Without this handler a deferred event is verified and goes to `onevent`.
   */
  ondeferred?(event: IdCheckedEvent, relays: ReadonlySet<string>): void;
  /** The same (verified) event arrived from one more relay. */
  onseen?(event: TrustedEvent, relay: string): void;
  /** One relay finished sending stored events. */
  onrelayeose?(relay: string): void;
  /** Once: every relay sent EOSE, ended the subscription, or is down (or eoseTimeoutMs passed). */
  oneose?(): void;
  /** A relay ended the subscription with CLOSED. */
  onclosed?(relay: string, rejection: RelayRejection): void;
}

export interface PoolSubscription {
  close(): void;
}

export interface RelayStatus extends ConnectionStatus {
  /** Events that failed verification (shape, id or signature). */
  invalidEvents: number;
  /** Verified events that did not match the filters they were sent for. */
  unmatchedEvents: number;
  /** Events dropped unverified because `admit` refused them. */
  refusedEvents: number;
  /** Events dropped unverified because `prefilter` said they are not for this consumer. */
  skippedEvents: number;
  info?: RelayInfo;
  infoError?: string;
}

interface Entry {
  conn: RelayConnection;
  invalid: number;
  unmatched: number;
  refused: number;
  skipped: number;
  info?: RelayInfo;
  infoError?: string;
}

interface SubRecord {
  relayDown(relay: string): void;
}

const randomSubId = () => bytesToHex(randomBytes(8));

/** See the module comment. Relays are connected lazily, on the first subscribe or publish. */
export class RelayPool {
  private readonly opts: PoolOptions;
  private readonly verify: EventVerifier;
  private readonly entries = new Map<string, Entry>();
  private readonly subs = new Set<SubRecord>();
  private readonly listeners = new Set<(s: RelayStatus) => void>();

  constructor(relays: readonly string[], opts: PoolOptions) {
    this.opts = opts;
    this.verify = rememberingVerifier(opts.verify ?? defaultVerifier);
    for (const r of relays) this.addRelay(r);
  }

  /** Normalized URLs of the relays in the pool. */
  get relays(): string[] {
    return [...this.entries.keys()];
  }

  /** Adds a relay (normalized; throws RELAY_URL_INVALID) and returns its canonical URL. */
  addRelay(url: string): string {
    const key = normalizeRelayUrl(url);
    if (this.entries.has(key)) return key;
    const conn = new RelayConnection(key, this.opts);
    const entry: Entry = { conn, invalid: 0, unmatched: 0, refused: 0, skipped: 0 };
    this.entries.set(key, entry);
    conn.onStatus((s) => {
      if (s.state === 'error' || s.state === 'closed') for (const sub of [...this.subs]) sub.relayDown(key);
      this.emit(key);
    });
    if (this.opts.fetch) void this.refreshInfo(key);
    return key;
  }

  /**
   * Opens every relay's socket and resolves when each is open or has failed, or after `timeoutMs`
   * (for work that must check something between "the socket is open" and "the REQ goes out").
   */
  connect(timeoutMs = 10_000): Promise<void> {
    const one = (conn: RelayConnection): Promise<void> =>
      new Promise((resolve) => {
        conn.connect();
        if (conn.status().state !== 'connecting') return resolve();
        const timer = setTimeout(done, timeoutMs);
        const off = conn.onStatus((s) => {
          if (s.state !== 'connecting') done();
        });
        function done(): void {
          clearTimeout(timer);
          off();
          resolve();
        }
      });
    return Promise.all([...this.entries.values()].map((e) => one(e.conn))).then(() => undefined);
  }

  /** Closes and forgets a relay. */
  removeRelay(url: string): void {
    const key = normalizeRelayUrl(url);
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    entry.conn.close();
  }

  /** Status of every relay: connection state, last error and contact, counters, NIP-11 limits. */
  status(): RelayStatus[] {
    return [...this.entries.keys()].map((k) => this.statusOf(k)!);
  }

  /** Calls `listener` on every status change of any relay. Returns an unsubscribe function. */
  onStatus(listener: (s: RelayStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** (Re)fetches one relay's NIP-11 document through the injected fetch; null when it fails. */
  async refreshInfo(url: string): Promise<RelayInfo | null> {
    const key = normalizeRelayUrl(url);
    const entry = this.entries.get(key);
    if (!entry || !this.opts.fetch) return null;
    try {
      entry.info = await fetchRelayInfo(key, this.opts.fetch, this.opts.info);
      entry.infoError = undefined;
    } catch (e) {
      entry.infoError = e instanceof VeilError ? e.code : 'RELAY_UNREACHABLE';
    }
    this.emit(key);
    return entry.info ?? null;
  }

  /**
   * Subscribes on the given relays (default: all). Events are verified, checked against
   * `filters`, deduplicated by id and delivered once. The subscription stays open (and is
   * re-sent after reconnects) until close().
   */
  subscribe(filters: Filter[], handlers: PoolSubscribeHandlers, opts: { relays?: string[] } = {}): PoolSubscription {
    const keys = (opts.relays ?? this.relays).map((r) => this.addRelay(r));
    const seen = new Map<string, Set<string>>();
    const maxSeen = this.opts.maxSeenPerSubscription ?? 10_000;
    const done = new Map<string, boolean>();
    const subIds = new Map<string, string>();
    let eoseSent = false;
    let closed = false;
    const call = (fn: () => void) => {
      try {
        fn();
      } catch {
        // a handler's exception must not stop delivery from the other relays
      }
    };
    /** Relays whose REQ waits in the connection's `reqGate`: the EOSE timeout runs only while none does. */
    const held = new Set<string>();
    let eoseTimer: ReturnType<typeof setTimeout> | undefined;
    const checkEose = () => {
      if (eoseSent || closed || [...done.values()].some((d) => !d)) return;
      eoseSent = true;
      clearTimeout(eoseTimer);
      call(() => handlers.oneose?.());
    };
    // Counted from the last REQ written: a relay cannot answer a REQ that has not gone out yet.
    const armEose = (): void => {
      clearTimeout(eoseTimer);
      if (eoseSent || closed || held.size > 0) return;
      eoseTimer = setTimeout(() => {
        for (const k of keys) done.set(k, true);
        checkEose();
      }, this.opts.eoseTimeoutMs ?? 10_000);
    };
    armEose();

    // Deferred events are deduped by id AND signature: a copy with a forged signature must not
    // hide the real one, which differs from it only there (the id names everything else).
    const deferred = (key: string, entry: Entry, raw: unknown): void => {
      const event = checkEventId(raw, EVENT_LIMITS);
      if (!event) return void entry.invalid++;
      if (!matchFilters(filters as NtFilter[], event as unknown as NtEvent)) return void entry.unmatched++;
      const k = `${event.id}:${event.sig}`;
      const relays = seen.get(k);
      if (relays) return void relays.add(key);
      if (seen.size >= maxSeen) seen.delete(seen.keys().next().value!);
      const fresh = new Set([key]);
      seen.set(k, fresh);
      call(() => handlers.ondeferred!(event, fresh));
    };

    const receive = (key: string, entry: Entry, raw: unknown) => {
      if (closed) return;
      let verdict: PrefilterVerdict = true;
      if (this.opts.prefilter) {
        const shaped = parseEventShape(raw);
        if (!shaped) return void entry.invalid++;
        verdict = this.opts.prefilter(key, shaped);
        if (verdict === false) {
          entry.skipped++;
          if (matchFilters(filters as NtFilter[], shaped as unknown as NtEvent)) call(() => handlers.onskipped?.(shaped, key));
          return;
        }
      }
      if (this.opts.admit && !this.opts.admit(key)) return void entry.refused++;
      if (verdict === 'defer' && handlers.ondeferred) return deferred(key, entry, raw);
      const event = verifyRelayEvent(raw, this.verify); // first, before the id is looked at
      if (!event) return void entry.invalid++;
      if (!matchFilters(filters as NtFilter[], event as unknown as NtEvent)) return void entry.unmatched++;
      const relays = seen.get(event.id);
      if (relays) {
        if (!relays.has(key)) {
          relays.add(key);
          call(() => handlers.onseen?.(event, key));
        }
        return;
      }
      if (seen.size >= maxSeen) seen.delete(seen.keys().next().value!);
      const fresh = new Set([key]);
      seen.set(event.id, fresh);
      call(() => handlers.onevent(event, fresh));
    };

    const record: SubRecord = {
      relayDown: (key) => {
        if (held.delete(key)) armEose(); // its held REQ will not go out on that socket
        if (done.has(key) && !done.get(key)) {
          done.set(key, true);
          checkEose();
        }
      }
    };
    this.subs.add(record);

    for (const key of keys) {
      const entry = this.entries.get(key)!;
      const subId = randomSubId();
      subIds.set(key, subId);
      done.set(key, entry.conn.status().state === 'error');
      entry.conn.subscribe(subId, filters, {
        onevent: (raw) => receive(key, entry, raw),
        oneose: () => {
          if (closed) return;
          call(() => handlers.onrelayeose?.(key));
          done.set(key, true);
          checkEose();
        },
        onclosed: (rejection) => {
          if (closed) return;
          call(() => handlers.onclosed?.(key, rejection));
          done.set(key, true);
          checkEose();
        },
        onheld: () => {
          held.add(key);
          armEose();
        },
        onsent: () => {
          held.delete(key);
          armEose();
        }
      });
    }
    // Every relay may be down already: oneose then comes after subscribe() returned, so a handler
    // can close the subscription it is given (calling it now would hit `sub` before it exists).
    queueMicrotask(checkEose);

    return {
      close: () => {
        if (closed) return;
        closed = true;
        clearTimeout(eoseTimer);
        this.subs.delete(record);
        for (const [key, subId] of subIds) this.entries.get(key)?.conn.unsubscribe(subId);
      }
    };
  }

  /**
   * Publishes a signed event to the given relays (default: all) and returns one typed result
   * per relay: ok (including `duplicate:`), rejected with a NIP-01 reason, timeout or unreachable.
   * Never throws for relay failures; throws INVALID_EVENT for a malformed event.
   */
  async publish(event: NostrEvent, opts: { relays?: string[]; timeoutMs?: number } = {}): Promise<PublishResult[]> {
    const clean = parseEventShape(event);
    if (!clean) throw new VeilError('INVALID_EVENT', 'event to publish is malformed');
    const keys = (opts.relays ?? this.relays).map((r) => this.addRelay(r));
    const timeout = opts.timeoutMs ?? this.opts.publishTimeoutMs ?? 10_000;
    return Promise.all(keys.map((k) => this.entries.get(k)!.conn.publish(clean, timeout)));
  }

  /** Closes every socket; pending publishes resolve as unreachable. */
  close(): void {
    for (const entry of this.entries.values()) entry.conn.close();
  }

  private statusOf(key: string): RelayStatus | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    return { ...e.conn.status(), invalidEvents: e.invalid, unmatchedEvents: e.unmatched, refusedEvents: e.refused, skippedEvents: e.skipped, info: e.info, infoError: e.infoError };
  }

  private emit(key: string): void {
    const s = this.statusOf(key);
    if (!s) return;
    for (const l of [...this.listeners]) {
      try {
        l(s);
      } catch {
        // listeners are not allowed to break the pool
      }
    }
  }
}
