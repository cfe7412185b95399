/**
 * Opens the database and runs the schema migrations, one version at a time, inside the
 * `versionchange` transaction. Each step is its own file in migrations/ (rules in migrations/step.ts).
 *
 * `MIGRATIONS[i]` upgrades a database from version i to i + 1.
 */
import { wrap, type IDBPDatabase } from 'idb';
import { VeilError } from '../shared/errors';
import { toStoreError } from './idb-errors';
import type { MigrationStep, UpgradeTx } from './migrations/step';
import { toV1 } from './migrations/v1';
import { toV2 } from './migrations/v2';
import { toV3 } from './migrations/v3';
import { toV4 } from './migrations/v4';
import { toV5 } from './migrations/v5';
import { toV6 } from './migrations/v6';
import { toV7 } from './migrations/v7';
import { LATEST_VERSION, type VeilDB } from './schema';

export type { MigrationStep, UpgradeTx } from './migrations/step';

/** Platform objects the store needs; the page passes `globalThis.indexedDB` / `globalThis.IDBKeyRange`. */
export interface IdbPlatform {
  indexedDB: IDBFactory;
  IDBKeyRange: typeof IDBKeyRange;
}

/** The ordered steps; index i upgrades from version i to i + 1. */
export const MIGRATIONS: readonly MigrationStep[] = [toV1, toV2, toV3, toV4, toV5, toV6, toV7];

if (MIGRATIONS.length !== LATEST_VERSION) throw new Error('store: MIGRATIONS does not match LATEST_VERSION');

/**
 * Runs the steps from `oldVersion` to `newVersion` in order inside the upgrade transaction.
 * Exported for tests, which open a database at an older version and then upgrade it.
 */
export function runMigrations(db: IDBPDatabase<VeilDB>, oldVersion: number, newVersion: number, tx: UpgradeTx): void {
  const now = Date.now();
  for (let v = oldVersion; v < newVersion; v++) {
    const step = MIGRATIONS[v];
    if (!step) throw new VeilError('STORAGE_FAILED', `no migration from version ${v}`);
    step(db, tx, now);
  }
}

export interface OpenOptions {
  /** Target version; tests use older ones. Defaults to LATEST_VERSION. */
  version?: number;
  /** Another connection holds an older version open and has not closed yet. */
  onBlocked?: () => void;
  /** Another tab wants to upgrade: this connection is closed for it, then this is called. */
  onVersionChange?: () => void;
}

/**
 * Opens (creating or upgrading) the Veil database through the given IDBFactory. idb's `openDB`
 * reads the global `indexedDB`, so this does what it does on a factory passed in (docs/design.md §7:
 * platform objects are parameters). A database newer than this code refuses to open (VersionError)
 * and maps to STORAGE_FAILED: an old tab must never touch a newer schema.
 */
export async function openVeilDB(
  platform: IdbPlatform,
  name: string,
  opts: OpenOptions = {}
): Promise<IDBPDatabase<VeilDB>> {
  const version = opts.version ?? LATEST_VERSION;
  if (!Number.isSafeInteger(version) || version < 1 || version > LATEST_VERSION)
    throw new VeilError('INVALID_INPUT', 'unknown schema version');
  try {
    const req = platform.indexedDB.open(name, version);
    req.addEventListener('upgradeneeded', (e) => {
      const raw = req.transaction;
      if (!raw) return;
      try {
        runMigrations(
          wrap(req.result) as unknown as IDBPDatabase<VeilDB>,
          e.oldVersion,
          e.newVersion ?? version,
          wrap(raw) as unknown as UpgradeTx
        );
      } catch {
        // Abort: the open request fails with AbortError and the old version stays as it was.
        raw.abort();
      }
    });
    if (opts.onBlocked) req.addEventListener('blocked', () => opts.onBlocked?.());
    const db = (await wrap(req)) as unknown as IDBPDatabase<VeilDB> | undefined;
    if (!db) throw new VeilError('STORAGE_FAILED', 'database did not open');
    db.addEventListener('versionchange', () => {
      db.close();
      opts.onVersionChange?.();
    });
    return db;
  } catch (e) {
    throw toStoreError(e);
  }
}
