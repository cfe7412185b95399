/// <reference no-default-lib="true"/>
/// <reference lib="esnext" />
/// <reference lib="webworker" />
/**
 * Veil's service worker. SvelteKit compiles this file; @vite-pwa/sveltekit then injects the
 * precache manifest (self.__WB_MANIFEST) so the whole app shell opens offline.
 *
 * Updates follow the "prompt" pattern: a new worker installs and waits; the page shows
 * "A new version of Veil is ready" and, when the user accepts, posts SKIP_WAITING.
 *
 * The outbox (issue 13 item 1): a message queued just before every page closed is published from
 * here, on the Background Sync event the page registers (app/background-sync.ts) or, where that API
 * is missing, at the worker's next start. sync/worker-flush.ts does it, only while no page owns the
 * sockets (Web Lock "veil-sockets") and only with "remember on this device" (the device key opens the
 * store); it needs no signer, the outbox holds the signed events. No message text is ever read here.
 *
 * Periodic Background Sync (an installed app) wakes it to flush and read the envelope relays once;
 * new messages show one content-free notification and the unread count on the badge (see below).
 */
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { VeilStore } from '$lib/store';
import { flushOutboxFromWorker, OUTBOX_SYNC_TAG, socketsLock, syncAgain, type WorkerFlushResult } from '$lib/sync/worker-flush';
import { readFromWorker, type WorkerReadResult } from '$lib/sync/worker-read';
import { READ_SYNC_TAG, WORKER_NOTIFICATION_TAG } from '$lib/sync/worker-tags';
import { m } from '$lib/paraglide/messages';
import { baseLocale, overwriteGetLocale, toLocale } from '$lib/paraglide/runtime';

// The worker's notifications in the browser's language: a worker has no localStorage, so the choice made
// in Settings → Language (src/lib/app/language.svelte.ts) is not known here.
overwriteGetLocale(() => self.navigator.languages.map((l) => toLocale(l) ?? toLocale(l.split('-')[0]!)).find((l) => l !== undefined) ?? baseLocale);

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: Array<{ url: string; revision: string | null }> };

/** Background Sync's event (not in TypeScript's lib yet). */
interface SyncEvent extends ExtendableEvent {
  readonly tag: string;
  readonly lastChance: boolean;
}

precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();

// A single-page app: every navigation (deep links included) is answered with the cached
// index.html, so reloading any route works offline.
registerRoute(new NavigationRoute(createHandlerBoundToURL('index.html')));

// Chunks kept out of the precache (vite.config.ts LAZY_PACKAGES: jsQR, loaded when the QR scanner first
// decodes) are stored on first use, so the scanner works offline once it was used online (the wasm has a
// cache of its own, app/wasm-cache.ts). Names are content hashes (never stale); the oldest leave once
// LAZY_KEEP are stored (chunks of older versions).
const LAZY_CACHE = 'veil-lazy';
const LAZY_KEEP = 8;
registerRoute(
  ({ url, request }) => url.origin === self.location.origin && request.method === 'GET' && url.pathname.startsWith('/_app/immutable/') && url.pathname.endsWith('.js'),
  async ({ request }) => {
    const cache = await caches.open(LAZY_CACHE);
    const hit = await cache.match(request);
    if (hit) return hit;
    const res = await fetch(request);
    if (res.ok) {
      try {
        const stored = await cache.keys();
        for (const old of stored.slice(0, Math.max(0, stored.length - LAZY_KEEP + 1))) await cache.delete(old);
        await cache.put(request, res.clone());
      } catch {
        // a full disk: the next use fetches it again
      }
    }
    return res;
  }
);

self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'SKIP_WAITING') void self.skipWaiting();
});

// The first install takes control at once so the app works offline from its first visit;
// later versions wait for the user's consent (see above).
self.addEventListener('activate', (event) => {
  event.waitUntil(self.clients.claim());
});

// A notification's click (the page shows them through this registration where `new Notification`
// is missing, as on Android) opens its chat: an open Veil window is focused and sent there.
self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const data = event.notification.data as { url?: unknown } | null;
  const url = new URL(typeof data?.url === 'string' ? data.url : '/', self.location.origin);
  if (url.origin !== self.location.origin) return;
  event.waitUntil(
    self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then(async (windows) => {
      const w = windows[0];
      if (!w) return void (await self.clients.openWindow(url.href));
      await w.focus();
      await w.navigate(url.href);
    })
  );
});

// ------------------------------------------------------------------ the outbox

let flushing: Promise<WorkerFlushResult> | null = null;

/** One flush at a time in this worker; open pages re-read the chats it touched (their BroadcastChannel). */
function flushOutbox(): Promise<WorkerFlushResult> {
  flushing ??= flushOutboxFromWorker({
    openStore: () => VeilStore.open({ indexedDB, IDBKeyRange }),
    WebSocket,
    withSocketsLock: socketsLock(navigator.locks)
  })
    .then((r) => {
      if (r.outcome === 'flushed' && r.conversations.length > 0) {
        const channel = new BroadcastChannel('veil');
        for (const conversationId of r.conversations) channel.postMessage({ type: 'changed', what: 'messages', conversationId });
        channel.postMessage({ type: 'changed', what: 'chats' });
        channel.close();
      }
      return r;
    })
    .finally(() => (flushing = null));
  return flushing;
}

