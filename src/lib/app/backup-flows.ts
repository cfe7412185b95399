/**
 * Settings → Backup and Onboarding → Restore from a backup (issue 16 §3), loaded on first use (account.svelte.ts):
 * the sync layer's export and restore, a browser File read a range at a time, the download.
 */
import type { ByteSource } from '../sync/backup';
import { saveBlob } from './download';

export { exportBackup, restoreBackup } from '../sync/backup';
export { unlockSession } from '../sync/account';

/** `veil-backup-YYYY-MM-DD.veilbackup`, in the local date. */
export function backupFileName(d: Date = new Date()): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `veil-backup-${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}.veilbackup`;
}

/** A File (or any Blob) as the restore reads it: one chunk at a time, never the whole file in memory at once. */
export function fileSource(file: Blob): ByteSource {
  return { size: file.size, read: async (start, end) => new Uint8Array(await file.slice(start, end).arrayBuffer()) };
}

/** Downloads the sealed parts as one file; returns its name. */
export function saveBackup(parts: Uint8Array[], name: string = backupFileName()): string {
  saveBlob(new Blob(parts as Uint8Array<ArrayBuffer>[], { type: 'application/octet-stream' }), name);
  return name;
}
