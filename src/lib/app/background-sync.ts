/**
 * The page's half of the worker's outbox flush (issue 13 item 1): whenever a message is queued, the
 * page asks the browser for a Background Sync under OUTBOX_SYNC_TAG. The browser fires `sync` in the
 * service worker once it is online; the worker flushes the outbox only when no page owns the sockets
 * (sync/worker-flush.ts), so a message typed just before every tab closed still goes out.
 *
 * Where Background Sync is missing (Firefox, Safari) nothing is registered: the worker flushes at its
 * next start instead (src/service-worker.ts). Failures are ignored: the open page sends anyway.
 */
import { OUTBOX_SYNC_TAG } from '../sync/worker-tags';

/** `navigator.serviceWorker`, structurally: the ready registration may have Background Sync's `sync`. */
export interface SyncContainer {
  readonly ready: Promise<{ sync?: { register(tag: string): Promise<void> } }>;
}

/** Registers the outbox sync with the active service worker; false when the browser cannot. */
export async function registerOutboxSync(container: SyncContainer | undefined = globalThis.navigator?.serviceWorker as SyncContainer | undefined): Promise<boolean> {
  if (!container) return false;
  try {
    const reg = await container.ready;
    if (!reg.sync) return false;
    await reg.sync.register(OUTBOX_SYNC_TAG);
    return true;
  } catch {
    return false; // no permission (a private window) or no active worker: the page sends itself
  }
}