self.addEventListener('sync', (e) => {
  const event = e as SyncEvent;
  if (event.tag !== OUTBOX_SYNC_TAG) return;
  event.waitUntil(
    flushOutbox().then((r) => {
      // A failed sync is fired again later by the browser, with its own backoff.
      if (syncAgain(r)) throw new Error(`outbox flush: ${r.outcome === 'busy' ? 'a page owns the sockets' : 'copies still wait'}`);
    })
  );
});

// ------------------------------------------------------------------ the periodic read

/** Periodic Background Sync's event (not in TypeScript's lib yet). */
interface PeriodicSyncEvent extends ExtendableEvent {
  readonly tag: string;
}

/**
 * On a periodic sync (an installed app, no page open) the outbox goes out and the envelope relays are
 * read once (sync/worker-read.ts). New messages show ONE notification, "New messages", with no sender
 * and no content, whatever the preview setting (a lock screen shows it; the page's own notifications
 * follow that setting); the badge shows the unread count. A click opens the app (the chat when
 * only one got messages). A locked store reads only with "check while locked" on (sync/locked-read.ts):
 * it keeps what came unopened and may say "Messages may have arrived", once until the next unlock.
 */
/** Live cover at the end of each periodic wake, shaped as a session's start (ms). */
const WAKE_COVER_MS = 20_000;

async function periodicRead(): Promise<void> {
  console.info('veil worker: periodic wake');
  const flushed = await flushOutbox().catch((e: unknown) => ({ outcome: `failed: ${String(e)}` }));
  console.info(`veil worker: outbox ${flushed.outcome}`);
  const r = await readFromWorker({
    openStore: () => VeilStore.open({ indexedDB, IDBKeyRange }),
    WebSocket,
    withSocketsLock: socketsLock(navigator.locks),
    relays: [],
    coverMs: WAKE_COVER_MS,
    onRead: showArrivals
  });
  if (r.outcome !== 'read') console.info(`veil worker: read ${describeRead(r)}`);
  // Locked, with "check while locked" on: what came is kept unopened (no key here), so it can only say "may".
  if (r.outcome === 'locked' && r.kept?.notify && Notification.permission === 'granted')
    await self.registration.showNotification(m.sw_new_messages(), { body: m.sw_may_have_arrived(), tag: WORKER_NOTIFICATION_TAG, data: { url: '/' } });
}

function describeRead(r: WorkerReadResult): string {
  if (r.outcome !== 'read') return r.outcome === 'locked' && r.kept ? `locked (kept ${JSON.stringify(r.kept)})` : r.outcome;
  return `${r.complete} of ${r.relays} relays to the end, ${r.unread} unread, ${r.arrived.length} chats with new messages`;
}

/** Open pages re-read the chats; the badge counts what is unread; one content-free notification. */
async function showArrivals(r: Extract<WorkerReadResult, { outcome: 'read' }>): Promise<void> {
  // Counts only, for the worker's console (DevTools, the e2e specs): no chat, sender or content.
  console.info(`veil worker: read ${describeRead(r)}`);
  if (r.arrived.length > 0) {
    const channel = new BroadcastChannel('veil');
    for (const conversationId of r.arrived) channel.postMessage({ type: 'changed', what: 'messages', conversationId });
    channel.postMessage({ type: 'changed', what: 'chats' });
    channel.close();
  }
  const nav = self.navigator as Navigator & { setAppBadge?(n: number): Promise<void>; clearAppBadge?(): Promise<void> };
  await (r.unread > 0 ? nav.setAppBadge?.(r.unread) : nav.clearAppBadge?.())?.catch(() => {});
  if (r.arrived.length === 0 || Notification.permission !== 'granted') return;
  const url = r.arrived.length === 1 ? `/?chat=${encodeURIComponent(r.arrived[0]!)}` : '/';
  await self.registration.showNotification(m.sw_new_messages(), { body: m.sw_open_to_read(), tag: WORKER_NOTIFICATION_TAG, data: { url } });
}

self.addEventListener('periodicsync', (e) => {
  const event = e as PeriodicSyncEvent;
  if (event.tag === READ_SYNC_TAG)
    event.waitUntil(
      periodicRead().catch((e: unknown) => {
        console.warn(`veil worker: periodic wake failed: ${e instanceof Error ? e.name : 'error'}`);
        throw e;
      })
    );
});

// Without Background Sync (Firefox, Safari) the first event of each worker start flushes instead.
const hasBackgroundSync = 'sync' in self.registration;
let wokeOnce = false;
function onWake(event: ExtendableEvent): void {
  if (hasBackgroundSync || wokeOnce) return;
  wokeOnce = true;
  event.waitUntil(flushOutbox().catch(() => {}));
}
for (const type of ['activate', 'message', 'fetch', 'notificationclick', 'periodicsync', 'push'] as const) {
  self.addEventListener(type, (event) => onWake(event as ExtendableEvent));
}
