/**
 * What one migration step is (docs/design.md §7; idb README "upgrade"; Signal-Desktop ts/sql/migrations).
 *
 * Rules every step follows:
 * - synchronous IDB calls only: no await of a non-IDB promise (WebCrypto, timers) — the
 *   transaction would auto-commit under it. So a step cannot unseal anything: the vault key is not
 *   available during `upgradeneeded`; data that must be re-sealed moves lazily (see v4.ts);
 * - never delete a store this code does not know: a newer build in another tab, or a future
 *   version rolled back, may own it;
 * - a step that throws aborts the upgrade: the database stays at the old version, untouched.
 */
import type { IDBPDatabase, IDBPTransaction, StoreNames } from 'idb';
import type { VeilDB } from '../schema';

export type UpgradeTx = IDBPTransaction<VeilDB, StoreNames<VeilDB>[], 'versionchange'>;
export type MigrationStep = (db: IDBPDatabase<VeilDB>, tx: UpgradeTx, now: number) => void;

/** Records the version a step reached, in `meta` (a request inside the versionchange transaction). */
export function setSchemaVersion(tx: UpgradeTx, version: number, now: number): void {
  void tx.objectStore('meta').put({ key: 'schema', value: version, updatedAt: now });
}
