/**
 * The outbox as a persistent job queue (issue 4 §3 "Sending"; outbox.ts holds the pure rules).
 * A job is one outbox entry: the FINAL signed events of one message for one recipient device, one
 * per relay, written together with the message (saveOutgoing) before anything goes out. The queue
 * owns the retries: due entries are published through the injected router, each answer classified,
 * the next attempt scheduled with backoff, and the message's delivery status written back.
 */
import { VeilError } from '../shared/errors';
import type { NostrEvent } from '../relay/types';
import type { MessageInput, OutboxInput, OutboxRecord, VeilStore } from '../store';
import { classifyOutcome, deliveryView, isSettled, nextAttemptAt, openItems, type PublishOutcome } from './outbox';

/** Due entries are looked for this often while running (ms). */
const TICK_MS = 1_000;
/** Entries published per pass. */
const MAX_PER_PASS = 500;

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
  /** Publishes one event to one relay (sockets.ts picks the pool by the event's kind). */
  publish(event: NostrEvent, relay: string): Promise<PublishOutcome>;
  /** A message's delivery status was written. */
  onDelivery(conversationId: string): void;
  onError(e: unknown): void;
}

export class OutboxQueue {
  readonly #d: OutboxQueueDeps;
  #running = false;
  #flushing: Promise<void> | null = null;
  #again = false;
  #forceNext = false;
  #tick: ReturnType<typeof setInterval> | undefined;

  constructor(deps: OutboxQueueDeps) {
    this.#d = deps;
  }

  start(): void {
    this.#running = true;
    this.#tick = setInterval(() => this.kick(false), TICK_MS);
    this.kick(true);
  }

  /** Stops the timer and waits for a pass in flight. */
  async stop(): Promise<void> {
    this.#running = false;
    clearInterval(this.#tick);
    await this.#flushing?.catch(() => {});
  }

  /** Runs a pass soon; `force` publishes every open entry, due or not (start, a relay reconnected). */
  kick(force: boolean): void {
    if (!this.#running) return;
    if (force) this.#forceNext = true;
    void this.flush().catch((e) => this.#d.onError(e));
  }

  /** Publishes every due entry; a call during a pass runs one more pass after it. */
  async flush(): Promise<void> {
    if (!this.#running) return;
    if (this.#flushing) {
      this.#again = true;
      return this.#flushing;
    }
    const run = async (): Promise<void> => {
      do {
        this.#again = false;
        const force = this.#forceNext;
        this.#forceNext = false;
        await this.#pass(force);
      } while (this.#again && this.#running);
    };
    this.#flushing = run().finally(() => (this.#flushing = null));
    return this.#flushing;
  }

  async #pass(force: boolean): Promise<void> {
    const { store, now } = this.#d;
    const due = await store.listDueOutbox(force ? Number.MAX_SAFE_INTEGER : now(), MAX_PER_PASS);
    const touched = new Set<string>();
    await Promise.all(
      due.map(async (rec) => {
        const open = openItems(rec.items);
        if (open.length > 0) {
          const results = await Promise.all(
            open.map(async (it) => {
              const c = classifyOutcome(await this.#d.publish(it.event, it.relay));
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
        if (rec.messageId) touched.add(rec.messageId);
      })
    );
    for (const mid of touched) await this.#updateDelivery(mid);
  }

  /** The entries of one message. */
  async #entries(messageId: string): Promise<OutboxRecord[]> {
    return this.#d.store.listOutboxByMessage(messageId);
  }

  /** Writes the message's status and per-relay results; drops the entries once all delivered. */
  async #updateDelivery(messageId: string): Promise<void> {
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
