/**
 * Reading while locked (issue 13 §2), in Chromium with a persistent profile. Alice did NOT choose
 * "remember on this device", so the service worker has no key. She turns on Settings → "Check for
 * messages while locked", chats with Bob (both buckets: his first message in her intro bucket, the
 * rest in the shared one after her answer), and closes every page. Bob writes three times; a
 * Periodic Background Sync (CDP `ServiceWorker.dispatchPeriodicSyncEvent`) keeps the envelopes
 * unopened and shows one notification that says only that messages may have arrived. Then the relay
 * is stopped: what Alice reads after unlocking can only come from what the worker kept. Her chat
 * shows the three messages once, in order.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { READ_SYNC_TAG } from '../../src/lib/sync/worker-tags';
import { veilClient, type VeilClient } from '../helpers/veil-client';
import { startWeb, type WebServer } from '../helpers/web';
import { expect, messages, openChat, send, test, unlock } from './fixtures';
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

const shown = () => workerNotifications(sw);

test('locked, with "check while locked" on: envelopes kept unopened by the worker are opened after unlock, in order', async ({ relay }) => {
  const alice = await sw.context.newPage();
  const aliceNpub = await createRemembered(alice, web.url, sw, false);
  const { convB, bobNpub } = await bobWritesFirst(alice, aliceNpub, bob);
  await send(alice, 'hi Bob');
  await expect.poll(async () => (await bob.m.pageMessages(convB)).some((m) => m.text === 'hi Bob'), { timeout: 30_000 }).toBe(true);

  await alice.getByRole('link', { name: 'Settings' }).click();
  const toggle = alice.getByRole('checkbox', { name: 'Check for messages while locked' });
  await expect(toggle).not.toBeChecked();
  await toggle.check();
  await expect(alice.getByRole('status').filter({ hasText: 'kept unopened until you unlock' })).toBeVisible();
  await sw.closeEveryPage(alice);

  const texts = ['one', 'two', 'three'];
  for (const t of texts) {
    const id = await bob.m.send(convB, t);
    await expect.poll(async () => (await bob.m.pageMessages(convB)).find((m) => m.id === id)?.status, { timeout: 20_000 }).toBe('sent');
  }

  await sw.periodicWake(READ_SYNC_TAG);
  await expect.poll(shown, { timeout: 30_000 }).toHaveLength(1);
  expect((await shown())[0]).toEqual({ title: 'New messages', body: 'Messages may have arrived. Unlock Veil to read them.', tag: 'veil-new-messages' });

  await relay.stop(); // from here on, only what the worker kept can bring Bob's messages
  const page = await sw.context.newPage();
  await page.goto(web.url);
  await unlock(page);
  await openChat(page, bobNpub);
  // Each once, in the order Bob wrote them (the log's order: by their time).
  const shownTexts = async () => (await messages(page).locator('article p.text').allTextContents()).map((t) => t.trim()).filter((t) => texts.includes(t));
  await expect.poll(shownTexts, { timeout: 30_000 }).toEqual(texts);
});
