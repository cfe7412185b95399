/**
 * Bad input gets a clear answer and loses nothing: wrong passphrases, mistyped or cut-off npubs, a
 * secret key pasted where a contact belongs, malformed and unreachable relay addresses, and a draft
 * that survives a reload.
 */
import { generateSecretKey, nip19 } from 'nostr-tools';
import { createIdentity, expect, messages, openChat, PASSPHRASE, send, startChat, test, unlock } from './fixtures';

test('a wrong passphrase is refused, can be retried, and changes nothing', async ({ page, web }) => {
  await createIdentity(page, web.url);
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Veil is locked' })).toBeVisible();
  for (const wrong of ['not my passphrase', 'Correct horse battery staple']) {
    await page.getByLabel('Passphrase', { exact: true }).fill(wrong);
    await page.getByRole('button', { name: 'Unlock' }).click();
    await expect(page.getByRole('alert')).toContainText('That passphrase is not right');
    await expect(page.getByRole('heading', { name: 'Veil is locked' })).toBeVisible();
  }
  await unlock(page, PASSPHRASE);
});

test('contact input: cut-off and mistyped npubs are explained, an nsec is refused with a warning', async ({ page, web }) => {
  await createIdentity(page, web.url);
  const npub = nip19.npubEncode('7e7e9c42a91bfef19fa929e5fda1b72e0ebc1a4c1141673e2794234d86addf4e');
  const flipped = npub.slice(0, 20) + (npub[20] === 'q' ? 'p' : 'q') + npub.slice(21);
  const cases: Array<[string, RegExp]> = [
    [npub.slice(0, 40), /cut off|wrong length/],
    [flipped, /checksum|mistyped/],
    ['npub1hello', /character|wrong length/],
    ['bob@example.com', /npub1/]
  ];
  await page.getByRole('button', { name: 'New chat' }).click();
  const box = page.getByRole('textbox', { name: 'Contact' });
  for (const [input, message] of cases) {
    await box.fill(input);
    await page.getByRole('button', { name: 'Start chat' }).click();
    await expect(page.getByRole('alert')).toContainText(message);
    // What was typed stays, to be corrected; no chat was opened.
    await expect(box).toHaveValue(input);
    await expect(page.getByRole('log', { name: 'Messages' })).toHaveCount(0);
  }
  // A secret key does not stay on the screen: the box is emptied at once, with the warning.
  await box.fill(nip19.nsecEncode(generateSecretKey()));
  await expect(page.getByRole('alert')).toContainText(/secret key.*Never share it/);
  await expect(box).toHaveValue('');
  await expect(page.getByRole('button', { name: 'Start chat' })).toBeDisabled();
});

test('relay settings: malformed addresses are explained, unreachable ones shown as such, removal works', async ({ page, relay, web }) => {
  await createIdentity(page, web.url);
  await page.getByRole('link', { name: 'Settings' }).click();
  const relays = page.getByRole('region', { name: 'Relays', exact: true });
  await expect(relays).toBeVisible();
  await expect(relays.getByRole('listitem', { name: relay.url })).toContainText('Connected');

  const address = relays.getByRole('textbox', { name: 'Relay address', exact: true });
  await address.fill('http://example.com');
  await relays.getByRole('button', { name: 'Add relay', exact: true }).click();
  await expect(relays.getByRole('alert')).toBeVisible();
  await expect(address).toHaveValue('http://example.com');

  // Nothing listens on this port: the relay is listed, with an honest status.
  await address.fill('ws://127.0.0.1:9');
  await relays.getByRole('button', { name: 'Add relay', exact: true }).click();
  const dead = relays.getByRole('listitem', { name: 'ws://127.0.0.1:9' });
  await expect(dead).toBeVisible();
  await expect(dead).toContainText(/Error|Disconnected|Connecting/);
  await expect(relays.getByRole('listitem', { name: relay.url })).toContainText('Connected');

  await dead.getByRole('button', { name: 'Remove relay' }).click();
  await expect(dead).toHaveCount(0);
  // A reload of the settings page asks for the passphrase, then shows the same page.
  await page.reload();
  await unlock(page);
  await expect(relays.getByRole('listitem', { name: relay.url })).toBeVisible();
  await expect(relays.getByRole('listitem', { name: 'ws://127.0.0.1:9' })).toHaveCount(0);
});

test('the draft being typed survives a reload', async ({ browser, web }) => {
  const alice = await (await browser.newContext()).newPage();
  const bob = await (await browser.newContext()).newPage();
  const { npub: aliceNpub } = await createIdentity(alice, web.url);
  await createIdentity(bob, web.url);
  await startChat(bob, aliceNpub);
  await send(bob, 'are you there?');
  await bob.getByRole('textbox', { name: 'Message' }).fill('half a thought, not sent yet');
  // Leaving the chat stores the draft; the chat list then marks the chat "Draft".
  await bob.getByRole('link', { name: 'Settings' }).click();
  await bob.getByRole('link', { name: 'Back to chats' }).click();
  await expect(bob.getByRole('navigation', { name: 'Chats' }).getByText('Draft')).toBeVisible();
  await bob.reload();
  await unlock(bob);
  await expect(bob.getByRole('navigation', { name: 'Chats' }).getByText('Draft')).toBeVisible();
  await openChat(bob, aliceNpub);
  await expect(bob.getByRole('textbox', { name: 'Message' })).toHaveValue('half a thought, not sent yet');
  await expect(messages(bob).getByText('are you there?')).toBeVisible();
});
