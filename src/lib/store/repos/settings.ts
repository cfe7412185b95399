/**
 * Repository of `settings`: key/value. `sealed` for ordinary settings; `plain` only for the few read
 * before unlock (theme, language), never for anything that says who the user is or talks to.
 */
import { VeilError } from '../../shared/errors';
import { openEach, type StoreContext } from '../context';
import type { JsonValue, SettingRecord } from '../schema';
import { settingKey } from '../validate';

const MAX_PUBLIC_SETTING_JSON = 16_384;

export class SettingsRepo {
  readonly #c: StoreContext;

  constructor(c: StoreContext) {
    this.#c = c;
  }

  async #put(rec: SettingRecord): Promise<void> {
    await this.#c.one('settings', 'readwrite', async (store, changes) => {
      await store.put(rec);
      changes.push({ store: 'settings', key: rec.key });
    });
  }

  async set(key: string, value: JsonValue): Promise<void> {
    const k = settingKey(key);
    const sealed = await this.#c.vault.seal('settings', k, 'value', value);
    await this.#put({ key: k, sealed, updatedAt: Date.now() });
  }

  async get<T extends JsonValue>(key: string): Promise<T | undefined> {
    const k = settingKey(key);
    this.#c.requireUnlocked();
    const r = await this.#c.get('settings', k);
    return r?.sealed ? this.#c.vault.open<T>('settings', k, 'value', r.sealed) : undefined;
  }

  async setPublic(key: string, value: JsonValue): Promise<void> {
    const k = settingKey(key);
    if (JSON.stringify(value).length > MAX_PUBLIC_SETTING_JSON) throw new VeilError('TOO_LARGE', 'setting too large');
    await this.#put({ key: k, plain: value, updatedAt: Date.now() });
  }

  async getPublic<T extends JsonValue>(key: string): Promise<T | undefined> {
    return (await this.#c.get('settings', settingKey(key)))?.plain as T | undefined;
  }

  /** Every setting, sealed ones opened; a damaged one is skipped and counted (for a backup, store/backup.ts). */
  async list(): Promise<{ settings: { key: string; value: JsonValue; plain: boolean }[]; corrupted: number }> {
    this.#c.requireUnlocked();
    const recs = await this.#c.one('settings', 'readonly', async (store) => store.getAll());
    const { ok, corrupted } = await openEach(recs, async (r) =>
      r.sealed ? { key: r.key, value: await this.#c.vault.open<JsonValue>('settings', r.key, 'value', r.sealed), plain: false } : { key: r.key, value: r.plain ?? null, plain: true }
    );
    return { settings: ok, corrupted };
  }

  delete(key: string): Promise<void> {
    return this.#c.delete('settings', settingKey(key));
  }
}
