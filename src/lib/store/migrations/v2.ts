/**
 * v1 → v2: messages by [status, sortKey], so the outbox view ("sending", "failed") lists its
 * messages without scanning every conversation. IDB builds the index over existing records.
 */
import { setSchemaVersion, type MigrationStep } from './step';

export const toV2: MigrationStep = (_db, tx, now) => {
  tx.objectStore('messages').createIndex('by-status', ['status', 'sortKey']);
  setSchemaVersion(tx, 2, now);
};
