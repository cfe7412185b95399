/**
 * addOutgoing: an outgoing message and its outbox entries are written in one transaction. A failure
 * after the message put was issued aborts it: afterwards neither the message nor any entry exists.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MessageInput, OutboxInput } from '../../src/lib/store/db';
import type { SignedEventJson } from '../../src/lib/store/schema';
import { isVeilError } from '../../src/lib/shared/errors';
import { freshPlatform, hexId, rawDump, storeWithChat } from '../helpers/store-idb';

const NAME = 'veil-outgoing-test';
const ALICE = hexId(0xa11ce);
const BOB = hexId(0xb0b);

function envelope(n: number): SignedEventJson {
  return { id: hexId(n, 'e'), pubkey: hexId(n, 'f'), created_at: 1_700_000_000, kind: 1067, tags: [], content: 'AQID', sig: 'ab'.repeat(64) };
}

const setup = () => storeWithChat(NAME, BOB, 'pw');

const outgoing = (cid: string, n: number, body = `mine ${n}`): MessageInput => ({
  id: hexId(n),
  conversationId: cid,
  createdAt: 1_700_000_000 + n,
  direction: 'out',
  status: 'sending',
  content: { body, sender: ALICE, kind: 14 }
});

const entry = (id: string, n: number, relay = 'wss://one.example'): OutboxInput => ({ id, items: [{ relay, event: envelope(n) }] });

/** Every outbox / message / conversation record, raw. */
async function disk(platform: ReturnType<typeof freshPlatform>) {
  return (await rawDump(platform, NAME)).filter((r) => ['outbox', 'messages', 'conversations'].includes(r.store));
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('store addOutgoing', () => {
  it('writes the message and all its entries, tagged with the message id; a repeat is a duplicate that writes nothing', async () => {
    const { store, cid } = await setup();
    const changes: string[] = [];
    store.onChange((c) => changes.push(`${c.store}:${c.key}`));
    expect(await store.addOutgoing(outgoing(cid, 1), [entry('m1-a', 1), entry('m1-b', 2, 'wss://two.example')])).toBe('added');
    expect((await store.getMessage(hexId(1)))?.status).toBe('sending');
    const entries = await store.listOutboxByMessage(hexId(1));
    expect(entries.map((e) => e.id).sort()).toEqual(['m1-a', 'm1-b']);
    expect(entries.every((e) => e.messageId === hexId(1))).toBe(true);
    const conv = await store.getConversation(cid);
    expect(conv?.preview?.text).toBe('mine 1');
    expect(conv?.unread).toBe(0);
    expect(changes.sort()).toEqual([`conversations:${cid}`, `messages:${hexId(1)}`, 'outbox:m1-a', 'outbox:m1-b']);

    expect(await store.addOutgoing(outgoing(cid, 1, 'changed'), [entry('m1-c', 3)])).toBe('duplicate');
    expect(await store.getOutbox('m1-c')).toBeUndefined();
    expect((await store.getMessage(hexId(1)))?.content.body).toBe('mine 1');
  });

  it('the draft of the conversation goes in the same transaction (a crash after a send cannot bring it back); a failed add keeps it', async () => {
    const { store, cid } = await setup();
    await store.setDraft(cid, 'mine 5');
    expect(await store.addOutgoing(outgoing(cid, 5), [entry('d-1', 5)])).toBe('added');
    expect(await store.getDraft(cid)).toBeNull();
    await store.setDraft(cid, 'half typed');
    await store.addOutgoing(outgoing(cid, 6), [entry('d-1', 6)]).catch(() => undefined); // id already queued: aborted
    expect(await store.getDraft(cid)).toBe('half typed');
  });

  it('an entry that fails inside the transaction, after the message put, leaves neither the message nor any entry', async () => {
    const { platform, store, cid } = await setup();
    // Already queued: `add` of the same id fails with ConstraintError after the message put was issued.
    await store.enqueueOutbox(entry('taken', 9));
    const before = await disk(platform);
    const err = await store.addOutgoing(outgoing(cid, 2), [entry('fresh', 2), entry('taken', 3)]).catch((e) => e);
    expect(isVeilError(err, 'STORAGE_FAILED')).toBe(true);
    expect(await store.getMessage(hexId(2))).toBeUndefined();
    expect(await store.getOutbox('fresh')).toBeUndefined();
    expect(await store.listOutboxByMessage(hexId(2))).toEqual([]);
    expect((await store.getOutbox('taken'))?.items[0]!.event.id).toBe(envelope(9).id);
    // Byte for byte: the conversation's activity and preview did not move either.
    expect(await disk(platform)).toEqual(before);
  });

  it('a full disk on the last entry (injected into the engine) aborts the message and the earlier entries', async () => {
    const { platform, store, cid } = await setup();
    const proto = globalThis.IDBObjectStore.prototype;
    const { add, put } = proto;
    const issued: string[] = [];
    vi.spyOn(proto, 'put').mockImplementation(function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
      issued.push(`put ${this.name}`);
      return put.apply(this, args);
    });
    // Entry record keys are blind ids (issue 11), so the adds are told apart by their order.
    let outboxAdds = 0;
    vi.spyOn(proto, 'add').mockImplementation(function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['add']>) {
      const n = this.name === 'outbox' ? ++outboxAdds : 0;
      issued.push(`add ${this.name} #${n}`);
      if (n === 3) throw new DOMException('simulated', 'QuotaExceededError');
      return add.apply(this, args);
    });
    const before = await disk(platform);
    const err = await store.addOutgoing(outgoing(cid, 3), [entry('e-1', 1), entry('e-2', 2), entry('e-3', 3)]).catch((e) => e);
    expect(isVeilError(err, 'STORAGE_QUOTA')).toBe(true);
    // The message and conversation puts and the first two entry adds really were issued before the failure.
    expect(issued).toEqual(['put messages', 'put conversations', 'add outbox #1', 'add outbox #2', 'add outbox #3']);
    vi.restoreAllMocks();
    expect(await disk(platform)).toEqual(before);
    expect(await store.getMessage(hexId(3))).toBeUndefined();
    expect(await store.listOutboxByMessage(hexId(3))).toEqual([]);
    // The store still works afterwards, and the same call now succeeds.
    expect(await store.addOutgoing(outgoing(cid, 3), [entry('e-1', 1), entry('e-2', 2), entry('e-3', 3)])).toBe('added');
    expect((await store.listOutboxByMessage(hexId(3))).length).toBe(3);
  });

  it('validates everything before the transaction opens', async () => {
    const { platform, store, cid } = await setup();
    const before = await disk(platform);
    const incoming: MessageInput = { ...outgoing(cid, 4), direction: 'in', status: 'received' };
    expect(isVeilError(await store.addOutgoing(incoming, [entry('x', 1)]).catch((e) => e), 'INVALID_INPUT')).toBe(true);
    const other = { ...entry('y', 1), messageId: hexId(99) };
    expect(isVeilError(await store.addOutgoing(outgoing(cid, 4), [other]).catch((e) => e), 'INVALID_INPUT')).toBe(true);
    expect(isVeilError(await store.addOutgoing(outgoing(cid, 4), [entry('z', 1), entry('z', 2)]).catch((e) => e), 'INVALID_INPUT')).toBe(true);
    const badEvent = { id: 'w', items: [{ relay: 'wss://one.example', event: { ...envelope(1), sig: 'nope' } }] };
    expect(isVeilError(await store.addOutgoing(outgoing(cid, 4), [badEvent]).catch((e) => e), 'INVALID_INPUT')).toBe(true);
    const ghost = { ...outgoing(cid, 4), conversationId: 'f'.repeat(32) };
    expect(isVeilError(await store.addOutgoing(ghost, [entry('g', 1)]).catch((e) => e), 'NOT_FOUND')).toBe(true);
    expect(await disk(platform)).toEqual(before);
  });
});

describe('deleteConversation', () => {
  it('removes the outbox entries of its messages with them, and leaves other chats alone', async () => {
    const { store, cid } = await setup();
    const other = await store.ensureConversation([hexId(0xca401)]);
    await store.addOutgoing(outgoing(cid, 4), [entry('d-a', 4), entry('d-b', 5)]);
    await store.addOutgoing(outgoing(other, 6), [entry('keep', 6)]);
    await store.deleteConversation(cid);
    expect(await store.getMessage(hexId(4))).toBeUndefined();
    expect(await store.listOutboxByMessage(hexId(4))).toEqual([]);
    expect(await store.getOutbox('d-a')).toBeUndefined();
    expect((await store.listOutboxByMessage(hexId(6))).map((e) => e.id)).toEqual(['keep']);
  });
});
