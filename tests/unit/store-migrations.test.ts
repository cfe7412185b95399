/**
 * Each schema step on its own: a database is made at version N-1 (through the real store, so it
 * holds what that version writes), closed, reopened at version N, and its data is checked.
 */
import { describe, expect, it } from 'vitest';
import type { IDBPDatabase } from 'idb';
import { VeilStore, type MessageInput } from '../../src/lib/store/db';
import { openVeilDB, type IdbPlatform } from '../../src/lib/store/migrations';
import type { SignedEventJson, VeilDB, VeilStoreName } from '../../src/lib/store/schema';
import { isVeilError } from '../../src/lib/shared/errors';
import { freshPlatform, hexId, rawDump, TEST_ITERATIONS, type RawRecord } from '../helpers/store-idb';

const NAME = 'veil-migrations-test';
const PASS = 'migration pass';
const BOB = hexId(0xb0b);

function indexNames(db: IDBPDatabase<VeilDB>, store: VeilStoreName): string[] {
  return Array.from(db.transaction(store, 'readonly').store.indexNames).sort();
}

async function schemaOf(platform: IdbPlatform, version: number) {
  const db = await openVeilDB(platform, NAME, { version });
  try {
    const stores = Array.from(db.objectStoreNames).sort();
    const indexes = Object.fromEntries(stores.map((s) => [s, indexNames(db, s as VeilStoreName)]));
    return { version: db.version, stores, indexes, schema: (await db.get('meta', 'schema'))?.value };
  } finally {
    db.close();
  }
}

/** Everything on disk except the schema-version record, which each step rewrites. */
const data = (d: RawRecord[]) => d.filter((r) => !(r.store === 'meta' && r.key === 'schema'));

/** Makes a database at `from` with `fill`, then upgrades it to `from + 1`; returns the raw disk before and after. */
async function stepFrom(from: number, fill: (store: VeilStore) => Promise<void>) {
  const platform = freshPlatform();
  const old = await VeilStore.open(platform, NAME, { version: from });
  await old.setupVault(PASS, { iterations: TEST_ITERATIONS });
  await fill(old);
  old.close();
  const before = await rawDump(platform, NAME);
  const after = await schemaOf(platform, from + 1);
  expect(after.version).toBe(from + 1);
  expect(after.schema).toBe(from + 1);
  return { platform, before, rawAfter: await rawDump(platform, NAME), after };
}

async function reopen(platform: IdbPlatform, version: number): Promise<VeilStore> {
  const store = await VeilStore.open(platform, NAME, { version });
  await store.unlock(PASS);
  return store;
}

function envelope(n: number): SignedEventJson {
  return { id: hexId(n, 'e'), pubkey: hexId(n, 'f'), created_at: 1_700_000_000, kind: 1067, tags: [], content: 'AQID', sig: 'ab'.repeat(64) };
}

