/**
 * Local storage leaf (docs/design.md §7): typed IndexedDB schema, migrations, encrypted-at-rest vault.
 * Never imports crypto/ or relay/; the IDBFactory and IDBKeyRange are passed in.
 */
export * from './schema';
export * from './db';
export { openVeilDB, runMigrations, MIGRATIONS, type OpenOptions, type MigrationStep } from './migrations';
export {
  Vault,
  type AtRestCipher,
  DEFAULT_KDF_ITERATIONS,
  MIN_KDF_ITERATIONS,
  MAX_KDF_ITERATIONS,
  normalizePassphrase
} from './vault';
export { isQuotaError, toStoreError } from './idb-errors';
export { deleteVeilDatabase } from './wipe';
export { backupRecords, BackupImporter, copyProfile, emptyCounts, profileInUse, type BackupCounts, type BackupRecord, type ConversationCounters } from './backup';
export { MAX_SWEEP, type SweepResult } from './repos/expiry';
export { MAX_LOCKED_ENVELOPES, type LockedReadPlan } from './repos/locked-inbox';
