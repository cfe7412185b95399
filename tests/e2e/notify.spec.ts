/**
 * Unread messages outside the chat list (issue 13 item 3), two people through the local relay: the
 * count in the tab title and on the app badge while the chat is not open, the permission prompt only
 * once a chat exists (asked from a click, never on load), notifications with hidden content, the
 * setting that shows sender and preview, a click that opens the chat; axe and the 390×844 layout.
 * Headless Chromium may lack the Badging API and shows no real notifications: an init script records
 * `navigator.setAppBadge`/`clearAppBadge` calls and `Notification` constructions (with their onclick).
 */
import type { BrowserContext, Page } from '@playwright/test';
import { acceptFirstContact, createIdentity, expect, messages, seriousAxe, send, test } from './fixtures';

interface Recorded {
  badges: number[];
  asked: number;
  notes: Array<{ title: string; body: string; tag: string; onclick: (() => void) | null }>;
}

async function recordPlatform(ctx: BrowserContext): Promise<void> {
  await ctx.addInitScript(() => {
    const rec: Recorded = { badges: [], asked: 0, notes: [] };
    (window as unknown as { __rec: Recorded }).__rec = rec;
    const nav = navigator as Navigator & { setAppBadge: (n?: number) => Promise<void>; clearAppBadge: () => Promise<void> };
    nav.setAppBadge = async (n?: number) => void rec.badges.push(n ?? 0);
    nav.clearAppBadge = async () => void rec.badges.push(0);
    const Real = window.Notification;
    function Recording(title: string, opts?: NotificationOptions) {
      const n = { title, body: opts?.body ?? '', tag: opts?.tag ?? '', onclick: null, close() {} };
      rec.notes.push(n);
      return n;
    }
    Object.defineProperty(Recording, 'permission', { get: () => Real.permission });
    Recording.requestPermission = () => {
      rec.asked++;
      return Real.requestPermission();
    };
    (window as unknown as { Notification: unknown }).Notification = Recording;
  });
}

const recorded = (page: Page) => page.evaluate(() => {
  const r = (window as unknown as { __rec: Recorded }).__rec;
  return { badges: [...r.badges], asked: r.asked, notes: r.notes.map(({ title, body, tag }) => ({ title, body, tag })) };
});
const lastBadge = async (page: Page) => (await recorded(page)).badges.at(-1);
const notes = async (page: Page) => (await recorded(page)).notes;
const prompt = (page: Page) => page.getByRole('region', { name: 'Get notified of new messages?' });

