/**
 * Local store costs (src/lib/store, docs/storage.md §Performance), fake-indexeddb in Node:
 * - opening the newest page of 50 in a 10,000-message conversation (reads and decrypts 50 records
 *   through the [conversationId, sortKey] index) vs reading and decrypting all 10,000;
 * - bulk insert throughput (seal + one transaction per batch of 1,000);
 * - vault unlock at the default PBKDF2 cost.
 * fake-indexeddb is far slower than a browser's IndexedDB; the ratio is the point.
 */
import 'fake-indexeddb/auto'; // class globals idb's wrapper checks with instanceof
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { VeilStore, type MessageInput } from '../src/lib/store/db';
import { DEFAULT_KDF_ITERATIONS } from '../src/lib/store/vault';
import { measure, type BenchResult } from './types';

const N = 10_000;
const BATCH = 1_000;
const PAGE = 50;
const PEER = '3c'.repeat(32);
const TEXT = 'Hello Bob — are we still on for tomorrow at 10? 🙂';

const hexId = (n: number) => n.toString(16).padStart(64, '0');

export async function run(): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  const store = await VeilStore.open({ indexedDB: new IDBFactory(), IDBKeyRange }, 'veil-bench');
  await store.setupVault('bench passphrase', { iterations: DEFAULT_KDF_ITERATIONS });
  const cid = await store.ensureConversation([PEER]);

  let batchNo = 0;
  const insert = await measure(
    `store: addMessages, batch of ${BATCH}`,
    async () => {
      const batch: MessageInput[] = [];
      const base = batchNo++ * BATCH;
      for (let i = base; i < base + BATCH; i++)
        batch.push({
          id: hexId(i + 1),
          conversationId: cid,
          createdAt: 1_700_000_000 + Math.floor(i / 3),
          direction: i % 2 ? 'in' : 'out',
          status: i % 2 ? 'received' : 'sent',
          content: { body: `${TEXT} #${i}`, sender: PEER, kind: 14 }
        });
      await store.addMessages(batch);
    },
    N / BATCH,
    0
  );
  out.push({ ...insert, note: `${Math.round(insert.opsPerSec * BATCH)} messages/s; ${N} stored` });

  const page = await measure(
    `store: newest page of ${PAGE} of ${N}`,
    async () => {
      const p = await store.pageMessages(cid, { limit: PAGE });
      if (p.messages.length !== PAGE) throw new Error('bench: short page');
    },
    30
  );
  const all = await measure(
    `store: read + decrypt all ${N} (pages of 500)`,
    async () => {
      let before: string | undefined;
      let n = 0;
      for (;;) {
        const p = await store.pageMessages(cid, { before, limit: 500 });
        n += p.messages.length;
        if (!p.nextBefore) break;
        before = p.nextBefore;
      }
      if (n !== N) throw new Error('bench: missing messages');
    },
    3,
    1
  );
  const pageMs = 1000 / page.opsPerSec;
  const allMs = 1000 / all.opsPerSec;
  out.push({ ...page, note: `${pageMs.toFixed(1)} ms per page` });
  out.push({ ...all, note: `${allMs.toFixed(0)} ms; newest page is ${(allMs / pageMs).toFixed(0)}x faster` });

  store.lock();
  const unlock = await measure(
    `store: unlock (PBKDF2-SHA256 x ${DEFAULT_KDF_ITERATIONS})`,
    async () => {
      store.lock();
      await store.unlock('bench passphrase');
    },
    5,
    1
  );
  out.push({ ...unlock, note: `${(1000 / unlock.opsPerSec).toFixed(0)} ms per unlock` });
  store.close();
  return out;
}
