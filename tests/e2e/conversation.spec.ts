/**
 * The conversation as a person on a phone uses it: the open chat is in the address (Back returns
 * to the list, a reload reopens it), a chat opened with unread messages starts at the "Unread
 * messages" divider, the view follows new messages at the bottom and offers "Jump to latest"
 * otherwise, links open outside, the keyboard has one Tab stop for the messages and Escape cancels
 * a reply, and a relay outage is said on the chat screen while the message waits, queued.
 */
import type { Page } from '@playwright/test';
import { acceptFirstContact, createIdentity, expect, messages, openChat, send, test, unlock } from './fixtures';

const PHONE = { width: 390, height: 844 };

/** The chat's list entry (the list shows the first characters of the npub). */
function chatEntry(page: Page, npub: string) {
  return page.getByRole('navigation', { name: 'Chats' }).getByRole('button', { name: new RegExp(npub.slice(0, 16)) });
}

test('unread divider, following, jump to latest, Back, deep link, links, keyboard and outage', async ({ browser, relay, web }) => {
  test.setTimeout(240_000);
  const alice = await (await browser.newContext({ viewport: PHONE, hasTouch: true })).newPage();
  const bob = await (await browser.newContext()).newPage();
  const { npub: aliceNpub } = await createIdentity(alice, web.url);
  const { npub: bobNpub } = await createIdentity(bob, web.url);

  await acceptFirstContact(alice, bob, aliceNpub);

  // The open chat is in the address; Back returns to the list.
  await openChat(alice, bobNpub);
  // The address holds the conversation's blind id (16 bytes of HMAC, hex), never the contact's key.
  const chatId = new URL(alice.url()).searchParams.get('chat');
  expect(chatId).toMatch(/^[0-9a-f]{32}$/);
  expect(alice.url()).not.toContain(bobNpub.slice(5, 20));
  const chatUrl = alice.url();
  await alice.goBack();
  await expect(messages(alice)).toBeHidden();
  await expect(chatEntry(alice, bobNpub)).toBeVisible();
  expect(new URL(alice.url()).searchParams.get('chat')).toBeNull();

  // Enough history to fill the phone's screen, read by Alice...
  for (let i = 1; i <= 12; i++) await send(bob, `older message ${i}`);
  await openChat(alice, bobNpub);
  await expect(messages(alice).getByText('older message 12')).toBeVisible({ timeout: 20_000 });
  await alice.getByRole('button', { name: 'Back to chats' }).click();
  await expect(messages(alice)).toBeHidden();

  // ...then three she has not read: the chat opens at the divider, the first unread in view.
  for (let i = 1; i <= 3; i++) await send(bob, `unread message ${i}`);
  await expect(chatEntry(alice, bobNpub).getByLabel('3 unread')).toBeVisible({ timeout: 20_000 });
  await openChat(alice, bobNpub);
  const log = messages(alice);
  await expect(log.getByText('Unread messages')).toBeInViewport();
  await expect(log.getByText('unread message 1', { exact: true })).toBeInViewport();
  await expect(log.getByText('older message 1', { exact: true })).not.toBeInViewport();
  await expect(log.getByText('Today').first()).toBeAttached(); // day separators

  // Scrolled up, a new message does not pull the view down; "Jump to latest" does.
  await log.evaluate((el) => (el.scrollTop = 0));
  const jump = alice.getByRole('button', { name: 'Jump to latest' });
  await expect(jump).toBeVisible();
  await send(bob, 'while Alice reads old ones');
  await expect(log.getByText('while Alice reads old ones')).toBeAttached({ timeout: 20_000 });
  await expect(log.getByText('while Alice reads old ones')).not.toBeInViewport();
  await jump.click();
  await expect(jump).toBeHidden();
  await expect(log.getByText('while Alice reads old ones')).toBeInViewport();
  // At the bottom, new messages are followed.
  await send(bob, 'read https://example.org/doc?id=7 now');
  const link = log.getByRole('link', { name: 'https://example.org/doc?id=7' });
  await expect(link).toBeInViewport({ timeout: 20_000 });
  await expect(link).toHaveAttribute('href', 'https://example.org/doc?id=7');
  await expect(link).toHaveAttribute('target', '_blank');
  await expect(link).toHaveAttribute('rel', 'noopener noreferrer');
  await send(bob, 'javascript:alert(1)');
  await expect(log.getByText('javascript:alert(1)')).toBeVisible({ timeout: 20_000 });
  await expect(log.getByRole('link', { name: /javascript/ })).toHaveCount(0);

  // Keyboard: one Tab stop among all the messages; arrows move it; Escape cancels a reply.
  const articles = log.getByRole('article');
  expect(await articles.count()).toBeGreaterThan(15);
  await expect(log.locator('article[tabindex="0"]')).toHaveCount(1);
  await expect(log.locator('button[aria-label="Reply to this message"]:not([tabindex="-1"])')).toHaveCount(1);
  await alice.getByRole('textbox', { name: 'Message' }).focus();
  await alice.keyboard.press('Shift+Tab');
  // The last control of a message is its "What relays saw" disclosure, then Reply before it.
  await expect(articles.last().getByText('What relays saw')).toBeFocused();
  await alice.keyboard.press('Shift+Tab');
  await expect(articles.last().getByRole('button', { name: 'Reply to this message' })).toBeFocused();
  await alice.keyboard.press('ArrowUp');
  const previous = articles.nth((await articles.count()) - 2);
  await expect(previous).toBeFocused();
  await expect(log.locator('article[tabindex="0"]')).toHaveCount(1);
  await alice.keyboard.press('Tab');
  await alice.keyboard.press('Tab'); // past the link of that message, to its Reply
  await expect(previous.getByRole('button', { name: 'Reply to this message' })).toBeFocused();
  await alice.keyboard.press('Enter');
  await expect(alice.getByText('Replying to:')).toBeVisible();
  await expect(alice.getByRole('textbox', { name: 'Message' })).toBeFocused();
  await alice.keyboard.press('Escape');
  await expect(alice.getByText('Replying to:')).toBeHidden();

  // A reload of the chat's address reopens that chat.
  await alice.reload();
  await unlock(alice);
  await expect(messages(alice).getByText('javascript:alert(1)')).toBeVisible();
  expect(alice.url()).toBe(chatUrl);

  // Delivery, explained on request: which relays took the message.
  await send(alice, 'thanks Bob');
  const sent = messages(alice).getByText('Sent to 1 of 1 relays').last();
  await expect(sent).toBeVisible({ timeout: 20_000 });
  await sent.click();
  await expect(messages(alice).getByText(/took it/).last()).toBeVisible();

  // The relay goes away: the chat screen says so, and a new message is queued, not "not sent".
  await relay.stop();
  await expect(alice.getByText('No relay is connected')).toBeVisible({ timeout: 30_000 });
  await alice.getByRole('textbox', { name: 'Message' }).fill('during the outage');
  await alice.getByRole('button', { name: 'Send' }).click();
  const outgoing = messages(alice).getByRole('article').filter({ hasText: 'during the outage' });
  await expect(outgoing.getByText(/^(Sending…|Queued, will retry)$/)).toBeVisible();
  await expect(outgoing.getByText('Queued, will retry')).toBeVisible({ timeout: 30_000 });
  await expect(outgoing.getByText(/Not sent/)).toHaveCount(0);
});
