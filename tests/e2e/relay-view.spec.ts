/**
 * "What relays saw" on every message (issue 10 item 3), at 390×844: Bob's first envelope to Alice went
 * to her intro bucket, her reply and his next message to their shared bucket; each disclosure names
 * the kind, the size class, the relay and the socket, and sets it beside NIP-17 (the recipient's npub
 * visible to every relay), also after a reload. A NIP-17 message from another client says it is NIP-17. Axe finds no
 * serious or critical violation with a disclosure open, light and dark, and nothing scrolls sideways.
 */
import type { Page } from '@playwright/test';
import { finalizeEvent, generateSecretKey, getPublicKey, nip19 } from 'nostr-tools';
import { wrapEvent as ntWrapDm } from 'nostr-tools/nip17';
import { RawClient } from '../helpers/raw-ws';
import { acceptFirstContact, createIdentity, expect, messages, openChat, send, seriousAxe, test, unlock } from './fixtures';

const PHONE = { width: 390, height: 844 };

/** The disclosure of the message whose text is `text`, opened. */
async function openSeen(page: Page, text: string) {
  const bubble = messages(page).getByRole('article').filter({ has: page.getByText(text, { exact: true }) });
  const disclosure = bubble.locator('details.seen');
  await bubble.getByText('What relays saw').click();
  await expect(disclosure).toHaveAttribute('open', '');
  return disclosure;
}

async function audit(page: Page, where: string) {
  for (const theme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: theme });
    expect(await seriousAxe(page), `axe, ${where}, ${theme}`).toEqual([]);
  }
  const w = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
  expect(w.scroll, `sideways scroll, ${where}`).toBeLessThanOrEqual(w.client);
  const log = await messages(page).evaluate((el) => ({ scroll: el.scrollWidth, client: el.clientWidth }));
  expect(log.scroll, `the message log scrolls sideways, ${where}`).toBeLessThanOrEqual(log.client);
}

test('each envelope shows what relays saw: intro bucket, then the shared bucket, beside NIP-17', async ({ browser, relay, web }) => {
  test.setTimeout(120_000);
  const alice = await (await browser.newContext({ viewport: PHONE })).newPage();
  const bob = await (await browser.newContext({ viewport: PHONE })).newPage();
  const { npub: aliceNpub } = await createIdentity(alice, web.url);
  const { npub: bobNpub } = await createIdentity(bob, web.url);

  await acceptFirstContact(alice, bob, aliceNpub, 'Hello Alice, it is Bob');
  await openChat(alice, bobNpub);
  await send(alice, 'Hi Bob! Alice here');
  await expect(messages(bob).getByText('Hi Bob! Alice here')).toBeVisible({ timeout: 20_000 });
  await send(bob, 'Now between the two of us');

  // Bob's first message: Alice's device did not know his yet, so it went to her intro bucket.
  const first = await openSeen(bob, 'Hello Alice, it is Bob');
  await expect(first).toContainText('kind 1067, a Veil envelope');
  await expect(first).toContainText('the intro bucket');
  await expect(first).toContainText(relay.url);
  await expect(first).toContainText('envelope-publish connection');

  // Alice's reply as Bob received it, and his next message: the shared bucket of the day.
  const reply = await openSeen(bob, 'Hi Bob! Alice here');
  await expect(reply).toContainText('a shared bucket');
  await expect(reply).toContainText('it names neither you nor your contact');
  await expect(reply).toContainText(/size [1-4] of the 4 sizes every envelope is padded to/);
  await expect(reply).toContainText(/created_at(the real time|.* before the real time \(set back at random, up to two days\))/);
  await expect(reply).toContainText('envelope-read connection');
  await expect(reply).toContainText('As NIP-17, the same message would be a kind 1059 gift wrap whose p tag is the recipient’s npub, visible to every relay');
  const next = await openSeen(bob, 'Now between the two of us');
  await expect(next).toContainText('a shared bucket');
  await expect(next).toContainText(relay.url);
  await audit(bob, 'Bob with three disclosures open');

  // Alice's own reply, kept with the message across a reload (the chat stays open after unlocking).
  await alice.reload();
  await unlock(alice);
  await expect(messages(alice).getByText('Hi Bob! Alice here')).toBeVisible();
  const mine = await openSeen(alice, 'Hi Bob! Alice here');
  await expect(mine).toContainText('a shared bucket');
  await expect(mine).toContainText('envelope-publish connection');
});

test('a NIP-17 message says it is NIP-17 and that relays see the recipient', async ({ page, relay, web }) => {
  await page.setViewportSize(PHONE);
  await createIdentity(page, web.url);
  const me = nip19.decode(await page.getByRole('textbox', { name: 'Your npub' }).inputValue()).data as string;
  // Another Nostr client (nostr-tools), with its DM relay list, writes to me.
  const raw = await RawClient.open(relay.url);
  const sk = generateSecretKey();
  const list = finalizeEvent({ kind: 10050, created_at: Math.floor(Date.now() / 1000), tags: [['relay', relay.url]], content: '' }, sk);
  expect((await raw.publish(list))[0]).toBe(true);
  expect((await raw.publish(ntWrapDm(sk, { publicKey: me, relayUrl: relay.url }, 'Hello over NIP-17')))[0]).toBe(true);
  await raw.close();

  const requests = page.getByRole('region', { name: 'Requests' });
  await expect(requests.getByText('Hello over NIP-17')).toBeVisible({ timeout: 20_000 });
  await requests.getByRole('button', { name: 'Accept' }).click();
  await openChat(page, nip19.npubEncode(getPublicKey(sk)));
  const seen = await openSeen(page, 'Hello over NIP-17');
  await expect(seen).toContainText('kind 1059, a NIP-17 gift wrap');
  await expect(seen).toContainText('your npub, in the clear: every relay sees who it is for');
  await expect(seen).toContainText('This is a NIP-17 message: the recipient’s npub is in its p tag, visible to every relay');
  await expect(seen).toContainText('DM connection');
  await audit(page, 'a NIP-17 message with its disclosure open');
});
