/**
 * Settings → File server (issue 15 §1), in real Chromium with a real relay and a real Blossom server
 * (scripts/blossom.mjs). The site sets no file server, so there is no attach button; Alice, on a
 * 390×844 phone, names her own server in Settings (a wrong address and one where nothing answers are
 * refused in words, nothing saved); from then on her files go there, and Bob downloads from it. The
 * choice survives a reload; "Stop using my server" takes the attach button away again.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { startBlossom, type TestBlossom } from '../helpers/blossom';
import { startWeb, type WebServer } from '../helpers/web';
import { acceptFirstContact, createIdentity, expect, messages, openChat, seriousAxe, test, unlock } from './fixtures';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

let blossom: TestBlossom;
let site: WebServer;

test.beforeEach(async ({ relay }) => {
  blossom = await startBlossom();
  site = await startWeb({ relays: [relay.url] }); // no fileServer in /veil-config.json
});

test.afterEach(async () => {
  await site.stop();
  await blossom.stop();
});

/** A loopback port with nothing listening on it (bound, then closed). */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

test('her own file server, chosen in Settings: checked before it is saved, used for her files, kept after a reload', async ({ browser }) => {
  test.setTimeout(180_000);
  const aliceCtx = await browser.newContext();
  const bobCtx = await browser.newContext({ acceptDownloads: true });
  const alice = await aliceCtx.newPage();
  const bob = await bobCtx.newPage();
  const { npub: aliceNpub } = await createIdentity(alice, site.url);
  const { npub: bobNpub } = await createIdentity(bob, site.url);
  await acceptFirstContact(alice, bob, aliceNpub, 'send me the file');
  await openChat(alice, bobNpub);
  await expect(alice.getByRole('button', { name: 'Send', exact: true })).toBeVisible();
  await expect(alice.getByRole('button', { name: 'Attach a file' })).toHaveCount(0);

  await alice.getByRole('link', { name: 'Settings' }).click();
  await alice.setViewportSize({ width: 390, height: 844 }); // Settings on her phone
  const section = alice.getByRole('region', { name: 'File server' });
  await expect(section.getByText('No file server is set, so attaching files is off.')).toBeVisible();
  const address = section.getByRole('textbox', { name: 'Your Blossom server' });
  const use = section.getByRole('button', { name: 'Use this server' });

  // Not an address, then an address where nothing answers: said in words, nothing saved.
  await address.fill('http://files.example.com');
  await use.click();
  await expect(section.getByRole('alert')).toHaveText(/That is not a file server address\. It starts with https:\/\//);
  const dead = `http://127.0.0.1:${await deadPort()}`;
  await address.fill(dead);
  await use.click();
  await expect(section.getByRole('alert')).toHaveText(`No file server answered at ${dead}, or it does not accept uploads from this site. Check the address; nothing was changed.`);
  await expect(section.getByText('No file server is set, so attaching files is off.')).toBeVisible();

  // Her server: saved once it answers.
  await address.fill(`${blossom.url}/`);
  await use.click();
  await expect(section.getByRole('status')).toHaveText(`From now on your files go to ${blossom.url}.`);
  await expect(section.getByText('Your files go to your server:')).toBeVisible();
  await expect(section.getByRole('alert')).toHaveCount(0);
  expect(await alice.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth)).toBe(true);
  expect(await seriousAxe(alice)).toEqual([]);

  // It is kept: after a reload (and unlock) the chat has the attach button, and the file goes there.
  await alice.reload();
  await unlock(alice);
  await alice.getByRole('link', { name: 'Back to chats' }).click();
  await openChat(alice, bobNpub);
  const attach = alice.getByRole('button', { name: 'Attach a file' });
  await expect(attach).toBeInViewport();
  const plain = randomBytes(300_000);
  const chooser = alice.waitForEvent('filechooser');
  await attach.click();
  await (await chooser).setFiles({ name: 'notes.bin', mimeType: 'application/octet-stream', buffer: plain });
  await expect(messages(alice).getByText('File (application/octet-stream)')).toBeVisible({ timeout: 60_000 });
  const blobs = readdirSync(join(blossom.dir, 'blobs')).map((n) => readFileSync(join(blossom.dir, 'blobs', n)));
  expect(blobs).toHaveLength(1);
  expect(blobs[0]!.includes(plain.subarray(0, 64))).toBe(false);

  // Bob downloads it from her server: the same bytes.
  await openChat(bob, aliceNpub);
  await expect(messages(bob).getByText('File (application/octet-stream)')).toBeVisible({ timeout: 30_000 });
  const download = bob.waitForEvent('download');
  await messages(bob).getByRole('button', { name: 'Download' }).click();
  expect(sha(readFileSync(await (await download).path()))).toBe(sha(plain));

  // She stops using it (at her desk): the site has none, so attaching is off again.
  await alice.setViewportSize({ width: 1280, height: 800 });
  await alice.getByRole('link', { name: 'Settings' }).click();
  await section.getByRole('button', { name: 'Stop using my server' }).click();
  await expect(section.getByRole('status')).toHaveText('Your server is no longer used; attaching files is off.');
  await expect(section.getByText('No file server is set, so attaching files is off.')).toBeVisible();
  await alice.getByRole('link', { name: 'Back to chats' }).click();
  await openChat(alice, bobNpub);
  await expect(alice.getByRole('button', { name: 'Send', exact: true })).toBeVisible();
  await expect(alice.getByRole('button', { name: 'Attach a file' })).toHaveCount(0);

  await aliceCtx.close();
  await bobCtx.close();
});
