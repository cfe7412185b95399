/**
 * Files (issue 15 §1), two people in real Chromium through a real relay and a real Blossom server
 * (scripts/blossom.mjs): Alice, on a 390×844 phone, attaches a 5 MB file from the composer; it is
 * encrypted in her browser and uploaded with progress; Bob sees the file message and downloads it,
 * byte for byte. The server holds only the ciphertext. A cancelled upload sends nothing. The chat
 * with the attach button has no horizontal scroll and no serious axe finding.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
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

test('a 5 MB file from a phone: encrypted, uploaded as ciphertext with progress, downloaded by the contact byte for byte', async ({ browser }) => {
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
  const plain = randomBytes(5 * 1024 * 1024);
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
  expect(blobs[0]!.length).toBe(plain.length + 16);
  expect(sha(blobs[0]!)).not.toBe(sha(plain));
  expect(blobs[0]!.includes(plain.subarray(0, 64))).toBe(false);

  // Bob downloads it: the same bytes.
  const download = bob.waitForEvent('download');
  await messages(bob).getByRole('button', { name: 'Download' }).click();
  const path = await (await download).path();
  expect(sha(readFileSync(path))).toBe(sha(plain));
  expect(await seriousAxe(bob)).toEqual([]);

  await aliceCtx.close();
  await bobCtx.close();
});
