import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MIGRATIONS, openVeilDB, runMigrations, type UpgradeTx } from '../../src/lib/store/migrations';
import { LATEST_VERSION, STORE_NAMES, makeSortKey, type VeilDB } from '../../src/lib/store/schema';
import { isVeilError } from '../../src/lib/shared/errors';
import { wrap, type IDBPDatabase } from 'idb';
import { freshPlatform } from '../helpers/store-idb';

const NAME = 'veil-schema-test';

function indexNames(db: IDBPDatabase<VeilDB>, store: (typeof STORE_NAMES)[number]): string[] {
  const tx = db.transaction(store, 'readonly');
  return Array.from(tx.store.indexNames).sort();
}

describe('store schema and the migration runner', () => {
  it('a fresh database is created at the latest version with every store and index', async () => {
    expect(MIGRATIONS).toHaveLength(LATEST_VERSION);
    const platform = freshPlatform();
    const db = await openVeilDB(platform, NAME);
    expect(db.version).toBe(LATEST_VERSION);
    expect(Array.from(db.objectStoreNames).sort()).toEqual([...STORE_NAMES].sort());
    expect(indexNames(db, 'messages')).toEqual(['by-conversation', 'by-expiry', 'by-status']);
    expect(indexNames(db, 'contacts')).toEqual(['by-state']);
    expect(indexNames(db, 'conversations')).toEqual(['by-activity']);
    expect(indexNames(db, 'outbox')).toEqual(['by-due', 'by-message']);
    expect(indexNames(db, 'seen')).toEqual(['by-expiry']);
    expect((await db.get('meta', 'schema'))?.value).toBe(LATEST_VERSION);
    db.close();
  });

  it('never deletes a store it does not know', async () => {
    const platform = freshPlatform();
    // A v1 database that also holds a store from some other build.
    await new Promise<void>((resolve, reject) => {
      const req = platform.indexedDB.open(NAME, 1);
      req.onupgradeneeded = (e) => {
        const db = wrap(req.result) as unknown as IDBPDatabase<VeilDB>;
        runMigrations(db, e.oldVersion, 1, wrap(req.transaction!) as unknown as UpgradeTx);
        req.result.createObjectStore('from-the-future');
      };
      req.onsuccess = () => {
        req.result.close();
        resolve();
      };
      req.onerror = () => reject(req.error);
    });
    const db = await openVeilDB(platform, NAME);
    expect(db.version).toBe(LATEST_VERSION);
    expect(Array.from(db.objectStoreNames)).toContain('from-the-future');
    db.close();
  });

  it('refuses a database newer than this code (STORAGE_FAILED), leaving it alone', async () => {
    const platform = freshPlatform();
    await new Promise<void>((resolve) => {
      const req = platform.indexedDB.open(NAME, LATEST_VERSION + 1);
      req.onupgradeneeded = () => req.result.createObjectStore('meta', { keyPath: 'key' });
      req.onsuccess = () => {
        req.result.close();
        resolve();
      };
    });
    const err = await openVeilDB(platform, NAME).catch((e) => e);
    expect(isVeilError(err, 'STORAGE_FAILED')).toBe(true);
    expect(isVeilError(await openVeilDB(platform, NAME, { version: LATEST_VERSION + 1 }).catch((e) => e), 'INVALID_INPUT')).toBe(true);
  });

  it('an older tab closes its connection when a newer one upgrades', async () => {
    const platform = freshPlatform();
    let closedForUpgrade = false;
    const old = await openVeilDB(platform, NAME, { version: 1, onVersionChange: () => (closedForUpgrade = true) });
    const fresh = await openVeilDB(platform, NAME);
    expect(closedForUpgrade).toBe(true);
    expect(fresh.version).toBe(LATEST_VERSION);
    expect(old.version).toBe(1);
    fresh.close();
  });

  it('sort keys order exactly like (created_at, id)', () => {
    const hex = fc.stringMatching(/^[0-9a-f]{64}$/);
    const ts = fc.integer({ min: 0, max: 99_999_999_999 });
    fc.assert(
      fc.property(ts, hex, ts, hex, (t1, id1, t2, id2) => {
        const byTuple = t1 !== t2 ? Math.sign(t1 - t2) : id1 === id2 ? 0 : id1 < id2 ? -1 : 1;
        const a = makeSortKey(t1, id1);
        const b = makeSortKey(t2, id2);
        const byKey = a === b ? 0 : a < b ? -1 : 1;
        return byTuple === byKey;
      })
    );
  });
});
