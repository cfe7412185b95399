/**
 * The page's half of the worker's outbox flush (issue 13 item 1): whenever a message is queued, the
 * page asks the browser for a Background Sync under OUTBOX_SYNC_TAG. The browser fires `sync` in the
 * service worker once it is online; the worker flushes the outbox only when no page owns the sockets
 * (sync/worker-flush.ts), so a message typed just before every tab closed still goes out.
 *
 * Where Background Sync is missing (Firefox, Safari) nothing is registered: the worker flushes at its
 * next start instead (src/service-worker.ts). Failures are ignored: the open page sends anyway.
 */
import { OUTBOX_SYNC_TAG, READ_SYNC_TAG, WORKER_NOTIFICATION_TAG } from '../sync/worker-tags';

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

/** The ready registration, structurally, for the periodic read (issue 13): Periodic Background Sync and notifications. */
export interface PeriodicContainer {
  readonly ready: Promise<{
    periodicSync?: { register(tag: string, options: { minInterval: number }): Promise<void> };
    getNotifications?(filter: { tag: string }): Promise<Array<{ close(): void }>>;
  }>;
}

/** How often the browser may wake the worker to read (it decides; Chromium wakes an installed app at most about twice a day). */
export const PERIODIC_READ_MIN_INTERVAL_MS = 60 * 60 * 1000;

/**
 * At sign-in: asks for the periodic read (only an installed app with the permission gets it; false
 * otherwise) and closes the worker's "New messages" notification, which the open app now replaces.
 */
export async function registerPeriodicRead(container: PeriodicContainer | undefined = globalThis.navigator?.serviceWorker as PeriodicContainer | undefined): Promise<boolean> {
  if (!container) return false;
  try {
    const reg = await container.ready;
    for (const n of (await reg.getNotifications?.({ tag: WORKER_NOTIFICATION_TAG })) ?? []) n.close();
    if (!reg.periodicSync) return false;
    await reg.periodicSync.register(READ_SYNC_TAG, { minInterval: PERIODIC_READ_MIN_INTERVAL_MS });
    return true;
  } catch {
    return false; // not installed, or the permission is refused: the app reads when it is opened
  }
}
