/**
 * v2 → v3: outbox entries by the message they carry (`messageId`), so the entries of a message are
 * found by one index lookup instead of guessing their ids. Entries without a messageId are simply
 * not in the index. IDB builds it over existing records.
 */
import { setSchemaVersion, type MigrationStep } from './step';

export const toV3: MigrationStep = (_db, tx, now) => {
  tx.objectStore('outbox').createIndex('by-message', 'messageId');
  setSchemaVersion(tx, 3, now);
};
