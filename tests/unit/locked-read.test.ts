/**
 * Reading while locked (sync/locked-read.ts, store/repos/locked-inbox.ts): the locked worker asks
 * for exactly what the page asks for (the same filters, tags, window and `since`), only from the
 * plain plan; the plan and the kept envelopes survive damage and stay bounded.
 */
import { describe, expect, it } from 'vitest';
import { finalizeEvent } from 'nostr-tools';
import { bytesToHex, randomBytes } from '../../src/lib/shared/bytes';
import { envelopeKey } from '../../src/lib/crypto/envelope';
import { generateSecretKey } from '../../src/lib/crypto/keys';
import { VeilStore } from '../../src/lib/store/db';
import { MAX_LOCKED_ENVELOPES } from '../../src/lib/store/repos/locked-inbox';
import { introTagsAhead, LOCKED_INTRO_DAYS, lockedFilters } from '../../src/lib/sync/locked-read';
import { PairKeys } from '../../src/lib/sync/pair-keys';
import { planFilters, ReadPadding, readPlans } from '../../src/lib/sync/plan';
import { freshPlatform } from '../helpers/store-idb';

const now = 1_750_000_000;
const R = 'wss://relay.one';
const ek = envelopeKey(generateSecretKey());
const pagePlan = (nowSeconds: number, lastRead?: number) =>
  planFilters(readPlans({ ek, pairKeys: new PairKeys(ek), fromEks: [], relays: [R], nowSeconds, padding: new ReadPadding(), ...(lastRead ? { lastReadAt: new Map([[R, lastRead]]) } : {}) })[0]!);

describe('the locked read asks what the page asks', () => {
  it('the same filters as the page (shared buckets and intro bucket, days, since), from the plan alone', () => {
    const intro = introTagsAhead(ek.publicKey, R, now);
    expect(lockedFilters(R, now, undefined, intro)).toEqual(pagePlan(now));
    // Locked for days: the worker last read a day after the plan was written, wakes two days after it.
    expect(lockedFilters(R, now + 2 * 86_400, now + 86_400, intro)).toEqual(pagePlan(now + 2 * 86_400, now + 86_400));
    // The tags reach LOCKED_INTRO_DAYS ahead: still the page's filters nine days on.
    expect(lockedFilters(R, now + 9 * 86_400, undefined, intro)).toEqual(pagePlan(now + 9 * 86_400));
  });

  it('past the horizon of the intro tags only the shared bucket is read', () => {
    const intro = introTagsAhead(ek.publicKey, R, now);
    expect(Object.keys(intro)).toHaveLength(LOCKED_INTRO_DAYS);
    const later = now + 30 * 86_400;
    const f = lockedFilters(R, later, undefined, intro);
    expect(f).toHaveLength(1);
    expect(f[0]).toEqual(pagePlan(later)[0]); // the bucket filter, as the page's
  });
});

describe('the locked inbox in the store', () => {
  const event = (created_at: number, sk: Uint8Array = randomBytes(32)) => finalizeEvent({ kind: 1067, created_at, tags: [['p', 'ab'.repeat(32)]], content: 'x' }, sk);

  it('works while locked; a damaged plan is no plan; bad intro tags are dropped', async () => {
    const platform = freshPlatform();
    const store = await VeilStore.open(platform, 'locked-1');
    expect(store.isLocked()).toBe(true);
    expect(await store.lockedInbox.plan()).toBeNull();
    await store.lockedInbox.setPlan({ relays: [R], intro: { [R]: { '20000': 'cd'.repeat(32), '20001': 'not hex', x: 'ef'.repeat(32) } }, readAt: { [R]: now, 'wss://other': now }, notified: true });
    expect(await store.lockedInbox.plan()).toEqual({ relays: [R], intro: { [R]: { '20000': 'cd'.repeat(32) } }, readAt: { [R]: now }, notified: true });
    // Someone with the disk writes garbage: the worker reads nothing rather than something wrong.
    const db = await new Promise<IDBDatabase>((resolve) => {
      const req = platform.indexedDB.open('locked-1');
      req.onsuccess = () => resolve(req.result);
    });
    await new Promise<void>((resolve) => {
      const tx = db.transaction('meta', 'readwrite');
      tx.objectStore('meta').put({ key: 'locked-read', value: '{"relays": 5}', updatedAt: 1 });
      tx.oncomplete = () => resolve();
    });
    db.close();
    expect(await store.lockedInbox.plan()).toBeNull();
    store.close();
  });

  it('keeps each envelope once, oldest first, at most MAX_LOCKED_ENVELOPES (the newest); off deletes them', async () => {
    const store = await VeilStore.open(freshPlatform(), 'locked-2');
    await store.lockedInbox.setPlan({ relays: [R], intro: {}, readAt: {}, notified: false });
    const a = event(now + 5);
    const b = event(now);
    expect(await store.lockedInbox.add([{ event: a, relay: R }, { event: b, relay: R }])).toBe(2);
    expect(await store.lockedInbox.add([{ event: a, relay: R }])).toBe(0);
    expect((await store.lockedInbox.list()).map((r) => r.id)).toEqual([b.id, a.id]);
    // Over the bound: the oldest go.
    // Not signed (the store keeps what the sync layer verified; signing 5,000 costs a minute here).
    const many = Array.from({ length: MAX_LOCKED_ENVELOPES }, (_, i) => ({ event: { ...a, id: bytesToHex(randomBytes(32)), created_at: now + 10 + i }, relay: R }));
    await store.lockedInbox.add(many);
    const kept = await store.lockedInbox.list();
    expect(kept).toHaveLength(MAX_LOCKED_ENVELOPES);
    expect(kept.map((r) => r.id)).not.toContain(b.id);
    expect(kept.map((r) => r.id)).not.toContain(a.id);
    await store.lockedInbox.setPlan(null);
    expect(await store.lockedInbox.count()).toBe(0);
    expect(await store.lockedInbox.plan()).toBeNull();
    store.close();
  }, 60_000);
});
