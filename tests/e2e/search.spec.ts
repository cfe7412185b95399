/**
 * Search in a chat (issue 12 §7): the message list keeps only a window of rows in the page, so the
 * browser's find-in-page cannot see most of a long chat; Ctrl+F opens Veil's own search, which looks
 * through every stored message. Carol (another Nostr client, NIP-17) has written 200 messages; the
 * one that says "the blue whale" is the 3rd oldest, outside the window of rows the opened chat has in the page.
 * Searching "BLUE  Whale" finds it once, Enter brings it into view with focus; the bar fits a phone
 * and passes axe; Escape closes it.
 */
import { nip19 } from 'nostr-tools';
import { nowSec } from '../helpers/events';
import { RawClient } from '../helpers/raw-ws';
import { createIdentity, expect, messages, openChat, seriousAxe, test } from './fixtures';
import { newPeer, publishText } from './xss-peers';

const COUNT = 200;

test('Ctrl+F searches every stored message of the chat and brings a match from far back into view', async ({ page, relay, web }) => {
  test.setTimeout(240_000);
  const raw = await RawClient.open(relay.url);
  try {
    const { npub } = await createIdentity(page, web.url);
    const me = nip19.decode(npub).data as string;
    const carol = await newPeer(raw, [relay.url]);
    const base = nowSec() - 2 * 3600;
    for (let i = 0; i < COUNT; i++) await publishText(raw, carol, me, i === 2 ? 'I saw the blue whale today' : `filler message ${i}`, base + i * 10);

    const requests = page.getByRole('region', { name: 'Requests' });
    await requests.getByRole('button', { name: 'Accept' }).click({ timeout: 60_000 });
    // Every message stored before searching: the chat list counts them all unread.
    await expect(page.getByRole('navigation', { name: 'Chats' }).getByLabel(`${COUNT} unread`)).toBeVisible({ timeout: 60_000 });
    await openChat(page, carol.npub);
    const log = messages(page);
    await expect(log.getByRole('article').filter({ hasText: `filler message ${COUNT - 1}` })).toBeVisible({ timeout: 30_000 });
    await expect(log.getByRole('article').filter({ hasText: 'blue whale' })).toHaveCount(0); // not in the page: find-in-page would miss it

    await log.click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('Control+f');
    const box = page.getByRole('searchbox', { name: 'Search messages in this chat' });
    await expect(box).toBeFocused();
    await box.fill('BLUE  Whale');
    const status = page.getByRole('search', { name: 'Search this chat' }).getByRole('status');
    await expect(status).toHaveText('1 match', { timeout: 30_000 });
    await box.press('Enter');
    await expect(status).toHaveText('1 of 1 match');
    const hit = log.getByRole('article').filter({ hasText: 'I saw the blue whale today' });
    await expect(hit).toBeInViewport({ timeout: 30_000 });
    await expect(hit).toBeFocused();

    // No match, then a short query, say so.
    await box.fill('narwhal');
    await expect(status).toHaveText('No messages match.');
    await box.fill('n');
    await expect(status).toHaveText('Type at least 2 letters.');
    expect(await seriousAxe(page)).toEqual([]);

    // On a phone the open bar fits.
    await page.setViewportSize({ width: 390, height: 844 });
    await expect.poll(() => page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await expect(page.getByRole('button', { name: 'Close search' })).toBeInViewport();

    await box.press('Escape');
    await expect(box).toBeHidden();
  } finally {
    await raw.close();
  }
});
