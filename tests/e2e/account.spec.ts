/**
 * Issue 14 §4, Account, as a person uses it in Chromium with a real relay: "remember on this device",
 * then Lock now, then a reload asks for the passphrase; the key shown again after the passphrase;
 * change the passphrase (the old one fails, the new one unlocks); block → unblock → their messages
 * flow again (two browser contexts); sign out and wipe → onboarding. Settings at 390×844 never scrolls
 * sideways and has no serious or critical axe finding.
 */
import type { Page } from '@playwright/test';
import { nip19 } from 'nostr-tools';
import { RawClient } from '../helpers/raw-ws';
import { PASSPHRASE, createIdentity, expect, messages, openChat, seriousAxe, send, startChat, test, unlock } from './fixtures';

const NEW_PASSPHRASE = 'a completely new passphrase';

async function openSettings(page: Page): Promise<void> {
  if (!new URL(page.url()).pathname.endsWith('/settings')) await page.getByRole('link', { name: 'Settings' }).click();
  await expect(page.getByRole('heading', { name: 'Settings', level: 1 })).toBeVisible();
}

/** Sideways overflow of the page and of every box that scrolls (inputs aside). */
function sideways(page: Page): Promise<number> {
  return page.evaluate(() => {
    const root = document.documentElement;
    let over = Math.max(root.scrollWidth, document.body.scrollWidth) - root.clientWidth;
    for (const el of document.querySelectorAll<HTMLElement>('body *')) {
      if (el instanceof HTMLInputElement || el.clientWidth <= 1) continue;
      if (!['auto', 'scroll', 'hidden'].includes(getComputedStyle(el).overflowX)) continue;
      over = Math.max(over, el.scrollWidth - el.clientWidth);
    }
    return Math.max(0, over);
  });
}

