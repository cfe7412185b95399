/**
 * Two people, two browser contexts, one real relay: they find each other by npub, talk both ways,
 * keep their history across a reload, and nothing the relay stores names either of them.
 */
import { nip19 } from 'nostr-tools';
import { RawClient } from '../helpers/raw-ws';
import { createIdentity, expect, messages, openChat, send, startChat, test, unlock } from './fixtures';

test('Alice and Bob chat both ways, keep history after reload, and the relay stores neither name', async ({ browser, relay, web }) => {
  const aliceCtx = await browser.newContext();
  const bobCtx = await browser.newContext();
  const alice = await aliceCtx.newPage();
  const bob = await bobCtx.newPage();

  const { npub: aliceNpub } = await createIdentity(alice, web.url);
  const { npub: bobNpub } = await createIdentity(bob, web.url);
  expect(aliceNpub).not.toBe(bobNpub);

  // Bob writes first, knowing only Alice's npub.
  await startChat(bob, aliceNpub);
  // The badge says what holds, and its explanation says what a relay still sees.
  await bob.getByText('Stored envelopes name neither of you').click();
  await expect(bob.getByText('A relay can still see your IP address')).toContainText('unless you use a VPN or Tor');
  await send(bob, 'Hello Alice, it is Bob');
  await expect(messages(bob).getByText('Sent to 1 of 1 relays')).toBeVisible();

  // Alice gets a request from a stranger, accepts it, and answers.
  const requests = alice.getByRole('region', { name: 'Requests' });
  await expect(requests.getByText('Hello Alice, it is Bob')).toBeVisible({ timeout: 20_000 });
  await requests.getByRole('button', { name: 'Accept' }).click();
  await openChat(alice, bobNpub);
  await expect(messages(alice).getByText('Hello Alice, it is Bob')).toBeVisible();
  await send(alice, 'Hi Bob! Alice here');

  await expect(messages(bob).getByText('Hi Bob! Alice here')).toBeVisible({ timeout: 20_000 });
  await send(bob, 'Great, the envelope works');
  await expect(messages(alice).getByText('Great, the envelope works')).toBeVisible({ timeout: 20_000 });

  // After a reload each must unlock, and the whole history is there, in order.
  for (const [page, peer] of [
    [alice, bobNpub],
    [bob, aliceNpub]
  ] as const) {
    await page.reload();
    await unlock(page);
    await openChat(page, peer);
    const log = messages(page);
    await expect(log.getByText('Great, the envelope works')).toBeVisible();
    const texts = await log.locator('p.text').allTextContents();
    expect(texts).toEqual(['Hello Alice, it is Bob', 'Hi Bob! Alice here', 'Great, the envelope works']);
  }

  // Audit everything the relay stored: nothing names either person, no text is readable.
  const ids = [aliceNpub, bobNpub].map((n) => nip19.decode(n).data as string);
  const secrets = [...ids, aliceNpub, bobNpub, 'Hello Alice', 'Hi Bob', 'envelope works'];
  const raw = await RawClient.open(relay.url);
  const events = await raw.query('audit', { limit: 5000 });
  await raw.close();
  const envelopes = events.filter((e) => e.kind === 1067);
  expect(envelopes.length).toBeGreaterThanOrEqual(3);
  for (const e of events) {
    if (e.kind === 11067 || e.kind === 10050) continue; // public inbox records and DM relay lists name their identity on purpose
    const visible = JSON.stringify({ pubkey: e.pubkey, tags: e.tags, content: e.content });
    for (const s of secrets) expect(visible, `event kind ${e.kind} leaks`).not.toContain(s);
  }
  for (const e of envelopes) {
    expect(ids).not.toContain(e.pubkey);
    expect((e.tags as string[][]).map((t) => t[0])).toEqual(['p', 'expiration']);
  }

  await aliceCtx.close();
  await bobCtx.close();
});