describe('store migrations, one step at a time', () => {
  it('v0 → v1: creates every store of the first release and records when', async () => {
    const platform = freshPlatform();
    const s = await schemaOf(platform, 1);
    expect(s.stores).toEqual(['accounts', 'contacts', 'conversations', 'devices', 'messages', 'meta', 'outbox', 'relays', 'seen', 'settings', 'vault']);
    expect(s.indexes).toMatchObject({
      contacts: ['by-state'],
      conversations: ['by-activity'],
      messages: ['by-conversation'],
      outbox: ['by-due'],
      seen: ['by-expiry']
    });
    expect(s.schema).toBe(1);
    expect((await rawDump(platform, NAME)).find((r) => r.store === 'meta' && r.key === 'created')).toBeDefined();
  });

  it('v1 → v2: data written at v1 is intact and the new by-status index covers it', async () => {
    let cid = '';
    const { platform, before, rawAfter, after } = await stepFrom(1, async (v1) => {
      cid = await v1.ensureConversation([BOB]);
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
    });
    expect(after.indexes.messages).toEqual(['by-conversation', 'by-status']);
    expect(data(rawAfter)).toEqual(data(before));

    const v2 = await reopen(platform, 2);
    expect((await v2.listMessagesByStatus('failed', { limit: 5 })).map((m) => m.id)).toEqual([hexId(3), hexId(1)]);
    expect((await v2.listMessagesByStatus('sent', { limit: 1 })).map((m) => m.content.body)).toEqual(['v1 message 4']);
    expect((await v2.pageMessages(cid, { limit: 10 })).messages).toHaveLength(4);
    expect(await v2.getDraft(cid)).toBe('v1 draft');
    v2.close();
  });

  it('v2 → v3: outbox entries written at v2 are found by their message through the new by-message index', async () => {
    const { platform, before, rawAfter, after } = await stepFrom(2, async (v2) => {
      await v2.enqueueOutbox({ id: 'a-0', messageId: hexId(1), items: [{ relay: 'wss://one.example', event: envelope(1) }] });
      await v2.enqueueOutbox({ id: 'a-1', messageId: hexId(1), items: [{ relay: 'wss://two.example', event: envelope(2) }] });
      await v2.enqueueOutbox({ id: 'b-0', messageId: hexId(2), items: [{ relay: 'wss://one.example', event: envelope(3) }] });
      await v2.enqueueOutbox({ id: 'loose', items: [{ relay: 'wss://one.example', event: envelope(4) }] });
      expect(isVeilError(await v2.listOutboxByMessage(hexId(1)).catch((e) => e), 'STORAGE_FAILED')).toBe(true);
    });
    expect(after.indexes.outbox).toEqual(['by-due', 'by-message']);
    expect(data(rawAfter)).toEqual(data(before));

    // The outbox is sealed (v5 shape, whatever the schema version): the lookup needs the vault.
    const v3 = await reopen(platform, 3);
    expect((await v3.listOutboxByMessage(hexId(1))).map((e) => e.id).sort()).toEqual(['a-0', 'a-1']);
    expect((await v3.listOutboxByMessage(hexId(2))).map((e) => e.items[0]!.event.id)).toEqual([envelope(3).id]);
    expect(await v3.listOutboxByMessage(hexId(9))).toEqual([]);
    expect((await v3.listDueOutbox(Date.now())).map((e) => e.id).sort()).toEqual(['a-0', 'a-1', 'b-0', 'loose']);
    v3.close();
  });

  it('v3 → v4: adds the empty peers store; the sealed sync.peer settings stay until the first getPeer moves them', async () => {
    let cid = '';
    const side = { devices: [], recordAt: 1_700_000_000, pairReady: [hexId(7)], cardSentAt: 0, profileAt: 5, dmRelays: ['wss://dm.example'], dmRelaysAt: 9 };
    const { platform, before, rawAfter, after } = await stepFrom(3, async (v3) => {
      cid = await v3.ensureConversation([BOB]);
      await v3.upsertContact({ pubkey: BOB, state: 'accepted' });
      await v3.setSetting(`sync.peer.${cid}`, side);
    });
    expect(after.stores).toContain('peers');
    expect(after.indexes.peers).toEqual([]);
    // The step cannot unseal: nothing moved yet, nothing else changed.
    expect(data(rawAfter)).toEqual(data(before));

    const v4 = await reopen(platform, 4);
    expect(await v4.getPeer(BOB)).toEqual({ pubkey: BOB, ...side });
    const disk = await rawDump(platform, NAME);
    expect(disk.filter((r) => r.store === 'settings')).toEqual([]);
    expect(disk.filter((r) => r.store === 'peers').map((r) => r.key)).toEqual(disk.filter((r) => r.store === 'contacts').map((r) => r.key));
    expect((await v4.getContact(BOB))?.state).toBe('accepted');
    v4.close();
  });

  it('v6 → v7: adds the empty locked-inbox store and changes nothing else; the locked worker can use it at once', async () => {
    const { platform, before, rawAfter, after } = await stepFrom(6, async (v6) => {
      const cid = await v6.ensureConversation([BOB]);
      await v6.upsertContact({ pubkey: BOB, state: 'accepted' });
      await v6.setDraft(cid, 'kept');
    });
    expect(after.stores).toContain('locked-inbox');
    expect(after.indexes['locked-inbox']).toEqual([]);
    expect(data(rawAfter)).toEqual(data(before));
    const v7 = await VeilStore.open(platform, NAME, { version: 7 });
    expect(v7.isLocked()).toBe(true);
    expect(await v7.lockedInbox.add([{ event: envelope(1), relay: 'wss://r.example' }])).toBe(1);
    expect((await v7.lockedInbox.list()).map((r) => r.id)).toEqual([envelope(1).id]);
    v7.close();
  });
});
