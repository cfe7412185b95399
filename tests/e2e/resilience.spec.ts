/**
 * Delivery under trouble, in real Chromium against real relays: offline sending, a relay restarted
 * mid-conversation, one of two relays down, and a second device of the same identity.
 */
import { expect, test, type Browser, type Page } from '@playwright/test';
import { startRelay, tempRelayDb, type TestRelay } from '../helpers/relay';
import { startWeb, type WebServer } from '../helpers/web';
import { acceptFirstContact, createIdentity, messages, openChat, send } from './fixtures';

const relays: TestRelay[] = [];
let web: WebServer;

test.afterEach(async () => {
  await web?.stop();
  await Promise.all(relays.splice(0).map((r) => r.stop()));
});

async function serve(n: number, opts: { db?: boolean } = {}) {
  for (let i = 0; i < n; i++) relays.push(await startRelay(opts.db ? { db: tempRelayDb() } : {}));
  web = await startWeb({ relays: relays.map((r) => r.url) });
}

/** Alice and Bob with an accepted chat, both looking at it. */
async function pair(browser: Browser): Promise<{ alice: Page; bob: Page; aliceNpub: string; bobNpub: string; aliceNsec: string }> {
  const alice = await (await browser.newContext()).newPage();
  const bob = await (await browser.newContext()).newPage();
  const { npub: aliceNpub, nsec: aliceNsec } = await createIdentity(alice, web.url);
  const { npub: bobNpub } = await createIdentity(bob, web.url);
  await acceptFirstContact(alice, bob, aliceNpub);
  await openChat(alice, bobNpub);
  return { alice, bob, aliceNpub, bobNpub, aliceNsec };
}

test('a message written offline goes out once when the network is back', async ({ browser }) => {
  await serve(1);
  const { alice, bob } = await pair(browser);
  await alice.context().setOffline(true);
  await alice.getByRole('textbox', { name: 'Message' }).fill('written on the train');
  await alice.getByRole('button', { name: 'Send' }).click();
  // Kept, and honest about it.
  await expect(messages(alice).getByText('written on the train')).toBeVisible();
  await expect(messages(alice).getByText(/^(Sending…|Queued, will retry)$/)).toBeVisible();
  await alice.context().setOffline(false);
  await expect(messages(bob).getByText('written on the train')).toBeVisible({ timeout: 30_000 });
  await expect(messages(alice).getByText('Sent to 1 of 1 relays').last()).toBeVisible({ timeout: 30_000 });
  await expect(messages(bob).getByText('written on the train')).toHaveCount(1);
});

test('a relay restarted mid-conversation loses nothing', async ({ browser }) => {
  await serve(1, { db: true });
  const { alice, bob } = await pair(browser);
  await send(alice, 'before the restart');
  await expect(messages(bob).getByText('before the restart')).toBeVisible({ timeout: 20_000 });
  await relays[0]!.restart();
  await send(alice, 'after the restart');
  await send(bob, 'bob after the restart');
  await expect(messages(bob).getByText('after the restart', { exact: true })).toBeVisible({ timeout: 30_000 });
  await expect(messages(alice).getByText('bob after the restart')).toBeVisible({ timeout: 30_000 });
  await expect(messages(bob).getByText('before the restart')).toHaveCount(1);
});

test('with two relays, one stopped, delivery goes on through the other', async ({ browser }) => {
  await serve(2);
  const { alice, bob } = await pair(browser);
  await relays[0]!.stop();
  await send(alice, 'one relay is down');
  await expect(messages(bob).getByText('one relay is down')).toBeVisible({ timeout: 30_000 });
  await expect(messages(alice).getByText('Sent to 1 of 2 relays').last()).toBeVisible({ timeout: 30_000 });
});

test('the same identity on a second device receives new messages and sees its own sent ones', async ({ browser }) => {
  await serve(1);
  const { alice, bob, bobNpub, aliceNsec } = await pair(browser);

  // Alice's backup key, imported in a fresh browser profile.
  const alice2 = await (await browser.newContext()).newPage();
  const nsec = aliceNsec;
  await alice2.goto(web.url);
  await alice2.getByRole('button', { name: 'Import a key' }).click();
  await alice2.getByLabel('Private key').fill(nsec);
  await alice2.getByLabel('Passphrase', { exact: true }).fill('second device passphrase');
  await alice2.getByRole('button', { name: 'Import', exact: true }).click();
  await expect(alice2.getByRole('textbox', { name: 'Your npub' })).toBeVisible();

  // Device one learns of device two from the merged inbox record: Settings lists both.
  await alice.getByRole('link', { name: 'Settings' }).click();
  const devices = alice.getByRole('region', { name: 'Your devices' }).getByRole('listitem');
  await expect(devices).toHaveCount(2, { timeout: 30_000 });
  await expect(devices.filter({ hasText: '(this device)' })).toHaveCount(1);
  await alice.getByRole('link', { name: 'Back to chats' }).click();
  await openChat(alice, bobNpub);

  // What Alice sends from her first device shows on the second (a copy sealed to the new device's key,
  // which device one learns from the merged inbox record), and tells Bob about the new device.
  await send(alice, 'sent from device one');
  const chatOnSecond = alice2.getByRole('navigation', { name: 'Chats' }).getByRole('button', { name: new RegExp(bobNpub.slice(0, 16)) });
  await expect(chatOnSecond).toBeVisible({ timeout: 30_000 });
  await chatOnSecond.click();
  await expect(messages(alice2).getByText('sent from device one')).toBeVisible({ timeout: 30_000 });

  // Bob's next message reaches both of Alice's devices.
  await expect(messages(bob).getByText('sent from device one')).toBeVisible({ timeout: 30_000 });
  await send(bob, 'hello both devices');
  await expect(messages(alice).getByText('hello both devices')).toBeVisible({ timeout: 30_000 });
  await expect(messages(alice2).getByText('hello both devices')).toBeVisible({ timeout: 30_000 });
});
