/**
 * Signing in without a key in the page: a NIP-07 extension (a `window.nostr` the test injects, holding
 * its own key in the test process) and a NIP-46 bunker that the test runs over the local relay.
 * Each then chats with a person who made a local identity.
 */
import { expect, test, type Page } from '@playwright/test';
import { finalizeEvent, getPublicKey, generateSecretKey, nip19, type EventTemplate } from 'nostr-tools';
import { v2 } from 'nostr-tools/nip44';
import { startBunker, type TestBunker } from '../helpers/bunker';
import { startRelay, type TestRelay } from '../helpers/relay';
import { startWeb, type WebServer } from '../helpers/web';
import { createIdentity, messages, openChat, PASSPHRASE, send, startChat } from './fixtures';

let relay: TestRelay;
let web: WebServer;
let bunker: TestBunker | undefined;

test.beforeEach(async () => {
  relay = await startRelay();
  web = await startWeb({ relays: [relay.url] });
});

test.afterEach(async () => {
  await bunker?.stop();
  bunker = undefined;
  await web.stop();
  await relay.stop();
});

/** Installs a NIP-07 `window.nostr` backed by `sk`, which never enters the page. */
async function installExtension(page: Page, sk: Uint8Array): Promise<{ signed: () => number }> {
  let count = 0;
  await page.exposeFunction('__extGetPublicKey', () => getPublicKey(sk));
  await page.exposeFunction('__extSignEvent', (t: EventTemplate) => {
    count++;
    return finalizeEvent(t, sk);
  });
  await page.exposeFunction('__extNip44', (op: 'encrypt' | 'decrypt', peer: string, text: string) => {
    const ck = v2.utils.getConversationKey(sk, peer);
    return op === 'encrypt' ? v2.encrypt(text, ck) : v2.decrypt(text, ck);
  });
  await page.addInitScript(() => {
    const w = window as unknown as Record<string, (...a: unknown[]) => Promise<unknown>> & { nostr?: unknown };
    w.nostr = {
      getPublicKey: () => w.__extGetPublicKey!(),
      signEvent: (t: unknown) => w.__extSignEvent!(t),
      nip44: {
        encrypt: (peer: string, text: string) => w.__extNip44!('encrypt', peer, text),
        decrypt: (peer: string, text: string) => w.__extNip44!('decrypt', peer, text)
      }
    };
  });
  return { signed: () => count };
}

async function chatWithLocalUser(page: Page, npub: string): Promise<void> {
  const bob = await (await page.context().browser()!.newContext()).newPage();
  const { npub: bobNpub } = await createIdentity(bob, web.url);
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

test('signs in with a NIP-07 extension and chats', async ({ page }) => {
  const sk = generateSecretKey();
  const ext = await installExtension(page, sk);
  await page.goto(web.url);
  await page.getByRole('button', { name: 'Use a browser extension' }).click();
  await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Sign in with extension' }).click();
  const npub = nip19.npubEncode(getPublicKey(sk));
  await expect(page.getByRole('textbox', { name: 'Your npub' })).toHaveValue(npub);
  await chatWithLocalUser(page, npub);
  // The extension signed the inbox record and each message; the page never held the key.
  expect(ext.signed()).toBeGreaterThanOrEqual(2);
  expect(await page.evaluate(() => JSON.stringify(localStorage))).not.toContain(nip19.nsecEncode(sk));
});

test('connects a NIP-46 bunker over the relay and chats', async ({ page }) => {
  bunker = await startBunker(relay.url, 'e2e-secret');
  await page.goto(web.url);
  await page.getByRole('button', { name: 'Connect a bunker' }).click();
  await page.getByLabel('Bunker address').fill(bunker.url());
  await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  const npub = nip19.npubEncode(bunker.userPubkey);
  await expect(page.getByRole('textbox', { name: 'Your npub' })).toHaveValue(npub, { timeout: 30_000 });
  await chatWithLocalUser(page, npub);
  expect(bunker.requests).toContain('sign_event');
});
