/**
 * What every repository shares: the open database, the platform's IDBKeyRange, the vault, and the
 * transaction helper that maps failures to typed errors and tells `onChange` listeners after commit.
 *
 * Rules for repositories (docs/design.md §7):
 * - one IndexedDB transaction per logical write, so a failure leaves nothing half-written;
 * - all encryption BEFORE a transaction opens, all decryption AFTER it completes (a transaction
 *   never waits on WebCrypto: it would auto-commit);
 * - change events carry ids or blind ids, never plaintext.
 */
import type { IDBPDatabase, IDBPObjectStore, IDBPTransaction } from 'idb';
import { bytesToHex, randomBytes } from '../shared/bytes';
import { VeilError, isVeilError } from '../shared/errors';
import { toStoreError } from './idb-errors';
import type { IdbPlatform } from './migrations';
import type { VeilDB, VeilStoreName } from './schema';
import type { ChangeEvent, ChangeListener } from './types';
import type { Vault } from './vault';

/** Marks a request promise as handled now, so an abort never surfaces as an unhandled rejection. */
export function settle<T>(p: Promise<T>): Promise<T> {
  p.catch(() => {});
  return p;
}

export function randomId(): string {
  return bytesToHex(randomBytes(16));
}

export function nowS(): number {
  return Math.floor(Date.now() / 1000);
}

/**
 * Decrypts each record with `view`; a damaged record (anything but VAULT_LOCKED) is skipped and
 * counted, never fatal for the list (STYLE: one bad record never fails a batch).
 */
export async function openEach<R, V>(recs: R[], view: (r: R) => Promise<V>): Promise<{ ok: V[]; corrupted: number }> {
  let corrupted = 0;
  const out = await Promise.all(
    recs.map(async (r) => {
      try {
        return { v: await view(r) };
      } catch (e) {
        if (isVeilError(e, 'VAULT_LOCKED')) throw e;
        corrupted++;
        return undefined;
      }
    })
  );
  return { ok: out.filter((x): x is { v: Awaited<V> } => x !== undefined).map((x) => x.v), corrupted };
}

/**
 * Stores whose writes must reach the disk before the commit is reported (issue 11 item 7): the
 * outbox (a queued message: the UI shows it once the commit resolves) and the keys (vault wraps,
 * accounts, devices). A read-write transaction touching any of them asks for `durability: 'strict'`,
 * so a power cut or OS crash after "committed" cannot undo it; everything else keeps the engine's
 * default (Chromium: relaxed), which costs less and is rebuilt from relays if lost.
 */
export const STRICT_STORES: ReadonlySet<VeilStoreName> = new Set<VeilStoreName>(['outbox', 'vault', 'accounts', 'devices']);

/** The durability a transaction over `names` in `mode` asks for. */
export function durabilityFor(names: ArrayLike<VeilStoreName>, mode: IDBTransactionMode): IDBTransactionDurability {
  return mode === 'readwrite' && Array.from(names).some((n) => STRICT_STORES.has(n)) ? 'strict' : 'default';
}

export type Tx<Names extends ArrayLike<VeilStoreName>, Mode extends IDBTransactionMode> = IDBPTransaction<VeilDB, Names, Mode>;
export type Store<N extends VeilStoreName, Mode extends IDBTransactionMode> = IDBPObjectStore<VeilDB, [N], N, Mode>;
/** A read-write object store of a transaction over any set of stores (for helpers shared by several writes). */
export type AnyTxStore<N extends VeilStoreName> = IDBPObjectStore<VeilDB, ArrayLike<VeilStoreName>, N, 'readwrite'>;

export class StoreContext {
  readonly db: IDBPDatabase<VeilDB>;
  readonly platform: IdbPlatform;
  readonly vault: Vault;
  readonly #listeners = new Set<ChangeListener>();

  constructor(db: IDBPDatabase<VeilDB>, platform: IdbPlatform, vault: Vault) {
    this.db = db;
    this.platform = platform;
    this.vault = vault;
  }

  get keyRange(): typeof IDBKeyRange {
    return this.platform.IDBKeyRange;
  }

  onChange(listener: ChangeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(changes: ChangeEvent[]): void {
    for (const c of changes)
      for (const l of this.#listeners) {
        try {
          l(c);
        } catch {
          // A listener's bug must not turn a committed write into a failure.
        }
      }
  }

  requireUnlocked(): void {
    if (this.vault.locked) throw new VeilError('VAULT_LOCKED', 'vault is locked');
  }

  /**
   * Runs `fn` in one transaction and waits for the commit. Any failure aborts the whole
   * transaction and is mapped to STORAGE_QUOTA / STORAGE_FAILED (VeilErrors pass through).
   * `fn` must await only IDB requests. Changes pushed into `changes` are emitted after commit.
   */
  async tx<Names extends ArrayLike<VeilStoreName>, Mode extends IDBTransactionMode, T>(
    names: Names,
    mode: Mode,
    fn: (tx: Tx<Names, Mode>, changes: ChangeEvent[]) => Promise<T>
  ): Promise<T> {
    let tx: Tx<Names, Mode>;
    try {
      tx = this.db.transaction(names, mode, { durability: durabilityFor(names, mode) });
    } catch (e) {
      throw toStoreError(e);
    }
    const done = settle(tx.done);
    const changes: ChangeEvent[] = [];
    try {
      const result = await fn(tx, changes);
      await done;
      this.#emit(changes);
      return result;
    } catch (e) {
      try {
        tx.abort();
      } catch {
        // already finished or aborted
      }
      // A request error is often a bare AbortError; the transaction's own error says why.
      const why = !isVeilError(e) && tx.error && (e as { name?: string })?.name === 'AbortError' ? tx.error : e;
      throw toStoreError(why);
    }
  }

  /** `tx` over a single store, handing `fn` the typed object store. */
  async one<N extends VeilStoreName, Mode extends IDBTransactionMode, T>(
    name: N,
    mode: Mode,
    fn: (store: Store<N, Mode>, changes: ChangeEvent[]) => Promise<T>
  ): Promise<T> {
    return this.tx([name] as [N], mode, (tx, changes) => fn(tx.objectStore(name), changes));
  }

  /** Reads one record of a store (readonly transaction). */
  async get<N extends VeilStoreName>(name: N, key: string): Promise<VeilDB[N]['value'] | undefined> {
    return this.one(name, 'readonly', async (store) => store.get(key));
  }

  /**
   * Seals `secret` into the `sealed` field of a `{ id, createdAt, updatedAt, sealed }` record and
   * writes it, keeping the createdAt of the record it replaces.
   */
  async putSealed(name: 'accounts' | 'devices', id: string, secret: unknown): Promise<void> {
    const sealed = await this.vault.seal(name, id, 'data', secret);
    const now = Date.now();
    await this.one(name, 'readwrite', async (store, changes) => {
      const old = await store.get(id);
      await store.put({ id, createdAt: old?.createdAt ?? now, updatedAt: now, sealed });
      changes.push({ store: name, key: id });
    });
  }

  /** Deletes one record of a store and reports the change. */
  async delete(name: VeilStoreName, key: string): Promise<void> {
    await this.one(name, 'readwrite', async (store, changes) => {
      await store.delete(key);
      changes.push({ store: name, key });
    });
  }
}
