/** Repository of `relays`: key = the URL as given (checked by `storeRelayUrl`). PLAIN: the locked service worker needs it. */
import type { StoreContext } from '../context';
import type { RelayRecord } from '../schema';
import type { RelayInput } from '../types';
import { bad, storeRelayUrl, validLimits } from '../validate';

export class RelaysRepo {
  readonly #c: StoreContext;

  constructor(c: StoreContext) {
    this.#c = c;
  }

  async put(input: RelayInput): Promise<void> {
    const url = storeRelayUrl(input.url);
    if (!['envelope', 'dm', 'both'].includes(input.role)) bad('relay role');
    const limits = input.limits === undefined ? undefined : validLimits(input.limits);
    await this.#c.one('relays', 'readwrite', async (store, changes) => {
      const old = await store.get(url);
      const rec: RelayRecord = { url, role: input.role, enabled: input.enabled ?? old?.enabled ?? true, updatedAt: Date.now() };
      if (old?.lastStatus) rec.lastStatus = old.lastStatus;
      const l = limits ?? old?.limits;
      if (l) rec.limits = l;
      await store.put(rec);
      changes.push({ store: 'relays', key: url });
    });
  }

  list(): Promise<RelayRecord[]> {
    return this.#c.one('relays', 'readonly', async (store) => store.getAll());
  }


  delete(url: string): Promise<void> {
    return this.#c.delete('relays', storeRelayUrl(url));
  }
}
