/**
 * A full disk (issue 11 item 7, "quota exceeded recovers with a clear message"), in Chromium: while
 * the test says the disk is full, every IndexedDB write request of the page throws the browser's
 * QuotaExceededError DOMException (the page's IDBObjectStore put/add; Veil's code is not touched).
 * Sending then shows one clear sentence, keeps the text in the box, stores and sends nothing; what
 * was stored before is all still there after a reload with the disk still full; once space is back
 * the same text goes out, exactly once.
 *
 * (CDP `Storage.overrideQuotaForOrigin` would be the real quota, but in this Chromium (156, headless)
 * the override is reported active and IndexedDB writes still succeed, so it cannot drive this test.
 * The commit-time variant, a transaction aborted with QuotaExceededError, is covered against
 * fake-indexeddb in tests/unit/store-errors.test.ts.)
 */
import { RawClient } from '../helpers/raw-ws';
import { BACKGROUND_SENTENCES, ERROR_SENTENCES } from '../../src/lib/app/errors';
import { finalizeEvent, generateSecretKey, getPublicKey, nip19, type NostrEvent } from 'nostr-tools';
import * as nip59 from 'nostr-tools/nip59';
import { wrapEvent as ntWrapDm } from 'nostr-tools/nip17';
import type { Page } from '@playwright/test';
import { createIdentity, expect, messages, openChat, send, startChat, test, unlock } from './fixtures';

/**
 * A full disk, as the engine reports it: every IndexedDB write request of the page throws
 * QuotaExceededError while the test says so (a flag in localStorage, so it holds across a reload).
 */
async function fullDiskSwitch(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const full = () => localStorage.getItem('test:disk-full') === '1';
    const proto = IDBObjectStore.prototype;
    for (const name of ['put', 'add'] as const) {
      const original = proto[name] as (...a: unknown[]) => IDBRequest;
      Object.defineProperty(proto, name, {
        value(this: IDBObjectStore, ...args: unknown[]) {
          if (full()) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
          return original.apply(this, args);
        }
      });
    }
  });
}

function setDiskFull(page: Page, on: boolean): Promise<void> {
  return page.evaluate((v) => (v ? localStorage.setItem('test:disk-full', '1') : localStorage.removeItem('test:disk-full')), on);
}

test('quota exceeded: a clear sentence, the text kept, nothing stored lost, and the send works once space is back', async ({ page, relay, web }) => {
  const raw = await RawClient.open(relay.url);
  await fullDiskSwitch(page);
  const diskFull = (on: boolean) => setDiskFull(page, on);
  try {
    const carolSk = generateSecretKey();
    const carol = getPublicKey(carolSk);
    const list = finalizeEvent({ kind: 10050, created_at: Math.floor(Date.now() / 1000), tags: [['relay', relay.url]], content: '' }, carolSk);
    expect(await raw.publish(list)).toEqual([true, '']);
    const atCarol = async (sub: string): Promise<string[]> => {
      const wraps = (await raw.query(sub, { kinds: [1059], '#p': [carol] })) as unknown as NostrEvent[];
      return wraps.map((w) => nip59.unwrapEvent(w, carolSk).content).sort();
    };

    await createIdentity(page, web.url);
    const carolNpub = nip19.npubEncode(carol);
    await startChat(page, carolNpub);
    const before = ['stored before the disk filled 1', 'stored before the disk filled 2'];
    for (const text of before) await send(page, text);
    await expect(messages(page).getByText('Sent to 1 of 1 relays')).toHaveCount(2, { timeout: 20_000 });

    // The disk is full.
    await diskFull(true);

    const text = 'written when the disk was full';
    await page.getByRole('textbox', { name: 'Message' }).fill(text);
    await page.getByRole('button', { name: 'Send' }).click();
    // One sentence that says what happened, what to do, and that nothing stored is gone.
    const alert = page.getByRole('alert').filter({ hasText: 'so this was not saved' });
    await expect(alert).toHaveText(ERROR_SENTENCES.STORAGE_QUOTA);
    expect(ERROR_SENTENCES.STORAGE_QUOTA).toMatch(/not saved.*Free some space.*everything saved before is kept/);
    // The text stays in the box; it is not shown as sent or queued, and nothing went out.
    await expect(page.getByRole('textbox', { name: 'Message' })).toHaveValue(text);
    await expect(messages(page).getByText(text, { exact: true })).toHaveCount(0);
    expect(await atCarol('full')).toEqual(before);

    // Still full: a reload opens Veil with everything stored before.
    await page.reload();
    await unlock(page);
    await openChat(page, carolNpub);
    for (const t of before) await expect(messages(page).getByText(t, { exact: true })).toHaveCount(1);

    // Space is back: the same text, sent again by the person, goes out once.
    await diskFull(false);
    await send(page, text);
    await expect(messages(page).getByText('Sent to 1 of 1 relays')).toHaveCount(3, { timeout: 20_000 });
    await expect(page.getByRole('alert').filter({ hasText: ERROR_SENTENCES.STORAGE_QUOTA })).toHaveCount(0);
    await expect.poll(() => atCarol('after')).toEqual([...before, text].sort());
  } finally {
    await raw.close();
  }
});

test('a message that arrives while the disk is full: a banner says so, and the message is read once space is back', async ({ page, relay, web }) => {
  const raw = await RawClient.open(relay.url);
  await fullDiskSwitch(page);
  try {
    const { npub } = await createIdentity(page, web.url);
    const me = nip19.decode(npub).data as string;
    const carolSk = generateSecretKey();
    const list = finalizeEvent({ kind: 10050, created_at: Math.floor(Date.now() / 1000), tags: [['relay', relay.url]], content: '' }, carolSk);
    expect(await raw.publish(list)).toEqual([true, '']);

    await setDiskFull(page, true);
    const text = 'written to you while your disk was full';
    expect(await raw.publish(ntWrapDm(carolSk, { publicKey: me, relayUrl: relay.url }, text))).toEqual([true, '']);
    // Nobody clicked anything, so the sentence comes as a banner: what happened, that nothing is lost, what to do.
    const banner = page.getByRole('alert').filter({ hasText: 'new messages cannot be saved here' });
    await expect(banner).toHaveText(new RegExp(BACKGROUND_SENTENCES.STORAGE_QUOTA!.slice(0, 60)), { timeout: 20_000 });
    expect(BACKGROUND_SENTENCES.STORAGE_QUOTA).toMatch(/not lost.*stay on the relays.*Free some space/);
    await expect(page.getByText(text)).toHaveCount(0);

    // Space is back: the next read (here the start after a reload) finds the message, once, and the banner is gone.
    await setDiskFull(page, false);
    await page.reload();
    await unlock(page);
    const requests = page.getByRole('region', { name: 'Requests' });
    await expect(requests.getByText(text)).toHaveCount(1, { timeout: 20_000 });
    await expect(banner).toHaveCount(0);
  } finally {
    await raw.close();
  }
});
