/**
 * Test helpers for src/lib/store with fake-indexeddb: a fresh IDBFactory per test, raw dumps of
 * every record (to prove what a stolen disk holds), and a byte/string scanner.
 */
// idb's wrapper checks values with `instanceof IDBRequest/IDBDatabase/...` globals; Node has none,
// so the class globals come from fake-indexeddb. Each test still gets its own fresh factory.
import 'fake-indexeddb/auto';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import type { IdbPlatform } from '../../src/lib/store/migrations';
import { VeilStore } from '../../src/lib/store/db';

/** A brand-new, empty IndexedDB for one test. */
export function freshPlatform(): IdbPlatform {
  return { indexedDB: new IDBFactory(), IDBKeyRange };
}

export interface RawRecord {
  store: string;
  key: IDBValidKey;
  value: unknown;
}

function req<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

/** Every record of every store, read with the raw IDB API (no store code involved). */
export async function rawDump(platform: IdbPlatform, name: string): Promise<RawRecord[]> {
  const db = await req(platform.indexedDB.open(name));
  try {
    const out: RawRecord[] = [];
    for (const store of Array.from(db.objectStoreNames)) {
      const tx = db.transaction(store, 'readonly');
      const os = tx.objectStore(store);
      const [keys, values] = await Promise.all([req(os.getAllKeys()), req(os.getAll())]);
      keys.forEach((key, i) => out.push({ store, key, value: values[i] }));
    }
    return out;
  } finally {
    db.close();
  }
}

/** Writes one raw record (to tamper with the disk the way a thief with write access could). */
export async function rawPut(platform: IdbPlatform, name: string, store: string, value: unknown): Promise<void> {
  const db = await req(platform.indexedDB.open(name));
  try {
    const tx = db.transaction(store, 'readwrite');
    tx.objectStore(store).put(value);
    await new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

function indexOfBytes(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/**
 * Paths in `value` where `needle` appears: in any string (keys included), or as UTF-8 bytes (or
 * its lowercase hex, for secrets stored as hex) inside any byte array. Empty list = not found.
 */
export function findPlaintext(value: unknown, needle: string, path = '$'): string[] {
  const bytes = new TextEncoder().encode(needle);
  const hits: string[] = [];
  const walk = (v: unknown, p: string): void => {
    if (typeof v === 'string') {
      if (v.includes(needle)) hits.push(p);
    } else if (v instanceof Uint8Array) {
      if (indexOfBytes(v, bytes) >= 0) hits.push(p);
      // Same bytes as Latin-1 text, the way a hex editor on the disk would show them.
      if (Buffer.from(v).toString('latin1').includes(needle)) hits.push(p + '(latin1)');
    } else if (v instanceof ArrayBuffer) {
      walk(new Uint8Array(v), p);
    } else if (Array.isArray(v)) {
      v.forEach((x, i) => walk(x, `${p}[${i}]`));
    } else if (typeof v === 'object' && v !== null && !(v instanceof CryptoKey)) {
      for (const [k, x] of Object.entries(v)) {
        if (k.includes(needle)) hits.push(`${p}.<key ${k}>`);
        walk(x, `${p}.${k}`);
      }
    }
  };
  walk(value, path);
  return hits;
}

/** A 64-char lowercase hex id made from a number (valid event id / pubkey shape). */
export function hexId(n: number, prefix = ''): string {
  return (prefix + n.toString(16)).padStart(64, '0');
}

/** Fast KDF for tests that are not about the KDF itself (still within the allowed range). */
export const TEST_ITERATIONS = 100_000;

/** A fresh store named `name`, its vault set up, with one conversation with `peer`. */
export async function storeWithChat(name: string, peer: string, passphrase = 'pw') {
  const platform = freshPlatform();
  const store = await VeilStore.open(platform, name);
  await store.setupVault(passphrase, { iterations: TEST_ITERATIONS });
  const cid = await store.ensureConversation([peer]);
  return { platform, store, cid };
}
