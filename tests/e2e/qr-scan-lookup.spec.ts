/**
 * Names in New chat before the chat starts (issue 14 §5; needs the lookupName wiring): a key this
 * device knows nothing about shows no name and the sentence that a lookup tells the relays; "Look up
 * their name" finds the public profile (kind 0) of someone who is not on Veil.
 */
import { finalizeEvent, generateSecretKey, getPublicKey, nip19 } from 'nostr-tools';
import { RawClient } from '../helpers/raw-ws';
import { createIdentity, expect, test } from './fixtures';

test('New chat: "Look up their name" finds a public name, only when asked', async ({ page, relay, web }) => {
  const carolSk = generateSecretKey();
  const raw = await RawClient.open(relay.url);
  const profile = finalizeEvent({ kind: 0, created_at: Math.floor(Date.now() / 1000), tags: [], content: JSON.stringify({ display_name: 'Carol Nostr' }) }, carolSk);
  expect(await raw.publish(profile)).toEqual([true, '']);
  await raw.close();

  await createIdentity(page, web.url);
  await page.getByRole('button', { name: 'New chat' }).click();
  await page.getByRole('textbox', { name: 'Contact' }).fill(nip19.npubEncode(getPublicKey(carolSk)));
  const who = page.getByRole('group', { name: 'Who this is' });
  await expect(who).toContainText('tells them someone is interested');
  await expect(who).not.toContainText('Carol Nostr');
  await who.getByRole('button', { name: 'Look up their name' }).click();
  await expect(who).toContainText('Public name: Carol Nostr', { timeout: 30_000 });
  await expect(who.getByRole('button', { name: 'Look up their name' })).toHaveCount(0);
});
