/// <reference no-default-lib="true"/>
/// <reference lib="esnext" />
/// <reference lib="webworker" />
/**
 * Veil's service worker. SvelteKit compiles this file; @vite-pwa/sveltekit then injects the
 * precache manifest (self.__WB_MANIFEST) so the whole app shell opens offline.
 *
 * Updates follow the "prompt" pattern: a new worker installs and waits; the page shows
 * "A new version of Veil is ready" and, when the user accepts, posts SKIP_WAITING.
 * Nothing here reads keys or messages; background mailbox sync is added by the sync layer.
 */
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: Array<{ url: string; revision: string | null }> };

precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();

// A single-page app: every navigation (deep links included) is answered with the cached
// index.html, so reloading any route works offline.
registerRoute(new NavigationRoute(createHandlerBoundToURL('index.html')));

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
