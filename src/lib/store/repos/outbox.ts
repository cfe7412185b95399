/**
 * Repository of `outbox`: the persistent send queue of final (encrypted, signed) events, one item
 * per relay. Sealed since v5 (issue 11): a gift wrap's `p` tag names the recipient, and the relay
 * URLs and event ids are what a relay saw; on disk an entry is its blind key, the blind key of its
 * message (index `by-message`), its times and counters (index `by-due`), and one sealed blob.
 *
 * Purge (`prune`, run at every start; plain fields only, so it works while locked). An entry goes:
 * - once SETTLED (every copy accepted or refused for good) and untouched for OUTBOX_SETTLED_TTL_MS
 *   (1 day; the queue removes a delivered message's entries at once, this catches the rest);
 * - once STALE: parked (out of automatic attempts, nextAttemptAt = MAX_SAFE_INTEGER) and untouched
 *   for OUTBOX_STALE_MS (7 days), or created more than OUTBOX_MAX_AGE_MS (30 days) ago, whatever
 *   its state. Its message keeps its last status ('failed'); retry() then finds nothing to resend.
 */
import { VeilError } from '../../shared/errors';
import type { StoreContext } from '../context';
import type { OutboxDiskRecord, OutboxItem, OutboxRecord } from '../schema';
import type { OutboxAttempt, OutboxInput } from '../types';
import { MAX_OUTBOX_ITEMS, MAX_PAGE, bad, hex64, limit, localId, msTime, optText, storeRelayUrl, validEvent } from '../validate';
import { messageKey, outboxKey, sameBytes } from './atrest';

const DAY_MS = 86_400_000;
/** A settled entry (nothing left to publish) is purged this long after its last attempt. */
export const OUTBOX_SETTLED_TTL_MS = DAY_MS;
/** A parked entry (out of automatic attempts) is purged this long after its last attempt. */
export const OUTBOX_STALE_MS = 7 * DAY_MS;
/** Any entry is purged this long after it was queued. */
export const OUTBOX_MAX_AGE_MS = 30 * DAY_MS;
const PARKED = Number.MAX_SAFE_INTEGER;
const ITEM_STATUSES = ['pending', 'ok', 'failed', 'rejected'];

/** Validates one entry into the (opened) record to store (no I/O). */
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

const settledItems = (items: readonly OutboxItem[]): boolean => items.every((i) => i.status === 'ok' || i.status === 'rejected');

/** True for a record in the pre-v5 shape (everything plain). */
export function isLegacyOutbox(d: OutboxDiskRecord | OutboxRecord): d is OutboxRecord {
  return Array.isArray((d as Partial<OutboxRecord>).items);
}

/** The disk form of an entry: blind keys, plain counters, the rest sealed. */
export async function sealOutbox(c: StoreContext, rec: OutboxRecord, updatedAt: number): Promise<OutboxDiskRecord> {
  const key = await outboxKey(c, rec.id);
  const inner = { id: rec.id, ...(rec.messageId ? { messageId: rec.messageId } : {}), items: rec.items };
  const d: OutboxDiskRecord = {
    id: key,
    createdAt: rec.createdAt,
    updatedAt,
    attempts: rec.attempts,
    nextAttemptAt: rec.nextAttemptAt,
    settled: settledItems(rec.items),
    sealed: await c.vault.seal('outbox', key, 'data', inner)
  };
  if (rec.messageId) d.messageId = await messageKey(c, rec.messageId);
  return d;
}

/** An entry as the API gives it out. A legacy record is returned as it is. */
export async function openOutbox(c: StoreContext, d: OutboxDiskRecord | OutboxRecord): Promise<OutboxRecord> {
  if (isLegacyOutbox(d)) return d;
  const inner = await c.vault.open<{ id?: unknown; messageId?: unknown; items?: unknown }>('outbox', d.id, 'data', d.sealed);
  if (typeof inner !== 'object' || inner === null || !Array.isArray(inner.items)) throw new VeilError('DECRYPT_FAILED', 'damaged outbox entry');
  const rec: OutboxRecord = {
    id: localId(inner.id, 'outbox id'),
    createdAt: d.createdAt,
    attempts: d.attempts,
    nextAttemptAt: d.nextAttemptAt,
    items: inner.items as OutboxItem[]
  };
  if (inner.messageId !== undefined) rec.messageId = hex64(inner.messageId, 'message id');
  return rec;
}

export class OutboxRepo {
  readonly #c: StoreContext;
  /** Read-modify-write of one entry is serialized in this tab (the seal runs outside the transaction). */
  readonly #busy = new Map<string, Promise<unknown>>();

