/**
 * Files (issue 15 §1), two people in real Chromium through a real relay and a real Blossom server
 * (scripts/blossom.mjs): Alice, on a 390×844 phone, attaches a 5 MB file from the composer; it is
 * encrypted in her browser and uploaded with progress; Bob sees the file message and downloads it,
 * byte for byte. The server holds only the ciphertext, padded to its Padmé size. A cancelled upload sends nothing. The chat
 * with the attach button has no horizontal scroll and no serious axe finding.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { padmeLength } from '../../src/lib/crypto/file';
import { startBlossom, type TestBlossom } from '../helpers/blossom';
import { startWeb, type WebServer } from '../helpers/web';
import { acceptFirstContact, createIdentity, expect, messages, openChat, seriousAxe, test } from './fixtures';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

let blossom: TestBlossom;
let files: WebServer;

test.beforeEach(async ({ relay }) => {
  blossom = await startBlossom();
  files = await startWeb({ relays: [relay.url], fileServer: blossom.url });
});

test.afterEach(async () => {
  await files.stop();
  await blossom.stop();
});

test('a 5 MB file from a phone: encrypted, uploaded as ciphertext with progress, downloaded by the contact with progress and Cancel, byte for byte', async ({ browser }) => {
  test.setTimeout(180_000);
  const aliceCtx = await browser.newContext();
  const bobCtx = await browser.newContext({ acceptDownloads: true });
  const alice = await aliceCtx.newPage();
  const bob = await bobCtx.newPage();
  const { npub: aliceNpub } = await createIdentity(alice, files.url);
  const { npub: bobNpub } = await createIdentity(bob, files.url);
  await acceptFirstContact(alice, bob, aliceNpub, 'send me the photo');
  await openChat(alice, bobNpub);
  await alice.setViewportSize({ width: 390, height: 844 }); // her phone (the chat is in the URL: it stays open)

  // The attach button sits in the composer, in view, and the screen does not scroll sideways.
  const attach = alice.getByRole('button', { name: 'Attach a file' });
  await expect(attach).toBeInViewport();
  await expect(alice.getByRole('button', { name: 'Send' })).toBeInViewport();
  expect(await alice.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth)).toBe(true);
  expect(await seriousAxe(alice)).toEqual([]);

  // A cancelled upload: nothing is sent, and she is told. (The upload is held at the network until
  // she cancels, so the click cannot lose a race against a fast local server.)
  const upload = `${blossom.url}/upload`;
  const held: { abort(): Promise<void> }[] = [];
  await alice.route(upload, (route) => void held.push(route));
  const plain = randomBytes(5 * 1024 * 1024 + 12_345);
  const chooser = alice.waitForEvent('filechooser');
  await attach.click();
  await (await chooser).setFiles({ name: 'photo.png', mimeType: 'image/png', buffer: plain });
  await expect(alice.getByRole('status').getByText('Encrypting and uploading photo.png')).toBeVisible();
  await alice.getByRole('button', { name: 'Cancel upload' }).click();
  await expect(alice.getByRole('alert').getByText('Upload of photo.png cancelled; nothing was sent.')).toBeVisible();
  await expect(messages(alice).getByText('File (image/png)')).toHaveCount(0);
  expect(held).toHaveLength(1);
  await alice.unroute(upload);
  await held[0]!.abort().catch(() => undefined); // already cancelled by the page
  expect(readdirSync(join(blossom.dir, 'blobs'))).toHaveLength(0);

  // The real upload: progress while it goes, then the file message on both sides.
  const again = alice.waitForEvent('filechooser');
  await attach.click();
  await (await again).setFiles({ name: 'photo.png', mimeType: 'image/png', buffer: plain });
  await expect(messages(alice).getByText('File (image/png)')).toBeVisible({ timeout: 60_000 });
  await expect(alice.getByRole('status').getByText('Encrypting and uploading photo.png')).toHaveCount(0);
  await expect(messages(bob).getByText('File (image/png)')).toBeVisible({ timeout: 30_000 });

  // The server holds one blob: the ciphertext, not the photo.
  const blobs = readdirSync(join(blossom.dir, 'blobs')).map((n) => readFileSync(join(blossom.dir, 'blobs', n)));
  expect(blobs).toHaveLength(1);
  // Padded (a Veil chat): the server sees the Padmé size, not the file's.
  expect(blobs[0]!.length).toBe(padmeLength(plain.length) + 16);
  expect(blobs[0]!.length).toBeGreaterThan(plain.length + 16);
  expect(sha(blobs[0]!)).not.toBe(sha(plain));
  expect(blobs[0]!.includes(plain.subarray(0, 64))).toBe(false);

  // Bob starts a download on a slow line (1 MB/s, set at the network): its progress shows, and his
  // Cancel stops it with nothing saved and no problem shown.
  const cdp = await bobCtx.newCDPSession(bob);
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: 1024 * 1024, uploadThroughput: -1 });
  const saved: string[] = [];
  bob.on('download', (d) => saved.push(d.suggestedFilename()));
  await messages(bob).getByRole('button', { name: 'Download' }).click();
  const bar = messages(bob).getByRole('progressbar', { name: 'Downloading the file…' });
  await expect(bar).toBeVisible();
  await expect.poll(async () => Number(await bar.getAttribute('value')), { message: 'part of the file received' }).toBeGreaterThan(0);
  expect(Number(await bar.getAttribute('value'))).toBeLessThan(100);
  expect(await seriousAxe(bob)).toEqual([]);
  await messages(bob).getByRole('button', { name: 'Cancel download' }).click();
  await expect(bar).toHaveCount(0);
  await expect(messages(bob).getByRole('button', { name: 'Download' })).toBeVisible();
  await expect(bob.getByRole('alert')).toHaveCount(0);
  expect(saved).toEqual([]);
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });

  // Bob downloads it: the same bytes.
  const download = bob.waitForEvent('download');
  await messages(bob).getByRole('button', { name: 'Download' }).click();
  const path = await (await download).path();
  expect(sha(readFileSync(path))).toBe(sha(plain));
  expect(await seriousAxe(bob)).toEqual([]);

  await aliceCtx.close();
  await bobCtx.close();
});

/** A PNG of random pixels made in the page (noise does not compress: 1400×1100 is about 5.3 MB). */
async function noisePng(page: import('@playwright/test').Page, width: number, height: number): Promise<Buffer> {
  const b64 = await page.evaluate(
    async ([w, h]) => {
      const canvas = new OffscreenCanvas(w, h);
      const g = canvas.getContext('2d')!;
      const img = g.createImageData(w, h);
      for (let i = 0; i < img.data.length; i += 65_536) crypto.getRandomValues(img.data.subarray(i, i + 65_536));
      for (let i = 3; i < img.data.length; i += 4) img.data[i] = 255;
      g.putImageData(img, 0, 0);
      const bytes = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer());
      let s = '';
      for (let i = 0; i < bytes.length; i += 32_768) s += String.fromCharCode(...bytes.subarray(i, i + 32_768));
      return btoa(s);
    },
    [width, height] as const
  );
  return Buffer.from(b64, 'base64');
}

