/**
 * Repository of the `vault` store: the passphrase wrap and the optional device wrap of the vault
 * key (vault.ts has the cryptography; docs/storage.md what each wrap gives up).
 */
import { equalBytes, wipe } from '../../shared/bytes';
import { VeilError } from '../../shared/errors';
import type { StoreContext } from '../context';
import type { AccountRecord, VaultDeviceRecord, VaultPassphraseRecord, VeilStoreName } from '../schema';
import type { VaultOptions } from '../types';
import { upgradeAtRest } from './upgrade';
import { DEFAULT_KDF_ITERATIONS, newMasterKey, unwrapWithDevice, unwrapWithPassphrase, wrapWithDevice, wrapWithPassphrase } from '../vault';

export class VaultRepo {
  readonly #c: StoreContext;

  constructor(c: StoreContext) {
    this.#c = c;
  }

  async #has(id: 'passphrase' | 'device'): Promise<boolean> {
    return this.#c.one('vault', 'readonly', async (store) => (await store.getKey(id)) !== undefined);
  }

  hasVault(): Promise<boolean> {
    return this.#has('passphrase');
  }

  hasDeviceUnlock(): Promise<boolean> {
    return this.#has('device');
  }

  async #putDevice(dev: VaultDeviceRecord): Promise<void> {
    await this.#c.one('vault', 'readwrite', async (store, changes) => {
      await store.put(dev);
      changes.push({ store: 'vault', key: 'device' });
    });
  }

  async setup(passphrase: string, opts: VaultOptions): Promise<void> {
    const master = newMasterKey();
    try {
      const rec = await wrapWithPassphrase(master, passphrase, opts.iterations ?? DEFAULT_KDF_ITERATIONS);
      const dev = opts.rememberDevice ? await wrapWithDevice(master) : undefined;
      await this.#c.one('vault', 'readwrite', async (store, changes) => {
        if ((await store.getKey('passphrase')) !== undefined) throw new VeilError('INVALID_INPUT', 'vault already set up');
        await store.add(rec);
        changes.push({ store: 'vault', key: 'passphrase' });
        if (dev) {
          await store.put(dev);
          changes.push({ store: 'vault', key: 'device' });
        }
      });
      await this.#c.vault.load(master);
    } finally {
      wipe(master);
    }
    await this.#afterUnlock();
  }

  async unlock(passphrase: string, opts: { rememberDevice?: boolean }): Promise<void> {
    const rec = await this.#passphraseRecord();
    const master = await unwrapWithPassphrase(rec, passphrase);
    try {
      if (opts.rememberDevice) await this.#putDevice(await wrapWithDevice(master));
      await this.#c.vault.load(master);
    } finally {
      wipe(master);
    }
    await this.#afterUnlock();
  }

  async unlockWithDevice(): Promise<boolean> {
    const rec = await this.#c.get('vault', 'device');
    if (!rec || rec.id !== 'device') return false;
    await this.#c.vault.load(await unwrapWithDevice(rec));
    await this.#afterUnlock();
    return true;
  }

  forgetDevice(): Promise<void> {
    return this.#c.delete('vault', 'device');
  }

  /**
   * Re-wraps the vault key under a new passphrase. `accounts` (sealed records, e.g. an identity key
   * re-encrypted under the new passphrase) are written in the same transaction: all or nothing.
   */
  async changePassphrase(oldPassphrase: string, newPassphrase: string, opts: { iterations?: number; accounts?: () => Promise<AccountRecord[]> }): Promise<void> {
    const rec = await this.#passphraseRecord();
    const master = await unwrapWithPassphrase(rec, oldPassphrase);
    try {
      const fresh = await wrapWithPassphrase(master, newPassphrase, opts.iterations ?? DEFAULT_KDF_ITERATIONS);
      fresh.createdAt = rec.createdAt;
      const accounts = (await opts.accounts?.()) ?? [];
      const names: VeilStoreName[] = accounts.length > 0 ? ['vault', 'accounts'] : ['vault'];
      await this.#c.tx(names, 'readwrite', async (tx, changes) => {
        const current = await tx.objectStore('vault').get('passphrase');
        // Another tab changed it meanwhile: this wrap was made from a record that is gone.
        if (!current || current.id !== 'passphrase' || !equalBytes(current.salt, rec.salt)) throw new VeilError('WRONG_PASSPHRASE', 'passphrase changed meanwhile');
        await tx.objectStore('vault').put(fresh);
        changes.push({ store: 'vault', key: 'passphrase' });
        for (const a of accounts) {
          await tx.objectStore('accounts').put(a);
          changes.push({ store: 'accounts', key: a.id });
        }
      });
    } finally {
      wipe(master);
    }
  }

  /**
   * After every unlock: moves records an older version wrote to the sealed shape (upgrade.ts). A
   * failure (a full disk) does not fail the unlock; the next unlock goes on where this one stopped.
   */
  async #afterUnlock(): Promise<void> {
    await upgradeAtRest(this.#c).catch(() => {});
  }

  async #passphraseRecord(): Promise<VaultPassphraseRecord> {
    const rec = await this.#c.get('vault', 'passphrase');
    if (!rec || rec.id !== 'passphrase') throw new VeilError('NOT_FOUND', 'no vault');
    return rec;
  }
}