test('unread count in title and badge, a permission prompt after the first chat, hidden notifications, and a click opens the chat', async ({ browser, web }) => {
  const aliceCtx = await browser.newContext();
  const bobCtx = await browser.newContext();
  await recordPlatform(aliceCtx);
  await recordPlatform(bobCtx);
  const alice = await aliceCtx.newPage();
  const bob = await bobCtx.newPage();

  const { npub: aliceNpub } = await createIdentity(alice, web.url);
  const { npub: bobNpub } = await createIdentity(bob, web.url);
  // No chat yet: no prompt, and the browser was never asked.
  await expect(alice.getByRole('navigation', { name: 'Chats' })).toContainText('No chats yet');
  await expect(prompt(alice)).toBeHidden();
  expect((await recorded(alice)).asked).toBe(0);
  await expect(alice).toHaveTitle('Veil');

  // Bob's request is unread: it counts in Alice's title and badge; accepting makes it her first chat.
  await acceptFirstContact(alice, bob, aliceNpub, 'first contact');
  await expect(alice).toHaveTitle('(1) Veil');
  await expect.poll(() => lastBadge(alice)).toBe(1);
  await expect(prompt(alice)).toBeVisible();
  await expect(prompt(alice)).toContainText('The notice says only “New message”');
  expect(await seriousAxe(alice)).toEqual([]);
  expect((await recorded(alice)).asked).toBe(0); // still only offered

  await aliceCtx.grantPermissions(['notifications'], { origin: web.url });
  await prompt(alice).getByRole('button', { name: 'Turn on notifications' }).click();
  await expect(alice.getByText('Notifications are on.')).toBeVisible();
  await expect(prompt(alice)).toBeHidden();
  expect((await recorded(alice)).asked).toBe(1);
  expect(await notes(alice)).toEqual([]); // the first message came before permission

  // Two more while Alice's chat is not open: title and badge count 3, notifications say nothing.
  await send(bob, 'second secret');
  await expect(alice).toHaveTitle('(2) Veil', { timeout: 20_000 });
  await send(bob, 'third secret');
  await expect(alice).toHaveTitle('(3) Veil', { timeout: 20_000 });
  await expect.poll(() => lastBadge(alice)).toBe(3);
  await expect.poll(async () => (await notes(alice)).length).toBe(2);
  for (const n of await notes(alice)) {
    expect(n.title).toBe('New message');
    expect(n.body).toBe('');
    expect(JSON.stringify(n)).not.toMatch(/secret|npub/);
  }

  // A click on the notification opens that chat; reading it clears title and badge.
  const clicked = await alice.evaluate(() => {
    const n = (window as unknown as { __rec: Recorded }).__rec.notes.at(-1)!;
    n.onclick!();
    return n.tag;
  });
  await expect(messages(alice).getByText('third secret')).toBeVisible();
  // The chat opened is the one the notification was for (its tag is `veil-chat-<id>`).
  expect(clicked).toMatch(/^veil-chat-.+/);
  expect(`veil-chat-${new URL(alice.url()).searchParams.get('chat')}`).toBe(clicked);
  await expect(alice).toHaveTitle('Veil');
  await expect.poll(() => lastBadge(alice)).toBe(0);

  // With the chat open and on screen, a new message makes no notification.
  await send(bob, 'fourth, seen at once');
  await expect(messages(alice).getByText('fourth, seen at once')).toBeVisible({ timeout: 20_000 });
  await expect(alice.getByRole('navigation', { name: 'Chats' })).toContainText('fourth, seen at once');
  await expect(alice).toHaveTitle('Veil');
  expect(await notes(alice)).toHaveLength(2);

  // The setting shows sender and preview; the chat list (no chat open) gets the next one.
  await alice.getByRole('link', { name: 'Settings' }).click();
  const settings = alice.getByRole('region', { name: 'Notifications' });
  await expect(settings).toContainText('Notifications are allowed.');
  await settings.getByRole('checkbox', { name: 'Show sender and preview' }).check();
  await expect(settings.getByRole('status')).toHaveText('Notifications show the sender and the start of the message.');
  await send(bob, 'fifth, with preview');
  await expect(alice).toHaveTitle('(1) Veil: Settings', { timeout: 20_000 });
  await expect.poll(async () => (await notes(alice)).length).toBe(3);
  const shown = (await notes(alice)).at(-1)!;
  expect(shown.body).toBe('fifth, with preview');
  expect(shown.title).toBe(`${bobNpub.slice(0, 16)}…`);
  await alice.evaluate(() => (window as unknown as { __rec: Recorded }).__rec.notes.at(-1)!.onclick!());
  await expect(messages(alice).getByText('fifth, with preview')).toBeVisible();
  await expect(alice).toHaveTitle('Veil');

  // Bob started a chat too: on a phone-sized screen his prompt fits, passes axe, and "Not now" ends it.
  await bob.setViewportSize({ width: 390, height: 844 });
  await bob.getByRole('button', { name: 'Back to chats' }).click();
  await expect(prompt(bob)).toBeVisible();
  const box = (await prompt(bob).boundingBox())!;
  expect(box.x).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width).toBeLessThanOrEqual(390);
  expect(await bob.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await expect(bob.getByRole('button', { name: 'New chat' })).toBeInViewport();
  expect(await seriousAxe(bob)).toEqual([]);
  await prompt(bob).getByRole('button', { name: 'Not now' }).click();
  await expect(prompt(bob)).toBeHidden();
  await bob.reload();
  await bob.getByRole('button', { name: 'Unlock' }).waitFor();
  expect((await recorded(bob)).asked).toBe(0);

  // Settings on the phone: notifications and storage sections fit and pass axe.
  await alice.setViewportSize({ width: 390, height: 844 });
  await alice.getByRole('button', { name: 'Back to chats' }).click();
  await alice.getByRole('link', { name: 'Settings' }).click();
  await expect(alice.getByRole('region', { name: 'Storage on this device' })).toContainText(/keeps Veil’s data|may clear Veil’s data|cannot promise/);
  expect(await alice.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  expect(await seriousAxe(alice)).toEqual([]);

  await aliceCtx.close();
  await bobCtx.close();
});
