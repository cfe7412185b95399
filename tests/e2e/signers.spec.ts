/**
 * Signing in without a key in the page: a NIP-07 extension (a `window.nostr` the test injects, holding
 * its own key in the test process) and a NIP-46 bunker that the test runs over the local relay.
 * Each then chats with a person who made a local identity.
 */
import type { Page } from '@playwright/test';
import { getPublicKey, generateSecretKey, nip19 } from 'nostr-tools';
import { startBunker, type TestBunker } from '../helpers/bunker';
import { createIdentity, expect, installExtension, messages, openChat, PASSPHRASE, send, startChat, test } from './fixtures';

let bunker: TestBunker | undefined;

test.afterEach(async () => {
  await bunker?.stop();
  bunker = undefined;
});

async function chatWithLocalUser(page: Page, npub: string, url: string): Promise<void> {
  const bob = await (await page.context().browser()!.newContext()).newPage();
  const { npub: bobNpub } = await createIdentity(bob, url);
  await startChat(page, bobNpub);
  await send(page, `hello from ${npub.slice(0, 12)}`);
  const requests = bob.getByRole('region', { name: 'Requests' });
  await expect(requests.getByText(`hello from ${npub.slice(0, 12)}`)).toBeVisible({ timeout: 30_000 });
  await requests.getByRole('button', { name: 'Accept' }).click();
  await openChat(bob, npub);
  await send(bob, 'hello signer user');
  await expect(messages(page).getByText('hello signer user')).toBeVisible({ timeout: 30_000 });
  await bob.context().close();
}

test('signs in with a NIP-07 extension and chats', async ({ page, web }) => {
  const sk = generateSecretKey();
  const ext = await installExtension(page, sk);
  await page.goto(web.url);
  await page.getByRole('button', { name: 'Use a browser extension' }).click();
  await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Sign in with extension' }).click();
  const npub = nip19.npubEncode(getPublicKey(sk));
  await expect(page.getByRole('textbox', { name: 'Your npub' })).toHaveValue(npub);
  await chatWithLocalUser(page, npub, web.url);
  // The extension signed the inbox record and each message; the page never held the key.
  expect(ext.used.filter((u) => u.startsWith('sign:')).length).toBeGreaterThanOrEqual(2);
  expect(await page.evaluate(() => JSON.stringify(localStorage))).not.toContain(nip19.nsecEncode(sk));
});

test('connects a NIP-46 bunker over the relay and chats', async ({ page, relay, web }) => {
  bunker = await startBunker(relay.url, 'e2e-secret');
  await page.goto(web.url);
  await page.getByRole('button', { name: 'Connect a bunker' }).click();
  await page.getByLabel('Bunker address').fill(bunker.url());
  await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  const npub = nip19.npubEncode(bunker.userPubkey);
  await expect(page.getByRole('textbox', { name: 'Your npub' })).toHaveValue(npub, { timeout: 30_000 });
  await chatWithLocalUser(page, npub, web.url);
  expect(bunker.requests).toContain('sign_event');
});
