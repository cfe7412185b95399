/**
 * Issue 16 §3, encrypted backup, as a person uses it in Chromium with a real relay: Alice has a contact with a
 * nickname, messages both ways and a changed setting; she exports a backup from Settings → Backup (the download
 * captured), signs out and wipes, restores the file from the first screen (a wrong passphrase first: a clear
 * sentence), and finds the same chat, messages, contact name and setting; Bob's next message reaches her. At
 * 390×844, with no serious or critical axe finding on the Backup section and the Restore form.
 */
import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { PASSPHRASE, acceptFirstContact, createIdentity, expect, messages, openChat, seriousAxe, send, test } from './fixtures';

const BACKUP_PASSPHRASE = 'four random words here';

async function openSettings(page: Page): Promise<void> {
  await page.getByRole('link', { name: 'Settings' }).click();
  await expect(page.getByRole('heading', { name: 'Settings', level: 1 })).toBeVisible();
}

const coverLow = (page: Page) => page.getByRole('region', { name: 'Traffic privacy' }).getByRole('group', { name: 'Cover traffic' }).getByRole('radio', { name: 'Low', exact: true });

test('backup exported, profile wiped, backup restored: the same chats, messages, contact name and setting', async ({ browser, web }) => {
  test.setTimeout(180_000);
  const aliceCtx = await browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true, acceptDownloads: true });
  const bobCtx = await browser.newContext();
  const alice = await aliceCtx.newPage();
  const bob = await bobCtx.newPage();
  const { npub: aliceNpub } = await createIdentity(alice, web.url);
  const { npub: bobNpub } = await createIdentity(bob, web.url);

  // A contact, messages both ways, a nickname.
  await acceptFirstContact(alice, bob, aliceNpub, 'hello Alice');
  await openChat(alice, bobNpub);
  await expect(messages(alice).getByText('hello Alice')).toBeVisible({ timeout: 20_000 });
  await send(alice, 'hi Bob, from Alice');
  await expect(messages(bob).getByText('hi Bob, from Alice')).toBeVisible({ timeout: 20_000 });
  await send(bob, 'how are you?');
  await expect(messages(alice).getByText('how are you?')).toBeVisible({ timeout: 20_000 });
  const header = alice.getByRole('region', { name: /Conversation with/ }).locator('header');
  await header.getByRole('button', { name: 'Nickname' }).click();
  const nick = alice.getByRole('dialog', { name: 'Nickname' });
  await nick.getByRole('textbox', { name: 'Nickname' }).fill('Bobby');
  await nick.getByRole('button', { name: 'Save nickname' }).click();
  await expect(alice.getByRole('region', { name: 'Conversation with Bobby' })).toBeVisible();
  await alice.getByRole('button', { name: 'Back to chats' }).click();

  // A changed setting.
  await openSettings(alice);
  await coverLow(alice).check();
  await expect(alice.getByRole('region', { name: 'Traffic privacy' }).getByRole('status')).toHaveText('Cover traffic: low.');

  // Settings → Backup: the strength hint, the two passphrases, the download.
  const section = alice.getByRole('region', { name: 'Backup' });
  await section.getByLabel('Your Veil passphrase').fill(PASSPHRASE);
  await section.getByLabel('Backup passphrase', { exact: true }).fill('password');
  await expect(section.getByText(/^Weak\./)).toBeVisible();
  await section.getByLabel('Backup passphrase', { exact: true }).fill(BACKUP_PASSPHRASE);
  await expect(section.getByLabel('Backup passphrase', { exact: true })).toHaveAccessibleDescription(/^Strong\./);
  await section.getByLabel('Type the backup passphrase again').fill(`${BACKUP_PASSPHRASE}!`);
  await expect(section.getByText('The two backup passphrases differ.')).toBeVisible();
  await expect(section.getByRole('button', { name: 'Export backup' })).toBeDisabled();
  await section.getByLabel('Type the backup passphrase again').fill(BACKUP_PASSPHRASE);
  expect(await seriousAxe(alice, '.settings')).toEqual([]);
  const downloading = alice.waitForEvent('download', { timeout: 60_000 });
  await section.getByRole('button', { name: 'Export backup' }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toMatch(/^veil-backup-\d{4}-\d{2}-\d{2}\.veilbackup$/);
  const file = (await download.path())!;
  const bytes = readFileSync(file);
  expect(bytes.subarray(0, 8).toString('latin1')).toBe('VEILBKUP');
  for (const plain of ['hello Alice', 'how are you?', 'Bobby']) expect(bytes.includes(Buffer.from(plain))).toBe(false);
  await expect(section.getByRole('status')).toContainText(/Saved veil-backup-.*\.veilbackup \(\d+ KB, 3 messages\)/, { timeout: 60_000 });

  // Sign out and wipe.
  await alice.getByRole('button', { name: 'Sign out and wipe this device…' }).click();
  const wipe = alice.getByRole('dialog', { name: 'Wipe this device?' });
  await wipe.getByLabel('Type WIPE to confirm').fill('WIPE');
  await wipe.getByRole('button', { name: 'Wipe this device' }).click();
  await expect(alice.getByRole('button', { name: 'Create a new identity' })).toBeVisible({ timeout: 20_000 });

  // Restore: a wrong passphrase is a sentence and changes nothing; the right one signs in.
  await alice.getByRole('button', { name: 'Restore from a backup' }).click();
  const restore = alice.getByRole('form', { name: 'Restore from a backup' });
  await restore.getByLabel('Backup file').setInputFiles(file);
  await restore.getByLabel('Backup passphrase', { exact: true }).fill('not the backup passphrase');
  expect(await seriousAxe(alice, 'form')).toEqual([]);
  await restore.getByRole('button', { name: 'Restore' }).click();
  await expect(restore.getByRole('alert')).toHaveText('That is not the passphrase of this backup. Nothing was changed: try again.', { timeout: 30_000 });
  await restore.getByLabel('Backup passphrase', { exact: true }).fill(BACKUP_PASSPHRASE);
  await restore.getByRole('button', { name: 'Restore' }).click();

  // The same chat under the same name, the same messages both ways, the same setting.
  const list = alice.getByRole('navigation', { name: 'Chats' });
  await expect(list.getByRole('button', { name: /Bobby/ })).toBeVisible({ timeout: 60_000 });
  await list.getByRole('button', { name: /Bobby/ }).click();
  await expect(alice.getByRole('region', { name: 'Conversation with Bobby' })).toBeVisible();
  for (const text of ['hello Alice', 'hi Bob, from Alice', 'how are you?']) await expect(messages(alice).getByText(text, { exact: true })).toHaveCount(1);
  await alice.getByRole('button', { name: 'Back to chats' }).click();
  await openSettings(alice);
  await expect(coverLow(alice)).toBeChecked();
  await alice.getByRole('link', { name: 'Back to chats' }).click();

  // The restored device key still reads: Bob's next message arrives.
  await send(bob, 'welcome back');
  await list.getByRole('button', { name: /Bobby/ }).click();
  await expect(messages(alice).getByText('welcome back')).toBeVisible({ timeout: 30_000 });
  await aliceCtx.close();
  await bobCtx.close();
});
