/**
 * Scanning a contact's QR code in New chat (issue 14 §5): from a picture of Bob's contact card, and
 * with Chromium's fake camera showing it. The box holds his link and shows his fingerprint before
 * the chat starts; a code that is no contact, a secret key and a picture without a code are said so.
 */
import { chromium, type Browser, type Page, type Response } from '@playwright/test';
import { writeFile } from 'node:fs/promises';
import { nip19, generateSecretKey } from 'nostr-tools';
import { CHROMIUM_ARGS } from '../../playwright.config';
import { npubFingerprint } from '../../src/lib/sync/profile';
import { png, qrPixels, y4m } from '../helpers/qr-image';
import { createIdentity, expect, messages, seriousAxe, test } from './fixtures';

/** Bob makes an identity and copies his contact card link, as he would to share it. */
async function bobsCard(browser: Browser, url: string): Promise<{ npub: string; link: string }> {
  const bob = await (await browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'] })).newPage();
  const { npub } = await createIdentity(bob, url);
  await bob.getByRole('button', { name: 'Copy contact card' }).click();
  await expect(bob.getByText('Contact card copied')).toBeVisible();
  const link = await bob.evaluate(() => navigator.clipboard.readText());
  expect(link).toMatch(/#c=[A-Za-z0-9_-]+$/);
  return { npub, link };
}

function picture(name: string, text: string) {
  return { name, mimeType: 'image/png', buffer: png(qrPixels(text, { scale: 5, width: 640, height: 480 })) };
}

/** Records the camera streams the page opens, so a test can see they were stopped. */
async function watchCamera(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as { __streams: MediaStream[] };
    w.__streams = [];
    const md = navigator.mediaDevices;
    const original = md.getUserMedia.bind(md);
    md.getUserMedia = async (c) => {
      const s = await original(c);
      w.__streams.push(s);
      return s;
    };
  });
}

function cameraTracks(page: Page) {
  return page.evaluate(() => (window as unknown as { __streams: MediaStream[] }).__streams.flatMap((s) => s.getTracks().map((t) => t.readyState)));
}

/** No sideways scrolling at this size. */
async function noSideways(page: Page) {
  const w = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
  expect(w.scroll).toBeLessThanOrEqual(w.client);
}

/** Chromium whose camera shows `text` as a QR code on white (a Y4M video file), the camera allowed. */
async function cameraBrowser(file: string, text: string): Promise<Browser> {
  await writeFile(file, y4m(qrPixels(text, { scale: 6, width: 480, height: 480 })));
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [...CHROMIUM_ARGS, '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${file}`]
  });
}

test('scan from an image: Bob’s card fills the box, his fingerprint shows, Start chat opens the chat', async ({ browser, web }) => {
  const bob = await bobsCard(browser, web.url);
  const alice = await (await browser.newContext()).newPage();
  // The page's scripts, to see that the QR decoder is not loaded before the first scan.
  const scripts: Response[] = [];
  alice.on('response', (r) => void (r.url().endsWith('.js') && scripts.push(r)));
  const decoderLoaded = async () => (await Promise.all(scripts.map((r) => r.text()))).some((t) => t.includes('jsQR'));
  await createIdentity(alice, web.url);
  await alice.getByRole('button', { name: 'New chat' }).click();
  expect(await decoderLoaded()).toBe(false);
  const form = alice.getByRole('form', { name: 'New chat' });
  const box = form.getByRole('textbox', { name: 'Contact' });
  const image = form.getByLabel('Scan from an image');

  // Not contacts: a web address, a secret key, a picture with no code at all.
  await image.setInputFiles(picture('menu.png', 'https://example.com/menu'));
  await expect(form.getByRole('alert')).toHaveText(/^That QR code is not a Nostr contact\./);
  expect(await decoderLoaded()).toBe(true);
  const nsec = nip19.nsecEncode(generateSecretKey());
  await image.setInputFiles(picture('key.png', nsec));
  await expect(form.getByRole('alert')).toContainText('Never share it');
  await expect(box).toHaveValue('');
  await image.setInputFiles({ name: 'blank.png', mimeType: 'image/png', buffer: png({ data: new Uint8ClampedArray(64 * 64 * 4).fill(255), width: 64, height: 64 }) });
  await expect(form.getByRole('alert')).toContainText('No QR code was found');

  // No camera in this browser: said so, and the picture still works.
  await form.getByRole('button', { name: 'Scan QR code' }).click();
  const scanner = form.getByRole('region', { name: 'Scan a QR code' });
  await expect(scanner.getByRole('alert')).toContainText(/camera/i);
  await image.setInputFiles(picture('bob.png', bob.link));
  await expect(scanner).toHaveCount(0);
  await expect(box).toHaveValue(bob.link);
  const who = form.getByRole('group', { name: 'Who this is' });
  await expect(who).toContainText(`Fingerprint: ${npubFingerprint(bob.npub)}`);
  await expect(form.getByRole('alert')).toHaveCount(0);

  await form.getByRole('button', { name: 'Start chat' }).click();
  await expect(messages(alice)).toBeVisible();
  await expect(alice.getByText(npubFingerprint(bob.npub)).first()).toBeVisible();
});

