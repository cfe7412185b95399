/**
 * Maps IndexedDB failures to typed VeilErrors (docs/design.md §7; STYLE: typed codes, no user data).
 * A full disk shows up as a `QuotaExceededError` DOMException, either thrown by a request or as
 * the aborted transaction's `error`; both become STORAGE_QUOTA. Anything else is STORAGE_FAILED.
 */
import { VeilError, isVeilError } from '../shared/errors';

/** True for the browser's "disk full / over quota" error, however it reached us. */
export function isQuotaError(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const name = (e as { name?: unknown }).name;
  if (name === 'QuotaExceededError') return true;
  // Older engines: DOMException code 22 (QUOTA_EXCEEDED_ERR).
  return (e as { code?: unknown }).code === 22 && e instanceof DOMException;
}

/** Turns any thrown value from an IDB call into a VeilError; VeilErrors pass through unchanged. */
export function toStoreError(e: unknown): VeilError {
  if (isVeilError(e)) return e;
  if (isQuotaError(e)) return new VeilError('STORAGE_QUOTA', 'storage quota exceeded', { cause: e });
  return new VeilError('STORAGE_FAILED', 'storage operation failed', { cause: e });
}
