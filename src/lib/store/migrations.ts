/**
 * Schema migrations, one version at a time, run inside the `versionchange` transaction
 * (DESIGN.md §6 store layer; idb README "upgrade"; Signal-Desktop ts/sql/migrations).
 *
 * Rules every step follows:
 * - synchronous IDB calls only: no await of a non-IDB promise (WebCrypto, timers) — the
 *   transaction would auto-commit under it;
 * - never delete a store this code does not know: a newer build in another tab, or a future
 *   version rolled back, may own it;
 * - a step that throws aborts the upgrade: the database stays at the old version, untouched.
 *
 * `MIGRATIONS[i]` upgrades a database from version i to i + 1.
 */
import { wrap, type IDBPDatabase, type IDBPTransaction, type StoreNames } from 'idb';
import { VeilError } from '../shared/errors';
import { toStoreError } from './idb-errors';
import { LATEST_VERSION, type VeilDB } from './schema';

export type UpgradeTx = IDBPTransaction<VeilDB, StoreNames<VeilDB>[], 'versionchange'>;
export type MigrationStep = (db: IDBPDatabase<VeilDB>, tx: UpgradeTx, now: number) => void;

/** Platform objects the store needs; the page passes `globalThis.indexedDB` / `globalThis.IDBKeyRange`. */
export interface IdbPlatform {
  indexedDB: IDBFactory;
  IDBKeyRange: typeof IDBKeyRange;
}

function setSchemaVersion(tx: UpgradeTx, version: number, now: number): void {
  // Requests inside the versionchange transaction; their errors abort it (and the open).
  void tx.objectStore('meta').put({ key: 'schema', value: version, updatedAt: now });
}

/** v0 → v1: every store of the first release. */
const toV1: MigrationStep = (db, tx, now) => {
  db.createObjectStore('meta', { keyPath: 'key' });
  db.createObjectStore('vault', { keyPath: 'id' });
  db.createObjectStore('accounts', { keyPath: 'id' });
  db.createObjectStore('devices', { keyPath: 'id' });
  const contacts = db.createObjectStore('contacts', { keyPath: 'id' });
  contacts.createIndex('by-state', 'state');
  const conversations = db.createObjectStore('conversations', { keyPath: 'id' });
  conversations.createIndex('by-activity', 'lastActivity');
  const messages = db.createObjectStore('messages', { keyPath: 'id' });
  // Paging a conversation newest-first reads only one page through this index.
  messages.createIndex('by-conversation', ['conversationId', 'sortKey']);
  const outbox = db.createObjectStore('outbox', { keyPath: 'id' });
  outbox.createIndex('by-due', 'nextAttemptAt');
  const seen = db.createObjectStore('seen', { keyPath: 'id' });
  seen.createIndex('by-expiry', 'expiresAt');
  db.createObjectStore('relays', { keyPath: 'url' });
  db.createObjectStore('settings', { keyPath: 'key' });
  void tx.objectStore('meta').put({ key: 'created', value: now, updatedAt: now });
  setSchemaVersion(tx, 1, now);
};

/**
 * v1 → v2: messages by [status, sortKey], so the outbox view ("sending", "failed") lists its
 * messages without scanning every conversation. IDB builds the index over existing records.
 */
const toV2: MigrationStep = (_db, tx, now) => {
  tx.objectStore('messages').createIndex('by-status', ['status', 'sortKey']);
  setSchemaVersion(tx, 2, now);
};

/** The ordered steps; index i upgrades from version i to i + 1. */
export const MIGRATIONS: readonly MigrationStep[] = [toV1, toV2];

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
 * reads the global `indexedDB`, so this does what it does on a factory passed in (DESIGN.md §6:
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
