/**
 * The service worker's periodic read (issue 13 items 1 and 3): on a Periodic Background Sync event
 * (an installed app, while no page is open) the worker reads the envelope relays once, as a
 * Private-mode poll reads them (the same bucket REQs as the page, no identity in them), opens what
 * is new with this device's EK, stores it, and tells the caller how many unread messages there are
 * now and in which chats they arrived, so it can show one "New messages" notification.
 *
 * - One owner at a time: only while it holds the Web Lock "veil-sockets" (`busy` when a page has it).
 * - Keys: the store opens with the device key ("remember on this device"). Otherwise `locked`: with
 *   "check while locked" on, the shared buckets are read with no key and what came is kept as sent
 *   (locked-read.ts: `kept`), to be opened at unlock; with it off nothing is read.
 * - No signer: gift wraps (NIP-17) need AUTH on the DM relays and are left to the app; no identity
 *   lookup or record goes out from here. In Live mode with cover on, the wake ends with `coverMs` of
 *   the Live cover schedule (a wake is a short session; issue 13 §4).
 */
import type { VeilStore } from '../store';
import { deviceSession } from './account';
import { Messenger } from './messenger';
import { listChats } from './read-models';
import { NO_SIGNER } from './worker-flush';
import { readWhileLocked, type LockedReadResult } from './locked-read';

export type WorkerReadResult =
  | { outcome: 'busy' }
  | { outcome: 'locked'; kept?: LockedReadResult }
  /** `unread`: over every chat and request (blocked aside); `arrived`: chats whose unread count rose. */
  | { outcome: 'read'; relays: number; complete: number; unread: number; arrived: string[] };

export interface WorkerReadDeps {
  /** Opens the store; called only once the lock is held. Locked again and closed after. */
  openStore(): Promise<VeilStore>;
  WebSocket: unknown;
  withSocketsLock<T>(fn: () => Promise<T>): Promise<T | 'busy'>;
  /** Envelope relays while the store has none (the app's defaults). */
  relays: string[];
  /** How long the read may take (ms; default 20 s: a periodic sync event is given a few minutes at most). */
  timeoutMs?: number;
  /** Live cover after the read, as at the start of a session (ms; default 0). */
  coverMs?: number;
  /** Called with the result as soon as the read is stored, before the cover window. */
  onRead?(r: Extract<WorkerReadResult, { outcome: 'read' }>): Promise<void>;
  fetch?: typeof fetch;
}

async function unreadByChat(store: VeilStore, me: string): Promise<Map<string, number>> {
  const chats = await listChats(store, me);
  return new Map(chats.filter((c) => c.state !== 'blocked').map((c) => [c.id, Math.max(0, c.unread)]));
}

/** Reads the envelope relays once, as the owner of the sockets (see the module comment). */
export async function readFromWorker(deps: WorkerReadDeps): Promise<WorkerReadResult> {
  const result = await deps.withSocketsLock(async (): Promise<WorkerReadResult> => {
    const store = await deps.openStore();
    try {
      if (store.isLocked() && !(await store.unlockWithDevice())) {
        const kept = await readWhileLocked({ store, WebSocket: deps.WebSocket, ...(deps.timeoutMs ? { timeoutMs: deps.timeoutMs } : {}) });
        return kept ? { outcome: 'locked', kept } : { outcome: 'locked' };
      }
      const session = await deviceSession(store);
      const me = session.account.pubkey;
      const before = await unreadByChat(store, me);
      const messenger = await Messenger.create({
        store,
        signer: NO_SIGNER,
        identity: me,
        deviceId: session.deviceId,
        ek: session.ek,
        WebSocket: deps.WebSocket,
        relays: deps.relays,
        ...(deps.fetch ? { fetch: deps.fetch } : {})
      });
      let result: WorkerReadResult = { outcome: 'read', relays: 0, complete: 0, unread: 0, arrived: [] };
      await messenger.readOnce(deps.timeoutMs, deps.coverMs ?? 0, async (read) => {
        const after = await unreadByChat(store, me);
        const arrived = [...after].filter(([id, n]) => n > (before.get(id) ?? 0)).map(([id]) => id);
        result = { outcome: 'read', ...read, unread: [...after.values()].reduce((a, b) => a + b, 0), arrived };
        await deps.onRead?.(result); // before the cover window: the notification does not wait for it
      });
      return result;
    } finally {
      store.lock();
      store.close();
    }
  });
  return result === 'busy' ? { outcome: 'busy' } : result;
}
