/**
 * Issue 11 "At rest": what a stolen disk holds about the outbox, message ids, relay URLs and system
 * lines, read with the raw IDB API; the outbox purge; and the move of records older versions wrote.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { bytesToHex, utf8Encode } from '../../src/lib/shared/bytes';
import { VeilStore } from '../../src/lib/store/db';
import { makeSortKey, type LegacyMessageRecord, type OutboxRecord, type SignedEventJson, type VaultPassphraseRecord } from '../../src/lib/store/schema';
import { OUTBOX_MAX_AGE_MS, OUTBOX_SETTLED_TTL_MS, OUTBOX_STALE_MS } from '../../src/lib/store/repos/outbox';
import { Vault, unwrapWithPassphrase } from '../../src/lib/store/vault';
import { upgradeLine } from '../../src/lib/sync/stored-content';
import { findPlaintext, freshPlatform, hexId, rawDump, rawPut, storeWithChat, TEST_ITERATIONS, type RawRecord } from '../helpers/store-idb';

const NAME = 'veil-at-rest';
const PASS = 'pw';
const ME = hexId(0xa11ce);
const BOB = hexId(0xb0b);
const RECIPIENT = hexId(0x5ec7e7, 'c');
const RELAY = 'wss://secret-relay.example';
const DAY = 86_400_000;

function giftWrap(n: number): SignedEventJson {
  return { id: hexId(n, 'e'), pubkey: hexId(n, 'f'), created_at: 1_700_000_000, kind: 1059, tags: [['p', RECIPIENT]], content: 'AQID', sig: 'ab'.repeat(64) };
}

/** Where any of `needles` appears in the dump (keys included), as "what@store.path". */
function leaks(dump: RawRecord[], needles: Record<string, string>): string[] {
  return Object.entries(needles).flatMap(([what, n]) => dump.flatMap((r) => findPlaintext({ key: r.key, value: r.value }, n, r.store).map((p) => `${what}@${p}`)));
}

