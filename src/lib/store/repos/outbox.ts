/**
 * Repository of `outbox`: the persistent send queue of final (encrypted, signed) events, one item
 * per relay. PLAIN, so the service worker can retry while the vault is locked. Indexes `by-due`,
 * `by-message`.
 */
import type { StoreContext } from '../context';
import type { OutboxRecord } from '../schema';
import type { OutboxAttempt, OutboxInput } from '../types';
import { MAX_OUTBOX_ITEMS, MAX_PAGE, bad, hex64, limit, localId, msTime, optText, storeRelayUrl, validEvent } from '../validate';

const ITEM_STATUSES = ['pending', 'ok', 'failed', 'rejected'];

/** Validates one entry into the record to store (no I/O). */
export function outboxRecord(input: OutboxInput, now: number): OutboxRecord {
  const id = localId(input.id, 'outbox id');
  if (!Array.isArray(input.items) || input.items.length < 1 || input.items.length > MAX_OUTBOX_ITEMS) bad('outbox items');
  const rec: OutboxRecord = {
    id,
    createdAt: now,
    attempts: 0,
    nextAttemptAt: input.nextAttemptAt === undefined ? 0 : msTime(input.nextAttemptAt, 'nextAttemptAt'),
    items: input.items.map((it) => ({ relay: storeRelayUrl(it.relay), event: validEvent(it.event), status: 'pending', attempts: 0 }))
  };
  if (input.messageId !== undefined) rec.messageId = hex64(input.messageId, 'message id');
  return rec;
}

export class OutboxRepo {
  readonly #c: StoreContext;

  constructor(c: StoreContext) {
    this.#c = c;
  }

  async enqueue(input: OutboxInput): Promise<'added' | 'duplicate'> {
    const rec = outboxRecord(input, Date.now());
    return this.#c.one('outbox', 'readwrite', async (store, changes) => {
      if ((await store.getKey(rec.id)) !== undefined) return 'duplicate';
      await store.add(rec);
      changes.push({ store: 'outbox', key: rec.id });
      return 'added';
    });
  }

  async listDue(now: number, maxItems: number): Promise<OutboxRecord[]> {
    msTime(now, 'now');
    const n = limit(maxItems, MAX_PAGE);
    return this.#c.one('outbox', 'readonly', async (store) => store.index('by-due').getAll(this.#c.keyRange.upperBound(now), n));
  }

  /** Every entry of one message (index `by-message`, v3), oldest first. */
  async listByMessage(messageId: string): Promise<OutboxRecord[]> {
    hex64(messageId, 'message id');
    const recs = await this.#c.one('outbox', 'readonly', async (store) => store.index('by-message').getAll(messageId));
    return recs.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  get(id: string): Promise<OutboxRecord | undefined> {
    return this.#c.get('outbox', localId(id, 'outbox id'));
  }

  async markAttempt(id: string, results: OutboxAttempt[], nextAttemptAt: number | null, now: number): Promise<OutboxRecord | undefined> {
    localId(id, 'outbox id');
    if (!Array.isArray(results) || results.length > MAX_OUTBOX_ITEMS) bad('outbox results');
    const checked = results.map((r) => {
      if (!ITEM_STATUSES.includes(r.status)) bad('outbox status');
      const error = optText(r.error, 512, 'outbox error');
      return { relay: storeRelayUrl(r.relay), status: r.status, error };
    });
    const next = nextAttemptAt === null ? null : msTime(nextAttemptAt, 'nextAttemptAt');
    return this.#c.one('outbox', 'readwrite', async (store, changes) => {
      const rec = await store.get(id);
      if (!rec) return undefined;
      rec.attempts++;
      for (const r of checked) {
        const item = rec.items.find((i) => i.relay === r.relay);
        if (!item) continue;
        item.status = r.status;
        item.attempts++;
        item.lastAttemptAt = now;
        if (r.error !== undefined) item.lastError = r.error;
        else delete item.lastError;
      }
      const open = rec.items.some((i) => i.status === 'pending' || i.status === 'failed');
      rec.nextAttemptAt = !open || next === null ? Number.MAX_SAFE_INTEGER : next;
      await store.put(rec);
      changes.push({ store: 'outbox', key: id });
      return rec;
    });
  }

  remove(id: string): Promise<void> {
    return this.#c.delete('outbox', localId(id, 'outbox id'));
  }
}
