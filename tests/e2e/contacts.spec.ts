/**
 * Finding each other without asking a relay about anyone (contact card link and QR), and what a
 * person can do with a stranger's message: accept, decline, block.
 */
import { createIdentity, expect, messages, openChat, send, startChat, test } from './fixtures';

test('a contact card link opens Veil on "start chat" with that person, and the chat works', async ({ browser, web }) => {
  const aliceCtx = await browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
  const alice = await aliceCtx.newPage();
  const { npub: aliceNpub } = await createIdentity(alice, web.url);
  await alice.getByRole('button', { name: 'Copy contact card' }).click();
  await expect(alice.getByText('Contact card copied')).toBeVisible();
  const card = await alice.evaluate(() => navigator.clipboard.readText());
  expect(card).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#c=[A-Za-z0-9_-]+$/);
  await alice.getByRole('button', { name: 'Show QR code' }).click();
  await expect(alice.getByRole('img', { name: 'QR code of your contact card' })).toBeVisible();

  // Bob follows the link; after making his identity he is offered the chat with Alice.
  const bob = await (await browser.newContext()).newPage();
  await bob.goto(card);
  const { npub: bobNpub } = await createIdentity(bob, card);
  await expect(bob.getByRole('textbox', { name: 'Contact' })).toHaveValue(card);
  expect(new URL(bob.url()).hash).toBe('');
  await bob.getByRole('button', { name: 'Start chat' }).click();
  await send(bob, 'found you through your card');

  const requests = alice.getByRole('region', { name: 'Requests' });
  await expect(requests.getByText('found you through your card')).toBeVisible({ timeout: 20_000 });
  await requests.getByRole('button', { name: 'Accept' }).click();
  await openChat(alice, bobNpub);
  await send(alice, 'welcome');
  await expect(messages(bob).getByText('welcome')).toBeVisible({ timeout: 20_000 });
  expect(aliceNpub).not.toBe(bobNpub);
});

test('a declined request goes away; a blocked sender is not heard again', async ({ browser, web }) => {
  const alice = await (await browser.newContext()).newPage();
  const { npub: aliceNpub } = await createIdentity(alice, web.url);
  const requests = alice.getByRole('region', { name: 'Requests' });

  const carol = await (await browser.newContext()).newPage();
  await createIdentity(carol, web.url);
  await startChat(carol, aliceNpub);
  await send(carol, 'buy my stuff');
  await expect(requests.getByText('buy my stuff')).toBeVisible({ timeout: 20_000 });
  await requests.getByRole('button', { name: 'Block' }).click();
  await expect(requests.getByText('buy my stuff')).toHaveCount(0);

  const dave = await (await browser.newContext()).newPage();
  await createIdentity(dave, web.url);
  await startChat(dave, aliceNpub);
  await send(dave, 'hello, wrong number?');
  await expect(requests.getByText('hello, wrong number?')).toBeVisible({ timeout: 20_000 });
  await requests.getByRole('button', { name: 'Decline' }).click();
  await expect(requests.getByText('hello, wrong number?')).toHaveCount(0);

  // Carol writes again: blocked, so nothing appears. Dave's next message is the proof that delivery
  // itself still works (a declined stranger may ask again).
  await send(carol, 'are you ignoring me?');
  await send(dave, 'sorry to bother you again');
  await expect(requests.getByText('sorry to bother you again')).toBeVisible({ timeout: 20_000 });
  await expect(alice.getByText('are you ignoring me?')).toHaveCount(0);
  await expect(alice.getByRole('navigation', { name: 'Chats' }).getByText('buy my stuff')).toHaveCount(0);
});