test('a pasted nsec does not stay in the Contact box', async ({ page, web }) => {
  await createIdentity(page, web.url);
  await page.getByRole('button', { name: 'New chat' }).click();
  const box = page.getByRole('textbox', { name: 'Contact' });
  await box.fill(`my key: ${nip19.nsecEncode(generateSecretKey())}`);
  await expect(box).toHaveValue('');
  await expect(page.getByRole('alert')).toContainText('It was removed from the box.');
  await expect(page.getByRole('button', { name: 'Start chat' })).toBeDisabled();
});

/** A phone in a browser whose camera shows `text`: Alice made an identity and opened the scanner. */
async function scanning(file: string, text: string, url: string): Promise<{ cam: Browser; page: Page }> {
  const cam = await cameraBrowser(file, text);
  const page = await (await cam.newContext({ viewport: { width: 390, height: 844 }, permissions: ['camera'], hasTouch: true, isMobile: true })).newPage();
  await watchCamera(page);
  await createIdentity(page, url);
  await page.getByRole('button', { name: 'New chat' }).click();
  await page.getByRole('button', { name: 'Scan QR code' }).click();
  return { cam, page };
}

test('camera: a code that is no contact is said; Cancel, Escape and leaving stop the camera; Bob’s card fills the box', async ({ browser, web }, info) => {
  const bob = await bobsCard(browser, web.url);

  // 1. A code that is no contact: the scanner stays open, says so, and is checked at 390 px.
  const menu = await scanning(info.outputPath('menu.y4m'), 'https://example.com/menu', web.url);
  try {
    const { page } = menu;
    const scanner = page.getByRole('region', { name: 'Scan a QR code' });
    await expect(scanner.getByRole('alert')).toHaveText(/^That QR code is not a Nostr contact\./, { timeout: 20_000 });
    await expect(scanner.getByLabel('Camera view')).toBeVisible();
    expect(await cameraTracks(page)).toEqual(['live']);
    await noSideways(page);
    expect(await seriousAxe(page)).toEqual([]);
    await scanner.getByRole('button', { name: 'Cancel scanning' }).click();
    await expect(scanner).toHaveCount(0);
    expect(await cameraTracks(page)).toEqual(['ended']);
    await expect(page.getByRole('textbox', { name: 'Contact' })).toHaveValue('');

    // Escape closes it; going to Settings with it open turns the camera off too.
    await page.getByRole('button', { name: 'Scan QR code' }).click();
    await expect(scanner.getByLabel('Camera view')).toBeVisible();
    await page.keyboard.press('Escape');
    await expect(scanner).toHaveCount(0);
    await page.getByRole('button', { name: 'Scan QR code' }).click();
    await expect(scanner.getByLabel('Camera view')).toBeVisible();
    expect(await cameraTracks(page)).toEqual(['ended', 'ended', 'live']);
    await page.getByRole('link', { name: 'Settings' }).click();
    await expect(page.getByRole('region', { name: 'Your profile' })).toBeVisible();
    expect(await cameraTracks(page)).toEqual(['ended', 'ended', 'ended']);
  } finally {
    await menu.cam.close();
  }

  // 2. Bob's card in front of the camera: read, the camera off, his link and fingerprint shown.
  const card = await scanning(info.outputPath('bob.y4m'), bob.link, web.url);
  try {
    const { page } = card;
    const box = page.getByRole('textbox', { name: 'Contact' });
    await expect(box).toHaveValue(bob.link, { timeout: 20_000 });
    await expect(page.getByRole('region', { name: 'Scan a QR code' })).toHaveCount(0);
    expect(await cameraTracks(page)).toEqual(['ended']);
    await expect(page.getByRole('group', { name: 'Who this is' })).toContainText(npubFingerprint(bob.npub));
    await noSideways(page);
    expect(await seriousAxe(page)).toEqual([]);
    await page.getByRole('button', { name: 'Start chat' }).click();
    await expect(messages(page)).toBeVisible();
  } finally {
    await card.cam.close();
  }
});
