/**
 * The service worker reads while no page is open (issue 13 items 1 and 3), in Chromium with a
 * persistent profile. Alice ("remember on this device") chats with Bob, then closes every Veil page;
 * Bob writes twice; the worker's Periodic Background Sync event is fired with CDP
 * `ServiceWorker.dispatchPeriodicSyncEvent`. The worker reads the relay once and shows ONE
 * notification, "New messages", naming neither Bob nor what he wrote. Alice's reopened page shows
 * the unread count in its title, the worker's notification is gone, and the chat has both messages
 * once. Bob is a Veil Messenger in Node (tests/helpers/veil-client.ts).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { READ_SYNC_TAG } from '../../src/lib/sync/worker-tags';
import { veilClient, type VeilClient } from '../helpers/veil-client';
import { startWeb, type WebServer } from '../helpers/web';
import { expect, messages, openChat, test } from './fixtures';
import { attachWorkerLog, bobWritesFirst, createRemembered, swProfile, workerNotifications, type SwProfile } from './sw-profile';

const SCRATCH = '/work/tmp/worker';

let dir: string;
let web: WebServer;
let sw: SwProfile;
let bob: VeilClient;

test.beforeEach(async ({ relay }) => {
  await mkdir(SCRATCH, { recursive: true });
  dir = await mkdtemp(join(SCRATCH, 'e2e-'));
  web = await startWeb({ relays: [relay.url] });
  sw = await swProfile(dir, web.url, ['notifications']);
  bob = await veilClient('bob', [relay.url]);
});

test.afterEach(async () => {
  attachWorkerLog(test.info(), sw);
  await bob.m.stop();
  await sw.context.close();
  await web.stop();
  await rm(dir, { recursive: true, force: true });
});

/** The notifications the worker's registration shows now. */
const shown = () => workerNotifications(sw);

test('a periodic sync with no page open reads the relay and notifies "New messages", with no sender or content', async () => {
  const alice = await sw.context.newPage();
  const aliceNpub = await createRemembered(alice, web.url, sw);

  const { convB, bobNpub } = await bobWritesFirst(alice, aliceNpub, bob);
  await expect(alice).toHaveTitle('Veil'); // read: nothing unread
  await sw.closeEveryPage(alice);

  // Bob writes twice while no Veil page is open; both are at the relay before the worker wakes.
  const sent = [await bob.m.send(convB, 'are you there?'), await bob.m.send(convB, 'call me back')];
  await expect.poll(async () => (await bob.m.pageMessages(convB)).filter((m) => sent.includes(m.id) && m.status === 'sent').length, { timeout: 20_000 }).toBe(2);

  await sw.periodicWake(READ_SYNC_TAG);
  await expect.poll(shown, { timeout: 30_000 }).toHaveLength(1);
  const [note] = await shown();
  expect(note).toEqual({ title: 'New messages', body: 'Open Veil to read them.', tag: 'veil-new-messages' });

  // Reopened: the count in the title before the chat is opened, the worker's notification closed.
  const page = await sw.context.newPage();
  await page.goto(web.url);
  await expect(page).toHaveTitle('(2) Veil', { timeout: 20_000 });
  await expect.poll(shown).toHaveLength(0);
  await openChat(page, bobNpub);
  for (const text of ['are you there?', 'call me back']) await expect(messages(page).getByRole('article').filter({ hasText: text })).toHaveCount(1);
  await expect(page).toHaveTitle('Veil');
});

test('in a Spanish browser the worker notifies in Spanish, whatever the page was set to', async () => {
  // The worker follows the browser's languages (it cannot read Settings → Language): the page is set to
  // English here, so the English steps above drive it.
  await sw.context.close();
  sw = await swProfile(join(dir, 'es'), web.url, ['notifications'], 'es-ES');
  const alice = await sw.context.newPage();
  await alice.addInitScript(() => localStorage.setItem('veil.language', 'en'));
  const aliceNpub = await createRemembered(alice, web.url, sw);
  const { convB } = await bobWritesFirst(alice, aliceNpub, bob);
  expect(await (await sw.worker()).evaluate(() => navigator.languages)).toContain('es-ES');
  await sw.closeEveryPage(alice);

  const id = await bob.m.send(convB, '¿estás?');
  await expect.poll(async () => (await bob.m.pageMessages(convB)).find((m) => m.id === id)?.status, { timeout: 20_000 }).toBe('sent');
  await sw.periodicWake(READ_SYNC_TAG);
  await expect.poll(shown, { timeout: 30_000 }).toEqual([{ title: 'Mensajes nuevos', body: 'Abre Veil para leerlos.', tag: 'veil-new-messages' }]);
});
