/**
 * Several open tabs of one profile stay consistent: one tab owns the relay sockets (Web Locks), the
 * others read the same encrypted store and hear about changes (BroadcastChannel); a message written
 * in a tab without sockets still goes out.
 */
import { createIdentity, expect, messages, openChat, send, startChat, test, unlock } from './fixtures';

test('two tabs of one profile: one holds the sockets, both show new messages, either can send', async ({ browser, web }) => {
  const aliceCtx = await browser.newContext();
  const tab1 = await aliceCtx.newPage();
  const { npub: aliceNpub } = await createIdentity(tab1, web.url);
  const tab2 = await aliceCtx.newPage();
  await tab2.goto(web.url);
  await unlock(tab2);

  // Only the first tab holds relay connections.
  await tab2.getByRole('link', { name: 'Settings' }).click();
  await expect(tab2.getByText('Another Veil tab holds the connections')).toBeVisible();
  await tab2.getByRole('link', { name: 'Back to chats' }).click();

  const bob = await (await browser.newContext()).newPage();
  const { npub: bobNpub } = await createIdentity(bob, web.url);
  await startChat(bob, aliceNpub);
  await send(bob, 'one message, two tabs');

  for (const tab of [tab1, tab2]) {
    const requests = tab.getByRole('region', { name: 'Requests' });
    await expect(requests.getByText('one message, two tabs')).toBeVisible({ timeout: 20_000 });
  }
  await tab2.getByRole('region', { name: 'Requests' }).getByRole('button', { name: 'Accept' }).click();
  // The other tab follows without a reload.
  await expect(tab1.getByRole('navigation', { name: 'Chats' }).getByRole('button', { name: new RegExp(bobNpub.slice(0, 16)) })).toBeVisible();

  // The tab without sockets sends; the owner tab flushes the outbox.
  await openChat(tab2, bobNpub);
  await send(tab2, 'sent from the second tab');
  await expect(messages(bob).getByText('sent from the second tab')).toBeVisible({ timeout: 20_000 });
  await openChat(tab1, bobNpub);
  await expect(messages(tab1).getByText('sent from the second tab')).toBeVisible();
});
