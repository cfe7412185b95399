/**
 * Names (issue 14 §3), two people and one real relay. Alice, on a 390×844 phone, sets her display name
 * and picture in Settings → Your profile (the section says it is public); her name shows above "Signed
 * in as", stays after a reload, and the relay holds her kind 0 with it. Bob gives Alice a nickname from
 * the chat header: his header and chat list show it; clearing it returns to what the chat showed
 * before. axe finds no serious or critical violation on the profile section and the nickname dialog,
 * light and dark, and nothing scrolls sideways at 390 px.
 *
 * Bob does not wait for Alice's new name to reach him: his app reads contacts' profiles on a live
 * subscription that changes only after a random 1–5 minutes (spec 0005 §Timing; the built app has
 * no shorter timing). That path is covered with short timings in tests/integration/messenger-names.test.ts.
 */
import type { Page } from '@playwright/test';
import { decode } from 'nostr-tools/nip19';
import { RawClient } from '../helpers/raw-ws';
import { acceptFirstContact, createIdentity, expect, seriousAxe, test, unlock } from './fixtures';

const PHONE = { width: 390, height: 844 };

async function axeSerious(page: Page, include: string, where: string) {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    expect(await seriousAxe(page, include), `axe on ${where}, ${colorScheme}`).toEqual([]);
  }
}

/** No sideways scroll of the document, and every box of `selector` inside the viewport width. */
async function fitsWidth(page: Page, selector: string, where: string) {
  const r = await page.evaluate((sel) => {
    const vw = document.documentElement.clientWidth;
    const out = [...document.querySelectorAll<HTMLElement>(sel)].filter((el) => {
      const b = el.getBoundingClientRect();
      return b.left < 0 || b.right > vw || el.scrollWidth > el.clientWidth + 1;
    });
    return { scroll: document.documentElement.scrollWidth, vw, out: out.map((el) => el.outerHTML.slice(0, 80)) };
  }, selector);
  expect(r.scroll, `sideways scroll: ${where}`).toBeLessThanOrEqual(r.vw);
  expect(r.out, `outside ${r.vw}px: ${where}`).toEqual([]);
}

