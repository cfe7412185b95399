/**
 * The outbox as a persistent job queue (issue 4 §3 "Sending"; outbox.ts holds the pure rules).
 * A job is one outbox entry: the FINAL signed events of one message for one recipient device, one
 * per relay, written together with the message (saveOutgoing) before anything goes out. The queue
 * owns the retries: due entries are published through the injected router, each answer classified,
 * the next attempt scheduled with backoff, and the message's delivery status written back.
 *
 * Backoff is never bypassed by what a relay sends (issue 11): only start() (a new session) and the
 * user's retry() or mode switch publish before an entry is due. When a relay's socket really opens
 * again (relayOpened, from `reopenWatcher`, never from a NOTICE), its copies whose last attempt failed
 * only because that socket was down are tried once at once; that try counts as an attempt (same
 * backoff growth, parked after MAX_ATTEMPTS), and a relay gets at most one such pass per
 * REOPEN_GAP_MS, so a relay flapping open and closed cannot cause more than that.
 */
import { VeilError } from '../shared/errors';
import type { NostrEvent } from '../relay/types';
import type { MessageInput, OutboxInput, OutboxRecord, VeilStore } from '../store';
import type { OutboxItem } from '../store/schema';
import { BASE_BACKOFF_MS, classifyOutcome, deliveryView, isSettled, nextAttemptAt, openItems, type PublishOutcome } from './outbox';

/** Due entries are looked for this often while running (ms). */
const TICK_MS = 1_000;
/** Entries published per pass. */
const MAX_PER_PASS = 500;
/** A relay's reconnects trigger at most one early pass per this many ms. */
export const REOPEN_GAP_MS = BASE_BACKOFF_MS;
/** The store parks an entry at this nextAttemptAt (nothing to do until retry() or start()). */
const PARKED = Number.MAX_SAFE_INTEGER;

/** A copy that failed only because the relay's socket was down (classifyOutcome's `unreachable:`). */
const failedUnreachable = (it: OutboxItem): boolean => it.status === 'failed' && (it.lastError ?? '').startsWith('unreachable:');

/**
 * Status snapshots → `opened(relay)` once per real transition of a relay to open: a NOTICE, a NIP-11
 * refresh or any other snapshot of a socket that was open already calls nothing.
 */
export function reopenWatcher(opened: (relay: string) => void): (s: { url: string; state: string }) => void {
  const last = new Map<string, string>();
  return (s) => {
    const before = last.get(s.url);
    last.set(s.url, s.state);
    if (s.state === 'open' && before !== 'open') opened(s.url);
  };
}

/** A message I send, with its outbox entries, as a sender prepared it (nothing stored yet). */
export interface Outgoing {
  message: MessageInput;
  entries: OutboxInput[];
}

/** Writes a message I send and its outbox entries (the only place that does). */
export async function saveOutgoing(store: VeilStore, { message, entries }: Outgoing): Promise<void> {
  // One transaction: a crash cannot leave the message "sending" with no entry, or an entry with no message.
  await store.addOutgoing(message, entries);
}

export interface OutboxQueueDeps {
  store: VeilStore;
  now(): number;
  /**
   * Publishes one event to one relay (sockets.ts picks the pool by the event's kind). `group`: the
   * outbox entry, whose items are the copies of one envelope to several relays.
   */
  publish(event: NostrEvent, relay: string, group: string): Promise<PublishOutcome>;
  /** A message's delivery status was written. */
  onDelivery(conversationId: string): void;
  onError(e: unknown): void;
}

export class OutboxQueue {
  readonly #d: OutboxQueueDeps;
  #running = false;
  /** Passes under way: each publishes what it found, so a copy waiting for a slot holds back no other. */
  readonly #passes = new Set<Promise<void>>();
  /** Copies being published (`entry id` + relay), until their answers are recorded. */
  readonly #inFlight = new Set<string>();
  /** The last pass's choice of copies (the next one starts after it). */
  #choosing: Promise<unknown> = Promise.resolve();
  #forceNext = false;
  /** Per message: its last status write (the next waits for it). */
  readonly #writing = new Map<string, Promise<void>>();
  /** Relays that reconnected since the last pass, and when each last got an early pass. */
  readonly #reopened = new Set<string>();
  readonly #reopenedAt = new Map<string, number>();
  #tick: ReturnType<typeof setInterval> | undefined;

