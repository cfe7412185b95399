/**
 * v5 → v6: disappearing messages (issue 15 §2). Messages by `expiresAt` (ms), so the sweeper finds
 * what is due, and the next deadline, without opening a record. The index is sparse: messages
 * without a timer (every record written before v6) are not in it.
 */
import { setSchemaVersion, type MigrationStep } from './step';

export const toV6: MigrationStep = (_db, tx, now) => {
  tx.objectStore('messages').createIndex('by-expiry', 'expiresAt');
  setSchemaVersion(tx, 6, now);
};
