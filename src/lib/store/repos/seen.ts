/**
 * Repository of `seen`: key = blind(event id), so a stolen disk cannot tell which relay events this
 * device read. Dedupe across relays, tabs and restarts; pruned by `expiresAt` (ms, index `by-expiry`).
 */
import { settle, type StoreContext } from '../context';
import { MAX_BATCH, bad, hex64, msTime } from '../validate';

export class SeenRepo {
  readonly #c: StoreContext;

  constructor(c: StoreContext) {
    this.#c = c;
  }

  #blind(eventId: string): Promise<string> {
    return this.#c.vault.blind('seen', hex64(eventId, 'event id'));
  }

  #blindAll(eventIds: string[]): Promise<string[]> {
    if (!Array.isArray(eventIds) || eventIds.length > MAX_BATCH) bad('seen batch');
    return Promise.all(eventIds.map((e) => this.#blind(e)));
  }

  async claim(eventId: string, expiresAt: number): Promise<boolean> {
    const bid = await this.#blind(eventId);
    const exp = msTime(expiresAt, 'expiresAt');
    return this.#c.one('seen', 'readwrite', async (store, changes) => {
      if ((await store.getKey(bid)) !== undefined) return false;
      await store.add({ id: bid, expiresAt: exp });
      changes.push({ store: 'seen', key: bid });
      return true;
    });
  }

  /** Undoes a claim whose message could not be stored (a full disk), so the next read stores it. */
  async release(eventId: string): Promise<void> {
    const bid = await this.#blind(eventId);
    await this.#c.one('seen', 'readwrite', async (store, changes) => {
      await store.delete(bid);
      changes.push({ store: 'seen', key: bid });
    });
  }

  async has(eventId: string): Promise<boolean> {
    const bid = await this.#blind(eventId);
    return this.#c.one('seen', 'readonly', async (store) => (await store.getKey(bid)) !== undefined);
  }

  async mark(eventIds: string[], expiresAt: number): Promise<void> {
    const bids = await this.#blindAll(eventIds);
    const exp = msTime(expiresAt, 'expiresAt');
    await this.#c.one('seen', 'readwrite', async (store, changes) => {
      const olds = await Promise.all(bids.map((b) => settle(store.get(b))));
      await Promise.all(bids.map((b, i) => settle(store.put({ id: b, expiresAt: Math.max(exp, olds[i]?.expiresAt ?? 0) }))));
      for (const b of bids) changes.push({ store: 'seen', key: b });
    });
  }

  async filterUnseen(eventIds: string[]): Promise<string[]> {
    const bids = await this.#blindAll(eventIds);
    const keys = await this.#c.one('seen', 'readonly', async (store) => Promise.all(bids.map((b) => settle(store.getKey(b)))));
    return eventIds.filter((_, i) => keys[i] === undefined);
  }

  async prune(now: number): Promise<number> {
    msTime(now, 'now');
    return this.#c.one('seen', 'readwrite', async (store, changes) => {
      let n = 0;
      let cur = await store.index('by-expiry').openCursor(this.#c.keyRange.upperBound(now));
      while (cur) {
        changes.push({ store: 'seen', key: cur.primaryKey });
        await cur.delete();
        n++;
        cur = await cur.continue();
      }
      return n;
    });
  }
}