  constructor(deps: OutboxQueueDeps) {
    this.#d = deps;
  }

  start(): void {
    this.#running = true;
    this.#tick = setInterval(() => this.kick(false), TICK_MS);
    this.kick(true);
  }

  /** Stops the timer and waits for the passes in flight. */
  async stop(): Promise<void> {
    this.#running = false;
    clearInterval(this.#tick);
    await Promise.allSettled([...this.#passes]);
  }

  /**
   * Runs a pass soon over the due entries. `force` publishes every open entry, due or not: for the
   * user's own actions only (start, a mode switch), never for anything a relay sent.
   */
  kick(force = false): void {
    if (!this.#running) return;
    if (force) this.#forceNext = true;
    void this.flush().catch((e) => this.#d.onError(e));
  }

  /**
   * A relay's socket opened again: its copies that failed only because it was down are tried once,
   * now (at most one such pass per relay per REOPEN_GAP_MS); everything else waits until due.
   */
  relayOpened(relay: string): void {
    if (!this.#running) return;
    const at = this.#d.now();
    const last = this.#reopenedAt.get(relay);
    if (last !== undefined && at - last < REOPEN_GAP_MS) return;
    this.#reopenedAt.set(relay, at);
    this.#reopened.add(relay);
    this.kick(false);
  }

  /**
   * One forced pass without a timer, for a short-lived owner (the service worker, worker-flush.ts):
   * every open entry is published once and its results recorded exactly as a running queue does.
   */
  async once(): Promise<void> {
    if (this.#running) return this.flush();
    this.#running = true;
    this.#forceNext = true;
    try {
      await this.flush();
    } finally {
      this.#running = false;
    }
  }

  /**
   * Publishes every due entry. Passes may overlap: a copy already being published (in Private mode
   * it waits for its relay's slot, minutes) is not sent again, and a message written meanwhile goes
   * out in its own pass at once. Resolves once this pass and those before it have their answers.
   */
  async flush(): Promise<void> {
    if (!this.#running) return;
    const force = this.#forceNext;
    this.#forceNext = false;
    const before = [...this.#passes];
    const pass = this.#pass(force);
    this.#passes.add(pass);
    try {
      await pass;
    } finally {
      this.#passes.delete(pass);
    }
    // And what earlier passes started, so a caller sees every answer recorded.
    await Promise.allSettled(before);
  }

  /**
   * One pass: the choice of copies and the start of their publishes run one pass at a time (so two
   * passes never pick the same copy); the waits for answers run side by side, each pass waiting
   * only for the copies it started.
   */
  async #pass(force: boolean): Promise<void> {
    const turn = this.#choosing.then(() => this.#choose(force));
    this.#choosing = turn.catch(() => undefined);
    const work = await turn;
    // Each message's status is written once its own copies have answered, not after everyone's.
    await Promise.all([...work].map(async ([mid, w]) => {
      await Promise.all(w);
      if (mid) await this.#updateDelivery(mid);
    }));
  }

  /** Picks the due copies, starts those not already being published, and returns what to wait for. */
  async #choose(force: boolean): Promise<Map<string, Promise<unknown>[]>> {
    const { store, now } = this.#d;
    const reopened = new Set(this.#reopened);
    this.#reopened.clear();
    const at = now();
    // Copies being published when the read starts stay with the pass that started them (it records
    // their answers), even if they end before the read returns (its entries may not show them yet).
    const busyAtRead = new Set(this.#inFlight);
    // Not yet due entries are read only for a reconnect pass, and then only their down-relay copies go.
    const upTo = force ? PARKED : reopened.size > 0 ? PARKED - 1 : at;
    const due = await store.listDueOutbox(upTo, MAX_PER_PASS);
    // Per message id ('' for an entry without one): the answers to wait for.
    const byMessage = new Map<string, Promise<unknown>[]>();
    for (const rec of due) {
      const found = force || rec.nextAttemptAt <= at ? openItems(rec.items) : rec.items.filter((it) => reopened.has(it.relay) && failedUnreachable(it));
      const key = (it: OutboxItem): string => `${rec.id} ${it.relay}`;
      const open = found.filter((it) => !busyAtRead.has(key(it)) && !this.#inFlight.has(key(it)));
      // Copies all another pass's: that pass writes the status. Nothing open at all (every copy
      // answered, the status not yet written: a worker cut short): this pass writes it.
      if (found.length > 0 && open.length === 0) continue;
      const work = byMessage.get(rec.messageId ?? '') ?? [];
      byMessage.set(rec.messageId ?? '', work);
      if (open.length === 0) continue;
      const one = this.#publishEntry(rec, open);
      for (const it of open) this.#inFlight.add(key(it));
      work.push(one.finally(() => open.forEach((it) => this.#inFlight.delete(key(it)))));
    }
    return byMessage;
  }

  /** Publishes `open` copies of one entry and records every answer. */
  async #publishEntry(rec: OutboxRecord, open: readonly OutboxItem[]): Promise<void> {
    const { store, now } = this.#d;
    const results = await Promise.all(
      open.map(async (it) => {
        const c = classifyOutcome(await this.#d.publish(it.event, it.relay, rec.id));
        const r = { relay: it.relay, status: c.status, ...(c.error ? { error: c.error } : {}) };
        // A copy that landed is recorded at once: in Private mode the other relays' slots may
        // come minutes later or not before the app stops, and a landed copy must not be sent
        // again next time (the same id twice would tie my two sessions together).
        if (r.status === 'ok') await store.markOutboxAttempt(rec.id, [r], nextAttemptAt(rec.attempts + 1, now()), now());
        return r;
      })
    );
    if (!this.#running) return;
    const rest = results.filter((r) => r.status !== 'ok');
    if (rest.length > 0) await store.markOutboxAttempt(rec.id, rest, nextAttemptAt(rec.attempts + 1, now()), now());
  }

  /** The entries of one message. */
  async #entries(messageId: string): Promise<OutboxRecord[]> {
    return this.#d.store.listOutboxByMessage(messageId);
  }

  /**
   * Writes the message's status, one write of a message at a time: two passes publishing copies of
   * the same message each write it, and a read made before the other's answers must not be written
   * after that other's (a stale "sending" after "sent", the entries gone: it would stay so).
   */
  #updateDelivery(messageId: string): Promise<void> {
    const next = (this.#writing.get(messageId) ?? Promise.resolve()).then(() => this.#writeDelivery(messageId));
    const tail = next.catch(() => undefined);
    this.#writing.set(messageId, tail);
    void tail.then(() => {
      if (this.#writing.get(messageId) === tail) this.#writing.delete(messageId);
    });
    return next;
  }

  /** Writes the message's status and per-relay results; drops the entries once all delivered. */
  async #writeDelivery(messageId: string): Promise<void> {
    const { store, now } = this.#d;
    const entries = await this.#entries(messageId);
    if (entries.length === 0) return;
    const v = deliveryView(entries);
    const at = now();
    const msg = await store.getMessage(messageId);
    if (!msg) return;
    await store.updateMessageStatus(messageId, v.status, v.deliveries.map((d) => ({ relay: d.relay, ok: d.ok, at, ...(d.message ? { message: d.message } : {}) })));
    // Failed entries stay (parked) so retry() can re-arm them.
    if (v.status === 'sent' && entries.every(isSettled)) for (const e of entries) await store.removeOutbox(e.id);
    this.#d.onDelivery(msg.conversationId);
  }

  /** Re-arms every relay copy of a message that is not delivered yet and publishes now. */
  async retry(messageId: string): Promise<void> {
    const { store, now } = this.#d;
    const entries = await this.#entries(messageId);
    if (entries.length === 0) throw new VeilError('NOT_FOUND', 'nothing to retry for this message');
    for (const e of entries) {
      const reset = e.items.filter((it) => it.status !== 'ok').map((it) => ({ relay: it.relay, status: 'pending' as const }));
      if (reset.length > 0) await store.markOutboxAttempt(e.id, reset, now(), now());
    }
    const msg = await store.getMessage(messageId);
    if (msg && msg.status === 'failed') {
      await store.updateMessageStatus(messageId, 'sending');
      this.#d.onDelivery(msg.conversationId);
    }
    this.kick(false);
  }
}
