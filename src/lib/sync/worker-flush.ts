/**
 * The service worker's outbox flush (issue 13 item 1): a message typed just before every page
 * closed goes out from the worker, on a Background Sync `sync` event or at the worker's next start.
 *
 * - One owner at a time: the flush runs only while it holds the Web Lock "veil-sockets", taken with
 *   `ifAvailable` (the caller passes `withSocketsLock`). A page that owns the sockets answers `busy`
 *   and the page sends; a page that opens during the flush waits for the lock and takes over after.
 * - Keys: outbox entries are sealed at rest. The store is opened by the device key ("remember on this
 *   device"); without it the worker does nothing (`locked`) and the app sends when it is opened.
 * - No signer: an entry already holds the FINAL signed events, one per relay (outbox.ts), so the
 *   worker only publishes them (the sockets' own publish router: envelopes on the publish-only pool,
 *   gift wraps on the NIP-17 pool) and records every answer through the same queue as a page does,
 *   so the chat later shows "Sent to n of m relays". A retry resends the very same event: a flush cut
 *   short (the worker stopped) loses nothing and mints nothing new; the relay answers `duplicate`.
 * - Private mode publishes envelopes only in its random send slots, which a short-lived worker does
 *   not run: there the worker leaves the outbox to the app (`private`).
 */
import type { Signer } from '../crypto/signer';
import { VeilError } from '../shared/errors';
import type { VeilStore } from '../store';
import { openItems } from './outbox';
import { OutboxQueue } from './outbox-queue';
import { loadPrivacyChoices } from './privacy-settings';
import { Sockets } from './sockets';

import { OUTBOX_SYNC_TAG, SOCKETS_LOCK } from './worker-tags';

export { OUTBOX_SYNC_TAG, SOCKETS_LOCK };
/** Entries looked at per flush (the queue's own pass limit). */
const MAX_ENTRIES = 500;
const PARKED = Number.MAX_SAFE_INTEGER;

export type WorkerFlushResult =
  /** A page owns the sockets: it sends (the caller may ask to be woken again later). */
  | { outcome: 'busy' }
  /** No device key ("remember on this device" is off): the message goes out when the app opens. */
  | { outcome: 'locked' }
  /** Private mode: envelopes wait for the app's send slots. */
  | { outcome: 'private' }
  /** Every open entry was tried once; `conversations` had a delivery status written; `open` entries still wait. */
  | { outcome: 'flushed'; published: number; conversations: string[]; open: number };

/** The platform's Web Locks, structurally (`navigator.locks` in a page or a worker). */
export interface LockManagerLike {
  request<T>(name: string, options: { ifAvailable: true }, callback: (lock: unknown) => Promise<T>): Promise<T>;
}

/** `fn` while holding SOCKETS_LOCK; `busy` at once when someone else holds it. */
export function socketsLock(locks: LockManagerLike): <T>(fn: () => Promise<T>) => Promise<T | 'busy'> {
  return (fn) => locks.request(SOCKETS_LOCK, { ifAvailable: true }, async (lock) => (lock ? fn() : ('busy' as const)));
}

export interface WorkerFlushDeps {
  /**
   * Opens the store, called only once the lock is held (a wake while a page owns the sockets reads
   * nothing). The store is locked again and closed after the flush.
   */
  openStore(): Promise<VeilStore>;
  /** WebSocket constructor (the worker's global, `ws` in Node). */
  WebSocket: unknown;
  withSocketsLock<T>(fn: () => Promise<T>): Promise<T | 'busy'>;
  now?: () => number;
}

/** The worker has no signer: the publish router never signs (dmRead, the one role that authenticates, is never opened here). */
export const NO_SIGNER: Signer = {
  kind: 'local',
  getPublicKey: () => Promise.reject(new VeilError('SIGNER_UNAVAILABLE', 'the worker has no signer')),
  signEvent: () => Promise.reject(new VeilError('SIGNER_UNAVAILABLE', 'the worker has no signer')),
  close: () => Promise.resolve()
};

/** Entries with a copy still to publish (parked ones included: they wait for the app's retry). */
async function openEntries(store: VeilStore): Promise<number> {
  return (await store.listDueOutbox(PARKED, MAX_ENTRIES)).filter((e) => openItems(e.items).length > 0).length;
}

/**
 * Whether a Background Sync event that flushed with `r` should fail, so that the browser fires it
 * again later: a page owned the sockets (it may close before its copies went out), or copies still
 * wait for a relay. Locked and Private mode wait for the app instead.
 */
export function syncAgain(r: WorkerFlushResult): boolean {
  return r.outcome === 'busy' || (r.outcome === 'flushed' && r.open > 0);
}

/** Flushes the outbox once, as the owner of the sockets (see the module comment). */
export async function flushOutboxFromWorker(deps: WorkerFlushDeps): Promise<WorkerFlushResult> {
  const now = deps.now ?? Date.now;
  const result = await deps.withSocketsLock(async (): Promise<WorkerFlushResult> => {
    const store = await deps.openStore();
    try {
      if (store.isLocked() && !(await store.unlockWithDevice())) return { outcome: 'locked' };
      if ((await loadPrivacyChoices(store)).mode === 'private') return { outcome: 'private' };
      // A disappearing message past its deadline is deleted with its outbox entries, never sent late.
      await store.expiring.sweep(now());
      // Settled entries are passed too: a flush cut short after a copy was recorded but before its
      // message's status was has that status written now (the queue's forced pass does it).
      const sockets = new Sockets({ WebSocket: deps.WebSocket }, NO_SIGNER);
      // Envelope pools with no relay yet: each publish adds the relay its entry names.
      sockets.openEnvelope([]);
      let published = 0;
      const conversations = new Set<string>();
      let failure: unknown = null;
      const queue = new OutboxQueue({
        store,
        now,
        publish: (event, relay) => ((published++), sockets.publish(event, relay)),
        onDelivery: (conversationId) => conversations.add(conversationId),
        onError: (e) => (failure ??= e)
      });
      try {
        await queue.once();
      } finally {
        sockets.close();
      }
      if (failure) throw failure;
      return { outcome: 'flushed', published, conversations: [...conversations], open: await openEntries(store) };
    } finally {
      store.lock();
      store.close();
    }
  });
  return result === 'busy' ? { outcome: 'busy' } : result;
}
