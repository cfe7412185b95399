/**
 * v4 → v5: nothing readable at rest that links to relays (issue 11). Messages are keyed by a blind
 * id instead of their event id and keep their relay results sealed; outbox entries are sealed and
 * blind-keyed (repos/atrest.ts, repos/outbox.ts). The indexes stay as they are (they index fields
 * that keep their names). No record can be moved here: sealing needs the vault key, which does not
 * exist during an upgrade. So this step records `at-rest: pending`, and the first unlock moves
 * every old record in batches (repos/upgrade.ts), then records 'done'.
 */
import { setSchemaVersion, type MigrationStep } from './step';

export const toV5: MigrationStep = (_db, tx, now) => {
  void tx.objectStore('meta').put({ key: 'at-rest', value: 'pending', updatedAt: now });
  setSchemaVersion(tx, 5, now);
};
