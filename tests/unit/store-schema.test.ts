import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { VeilStore, type MessageInput } from '../../src/lib/store/db';
import { MIGRATIONS, openVeilDB, runMigrations, type UpgradeTx } from '../../src/lib/store/migrations';
import { LATEST_VERSION, STORE_NAMES, makeSortKey, type VeilDB } from '../../src/lib/store/schema';
import { isVeilError } from '../../src/lib/shared/errors';
import { wrap, type IDBPDatabase } from 'idb';
import { freshPlatform, hexId, rawDump, TEST_ITERATIONS } from '../helpers/store-idb';

const NAME = 'veil-schema-test';
const BOB = hexId(0xb0b);

function indexNames(db: IDBPDatabase<VeilDB>, store: (typeof STORE_NAMES)[number]): string[] {
  const tx = db.transaction(store, 'readonly');
  return Array.from(tx.store.indexNames).sort();
}

describe('store schema and migrations', () => {
  it('a fresh database is created at the latest version with every store and index', async () => {
    expect(MIGRATIONS).toHaveLength(LATEST_VERSION);
    const platform = freshPlatform();
    const db = await openVeilDB(platform, NAME);
    expect(db.version).toBe(LATEST_VERSION);
    expect(Array.from(db.objectStoreNames).sort()).toEqual([...STORE_NAMES].sort());
    expect(indexNames(db, 'messages')).toEqual(['by-conversation', 'by-status']);
    expect(indexNames(db, 'contacts')).toEqual(['by-state']);
    expect(indexNames(db, 'conversations')).toEqual(['by-activity']);
    expect(indexNames(db, 'outbox')).toEqual(['by-due']);
    expect(indexNames(db, 'seen')).toEqual(['by-expiry']);
    expect((await db.get('meta', 'schema'))?.value).toBe(LATEST_VERSION);
    db.close();
  });

  it('v1 → v2: data written at v1 is intact and the new by-status index covers it', async () => {
    const platform = freshPlatform();
    const v1 = await VeilStore.open(platform, NAME, { version: 1 });
    await v1.setupVault('pass', { iterations: TEST_ITERATIONS });
    const cid = await v1.ensureConversation([BOB]);
    const msgs: MessageInput[] = [1, 2, 3, 4].map((n) => ({
      id: hexId(n),
      conversationId: cid,
      createdAt: 1000 + n,
      direction: 'out',
      status: n % 2 ? 'failed' : 'sent',
      content: { body: `v1 message ${n}`, sender: BOB, kind: 14 }
    }));
    await v1.addMessages(msgs);
    await v1.setDraft(cid, 'v1 draft');
    // At v1 there is no by-status index: the v2 call fails cleanly.
    expect(isVeilError(await v1.listMessagesByStatus('failed', { limit: 5 }).catch((e) => e), 'STORAGE_FAILED')).toBe(true);
    v1.close();
    const before = await rawDump(platform, NAME);
    const raw1 = await openVeilDB(platform, NAME, { version: 1 });
    expect(indexNames(raw1, 'messages')).toEqual(['by-conversation']);
    expect((await raw1.get('meta', 'schema'))?.value).toBe(1);
    raw1.close();

    const v2 = await VeilStore.open(platform, NAME);
    v2.close();
    const after = await rawDump(platform, NAME);
    // Only the schema version record changed.
    const strip = (d: typeof before) => d.filter((r) => !(r.store === 'meta' && r.key === 'schema'));
    expect(strip(after)).toEqual(strip(before));
    expect(after.find((r) => r.store === 'meta' && r.key === 'schema')?.value).toMatchObject({ value: 2 });

    const again = await VeilStore.open(platform, NAME);
    await again.unlock('pass');
    expect((await again.listMessagesByStatus('failed', { limit: 5 })).map((m) => m.id)).toEqual([hexId(3), hexId(1)]);
    expect((await again.listMessagesByStatus('sent', { limit: 1 })).map((m) => m.content.body)).toEqual(['v1 message 4']);
    expect((await again.pageMessages(cid, { limit: 10 })).messages).toHaveLength(4);
    expect(await again.getDraft(cid)).toBe('v1 draft');
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
    expect(db.version).toBe(2);
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
    expect(isVeilError(await openVeilDB(platform, NAME, { version: 7 }).catch((e) => e), 'INVALID_INPUT')).toBe(true);
  });

  it('an older tab closes its connection when a newer one upgrades', async () => {
    const platform = freshPlatform();
    let closedForUpgrade = false;
    const old = await openVeilDB(platform, NAME, { version: 1, onVersionChange: () => (closedForUpgrade = true) });
    const fresh = await openVeilDB(platform, NAME);
    expect(closedForUpgrade).toBe(true);
    expect(fresh.version).toBe(2);
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
