/**
 * Shared steps of the chat end-to-end tests: what a person does, found by role and accessible name.
 */
import AxeBuilder from '@axe-core/playwright';
import { test as base, expect, type Page } from '@playwright/test';
import { finalizeEvent, getPublicKey, type EventTemplate } from 'nostr-tools';
import { v2 } from 'nostr-tools/nip44';
import { startRelay, type TestRelay } from '../helpers/relay';
import { startWeb, type WebServer } from '../helpers/web';

/**
 * `relay`: a real local relay on a free port; `web`: the built app served with that relay as its
 * default. Both start for each test that asks for them and stop after it.
 */
export const test = base.extend<{ strictRelay: boolean; relay: TestRelay; web: WebServer }>({
  /** `test.use({ strictRelay: true })`: the relay behaves like strfry's defaults (docs/relay.md). */
  strictRelay: [false, { option: true }],
  relay: async ({ strictRelay }, use) => {
    const relay = await startRelay({ strict: strictRelay });
    await use(relay);
    await relay.stop();
  },
  web: async ({ relay }, use) => {
    const web = await startWeb({ relays: [relay.url] });
    await use(web);
    await web.stop();
  }
});
export { expect };

/**
 * Installs a NIP-07 `window.nostr` backed by `sk`, which stays in the test process: only
 * getPublicKey, signEvent and nip44. `used` records which calls the page made.
 */
export async function installExtension(page: Page, sk: Uint8Array): Promise<{ used: string[] }> {
  const used: string[] = [];
  await page.exposeFunction('__extGetPublicKey', () => getPublicKey(sk));
  await page.exposeFunction('__extSignEvent', (t: EventTemplate) => {
    used.push(`sign:${t.kind}`);
    return finalizeEvent(t, sk);
  });
  await page.exposeFunction('__extNip44', (op: 'encrypt' | 'decrypt', peer: string, text: string) => {
    used.push(`nip44.${op}`);
    const ck = v2.utils.getConversationKey(sk, peer);
    return op === 'encrypt' ? v2.encrypt(text, ck) : v2.decrypt(text, ck);
  });
  await page.addInitScript(() => {
    const w = window as unknown as Record<string, (...a: unknown[]) => Promise<unknown>> & { nostr?: unknown };
    w.nostr = {
      getPublicKey: () => w.__extGetPublicKey!(),
      signEvent: (t: unknown) => w.__extSignEvent!(t),
      nip44: {
        encrypt: (peer: string, text: string) => w.__extNip44!('encrypt', peer, text),
        decrypt: (peer: string, text: string) => w.__extNip44!('decrypt', peer, text)
      }
    };
  });
  return { used };
}

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

/** Bob writes first to Alice (knowing only her npub) and Alice accepts his request. */
export async function acceptFirstContact(alice: Page, bob: Page, aliceNpub: string, text = 'first contact'): Promise<void> {
  await startChat(bob, aliceNpub);
  await send(bob, text);
  const requests = alice.getByRole('region', { name: 'Requests' });
  await expect(requests.getByText(text)).toBeVisible({ timeout: 20_000 });
  await requests.getByRole('button', { name: 'Accept' }).click();
}

export function messages(page: Page) {
  return page.getByRole('log', { name: 'Messages' });
}

/** Opens the chat whose list entry mentions `npub` (by its first characters, as shown). */
export async function openChat(page: Page, npub: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Chats' }).getByRole('button', { name: new RegExp(npub.slice(0, 16)) }).click();
  await expect(messages(page)).toBeVisible();
}

/** axe's serious and critical violations on `page` (within `include` when given), one readable line each. */
export async function seriousAxe(page: Page, include?: string): Promise<string[]> {
  const builder = new AxeBuilder({ page });
  const result = await (include ? builder.include(include) : builder).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`);
}