test.describe('account controls', () => {
  test.use({ viewport: { width: 390, height: 844 }, hasTouch: true });

  test('remember → Lock now → reload asks the passphrase; key shown again; passphrase changed; wipe → onboarding', async ({ page, web }) => {
    test.setTimeout(120_000);
    await page.goto(web.url);
    await page.getByRole('button', { name: 'Create a new identity' }).click();
    await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
    await page.getByLabel('Type it again').fill(PASSPHRASE);
    await page.getByLabel(/Remember on this device/).check();
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    const nsec = await page.getByLabel('Your private key (nsec)').inputValue();
    await page.getByLabel('I have saved my key somewhere safe').check();
    await page.getByRole('button', { name: 'Continue' }).click();

    // Remembered: a reload opens without the passphrase.
    await page.reload();
    await openSettings(page);
    await expect(page.getByRole('button', { name: 'Forget this device' })).toBeVisible();

    // Settings fits a phone and has no serious accessibility finding, in either theme.
    expect(await sideways(page)).toBe(0);
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      expect(await seriousAxe(page, '.settings'), colorScheme).toEqual([]);
    }

    // Lock now says it forgets the device, and it does: the reload asks for the passphrase.
    await expect(page.getByText(/forgets “remember on this device”: the next open asks for your passphrase/)).toBeVisible();
    await page.getByRole('button', { name: 'Lock now' }).click();
    await expect(page.getByRole('heading', { name: 'Veil is locked' })).toBeVisible();
    await page.reload();
    await unlock(page);
    await openSettings(page);
    await expect(page.getByRole('button', { name: 'Forget this device' })).toHaveCount(0);
    await expect(page.getByText('Not remembered: Veil asks for your passphrase every time it opens here.')).toBeVisible();

    // Show my key: the passphrase again; the nsec hidden until asked; an ncryptsec to export.
    await page.getByLabel('Passphrase to show your key').fill('not my passphrase');
    await page.getByRole('button', { name: 'Show my key' }).click();
    await expect(page.getByRole('region', { name: 'Your key' }).getByRole('alert')).toContainText('That passphrase is not right');
    await page.getByLabel('Passphrase to show your key').fill(PASSPHRASE);
    await page.getByRole('button', { name: 'Show my key' }).click();
    const shown = page.getByLabel('Your private key (nsec)');
    await expect(shown).toHaveAttribute('type', 'password');
    await expect(shown).toHaveValue(nsec);
    await page.getByRole('button', { name: 'Show key' }).click();
    await expect(shown).toHaveAttribute('type', 'text');
    await expect(page.getByLabel('Encrypted backup (ncryptsec)')).toHaveValue(/^ncryptsec1/);
    expect(await sideways(page)).toBe(0);
    await page.getByRole('button', { name: 'Done' }).click();
    await expect(shown).toHaveCount(0);

    // Change passphrase: a short one is refused, then the old one fails and the new one unlocks.
    await page.getByLabel('Current passphrase').fill(PASSPHRASE);
    await page.getByLabel('New passphrase', { exact: true }).fill('short');
    await page.getByLabel('Type the new passphrase again').fill('short');
    await page.getByRole('button', { name: 'Change passphrase' }).click();
    await expect(page.getByRole('region', { name: 'Change passphrase' }).getByRole('alert')).toContainText('at least 8 characters');
    await page.getByLabel('New passphrase', { exact: true }).fill(NEW_PASSPHRASE);
    await page.getByLabel('Type the new passphrase again').fill(NEW_PASSPHRASE);
    await page.getByRole('button', { name: 'Change passphrase' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Passphrase changed' })).toBeVisible({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Lock now' }).click();
    await page.reload();
    await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
    await page.getByRole('button', { name: 'Unlock' }).click();
    await expect(page.getByRole('alert')).toContainText('That passphrase is not right');
    await unlock(page, NEW_PASSPHRASE);

    // Sign out and wipe: two steps, a typed word, then onboarding, also after a reload.
    await openSettings(page);
    await page.getByRole('button', { name: 'Sign out and wipe this device…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Wipe this device?' });
    await expect(dialog).toContainText('Every message on this device is gone for good');
    await expect(dialog).toContainText('Your key is deleted too');
    const confirm = dialog.getByRole('button', { name: 'Wipe this device' });
    await expect(confirm).toBeDisabled();
    expect(await seriousAxe(page, 'dialog[open]')).toEqual([]);
    await dialog.getByLabel('Type WIPE to confirm').fill('WIPE');
    await confirm.click();
    await expect(page.getByRole('button', { name: 'Create a new identity' })).toBeVisible({ timeout: 20_000 });
    await page.reload();
    await expect(page.getByRole('button', { name: 'Create a new identity' })).toBeVisible();
    expect(await page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name))).toEqual(['veil']);
  });

  test('block → unblock in Settings → their messages flow again', async ({ browser, web }) => {
    test.setTimeout(120_000);
    const aliceCtx = await browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true });
    const bobCtx = await browser.newContext();
    const alice = await aliceCtx.newPage();
    const bob = await bobCtx.newPage();
    const { npub: aliceNpub } = await createIdentity(alice, web.url);
    const { npub: bobNpub } = await createIdentity(bob, web.url);

    await startChat(bob, aliceNpub);
    await send(bob, 'hello from bob');
    const requests = alice.getByRole('region', { name: 'Requests' });
    await expect(requests.getByText('hello from bob')).toBeVisible({ timeout: 20_000 });
    await requests.getByRole('button', { name: 'Block' }).click();
    await expect(requests.getByText('hello from bob')).toHaveCount(0);

    await openSettings(alice);
    const blocked = alice.getByRole('region', { name: 'Blocked' });
    const name = `${bobNpub.slice(0, 12)}…${bobNpub.slice(-6)}`;
    await expect(blocked.getByText(name)).toBeVisible();
    expect(await sideways(alice)).toBe(0);
    expect(await seriousAxe(alice, '.settings')).toEqual([]);
    await blocked.getByRole('button', { name: `Unblock ${name}` }).click();
    await expect(blocked.getByText('Nobody is blocked.')).toBeVisible();

    await alice.getByRole('link', { name: 'Back to chats' }).click();
    await send(bob, 'after the unblock');
    await openChat(alice, bobNpub);
    await expect(messages(alice).getByText('after the unblock')).toBeVisible({ timeout: 20_000 });

    await aliceCtx.close();
    await bobCtx.close();
  });

  test('remove another device: confirmed, and my inbox record is republished without it', async ({ browser, relay, web }) => {
    test.setTimeout(120_000);
    const phoneCtx = await browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true });
    const laptopCtx = await browser.newContext();
    const phone = await phoneCtx.newPage();
    const laptop = await laptopCtx.newPage();
    const { npub, nsec } = await createIdentity(phone, web.url);
    await laptop.goto(web.url);
    await laptop.getByRole('button', { name: 'Import a key' }).click();
    await laptop.getByLabel('Private key').fill(nsec);
    await laptop.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
    await laptop.getByRole('button', { name: 'Import', exact: true }).click();
    await expect(laptop.getByRole('textbox', { name: 'Your npub' })).toHaveValue(npub, { timeout: 20_000 });

    await openSettings(phone);
    const devices = phone.getByRole('region', { name: 'Your devices' });
    const remove = devices.getByRole('button', { name: /^Remove device added/ });
    await expect(remove).toHaveCount(1, { timeout: 30_000 }); // the laptop, once its record entry arrived; never this device
    expect(await sideways(phone)).toBe(0);
    await remove.click();
    const dialog = phone.getByRole('dialog', { name: 'Remove this device?' });
    await expect(dialog).toContainText('your contacts stop sealing new messages to it');
    await dialog.getByRole('button', { name: 'Remove device' }).click();
    await expect(dialog).toBeHidden();
    await expect(remove).toHaveCount(0);
    await expect(devices.getByText('(this device)')).toBeVisible();

    // The relay's newest record of mine certifies one device and marks the other removed.
    const pubkey = nip19.decode(npub).data as string;
    const raw = await RawClient.open(relay.url);
    try {
      await expect
        .poll(async () => {
          const [rec] = await raw.query('record', { kinds: [11067], authors: [pubkey], limit: 1 });
          const tags = (rec?.tags ?? []) as string[][];
          return [tags.filter((t) => t[0] === 'device').length, tags.filter((t) => t[0] === 'removed').length];
        }, { timeout: 20_000 })
        .toEqual([1, 1]);
    } finally {
      await raw.close();
    }
    // The laptop learns it was removed, says so, and offers no Remove of its own.
    await openSettings(laptop);
    const laptopDevices = laptop.getByRole('region', { name: 'Your devices' });
    await expect(laptopDevices.getByRole('status')).toContainText('This device was removed from your account', { timeout: 30_000 });
    await expect(laptopDevices.getByRole('button', { name: /^Remove device/ })).toHaveCount(0);
    await phoneCtx.close();
    await laptopCtx.close();
  });
});