test('a 5 MB picture both ways: a preview at once from the envelope, full size on "Show image", nothing fetched before', async ({ browser }) => {
  test.setTimeout(240_000);
  const aliceCtx = await browser.newContext();
  const bobCtx = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const alice = await aliceCtx.newPage();
  const bob = await bobCtx.newPage();
  const { npub: aliceNpub } = await createIdentity(alice, files.url);
  const { npub: bobNpub } = await createIdentity(bob, files.url);
  await acceptFirstContact(alice, bob, aliceNpub, 'show me');
  await openChat(alice, bobNpub);

  const send = async (from: typeof alice, to: typeof alice, png: Buffer, dim: string) => {
    const chooser = from.waitForEvent('filechooser');
    await from.getByRole('button', { name: 'Attach a file' }).click();
    await (await chooser).setFiles({ name: 'noise.png', mimeType: 'image/png', buffer: png });
    // The sender sees the preview in her own bubble; the receiver sees it before fetching anything.
    const preview = `Preview of an image (${dim.replace('x', '×')})`;
    await expect(messages(from).getByRole('img', { name: preview })).toBeVisible({ timeout: 90_000 });
    const fetched: string[] = [];
    to.on('request', (r) => r.url().startsWith(blossom.url) && fetched.push(r.url()));
    await expect(messages(to).getByRole('img', { name: preview }).last()).toBeVisible({ timeout: 30_000 });
    expect(fetched).toEqual([]);
    // Full size on request: the same pixels' size, from the decrypted file.
    await messages(to).getByRole('button', { name: 'Show image' }).last().click();
    const full = messages(to).getByRole('img', { name: 'Image', exact: true }).last();
    await expect(full).toBeVisible({ timeout: 60_000 });
    await expect.poll(() => full.evaluate((i: HTMLImageElement) => `${i.naturalWidth}x${i.naturalHeight}`)).toBe(dim);
    expect(fetched).toHaveLength(1);
    await expect(messages(to).getByRole('link', { name: 'Save' }).last()).toBeVisible();
  };

  const fromAlice = await noisePng(alice, 1400, 1100);
  expect(fromAlice.length).toBeGreaterThan(5_000_000);
  expect(fromAlice.length).toBeLessThan(25 * 1024 * 1024 - 16);
  await send(alice, bob, fromAlice, '1400x1100');
  const fromBob = await noisePng(bob, 1100, 1400);
  await send(bob, alice, fromBob, '1100x1400');

  // The server holds two blobs, neither of them a picture.
  const blobs = readdirSync(join(blossom.dir, 'blobs')).map((n) => readFileSync(join(blossom.dir, 'blobs', n)));
  expect(blobs.map((b) => b.length).sort()).toEqual([padmeLength(fromAlice.length) + 16, padmeLength(fromBob.length) + 16].sort());
  for (const b of blobs) expect(b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(false);
  // The phone's chat with a full-size picture still has no sideways scroll; no serious axe finding.
  expect(await bob.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth)).toBe(true);
  expect(await seriousAxe(bob)).toEqual([]);
  expect(await seriousAxe(alice)).toEqual([]);

  await aliceCtx.close();
  await bobCtx.close();
});
