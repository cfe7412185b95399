/**
 * The catch-up's progress line, as a person sees it (issue 12 §3: "a progress indicator when a
 * catch-up takes over 1 s"). Someone on another Nostr client (the test process, nostr-tools only)
 * sent 33 NIP-17 DMs while the Veil user was away. The relay is slow to finish its answer: a proxy in
 * front of the real relay holds the EOSE of the gift-wrap read, so that read lasts past 1 s however
 * fast this machine opens what came. At the next start the chat list says "Catching up… n of n
 * opened" in a polite status line; once the relay's EOSE arrives the line goes, and the DMs are there.
 */
import { expect, test } from '@playwright/test';
import { generateSecretKey, getPublicKey, nip19 } from 'nostr-tools';
import { wrapEvent as ntWrapDm } from 'nostr-tools/nip17';
import { startEoseHoldProxy, type EoseHoldProxy } from '../helpers/eose-hold-proxy';
import { RawClient } from '../helpers/raw-ws';
import { startRelay, type TestRelay } from '../helpers/relay';
import { startWeb, type WebServer } from '../helpers/web';
import { createIdentity, messages, openChat, seriousAxe, unlock } from './fixtures';

const DMS = 33; // not a round count: the read needs no second page

let relay: TestRelay;
let proxy: EoseHoldProxy;
let web: WebServer;
let raw: RawClient;

test.beforeEach(async () => {
  relay = await startRelay();
  proxy = await startEoseHoldProxy(relay.url);
  web = await startWeb({ relays: [proxy.url] });
  raw = await RawClient.open(relay.url);
});

test.afterEach(async () => {
  await raw.close();
  await web.stop();
  await proxy.stop();
  await relay.stop();
});

test('a catch-up that takes over 1 s shows its progress in the chat list, which goes when it ends', async ({ page }) => {
  const { npub } = await createIdentity(page, web.url);
  const me = nip19.decode(npub).data as string;
  const status = page.getByRole('navigation', { name: 'Chats' }).getByRole('status');
  await expect(status).toHaveText('');

  // The user goes away (the app closed): the DMs arrive at the relay meanwhile.
  await page.goto('about:blank');
  const sender = generateSecretKey();
  for (let i = 1; i <= DMS; i++) {
    const [ok, reason] = await raw.publish(ntWrapDm(sender, { publicKey: me, relayUrl: relay.url }, `while you were away ${i}`));
    expect(ok, reason).toBe(true);
  }
  // The relay will be slow to end its answer to the gift-wrap read (kind 1059).
  proxy.hold((filters) => filters.some((f) => Array.isArray(f.kinds) && f.kinds.includes(1059)));
  await page.goto(web.url);
  await unlock(page);

  // Every wrap is in and opened; the read is not over until the relay says so.
  await expect(status).toHaveText(/^Catching up… (\d+) of \1 opened$/, { timeout: 15_000 });
  const total = Number(/of (\d+)/.exec((await status.textContent()) ?? '')![1]);
  expect(total).toBeGreaterThanOrEqual(DMS);
  expect(proxy.held).toBeGreaterThan(0);
  await expect(status).toHaveAttribute('aria-live', 'polite');
  expect(await seriousAxe(page, 'nav')).toEqual([]);

  proxy.release();
  await expect(status).toHaveText('');
  const requests = page.getByRole('region', { name: 'Requests' });
  await requests.getByRole('button', { name: 'Accept' }).click();
  await openChat(page, nip19.npubEncode(getPublicKey(sender)));
  for (const i of [1, 17, DMS]) await expect(messages(page).getByText(`while you were away ${i}`, { exact: true })).toBeVisible();
});