  constructor(c: StoreContext) {
    this.#c = c;
  }

  async #openAll(recs: OutboxDiskRecord[]): Promise<OutboxRecord[]> {
    const out: OutboxRecord[] = [];
    for (const r of await Promise.all(recs.map((d) => openOutbox(this.#c, d).catch((e: unknown) => e)))) {
      if (r instanceof Error) {
        if (r instanceof VeilError && r.code === 'VAULT_LOCKED') throw r;
        continue; // a damaged entry is skipped, never fatal for the queue
      }
      out.push(r as OutboxRecord);
    }
    return out;
  }

  async enqueue(input: OutboxInput): Promise<'added' | 'duplicate'> {
    const now = Date.now();
    const disk = await sealOutbox(this.#c, outboxRecord(input, now), now);
    return this.#c.one('outbox', 'readwrite', async (store, changes) => {
      if ((await store.getKey(disk.id)) !== undefined) return 'duplicate';
      await store.add(disk);
      changes.push({ store: 'outbox', key: input.id });
      return 'added';
    });
  }

  async listDue(now: number, maxItems: number): Promise<OutboxRecord[]> {
    msTime(now, 'now');
    const n = limit(maxItems, MAX_PAGE);
    this.#c.requireUnlocked();
    return this.#openAll(await this.#c.one('outbox', 'readonly', async (store) => store.index('by-due').getAll(this.#c.keyRange.upperBound(now), n)));
  }

  /** Every entry of one message (index `by-message`, v3), oldest first. */
  async listByMessage(messageId: string): Promise<OutboxRecord[]> {
    hex64(messageId, 'message id');
    const key = await messageKey(this.#c, messageId);
    const recs = await this.#openAll(await this.#c.one('outbox', 'readonly', async (store) => store.index('by-message').getAll(key)));
    return recs.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async get(id: string): Promise<OutboxRecord | undefined> {
    const d = await this.#c.get('outbox', await outboxKey(this.#c, localId(id, 'outbox id')));
    return d ? openOutbox(this.#c, d) : undefined;
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
    const key = await outboxKey(this.#c, id);
    const run = async (): Promise<OutboxRecord | undefined> => {
      // Another tab may write the same entry between the read and the write: then read again.
      for (let round = 0; round < 8; round++) {
        const before = await this.#c.get('outbox', key);
        if (!before) return undefined;
        const rec = await openOutbox(this.#c, before);
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
        rec.nextAttemptAt = !open || next === null ? PARKED : next;
        const disk = await sealOutbox(this.#c, rec, now);
        const written = await this.#c.one('outbox', 'readwrite', async (store, changes) => {
          const cur = await store.get(key);
          if (!cur) return 'gone';
          if (!sameBytes(cur.sealed, before.sealed)) return 'changed';
          await store.put(disk);
          changes.push({ store: 'outbox', key: id });
          return 'ok';
        });
        if (written === 'gone') return undefined;
        if (written === 'ok') return rec;
      }
      throw new VeilError('STORAGE_FAILED', 'outbox entry kept changing');
    };
    const prev = this.#busy.get(key) ?? Promise.resolve();
    const mine = prev.catch(() => {}).then(run);
    this.#busy.set(key, mine);
    try {
      return await mine;
    } finally {
      if (this.#busy.get(key) === mine) this.#busy.delete(key);
    }
  }

  async remove(id: string): Promise<void> {
    const key = await outboxKey(this.#c, localId(id, 'outbox id'));
    await this.#c.one('outbox', 'readwrite', async (store, changes) => {
      await store.delete(key);
      changes.push({ store: 'outbox', key: id });
    });
  }

  /** Deletes settled and stale entries (rules at the top of this file); returns how many. Works while locked. */
  async prune(now: number): Promise<number> {
    msTime(now, 'now');
    return this.#c.one('outbox', 'readwrite', async (store, changes) => {
      let n = 0;
      let cur = await store.openCursor();
      while (cur) {
        const d = cur.value;
        const idle = now - (d.updatedAt ?? d.createdAt);
        const stale =
          (d.settled === true && idle >= OUTBOX_SETTLED_TTL_MS) || (d.nextAttemptAt === PARKED && idle >= OUTBOX_STALE_MS) || now - d.createdAt >= OUTBOX_MAX_AGE_MS;
        if (stale) {
          await cur.delete();
          changes.push({ store: 'outbox', key: d.id });
          n++;
        }
        cur = await cur.continue();
      }
      return n;
    });
  }
}
