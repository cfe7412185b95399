/**
 * NIP-17 interop in the browser (issue 5 "Must show"): a person on another Nostr client, played by
 * the test process with nostr-tools only (its own key, its own kind 10050 list), writes to a Veil
 * user. The DM made by nostr-tools' nip17.wrapEvent appears in Veil's Requests and chat; Veil's
 * reply is opened by nostr-tools' nip59.unwrapEvent; the chat says "NIP-17: relays see the
 * recipient". Then a NIP-07 shim with only getPublicKey, signEvent and nip44 sends and reads NIP-17.
 */
import { expect, test, type Page } from '@playwright/test';
import { finalizeEvent, generateSecretKey, getPublicKey, nip19, type NostrEvent } from 'nostr-tools';
import { wrapEvent as ntWrapDm } from 'nostr-tools/nip17';
import * as nip59 from 'nostr-tools/nip59';
import { RawClient } from '../helpers/raw-ws';
import { startRelay, type TestRelay } from '../helpers/relay';
import { startWeb, type WebServer } from '../helpers/web';
import { createIdentity, installExtension, messages, openChat, PASSPHRASE, send, startChat } from './fixtures';

let relay: TestRelay;
let web: WebServer;
let raw: RawClient;
let q = 0;

test.beforeEach(async () => {
  relay = await startRelay();
  web = await startWeb({ relays: [relay.url] });
  raw = await RawClient.open(relay.url);
});

test.afterEach(async () => {
  await raw.close();
  await web.stop();
  await relay.stop();
});

/** The other client: a key and a published kind 10050 list pointing at the test relay. */
async function otherClient(): Promise<{ sk: Uint8Array; pubkey: string; npub: string }> {
  const sk = generateSecretKey();
  const list = finalizeEvent({ kind: 10050, created_at: Math.floor(Date.now() / 1000), tags: [['relay', relay.url]], content: '' }, sk);
  const [ok, reason] = await raw.publish(list);
  expect(ok, reason).toBe(true);
  const pubkey = getPublicKey(sk);
  return { sk, pubkey, npub: nip19.npubEncode(pubkey) };
}

/** Texts of every gift wrap to `pubkey` on the relay, opened with nostr-tools and `sk`. */
async function readWraps(pubkey: string, sk: Uint8Array): Promise<{ id: string; pubkey: string; content: string; tags: string[][] }[]> {
  const wraps = (await raw.query(`w${q++}`, { kinds: [1059], '#p': [pubkey] })) as unknown as NostrEvent[];
  return wraps.map((w) => nip59.unwrapEvent(w, sk));
}

async function publishDm(fromSk: Uint8Array, to: string, text: string): Promise<void> {
  const [ok, reason] = await raw.publish(ntWrapDm(fromSk, { publicKey: to, relayUrl: relay.url }, text));
  expect(ok, reason).toBe(true);
}

async function pubkeyOf(page: Page): Promise<string> {
  const npub = await page.getByRole('textbox', { name: 'Your npub' }).inputValue();
  return nip19.decode(npub).data as string;
}

test("a DM from nostr-tools lands in Veil's Requests; Veil's NIP-17 reply opens with nostr-tools", async ({ page }) => {
  await createIdentity(page, web.url);
  const me = await pubkeyOf(page);
  const carol = await otherClient();

  await publishDm(carol.sk, me, 'Hello from another Nostr app');
  const requests = page.getByRole('region', { name: 'Requests' });
  await expect(requests.getByText('Hello from another Nostr app')).toBeVisible({ timeout: 20_000 });
  await requests.getByRole('button', { name: 'Accept' }).click();
  await openChat(page, carol.npub);
  await expect(page.getByText('NIP-17: relays see the recipient')).toBeVisible();
  await expect(messages(page).getByText('Hello from another Nostr app')).toBeVisible();

  await send(page, 'Answer from Veil');
  await expect(messages(page).getByText('Sent to 1 of 1 relays')).toBeVisible({ timeout: 20_000 });
  await expect.poll(async () => (await readWraps(carol.pubkey, carol.sk)).map((r) => r.content)).toEqual(['Answer from Veil']);
  const [rumor] = await readWraps(carol.pubkey, carol.sk);
  expect(rumor!.pubkey).toBe(me);
  expect(rumor!.tags).toEqual([['p', carol.pubkey]]);
  // Veil's self copy (to its own DM relays) carries the same rumor id.
  const mine = (await raw.query(`s${q++}`, { kinds: [1059], '#p': [me] })) as unknown as NostrEvent[];
  expect(mine.length).toBeGreaterThanOrEqual(2); // Carol's DM to me and my self copy
  for (const w of mine) expect(w.pubkey).not.toBe(me);

  // Carol answers again; it arrives in the open chat.
  await publishDm(carol.sk, me, 'Got it, thanks');
  await expect(messages(page).getByText('Got it, thanks')).toBeVisible({ timeout: 20_000 });

  // Settings: my DM relays (default: my envelope relay) are editable and published as kind 10050.
  await page.getByRole('link', { name: 'Settings' }).click();
  const dm = page.getByRole('region', { name: 'DM relays (NIP-17)' });
  await expect(dm.getByText(relay.url, { exact: true })).toBeVisible();
  await dm.getByRole('textbox', { name: 'DM relay address' }).fill('wss://dm.example.invalid');
  await dm.getByRole('button', { name: 'Add DM relay' }).click();
  await expect(dm.getByText('wss://dm.example.invalid', { exact: true })).toBeVisible();
  await expect
    .poll(async () => {
      const lists = (await raw.query(`l${q++}`, { kinds: [10050], authors: [me] })) as unknown as NostrEvent[];
      return lists.sort((a, b) => b.created_at - a.created_at)[0]?.tags;
    })
    .toEqual([['relay', relay.url], ['relay', 'wss://dm.example.invalid']]);
});

test('a NIP-07 shim with only getPublicKey, signEvent and nip44 sends and reads NIP-17', async ({ page }) => {
  const sk = generateSecretKey();
  const { used } = await installExtension(page, sk);
  await page.goto(web.url);
  await page.getByRole('button', { name: 'Use a browser extension' }).click();
  await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Sign in with extension' }).click();
  const me = getPublicKey(sk);
  await expect(page.getByRole('textbox', { name: 'Your npub' })).toHaveValue(nip19.npubEncode(me));

  const dave = await otherClient();
  await startChat(page, dave.npub);
  await expect(page.getByText('NIP-17: relays see the recipient')).toBeVisible();
  await send(page, 'Sealed by my extension');
  await expect.poll(async () => (await readWraps(dave.pubkey, dave.sk)).map((r) => [r.pubkey, r.content])).toEqual([[me, 'Sealed by my extension']]);

  await publishDm(dave.sk, me, 'Read through nip44.decrypt');
  await expect(messages(page).getByText('Read through nip44.decrypt')).toBeVisible({ timeout: 20_000 });
  // The seal was signed and the payloads encrypted/decrypted by the extension: the page had no key.
  expect(used).toContain('sign:13');
  expect(used).toContain('nip44.encrypt');
  expect(used).toContain('nip44.decrypt');
});
