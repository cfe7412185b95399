/**
 * v6 → v7: the locked inbox (issue 13 §2). Envelopes the service worker read while the vault was
 * locked, kept as they came from the relay (public ciphertext, PLAIN) until the app is unlocked and
 * opens them. Keyed by event id, so a second wake that meets the same envelope stores nothing new.
 */
import { setSchemaVersion, type MigrationStep } from './step';

export const toV7: MigrationStep = (db, tx, now) => {
  db.createObjectStore('locked-inbox', { keyPath: 'id' });
  setSchemaVersion(tx, 7, now);
};
