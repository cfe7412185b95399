/**
 * The second half of the v5 migration (migrations/v5.ts), run right after an unlock: it needs the
 * vault key, which does not exist during `upgradeneeded`. It moves every pre-v5 record to the
 * sealed, blind-keyed shape (repos/atrest.ts, repos/outbox.ts):
 * - `messages`: key = event id, relays plain  →  key = blind(id), id and relays sealed;
 * - `outbox`: everything plain (signed events with their `p` tags, relay URLs)  →  sealed.
 * In batches, each its own transaction (old record deleted, new one written together), so a crash
 * midway leaves every record in one shape or the other and the next unlock goes on. Meta `at-rest`
 * records 'done' (v5 wrote 'pending'); a record that cannot be opened (damaged) is left as it is.
 */
import type { StoreContext } from '../context';
import type { LegacyMessageRecord, MessageRecord, OutboxDiskRecord, OutboxRecord } from '../schema';
import { isLegacyMessage, upgradeMessage } from './atrest';
import { isLegacyOutbox, sealOutbox } from './outbox';

export const AT_REST_META = 'at-rest';
const BATCH = 100;

async function collect<T, U>(items: T[], each: (x: T) => Promise<U>): Promise<{ from: T; to: U }[]> {
  const out = await Promise.all(items.map(async (from) => ({ from, to: await each(from).catch(() => undefined) })));
  return out.filter((x): x is { from: T; to: Awaited<U> } => x.to !== undefined);
}

async function upgradeMessages(c: StoreContext): Promise<number> {
  const keys = (await c.one('messages', 'readonly', (s) => s.getAllKeys())) as string[];
  let n = 0;
  for (let i = 0; i < keys.length; i += BATCH) {
    const chunk = keys.slice(i, i + BATCH);
    const recs = await c.one('messages', 'readonly', (s) => Promise.all(chunk.map((k) => s.get(k))));
    const legacy = recs.filter((r): r is MessageRecord => !!r && isLegacyMessage(r)) as unknown as LegacyMessageRecord[];
    const moved = await collect(legacy, (r) => upgradeMessage(c, r));
    if (moved.length === 0) continue;
    await c.one('messages', 'readwrite', async (store) => {
      for (const { from, to } of moved) {
        await store.delete(from.id);
        if ((await store.getKey(to.id)) === undefined) await store.put(to);
      }
    });
    n += moved.length;
  }
  return n;
}

async function upgradeOutbox(c: StoreContext, now: number): Promise<number> {
  const all = (await c.one('outbox', 'readonly', (s) => s.getAll())) as (OutboxDiskRecord | OutboxRecord)[];
  const legacy = all.filter(isLegacyOutbox);
  // Staleness counts from the entry's own last attempt, so an entry that failed long ago is purged at once.
  const lastTouched = (r: OutboxRecord): number => Math.min(now, Math.max(r.createdAt, ...r.items.map((it) => it.lastAttemptAt ?? 0)));
  const moved = await collect(legacy, (r) => sealOutbox(c, r, lastTouched(r)));
  for (let i = 0; i < moved.length; i += BATCH) {
    const part = moved.slice(i, i + BATCH);
    await c.one('outbox', 'readwrite', async (store) => {
      for (const { from, to } of part) {
        await store.delete(from.id);
        if ((await store.getKey(to.id)) === undefined) await store.put(to);
      }
    });
  }
  return moved.length;
}

/** Moves pre-v5 records to the sealed shape unless that was done already; returns how many moved. */
export async function upgradeAtRest(c: StoreContext, now: number = Date.now()): Promise<number> {
  const flag = await c.get('meta', AT_REST_META);
  if (flag?.value === 'done') return 0;
  const n = (await upgradeMessages(c)) + (await upgradeOutbox(c, now));
  await c.one('meta', 'readwrite', async (store) => {
    await store.put({ key: AT_REST_META, value: 'done', updatedAt: now });
  });
  return n;
}