describe('store at rest (issue 11)', () => {
  it('an outbox entry holds no gift wrap, p tag, event id, relay URL or message id in plaintext, and still works after a reopen', async () => {
    const { platform, store, cid } = await storeWithChat(NAME, BOB, PASS);
    const mid = hexId(7);
    const message = { id: mid, conversationId: cid, createdAt: 1_700_000_000, direction: 'out' as const, status: 'sending' as const, content: { body: 'hi', sender: ME, kind: 14 } };
    expect(await store.addOutgoing(message, [{ id: `${mid}-p0`, items: [{ relay: RELAY, event: giftWrap(1) }] }])).toBe('added');
    expect(await store.enqueueOutbox({ id: 'loose', items: [{ relay: RELAY, event: giftWrap(2) }] })).toBe('added');
    store.close();
    const dump = await rawDump(platform, NAME);
    expect(dump.filter((r) => r.store === 'outbox')).toHaveLength(2);
    expect(leaks(dump, { pTag: RECIPIENT, event1: giftWrap(1).id, event2: giftWrap(2).id, relay: RELAY, messageId: mid, sig: giftWrap(1).sig })).toEqual([]);

    const again = await VeilStore.open(platform, NAME);
    await again.unlock(PASS);
    const [entry] = await again.listOutboxByMessage(mid);
    expect(entry?.id).toBe(`${mid}-p0`);
    expect(entry?.items[0]?.event).toEqual(giftWrap(1));
    expect((await again.listDueOutbox(Date.now())).map((e) => e.id).sort()).toEqual([`${mid}-p0`, 'loose']);
    const marked = await again.markOutboxAttempt(`${mid}-p0`, [{ relay: RELAY, status: 'failed', error: 'unreachable: down' }], Date.now() + 5000);
    expect(marked?.items[0]).toMatchObject({ status: 'failed', attempts: 1, lastError: 'unreachable: down' });
    expect((await again.getOutbox(`${mid}-p0`))?.items[0]?.status).toBe('failed');
  });

  it('purges settled entries after a day and parked ones after 7 days; a live entry stays until 30 days', async () => {
    const { store } = await storeWithChat(NAME, BOB, PASS);
    const t = Date.now();
    const item = (n: number) => [{ relay: RELAY, event: giftWrap(n) }];
    await store.enqueueOutbox({ id: 'live', items: item(1) });
    await store.enqueueOutbox({ id: 'failed', items: item(2) });
    await store.enqueueOutbox({ id: 'refused', items: item(3) });
    await store.markOutboxAttempt('failed', [{ relay: RELAY, status: 'failed', error: 'timeout' }], null, t);
    await store.markOutboxAttempt('refused', [{ relay: RELAY, status: 'rejected', error: 'blocked: no' }], t + 1000, t);
    const left = async () => (await Promise.all(['live', 'failed', 'refused'].map(async (id) => ((await store.getOutbox(id)) ? id : '')))).filter(Boolean);

    expect(await store.pruneOutbox(t + OUTBOX_SETTLED_TTL_MS - 1)).toBe(0);
    expect(await store.pruneOutbox(t + OUTBOX_SETTLED_TTL_MS)).toBe(1);
    expect(await left()).toEqual(['live', 'failed']);
    expect(await store.pruneOutbox(t + OUTBOX_STALE_MS - 1)).toBe(0);
    expect(await store.pruneOutbox(t + OUTBOX_STALE_MS)).toBe(1);
    expect(await left()).toEqual(['live']);
    // The purge reads only plain fields: it works while locked.
    store.lock();
    expect(await store.pruneOutbox(Date.now() + OUTBOX_MAX_AGE_MS + 1000)).toBe(1);
  });

  it('a legacy kind-4 message keyed by its public event id: no trace of the id on disk, still found, deduped and quoted', async () => {
    const { platform, store, cid } = await storeWithChat(NAME, BOB, PASS);
    const publicId = hexId(0x4444, 'd');
    const legacy = { id: publicId, conversationId: cid, createdAt: 1_700_000_000, direction: 'in' as const, status: 'received' as const, content: { body: 'old dm', sender: BOB, kind: 4 } };
    expect(await store.addMessage(legacy)).toBe('added');
    expect(await store.addMessage(legacy)).toBe('duplicate');
    expect(await store.addMessage({ ...legacy, id: hexId(5), createdAt: 1_700_000_001, content: { body: 'reply', sender: ME, kind: 14, replyTo: publicId } })).toBe('added');
    expect((await store.getMessage(publicId))?.content.body).toBe('old dm');
    const page = await store.pageMessages(cid, { limit: 1 });
    expect(page.messages[0]?.content.replyTo).toBe(publicId);
    // A cursor made from the public id (as the app makes it) pages on from that message.
    const older = await store.pageMessages(cid, { before: makeSortKey(1_700_000_001, hexId(5)), limit: 5 });
    expect(older.messages.map((m) => m.id)).toEqual([publicId]);
    store.close();
    expect(leaks(await rawDump(platform, NAME), { publicId, replyId: hexId(5) })).toEqual([]);
  });

  it('per-message relay results are sealed: no relay URL on disk, merged and read back after unlock', async () => {
    const { platform, store, cid } = await storeWithChat(NAME, BOB, PASS);
    const mid = hexId(8);
    await store.addOutgoing({ id: mid, conversationId: cid, createdAt: 1_700_000_000, direction: 'out', status: 'sending', content: { body: 'x', sender: ME, kind: 14 } }, []);
    await store.updateMessageStatus(mid, 'sent', [{ relay: RELAY, ok: true, at: 1 }]);
    await store.updateMessageStatus(mid, 'sent', [{ relay: 'wss://other-secret.example', ok: false, message: 'error: x', at: 2 }]);
    await Promise.all([store.updateMessageStatus(mid, 'sent', [{ relay: RELAY, ok: true, at: 3 }]), store.updateMessageStatus(mid, 'sent', [{ relay: 'wss://third.example', ok: true, at: 4 }])]);
    store.close();
    expect(leaks(await rawDump(platform, NAME), { relay: RELAY, other: 'other-secret', third: 'third.example' })).toEqual([]);
    const again = await VeilStore.open(platform, NAME);
    await again.unlock(PASS);
    const m = await again.getMessage(mid);
    expect(m?.status).toBe('sent');
    expect(m?.relays.map((r) => `${r.relay}@${r.at}`).sort()).toEqual([`${RELAY}@3`, 'wss://other-secret.example@2', 'wss://third.example@4'].sort());
  });

  it('the "upgraded" system line id is made by the vault: not derivable from the peer and record time, stable per vault', async () => {
    const a = await storeWithChat(NAME, BOB, PASS);
    const b = await storeWithChat(NAME, BOB, PASS);
    const recordAt = 1_700_000_123;
    const derivable = bytesToHex(sha256(utf8Encode(`veil/system/upgrade\0${BOB}\0${recordAt}`)));
    const la = await upgradeLine(a.store, ME, BOB, recordAt, a.cid, 1_700_000_200);
    const lb = await upgradeLine(b.store, ME, BOB, recordAt, b.cid, 1_700_000_200);
    expect(la.id).toMatch(/^[0-9a-f]{64}$/);
    expect(la.id).not.toBe(derivable);
    expect(la.id).not.toBe(lb.id);
    expect((await upgradeLine(a.store, ME, BOB, recordAt, a.cid, 1_700_000_999)).id).toBe(la.id);
    expect(await a.store.addMessage(la)).toBe('added');
    expect(await a.store.addMessage(await upgradeLine(a.store, ME, BOB, recordAt, a.cid, 1_700_000_300))).toBe('duplicate');
    a.store.close();
    expect(leaks(await rawDump(a.platform, NAME), { derivable, id: la.id })).toEqual([]);
  });

  it('v4 → v5: records a v4 build wrote (plain outbox, id-keyed messages) are sealed and blind-keyed after the first unlock', async () => {
    const platform = freshPlatform();
    const store = await VeilStore.open(platform, NAME, { version: 4 });
    await store.setupVault(PASS, { iterations: TEST_ITERATIONS });
    const cid = await store.ensureConversation([BOB]);
    store.close();
    // Write the old shapes raw, sealed with the same vault key the way v4 sealed them.
    const rec = (await rawDump(platform, NAME)).find((r) => r.store === 'vault' && r.key === 'passphrase')!.value as VaultPassphraseRecord;
    const vault = new Vault();
    await vault.load(await unwrapWithPassphrase(rec, PASS));
    const mid = hexId(0x4444, 'd');
    const content = { body: 'from v4', sender: BOB, kind: 4 };
    const oldMsg: LegacyMessageRecord = {
      id: mid,
      conversationId: cid,
      sortKey: makeSortKey(1_700_000_000, mid),
      createdAt: 1_700_000_000,
      receivedAt: 1,
      direction: 'in',
      status: 'received',
      relays: [{ relay: RELAY, ok: true, at: 1 }],
      sealed: await vault.seal('messages', mid, 'data', content)
    };
    const now = Date.now();
    const oldEntry = (id: string, n: number, lastAttemptAt: number): OutboxRecord => ({
      id,
      messageId: mid,
      createdAt: lastAttemptAt,
      attempts: 1,
      nextAttemptAt: Number.MAX_SAFE_INTEGER,
      items: [{ relay: RELAY, event: giftWrap(n), status: 'failed', attempts: 1, lastAttemptAt }]
    });
    await rawPut(platform, NAME, 'messages', oldMsg);
    await rawPut(platform, NAME, 'outbox', oldEntry(`${mid}-p0`, 1, now - 1000));
    await rawPut(platform, NAME, 'outbox', oldEntry(`${mid}-p1`, 2, now - 40 * DAY));
    const needles = { mid, relay: RELAY, pTag: RECIPIENT, wrap: giftWrap(1).id };
    expect(leaks(await rawDump(platform, NAME), needles).length).toBeGreaterThan(0);

    // Opening runs the v5 step (it can only mark the move as pending); the unlock moves the records.
    const again = await VeilStore.open(platform, NAME);
    expect((await rawDump(platform, NAME)).find((r) => r.store === 'meta' && r.key === 'at-rest')?.value).toMatchObject({ value: 'pending' });
    await again.unlock(PASS);
    const m = await again.getMessage(mid);
    expect(m?.content).toEqual(content);
    expect(m?.relays).toEqual(oldMsg.relays);
    expect((await again.listOutboxByMessage(mid)).map((e) => e.id).sort()).toEqual([`${mid}-p0`, `${mid}-p1`]);
    // The one that failed 40 days ago is stale from its own last attempt.
    expect(await again.pruneOutbox(now)).toBe(1);
    expect((await again.listOutboxByMessage(mid)).map((e) => e.items[0]!.event)).toEqual([giftWrap(1)]);
    again.close();
    const dump = await rawDump(platform, NAME);
    expect(leaks(dump, needles)).toEqual([]);
    expect(dump.find((r) => r.store === 'meta' && r.key === 'at-rest')?.value).toMatchObject({ value: 'done' });
  });
});
