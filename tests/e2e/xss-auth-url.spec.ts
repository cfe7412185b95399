/**
 * A NIP-46 bunker's auth_url (issue 11 §6 and §9), with a real test bunker on the local relay
 * (tests/helpers/bunker.ts). While connecting, the bunker first asks Veil to open a plain-http
 * page: Veil says it refused and opens nothing. Then an https page: Veil shows its host in a prompt
 * and opens nothing until the person clicks "Open"; the tab then has no opener and no referrer.
 * Afterwards every request is answered first with all XSS payloads as auth_urls: nothing opens, no
 * payload runs, and none becomes an element of the page.
 */
import type { Page } from '@playwright/test';
import { nip19 } from 'nostr-tools';
import { startBunker, type TestBunker } from '../helpers/bunker';
import { expect, PASSPHRASE, test } from './fixtures';
import { domFindings, guardPage } from './xss-guard';
import { XSS_PAYLOADS } from './xss-payloads';

let bunker: TestBunker | undefined;

test.afterEach(async () => {
  await bunker?.stop();
  bunker = undefined;
});

/** A promise and the function that settles it (the "user" approving on the signer's page). */
function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

const APPROVE_PAGE = 'https://signer.example.invalid/approve?req=2';

test("a bunker's auth_url: refused unless https, shown by host, opened only on the person's click", async ({ page, relay, web }) => {
  const guard = await guardPage(page, [relay.url]);
  const opened: Page[] = [];
  page.context().on('page', (p) => opened.push(p));
  await page.context().route('https://signer.example.invalid/**', (r) => r.fulfill({ contentType: 'text/html', body: '<title>Approve</title><p>Approve the request</p>' }));

  const connectSeen = gate();
  const keySeen = gate();
  let payloadRequests = 0;
  bunker = await startBunker(relay.url, 'e2e-secret', {
    authUrl: (method) => {
      if (method === 'connect') return { urls: ['javascript:window.__xss=1', 'http://signer.example.invalid/approve?req=1'], approved: connectSeen.promise };
      if (method === 'get_public_key') return { urls: [APPROVE_PAGE], approved: keySeen.promise };
      payloadRequests++;
      return { urls: XSS_PAYLOADS, approved: Promise.resolve() };
    }
  });

  await page.goto(web.url);
  await page.getByRole('button', { name: 'Connect a bunker' }).click();
  await page.getByLabel('Bunker address').fill(bunker.url());
  await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Connect', exact: true }).click();

  // Plain http (and the javascript: before it) is refused in words; nothing opens.
  const prompt = page.getByRole('region', { name: 'Signer approval' });
  await expect(prompt.getByRole('alert')).toHaveText(
    'Your signer asked Veil to open an address that is not https (http://signer.example.invalid). Veil did not open it; approve the request in your signer itself.'
  );
  expect(opened).toEqual([]);
  connectSeen.open();

  // https: the host is shown, and the page is not opened until the click.
  await expect(prompt.getByRole('status')).toHaveText('Your signer at signer.example.invalid asks you to approve in a browser.');
  expect(opened).toEqual([]);
  const tab = page.context().waitForEvent('page');
  await prompt.getByRole('button', { name: 'Open signer.example.invalid' }).click();
  const approvePage = await tab;
  await approvePage.waitForURL(APPROVE_PAGE);
  expect(await approvePage.evaluate(() => ({ opener: window.opener === null, referrer: document.referrer }))).toEqual({ opener: true, referrer: '' });
  await expect(prompt).toBeHidden();
  await approvePage.close();
  keySeen.open();

  // Signed in; the later requests each came with every payload as an auth_url first.
  await expect(page.getByRole('textbox', { name: 'Your npub' })).toHaveValue(nip19.npubEncode(bunker.userPubkey), { timeout: 30_000 });
  await expect.poll(() => payloadRequests).toBeGreaterThan(0);
  // Whatever prompt a payload produced names a host only and opened nothing.
  if (await prompt.isVisible()) await expect(prompt).toHaveText(/^(Your signer at \S+ asks you to approve in a browser\.|Your signer asked Veil to open an address that )/);
  expect(opened).toHaveLength(1);
  expect(await domFindings(page)).toEqual([]);
  expect(guard.hits).toEqual([]);
  console.log(`auth_url: ${XSS_PAYLOADS.length} payloads × ${payloadRequests} requests sent as auth_url answers`);
});
