/**
 * The page bound, as a person sees it (issue 11 item 1: "a bound on pages with a visible note when it
 * is reached"). A DM relay configured with a small `max_limit` (10) holds 120 junk gift wraps that name
 * the user, more than Veil reads at once (10 pages). After a start, Settings → DM relays says, beside
 * that relay, that older messages there may be missing, at 390×844; the same relay in the envelope
 * relay list does not (its envelope read was complete). Axe finds nothing serious.
 */
import { expect, test } from '@playwright/test';
import { finalizeEvent, generateSecretKey, nip19 } from 'nostr-tools';
import { RawClient } from '../helpers/raw-ws';
import { startRelay, type TestRelay } from '../helpers/relay';
import { startWeb, type WebServer } from '../helpers/web';
import { createIdentity, seriousAxe, unlock } from './fixtures';

let relay: TestRelay;
let web: WebServer;
let raw: RawClient;

test.beforeEach(async () => {
  relay = await startRelay({ maxLimit: 10 });
  web = await startWeb({ relays: [relay.url] });
  raw = await RawClient.open(relay.url);
});

test.afterEach(async () => {
  await raw.close();
  await web.stop();
  await relay.stop();
});

test('a DM relay holding more than Veil reads at once is marked on the settings screen', async ({ browser }) => {
  const page = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
  const { npub } = await createIdentity(page, web.url);
  const me = nip19.decode(npub).data as string;
  const now = Math.floor(Date.now() / 1000);
  for (let i = 0; i < 120; i++) {
    const junk = finalizeEvent({ kind: 1059, created_at: now - 60 - i, tags: [['p', me]], content: `junk ${i}` }, generateSecretKey());
    expect(await raw.publish(junk)).toEqual([true, '']);
  }
  // The next start reads the stored wraps in pages.
  await page.reload();
  await unlock(page);
  await page.getByRole('link', { name: 'Settings' }).click();
  const note = /holds more stored messages than Veil reads at once.*older messages there may be missing/;
  const dm = page.getByRole('region', { name: 'DM relays (NIP-17)' }).getByRole('listitem', { name: relay.url });
  await expect(dm).toContainText(note, { timeout: 30_000 });
  const envelopes = page.getByRole('region', { name: 'Relays', exact: true }).getByRole('listitem', { name: relay.url });
  await expect(envelopes).toContainText('Connected');
  await expect(envelopes).not.toContainText('holds more stored');
  expect(await seriousAxe(page, '.settings')).toEqual([]);
});
