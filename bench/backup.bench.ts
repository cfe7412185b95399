/**
 * Encrypted backup (issue 16 §3, docs/proposals/0007-backup.md), fake-indexeddb in Node: export and restore of a
 * profile with 10,000 messages in 10 conversations and 50 contacts, at the costs Veil uses (scrypt log_n 17 for the
 * file, PBKDF2 600,000 for the new vault, NIP-49 log_n 16 for the key), with the file size; and the scrypt step alone.
 * fake-indexeddb is far slower than a browser's IndexedDB: the store part of these figures is an upper bound.
 * `npm run bench backup`
 */
import 'fake-indexeddb/auto';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { BackupWriter } from '../src/lib/crypto/backup';
import { concatBytes } from '../src/lib/shared/bytes';
import { VeilStore, type MessageInput } from '../src/lib/store/db';
import { createLocalIdentity } from '../src/lib/sync/account';
import { exportBackup, restoreBackup } from '../src/lib/sync/backup';
import type { BenchResult } from './types';

const MESSAGES = 10_000;
const CONVERSATIONS = 10;
const CONTACTS = 50;
const PASS = 'bench passphrase';
const TEXT = 'Hello Bob — are we still on for tomorrow at 10? 🙂 ';
const hexId = (n: number, p = '') => (p + n.toString(16)).padStart(64, '0');

function row(name: string, ms: number, note: string): BenchResult {
  return { name, opsPerSec: 1000 / ms, iterations: 1, note: `${(ms / 1000).toFixed(2)} s; ${note}` };
}

export async function run(): Promise<BenchResult[]> {
  const platform = { indexedDB: new IDBFactory(), IDBKeyRange };
  const store = await VeilStore.open(platform, 'veil');
  const { session } = await createLocalIdentity(store, PASS);
  const peers = Array.from({ length: CONTACTS }, (_, i) => hexId(i + 1, 'c'));
  for (const [i, pubkey] of peers.entries()) await store.upsertContact({ pubkey, state: 'accepted', petname: `Contact ${i}`, eks: [hexId(i + 1, 'e')] });
  const cids = [];
  for (const p of peers.slice(0, CONVERSATIONS)) cids.push(await store.ensureConversation([p]));
  const per = MESSAGES / CONVERSATIONS;
  for (const [c, cid] of cids.entries()) {
    const batch: MessageInput[] = Array.from({ length: per }, (_, i) => {
      const out = i % 2 === 0;
      const n = c * per + i;
      return { id: hexId(n, 'a'), conversationId: cid, createdAt: 1_700_000_000 + n, direction: out ? 'out' : 'in', status: out ? 'sent' : 'received', content: { body: `${TEXT}${n}`, sender: out ? session.account.pubkey : peers[c]!, kind: 14 } };
    });
    await store.addMessages(batch);
  }

  const out: BenchResult[] = [];
  let t0 = performance.now();
  const w = await BackupWriter.create(PASS);
  out.push(row('scrypt log_n 17, r 8, p 1 (128 MiB), alone', performance.now() - t0, 'part of both rows below'));
  await w.finish();

  t0 = performance.now();
  const file = await exportBackup(store, PASS, 'backup passphrase');
  const exportMs = performance.now() - t0;
  const bytes = concatBytes(...file.parts);
  out.push(row(`export ${MESSAGES} messages, ${CONTACTS} contacts`, exportMs, `file ${(bytes.length / 2 ** 20).toFixed(2)} MiB (${Math.round(bytes.length / MESSAGES)} B/message), incl. NIP-49 log_n 16 to check the passphrase`));
  store.close();

  const target = { indexedDB: new IDBFactory(), IDBKeyRange };
  const fresh = await VeilStore.open(target, 'veil');
  t0 = performance.now();
  const counts = await restoreBackup(fresh, target, 'veil', { size: bytes.length, read: async (s, e) => bytes.subarray(s, e) }, 'backup passphrase', 'new passphrase');
  const restoreMs = performance.now() - t0;
  if (counts.messages !== MESSAGES || counts.contacts !== CONTACTS) throw new Error(`restored ${counts.messages} messages, ${counts.contacts} contacts`);
  out.push(row(`restore ${MESSAGES} messages, ${CONTACTS} contacts`, restoreMs, 'incl. PBKDF2 600k for the vault, NIP-49 log_n 16, the one-transaction copy'));
  fresh.close();
  return out;
}
