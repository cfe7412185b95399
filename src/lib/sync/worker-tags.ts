/**
 * Names the page and the service worker share (issue 13), in a module of their own so the page's
 * first screen can register a sync without loading the flush code (sync/worker-flush.ts).
 */

/** The Web Lock whose holder runs the relay sockets and the outbox (a page, or the worker when none does). */
export const SOCKETS_LOCK = 'veil-sockets';
/** The Background Sync tag the page registers when something is queued. */
export const OUTBOX_SYNC_TAG = 'veil-outbox';
/** The Periodic Background Sync tag under which the worker reads the envelope relays (sync/worker-read.ts). */
export const READ_SYNC_TAG = 'veil-read';
/** The notification the worker shows for new messages: one, replaced by the next (no sender, no content). */
export const WORKER_NOTIFICATION_TAG = 'veil-new-messages';
