/**
 * Shared steps of the chat end-to-end tests: what a person does, found by role and accessible name.
 */
import { expect, type Page } from '@playwright/test';

export const PASSPHRASE = 'correct horse battery staple';

/** Creates a new identity through the onboarding; returns its npub and the nsec shown as backup. */
export async function createIdentity(page: Page, url: string, passphrase = PASSPHRASE): Promise<{ npub: string; nsec: string }> {
  await page.goto(url);
  await page.getByRole('button', { name: 'Create a new identity' }).click();
  await page.getByLabel('Passphrase', { exact: true }).fill(passphrase);
  await page.getByLabel('Type it again').fill(passphrase);
  await page.getByRole('button', { name: 'Create', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Save your key' })).toBeVisible();
  const nsec = await page.getByLabel('Your private key (nsec)').inputValue();
  expect(nsec).toMatch(/^nsec1/);
  await page.getByLabel('I have saved my key somewhere safe').check();
  await page.getByRole('button', { name: 'Continue' }).click();
  const npub = await page.getByRole('textbox', { name: 'Your npub' }).inputValue();
  expect(npub).toMatch(/^npub1[02-9ac-hj-np-z]{58}$/);
  return { npub, nsec };
}

export async function unlock(page: Page, passphrase = PASSPHRASE): Promise<void> {
  await expect(page.getByRole('heading', { name: 'Veil is locked' })).toBeVisible();
  await page.getByLabel('Passphrase', { exact: true }).fill(passphrase);
  await page.getByRole('button', { name: 'Unlock' }).click();
  await expect(page.getByRole('heading', { name: 'Veil is locked' })).toBeHidden({ timeout: 20_000 });
}

export async function startChat(page: Page, contact: string): Promise<void> {
  await page.getByRole('button', { name: 'New chat' }).click();
  await page.getByRole('textbox', { name: 'Contact' }).fill(contact);
  await page.getByRole('button', { name: 'Start chat' }).click();
  await expect(page.getByRole('log', { name: 'Messages' })).toBeVisible();
}

export async function send(page: Page, text: string): Promise<void> {
  await page.getByRole('textbox', { name: 'Message' }).fill(text);
  await page.getByRole('button', { name: 'Send' }).click();
  await expect(messages(page).getByText(text, { exact: true })).toBeVisible();
}

export function messages(page: Page) {
  return page.getByRole('log', { name: 'Messages' });
}

/** Opens the chat whose list entry mentions `npub` (by its first characters, as shown). */
export async function openChat(page: Page, npub: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Chats' }).getByRole('button', { name: new RegExp(npub.slice(0, 16)) }).click();
  await expect(messages(page)).toBeVisible();
}
