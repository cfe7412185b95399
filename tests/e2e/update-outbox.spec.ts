/**
 * The update prompt never loses the outbox (issue 13 item 6). A message is queued while the relay is
 * down and a half-typed one sits in the composer; a new version is deployed and the person clicks
 * "Reload to update". After the reload the queued message is still there, goes out once the relay is
 * back, and reaches Bob exactly once; the draft is back in the composer. The outbox lives in IndexedDB,
 * which a reload does not touch. Scratch files (site copy, relay db) under /work/tmp/notify.
 */
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startRelay, type TestRelay } from '../helpers/relay';
import { startWeb, type WebServer } from '../helpers/web';
import { acceptFirstContact, createIdentity, expect, messages, openChat, send, test, unlock } from './fixtures';

const SCRATCH = '/work/tmp/notify';
let dir: string;
let relay: TestRelay;
let web: WebServer;

test.beforeEach(async () => {
  await mkdir(SCRATCH, { recursive: true });
  dir = await mkdtemp(join(SCRATCH, 'update-'));
  await cp('build', join(dir, 'site'), { recursive: true });
  relay = await startRelay({ db: join(dir, 'relay.db') }); // kept across restart()
  web = await startWeb({ dir: join(dir, 'site'), relays: [relay.url] });
});

test.afterEach(async () => {
  await web.stop();
  await relay.stop();
  await rm(dir, { recursive: true, force: true });
});

test('a queued message and a draft survive "Reload to update"; the message reaches Bob once', async ({ browser }) => {
  const aliceCtx = await browser.newContext();
  const bobCtx = await browser.newContext();
  const alice = await aliceCtx.newPage();
  const bob = await bobCtx.newPage();
  const { npub: aliceNpub } = await createIdentity(alice, web.url);
  const { npub: bobNpub } = await createIdentity(bob, web.url);
  await acceptFirstContact(alice, bob, aliceNpub, 'hello before the update');
  await openChat(alice, bobNpub);
  await alice.waitForFunction(() => navigator.serviceWorker?.controller?.state === 'activated', null, { timeout: 20_000 });

  // The relay goes away: Alice's message waits in the outbox; another is half typed.
  await relay.stop();
  await expect(alice.getByText('No relay is connected')).toBeVisible({ timeout: 30_000 });
  await alice.getByRole('textbox', { name: 'Message' }).fill('queued across the update');
  await alice.getByRole('button', { name: 'Send' }).click();
  const outgoing = messages(alice).getByRole('article').filter({ hasText: 'queued across the update' });
  await expect(outgoing.getByText('Queued, will retry')).toBeVisible({ timeout: 30_000 });
  await alice.getByRole('textbox', { name: 'Message' }).fill('half typed when the update came');

  // A new version is deployed; the person accepts it.
  const swPath = join(dir, 'site', 'service-worker.js');
  await writeFile(swPath, (await readFile(swPath, 'utf8')) + '\n// next version\n');
  await alice.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.update());
  await expect(alice.getByText('A new version of Veil is ready.')).toBeVisible({ timeout: 20_000 });
  await alice.evaluate(() => ((window as unknown as { __oldVersion: boolean }).__oldVersion = true));
  await alice.getByRole('button', { name: 'Reload to update' }).click();
  await alice.waitForFunction(() => !(window as unknown as { __oldVersion?: boolean }).__oldVersion);
  await unlock(alice);

  // The new version shows the queued message and the draft, then sends once the relay is back.
  const after = messages(alice).getByRole('article').filter({ hasText: 'queued across the update' });
  await expect(after.getByText(/^(Sending…|Queued, will retry)$/)).toBeVisible();
  await expect(alice.getByRole('textbox', { name: 'Message' })).toHaveValue('half typed when the update came');
  await relay.restart();
  await expect(after.getByText('Sent to 1 of 1 relays')).toBeVisible({ timeout: 60_000 });
  await expect(messages(bob).getByText('queued across the update')).toBeVisible({ timeout: 30_000 });
  await send(bob, 'got it');
  await expect(messages(alice).getByText('got it')).toBeVisible({ timeout: 30_000 });
  await expect(messages(bob).getByText('queued across the update')).toHaveCount(1);
  await expect(messages(alice).getByText('queued across the update')).toHaveCount(1);

  await aliceCtx.close();
  await bobCtx.close();
});
