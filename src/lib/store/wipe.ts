/**
 * Sign out and wipe (issue 14 §4): deletes the whole Veil database of this browser profile: every
 * record, key and vault wrap. Close the store first (`VeilStore.close()`); other connections (tabs)
 * get `versionchange` and close themselves (migrations.ts), so the deletion is not held up.
 */
import { toStoreError } from './idb-errors';
import type { IdbPlatform } from './migrations';
import { DB_NAME } from './schema';

export function deleteVeilDatabase(platform: Pick<IdbPlatform, 'indexedDB'>, name: string = DB_NAME): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const req = platform.indexedDB.deleteDatabase(name);
    req.onsuccess = () => resolve();
    req.onerror = () => reject(toStoreError(req.error));
  });
}
