/**
 * Persistent storage (issue 13 item 6): without it a browser may clear Veil's IndexedDB when the disk
 * runs low, and with it the history, the keys and the outbox of messages not yet sent. Asked from
 * Settings, with the reason beside the button and the browser's answer shown.
 */

/** persisted: the browser keeps the data until the user clears it; best-effort: it may evict it. */
export type PersistState = 'persisted' | 'best-effort' | 'unsupported';

/** The parts of StorageManager used here (navigator.storage; tests pass a fake). */
export type PersistApi = Partial<Pick<StorageManager, 'persist' | 'persisted'>>;

function api(storage?: PersistApi): PersistApi | undefined {
  return storage ?? (typeof navigator === 'undefined' ? undefined : navigator.storage);
}

/** What holds now, without asking. */
export async function persistState(storage?: PersistApi): Promise<PersistState> {
  const s = api(storage);
  if (!s?.persisted) return 'unsupported';
  return (await s.persisted()) ? 'persisted' : 'best-effort';
}

/** Asks the browser to keep Veil's data (it may answer at once, from its own heuristics, or ask). */
export async function requestPersist(storage?: PersistApi): Promise<PersistState> {
  const s = api(storage);
  if (!s?.persist) return 'unsupported';
  return (await s.persist()) ? 'persisted' : 'best-effort';
}
