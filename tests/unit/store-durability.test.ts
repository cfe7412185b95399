/**
 * Durability (issue 11 item 7): every read-write transaction over the outbox or the keys (vault
 * wraps, accounts, devices) is opened with `durability: 'strict'`, and the IndexedDB engine (here
 * fake-indexeddb, which validates the option like a browser) accepts it. Other writes and every
 * read keep the engine default. Asserted on the transactions the engine really opened.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { durabilityFor } from '../../src/lib/store/context';
import type { SignedEventJson } from '../../src/lib/store/schema';
import { hexId, storeWithChat } from '../helpers/store-idb';

const BOB = hexId(0xb0b);

interface Opened {
  stores: string[];
  mode: IDBTransactionMode;
  /** The transaction's own `durability`, as the engine set it. */
  durability: string;
}

let opened: Opened[] = [];

beforeEach(() => {
  opened = [];
  const proto = globalThis.IDBDatabase.prototype;
  const original = proto.transaction;
  vi.spyOn(proto, 'transaction').mockImplementation(function (this: IDBDatabase, ...args: Parameters<IDBDatabase['transaction']>) {
    const tx = original.apply(this, args);
    opened.push({ stores: Array.from(tx.objectStoreNames), mode: tx.mode, durability: tx.durability });
    return tx;
  });
});

afterEach(() => {
  vi.restoreAllMocks();
});

function event(n: number): SignedEventJson {
  return { id: hexId(n, 'e'), pubkey: hexId(n, 'f'), created_at: 1_700_000_000, kind: 1059, tags: [['p', BOB]], content: 'AQID', sig: 'ab'.repeat(64) };
}

/** The transactions opened while `fn` ran. */
async function during(fn: () => Promise<unknown>): Promise<Opened[]> {
  const from = opened.length;
  await fn();
  return opened.slice(from);
}

const writes = (txs: Opened[]) => txs.filter((t) => t.mode === 'readwrite');

describe('store durability', () => {
  it('asks for strict durability on outbox and key writes, and the engine keeps it', async () => {
    const { store, cid } = await storeWithChat('veil-durability-test', BOB);
    // setupVault ran inside storeWithChat: its vault write was strict.
    expect(opened.filter((t) => t.mode === 'readwrite' && t.stores.includes('vault')).map((t) => t.durability)).toEqual(['strict']);

    const keyWrites = writes(
      await during(async () => {
        const account = await store.putAccount({ pubkey: hexId(0xa11ce), signer: { type: 'nip07' } });
        await store.putDevice({ label: 'this device', secretKey: new Uint8Array(32).fill(7), accountId: account });
        await store.changePassphrase('pw', 'pw2', { iterations: 100_000 });
      })
    );
    expect(keyWrites.map((t) => [t.stores.join(','), t.durability])).toEqual([
      ['accounts', 'strict'],
      ['devices', 'strict'],
      ['vault', 'strict']
    ]);

    const mid = hexId(1);
    const outboxWrites = writes(
      await during(async () => {
        await store.addOutgoing(
          { id: mid, conversationId: cid, createdAt: 100, direction: 'out', status: 'sending', content: { body: 'hi', sender: hexId(0xa11ce), kind: 14 } },
          [{ id: 'job-1', messageId: mid, items: [{ relay: 'wss://r.example', event: event(1) }] }]
        );
        await store.enqueueOutbox({ id: 'job-2', items: [{ relay: 'wss://r.example', event: event(2) }] });
        await store.markOutboxAttempt('job-1', [{ relay: 'wss://r.example', status: 'ok' }], null);
        await store.removeOutbox('job-1');
      })
    );
    expect(outboxWrites.length).toBeGreaterThanOrEqual(4);
    for (const t of outboxWrites) {
      expect(t.stores).toContain('outbox');
      expect(t.durability).toBe('strict');
    }
    // The message and its outbox entry share that one strict transaction.
    expect(outboxWrites[0]!.stores).toEqual(expect.arrayContaining(['messages', 'conversations', 'outbox']));

    // Everything else: the engine default, reads included.
    const other = await during(async () => {
      await store.addMessage({ id: hexId(2), conversationId: cid, createdAt: 101, direction: 'in', status: 'received', content: { body: 'yo', sender: BOB, kind: 14 } });
      await store.listDueOutbox(Date.now());
      await store.getDevice((await store.listDevices())[0]!.id);
    });
    expect(other.length).toBeGreaterThan(0);
    for (const t of other) expect(t.durability, t.stores.join(',')).toBe('default');
    store.close();
  });

  it('durabilityFor: strict only for read-write transactions over a strict store', () => {
    expect(durabilityFor(['outbox'], 'readwrite')).toBe('strict');
    expect(durabilityFor(['messages', 'conversations', 'outbox'], 'readwrite')).toBe('strict');
    for (const s of ['vault', 'accounts', 'devices'] as const) expect(durabilityFor([s], 'readwrite')).toBe('strict');
    expect(durabilityFor(['outbox'], 'readonly')).toBe('default');
    expect(durabilityFor(['messages', 'conversations'], 'readwrite')).toBe('default');
    expect(durabilityFor(['seen'], 'readwrite')).toBe('default');
  });
});
