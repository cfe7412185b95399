/**
 * Failure mapping: a full disk is STORAGE_QUOTA, anything else STORAGE_FAILED, and one logical
 * write is one transaction, so a failure leaves nothing half-written.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MessageInput } from '../../src/lib/store/db';
import { toStoreError, isQuotaError } from '../../src/lib/store/idb-errors';
import { isVeilError, VeilError } from '../../src/lib/shared/errors';
import { hexId, rawDump, storeWithChat } from '../helpers/store-idb';

const NAME = 'veil-errors-test';
const BOB = hexId(0xb0b);

const setup = () => storeWithChat(NAME, BOB, 'pw');

const message = (cid: string, n: number): MessageInput => ({
  id: hexId(n),
  conversationId: cid,
  createdAt: 100 + n,
  direction: 'in',
  status: 'received',
  content: { body: `b${n}`, sender: BOB, kind: 14 }
});

/** Makes `put` on one store fail the way a full disk does. */
function failPutsOn(storeName: string, how: 'throw' | 'abort', errName = 'QuotaExceededError') {
  const proto = globalThis.IDBObjectStore.prototype;
  const original = proto.put;
  return vi.spyOn(proto, 'put').mockImplementation(function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
    if (this.name !== storeName) return original.apply(this, args);
    if (how === 'throw') throw new DOMException('simulated', errName);
    // The request is accepted, then the engine aborts the transaction with the quota error
    // (what browsers do when the commit does not fit).
    const req = original.apply(this, args);
    const tx = this.transaction as unknown as { _abort(name: string): void };
    queueMicrotask(() => tx._abort(errName));
    return req;
  });
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('store error mapping', () => {
  it('maps QuotaExceededError DOMExceptions and transaction errors', () => {
    expect(isQuotaError(new DOMException('x', 'QuotaExceededError'))).toBe(true);
    expect(isQuotaError(new DOMException('x', 'DataError'))).toBe(false);
    expect(toStoreError(new DOMException('x', 'QuotaExceededError')).code).toBe('STORAGE_QUOTA');
    expect(toStoreError(new DOMException('x', 'InvalidStateError')).code).toBe('STORAGE_FAILED');
    expect(toStoreError(new TypeError('boom')).code).toBe('STORAGE_FAILED');
    const own = new VeilError('NOT_FOUND', 'x');
    expect(toStoreError(own)).toBe(own);
  });

  it('quota thrown by a request: STORAGE_QUOTA, and the message write is rolled back with it', async () => {
    const { platform, store, cid } = await setup();
    const before = await rawDump(platform, NAME);
    failPutsOn('conversations', 'throw');
    const err = await store.addMessage(message(cid, 1)).catch((e) => e);
    expect(isVeilError(err, 'STORAGE_QUOTA')).toBe(true);
    vi.restoreAllMocks();
    expect(await rawDump(platform, NAME)).toEqual(before);
    expect(await store.addMessage(message(cid, 1))).toBe('added'); // and works once space is back
  });

  it('quota as a transaction abort at commit: STORAGE_QUOTA, nothing half-written', async () => {
    const { platform, store, cid } = await setup();
    await store.addMessage(message(cid, 1));
    const before = await rawDump(platform, NAME);
    failPutsOn('conversations', 'abort');
    const err = await store.addMessages([message(cid, 2), message(cid, 3)]).catch((e) => e);
    expect(isVeilError(err, 'STORAGE_QUOTA')).toBe(true);
    vi.restoreAllMocks();
    expect(await rawDump(platform, NAME)).toEqual(before);
    expect((await store.getConversation(cid))?.unread).toBe(1);
  });

  it('quota on a draft write leaves the old draft state', async () => {
    const { store, cid } = await setup();
    failPutsOn('conversations', 'throw');
    expect(isVeilError(await store.setDraft(cid, 'x').catch((e) => e), 'STORAGE_QUOTA')).toBe(true);
    vi.restoreAllMocks();
    expect(await store.getDraft(cid)).toBeNull();
  });

  it('other failures are STORAGE_FAILED; a closed store too', async () => {
    const { store, cid } = await setup();
    failPutsOn('messages', 'throw', 'UnknownError');
    expect(isVeilError(await store.addMessage(message(cid, 1)).catch((e) => e), 'STORAGE_FAILED')).toBe(true);
    vi.restoreAllMocks();
    store.close();
    expect(isVeilError(await store.totalUnread().catch((e) => e), 'STORAGE_FAILED')).toBe(true);
    expect(store.isLocked()).toBe(true);
  });
});
