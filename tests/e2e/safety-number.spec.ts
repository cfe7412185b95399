/**
 * Safety numbers (docs/proposals/0006-safety-numbers.md), two people and one real relay: both open
 * "Verify safety number" and see the same 60 digits; Alice pastes the code from Bob's screen (what his
 * QR code holds) and Bob is verified; Bob then adds a device (his key imported in a fresh profile),
 * Alice's chat says his safety number changed, and after comparing again he is verified again. Alice
 * is on a 390 px phone: the dialog fits and passes axe in both themes.
 */
import type { Page } from '@playwright/test';
import { acceptFirstContact, createIdentity, expect, messages, openChat, send, seriousAxe, test } from './fixtures';

const dialog = (page: Page) => page.getByRole('dialog', { name: /Safety number with/ });

async function openVerify(page: Page): Promise<string[]> {
  await page.getByRole('button', { name: 'Verify safety number' }).click();
  const groups = dialog(page).getByRole('group', { name: 'Safety number' }).locator('span');
  await expect(groups).toHaveCount(12, { timeout: 20_000 });
  const digits = await groups.allTextContents();
  for (const g of digits) expect(g).toMatch(/^[0-9]{5}$/);
  return digits;
}

const payloadOf = (page: Page) => dialog(page).getByRole('textbox', { name: /Your verification code/ }).inputValue();

async function close(page: Page) {
  await dialog(page).getByRole('button', { name: 'Close' }).click();
  await expect(dialog(page)).toBeHidden();
}

async function pasteAndCompare(page: Page, payload: string) {
  await dialog(page).getByRole('textbox', { name: 'Paste the code from their screen' }).fill(payload);
  await dialog(page).getByRole('button', { name: 'Compare' }).click();
  await expect(dialog(page).getByRole('status').filter({ hasText: 'The codes match.' })).toBeVisible();
  await expect(dialog(page).getByText('Verified: you compared this number')).toBeVisible();
}

test('two people verify each other by the code on screen; a new device of one shows the notice, and they verify again', async ({ browser, web }) => {
  const alice = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
  const bob = await (await browser.newContext()).newPage();
  const { npub: aliceNpub } = await createIdentity(alice, web.url);
  const { npub: bobNpub, nsec: bobNsec } = await createIdentity(bob, web.url);
  await acceptFirstContact(alice, bob, aliceNpub, 'shall we compare numbers?');
  await openChat(alice, bobNpub);

  // Both see the same 60 digits.
  const atAlice = await openVerify(alice);
  const atBob = await openVerify(bob);
  expect(atAlice).toEqual(atBob);
  await expect(dialog(alice).getByText('Not verified yet.')).toBeVisible();
  await expect(dialog(alice).getByRole('img', { name: /QR code of your safety number/ })).toBeVisible();

  // The dialog fits the phone and passes axe.
  const fits = await alice.evaluate(() => {
    const d = document.querySelector('dialog')!;
    return d.scrollWidth <= d.clientWidth && d.getBoundingClientRect().right <= document.documentElement.clientWidth;
  });
  expect(fits).toBe(true);
  for (const colorScheme of ['light', 'dark'] as const) {
    await alice.emulateMedia({ colorScheme });
    expect(await seriousAxe(alice, 'dialog'), colorScheme).toEqual([]);
  }

  // A code that is not one is refused with a sentence; Bob's own code is not Alice's to paste back.
  await dialog(alice).getByRole('textbox', { name: 'Paste the code from their screen' }).fill('12345');
  await dialog(alice).getByRole('button', { name: 'Compare' }).click();
  await expect(dialog(alice).getByRole('alert')).toContainText('That is not a safety number');
  await dialog(alice).getByRole('textbox', { name: 'Paste the code from their screen' }).fill(await payloadOf(alice));
  await dialog(alice).getByRole('button', { name: 'Compare' }).click();
  await expect(dialog(alice).getByRole('status').filter({ hasText: 'belongs to someone other than' })).toBeVisible();

  // Alice pastes what Bob's QR code holds: verified.
  await pasteAndCompare(alice, await payloadOf(bob));
  await close(alice);
  await close(bob);
  await expect(alice.getByRole('region', { name: /Conversation with/ }).getByText('Verified', { exact: true })).toBeVisible();

  // Bob adds a device: his key imported in a fresh browser profile publishes a record with a second EK.
  const bob2 = await (await browser.newContext()).newPage();
  await bob2.goto(web.url);
  await bob2.getByRole('button', { name: 'Import a key' }).click();
  await bob2.getByLabel('Private key').fill(bobNsec);
  await bob2.getByLabel('Passphrase', { exact: true }).fill('second device passphrase');
  await bob2.getByRole('button', { name: 'Import', exact: true }).click();
  await expect(bob2.getByRole('textbox', { name: 'Your npub' })).toHaveValue(bobNpub);

  // Bob's first device merges the new record (his side of the number changes), and his next message
  // carries the record to Alice (a contact card rides along when his device set changed).
  let bobPayload = '';
  let bobNow: string[] = [];
  await expect(async () => {
    bobNow = await openVerify(bob);
    bobPayload = await payloadOf(bob);
    await close(bob);
    expect(bobNow).not.toEqual(atBob);
  }).toPass({ timeout: 45_000 });
  await send(bob, 'I have a second device now');
  await expect(messages(alice).getByText('I have a second device now')).toBeVisible({ timeout: 30_000 });

  // Alice's chat says his safety number changed, and the badge is gone.
  const notice = alice.getByRole('status').filter({ hasText: 'safety number changed: they may have a new device' });
  await expect(notice).toBeVisible({ timeout: 20_000 });
  await expect(alice.getByRole('region', { name: /Conversation with/ }).getByText('Verified', { exact: true })).toBeHidden();
  await notice.getByRole('button', { name: 'Compare it again' }).click();
  await expect(dialog(alice).getByText('safety number changed since you verified it')).toBeVisible();
  // Both sides show the same new number again.
  expect(await dialog(alice).getByRole('group', { name: 'Safety number' }).locator('span').allTextContents()).toEqual(bobNow);
  await pasteAndCompare(alice, bobPayload);
  await close(alice);
  await expect(notice).toBeHidden();
  await expect(alice.getByRole('region', { name: /Conversation with/ }).getByText('Verified', { exact: true })).toBeVisible();

  // "Clear verification" takes the mark away.
  await alice.getByRole('button', { name: 'Verify safety number' }).click();
  await dialog(alice).getByRole('button', { name: 'Clear verification' }).click();
  await expect(dialog(alice).getByText('Not verified yet.')).toBeVisible();
  await close(alice);
  await expect(alice.getByRole('region', { name: /Conversation with/ }).getByText('Verified', { exact: true })).toBeHidden();
});
