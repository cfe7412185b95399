/**
 * Identities beyond "create": importing an ncryptsec (and being told when its passphrase is wrong),
 * downloading the backup, and "remember on this device".
 */
import { readFile } from 'node:fs/promises';
import { generateSecretKey, getPublicKey, nip19 } from 'nostr-tools';
import * as nip49 from 'nostr-tools/nip49';
import { expect, PASSPHRASE, test } from './fixtures';

test('imports an ncryptsec made elsewhere; a wrong passphrase is explained and nothing is set up', async ({ page, web }) => {
  const sk = generateSecretKey();
  const ncryptsec = nip49.encrypt(sk, 'passphrase from another app', 16);
  await page.goto(web.url);
  await page.getByRole('button', { name: 'Import a key' }).click();
  await page.getByLabel('Private key').fill(ncryptsec);
  await page.getByLabel('Passphrase', { exact: true }).fill('not the right one');
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await expect(page.getByRole('alert')).toContainText('That passphrase is not right');
  await page.getByLabel('Passphrase', { exact: true }).fill('passphrase from another app');
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await expect(page.getByRole('textbox', { name: 'Your npub' })).toHaveValue(nip19.npubEncode(getPublicKey(sk)), { timeout: 20_000 });
});

test('the backup download is the ncryptsec of the shown key; "remember" opens without the passphrase', async ({ page, web }) => {
  await page.goto(web.url);
  await page.getByRole('button', { name: 'Create a new identity' }).click();
  await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await page.getByLabel('Type it again').fill(PASSPHRASE);
  await page.getByRole('checkbox', { name: /Remember on this device/ }).check();
  await page.getByRole('button', { name: 'Create', exact: true }).click();
  const nsec = await page.getByLabel('Your private key (nsec)').inputValue();

  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download encrypted backup' }).click();
  const file = await (await download).path();
  const ncryptsec = (await readFile(file, 'utf8')).trim();
  expect(ncryptsec).toMatch(/^ncryptsec1/);
  expect(nip19.nsecEncode(nip49.decrypt(ncryptsec, PASSPHRASE))).toBe(nsec);

  // Continue stays disabled until the person confirms the backup.
  await expect(page.getByRole('button', { name: 'Continue' })).toBeDisabled();
  await page.getByLabel('I have saved my key somewhere safe').check();
  await page.getByRole('button', { name: 'Continue' }).click();
  const npub = await page.getByRole('textbox', { name: 'Your npub' }).inputValue();

  await page.reload();
  await expect(page.getByRole('textbox', { name: 'Your npub' })).toHaveValue(npub);
  await expect(page.getByRole('heading', { name: 'Veil is locked' })).toHaveCount(0);
});
