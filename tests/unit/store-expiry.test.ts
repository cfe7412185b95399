/**
 * Disappearing messages in the store (repos/expiry.ts): a sweep deletes what is due from `messages`,
 * its outbox entries, its share of unread and the preview that showed it; what is not due stays.
 */
import { describe, expect, it } from 'vitest';
import type { MessageInput, OutboxInput } from '../../src/lib/store/db';
import type { SignedEventJson } from '../../src/lib/store/schema';
import { hexId, rawDump, storeWithChat } from '../helpers/store-idb';

const NAME = 'veil-expiry-test';
const ALICE = hexId(0xa11ce);
const BOB = hexId(0xb0b);
const T0 = 1_700_000_000;

const event = (n: number): SignedEventJson => ({ id: hexId(n, 'e'), pubkey: hexId(n, 'f'), created_at: T0, kind: 1067, tags: [], content: 'AQID', sig: 'ab'.repeat(64) });
const msg = (cid: string, n: number, dir: 'in' | 'out', expiresAt?: number): MessageInput => ({
  id: hexId(n),
  conversationId: cid,
  createdAt: T0 + n,
  direction: dir,
  status: dir === 'in' ? 'received' : 'sending',
  content: { body: `text ${n}`, sender: dir === 'in' ? BOB : ALICE, kind: 14 },
  ...(expiresAt !== undefined ? { expiresAt } : {})
});
const entry = (n: number): OutboxInput => ({ id: `m${n}-peer-0`, items: [{ relay: 'wss://one.example', event: event(n) }] });

describe('store expiring messages', () => {
  it('sweeps due messages, their outbox entries, unread and preview; keeps the rest; next() names the earliest deadline', async () => {
    const { store, cid, platform } = await storeWithChat(NAME, BOB, 'pw');
    expect(await store.expiring.next()).toBeUndefined();
    await store.addMessage(msg(cid, 1, 'in')); // no timer
    await store.addOutgoing(msg(cid, 2, 'out', 10_000), [entry(2)]); // due at 10 s, never sent
    await store.addMessage(msg(cid, 3, 'in', 20_000)); // due at 20 s
    await store.addMessage(msg(cid, 4, 'in', 30_000)); // due at 30 s, the newest: the preview
    expect((await store.getConversation(cid))?.unread).toBe(3);
    expect(await store.expiring.next()).toBe(10_000);

    expect(await store.expiring.sweep(9_999)).toEqual({ ids: [], conversations: [], outbox: 0 });

    const changes: string[] = [];
    store.onChange((c) => changes.push(`${c.store}:${c.key}`));
    const first = await store.expiring.sweep(20_000);
    expect(first.ids.sort()).toEqual([hexId(2), hexId(3)].sort());
    expect(first).toMatchObject({ conversations: [cid], outbox: 1 });
    expect(changes).toContain(`messages:${hexId(2)}`);
    expect(changes.filter((c) => c.startsWith('outbox:'))).toHaveLength(1);
    expect(await store.getMessage(hexId(2))).toBeUndefined();
    expect(await store.getMessage(hexId(3))).toBeUndefined();
    expect(await store.listOutboxByMessage(hexId(2))).toEqual([]);
    expect(await store.getOutbox('m2-peer-0')).toBeUndefined();
    let conv = await store.getConversation(cid);
    expect(conv?.unread).toBe(2); // message 3 was one of the three unread
    expect(conv?.preview?.text).toBe('text 4'); // the newest, not due yet, keeps the preview
    expect(await store.expiring.next()).toBe(30_000);

    await store.expiring.sweep(30_000);
    conv = await store.getConversation(cid);
    expect(conv?.preview?.text).toBe('text 1'); // the newest message left
    expect(conv?.unread).toBe(1);
    expect((await store.pageMessages(cid, { limit: 10 })).messages.map((m) => m.id)).toEqual([hexId(1)]);
    expect(await store.expiring.next()).toBeUndefined();

    // On disk: one message record, no outbox record, and no preview sealed from a deleted message.
    const raw = await rawDump(platform, NAME);
    expect(raw.filter((r) => r.store === 'messages')).toHaveLength(1);
    expect(raw.filter((r) => r.store === 'outbox')).toHaveLength(0);
  });

  it('removes the preview when the last message goes', async () => {
    const { store, cid } = await storeWithChat(`${NAME}-2`, BOB, 'pw');
    await store.addMessage(msg(cid, 5, 'out', 5_000));
    expect(await store.expiring.sweep(6_000)).toMatchObject({ ids: [hexId(5)] });
    expect((await store.getConversation(cid))?.preview).toBeUndefined();
  });

  it('keeps expiresAt on the record and in what it reads back', async () => {
    const { store, cid } = await storeWithChat(`${NAME}-3`, BOB, 'pw');
    await store.addMessage(msg(cid, 6, 'in', 123_000));
    expect((await store.getMessage(hexId(6)))?.expiresAt).toBe(123_000);
    await expect(store.addMessage({ ...msg(cid, 7, 'in'), expiresAt: -1 })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});