test('Alice publishes her display name; Bob gives her a nickname and clears it', async ({ browser, web, relay }) => {
  const alice = await (await browser.newContext({ viewport: PHONE })).newPage();
  const bob = await (await browser.newContext({ viewport: PHONE })).newPage();
  const { npub: aliceNpub } = await createIdentity(alice, web.url);
  await createIdentity(bob, web.url);

  // Alice: Settings → Your profile.
  await alice.getByRole('link', { name: 'Settings' }).click();
  const profile = alice.getByRole('region', { name: 'Your profile' });
  await expect(profile.getByText('This profile is public.')).toBeVisible();
  await expect(profile).toContainText('Anyone can read it on the lookup relays, linked to your npub. It is optional');
  await expect(profile.getByText('Looking for a profile you published before…')).toBeHidden({ timeout: 20_000 });
  await expect(profile.getByRole('textbox', { name: 'Display name' })).toHaveValue('');

  // A picture that is not https is refused with a sentence; nothing is published.
  await profile.getByRole('textbox', { name: 'Display name' }).fill('Alice Liddell');
  await profile.getByRole('textbox', { name: 'Picture URL' }).fill('http://example.com/alice.png');
  await profile.getByRole('button', { name: 'Save profile' }).click();
  await expect(profile.getByRole('alert')).toHaveText('The picture address must be a full https:// address, like https://example.com/me.jpg.');
  await profile.getByRole('textbox', { name: 'Picture URL' }).fill('https://example.com/alice.png');
  await profile.getByRole('button', { name: 'Save profile' }).click();
  await expect(profile.getByRole('status').filter({ hasText: 'Saved and published to the lookup relays.' })).toBeVisible({ timeout: 30_000 });
  await expect(profile.getByRole('alert')).toBeHidden();

  // Her name above "Signed in as".
  const device = alice.getByRole('region', { name: 'This device', exact: true });
  await expect(device.getByText('Alice Liddell', { exact: true })).toBeVisible();
  await expect(device).toContainText(`Signed in as ${aliceNpub}`);
  await fitsWidth(alice, '.settings section, .settings label, .settings input, .settings p', 'Settings at 390 px');
  await axeSerious(alice, '.settings', 'Settings → Your profile');

  // On the relay: her kind 0, signed by her, with the name and the picture.
  const alicePk = decode(aliceNpub).data as string;
  const raw = await RawClient.open(relay.url);
  const [kind0] = await raw.query('p', { kinds: [0], authors: [alicePk] });
  await raw.close();
  expect(JSON.parse(kind0!.content as string)).toEqual({ name: 'Alice Liddell', display_name: 'Alice Liddell', picture: 'https://example.com/alice.png' });

  // Kept on the device (sealed): after a reload and unlocking, the form and the line show it.
  await alice.reload();
  await unlock(alice);
  await expect(alice.getByRole('region', { name: 'Your profile' }).getByRole('textbox', { name: 'Display name' })).toHaveValue('Alice Liddell');
  await expect(alice.getByRole('region', { name: 'Your profile' }).getByRole('textbox', { name: 'Picture URL' })).toHaveValue('https://example.com/alice.png');
  await expect(alice.getByRole('region', { name: 'This device', exact: true }).getByText('Alice Liddell', { exact: true })).toBeVisible();

  // Bob writes first; Alice accepts. Bob gives her a nickname from the chat header.
  await alice.getByRole('link', { name: 'Back to chats' }).click();
  await acceptFirstContact(alice, bob, aliceNpub, 'hello Alice');
  const header = bob.getByRole('region', { name: /Conversation with/ }).locator('header');
  const before = (await header.getByRole('heading', { level: 2 }).textContent())!.trim();
  await header.getByRole('button', { name: 'Nickname' }).click();
  const dialog = bob.getByRole('dialog', { name: 'Nickname' });
  await expect(dialog.getByText('Only you see this name; it is stored encrypted on this device.')).toBeVisible();
  await fitsWidth(bob, 'dialog, dialog *', 'Nickname dialog at 390 px');
  await axeSerious(bob, 'dialog', 'the Nickname dialog');
  await dialog.getByRole('textbox', { name: 'Nickname' }).fill('  Ally  ');
  await dialog.getByRole('button', { name: 'Save nickname' }).click();
  await expect(dialog).toBeHidden();
  await expect(header.getByRole('heading', { level: 2, name: 'Ally' })).toBeVisible();
  await expect(bob.getByRole('region', { name: 'Conversation with Ally' })).toBeVisible();

  // The chat list shows it (and the chat opens from it).
  await bob.getByRole('button', { name: 'Back to chats' }).click();
  const list = bob.getByRole('navigation', { name: 'Chats' });
  await expect(list.getByRole('button', { name: /Ally/ })).toBeVisible({ timeout: 20_000 });
  await list.getByRole('button', { name: /Ally/ }).click();

  // Cleared: the chat shows her profile name again, or (until Bob's app has read it) what it showed before.
  await header.getByRole('button', { name: 'Nickname' }).click();
  await expect(dialog.getByRole('textbox', { name: 'Nickname' })).toHaveValue('Ally');
  await dialog.getByRole('button', { name: 'Clear nickname' }).click();
  await expect(dialog).toBeHidden();
  const shown = new RegExp(`^(${before.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}|Alice Liddell)$`);
  await expect(header.getByRole('heading', { level: 2 })).toHaveText(shown);
  await bob.getByRole('button', { name: 'Back to chats' }).click();
  await expect(list.getByRole('button', { name: new RegExp(`${aliceNpub.slice(0, 16)}|Alice Liddell`) })).toBeVisible({ timeout: 20_000 });
  await expect(list.getByRole('button', { name: /Ally/ })).toHaveCount(0);
});
