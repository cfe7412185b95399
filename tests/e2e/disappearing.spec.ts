/**
 * Disappearing messages (issue 15 §2), two people in real Chromium through a real relay: Alice sets a
 * 1-minute timer in the chat, both see who set it, Alice sends, Bob sees it; once its minute is over
 * it is gone from both screens (live, no reload), from both IndexedDBs (the raw stores: records are
 * sealed, so by key and by the plain `expiresAt` index) and from Alice's outbox; the envelopes the
 * relay held of it expired no later than the message.
 */
import type { Page } from '@playwright/test';
import { RawClient } from '../helpers/raw-ws';
import { acceptFirstContact, createIdentity, expect, messages, openChat, send, test } from './fixtures';

/** What IndexedDB holds of disappearing messages: their record keys and deadlines, all message keys, and the outbox's message keys. */
function rawStores(page: Page) {
  return page.evaluate(
    () =>
      new Promise<{ expiring: { key: string; expiresAt: number }[]; messageKeys: string[]; outboxMessageKeys: string[] }>((resolve, reject) => {
        const open = indexedDB.open('veil');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const tx = db.transaction(['messages', 'outbox'], 'readonly');
          const expiring = tx.objectStore('messages').index('by-expiry').getAll();
          const keys = tx.objectStore('messages').getAllKeys();
          const outbox = tx.objectStore('outbox').getAll();
          tx.oncomplete = () => {
            db.close();
            resolve({
              expiring: (expiring.result as { id: string; expiresAt: number }[]).map((r) => ({ key: r.id, expiresAt: r.expiresAt })),
              messageKeys: keys.result as string[],
              outboxMessageKeys: (outbox.result as { messageId?: string }[]).map((r) => r.messageId ?? '')
            });
          };
          tx.onerror = () => reject(tx.error);
        };
      })
  );
}

test('a message with a 1-minute timer disappears from both screens, both stores and the outbox; its envelopes expire no later', async ({ browser, relay, web }) => {
  test.setTimeout(240_000); // the minute itself is waited for (a condition, polled), not skipped
  const aliceCtx = await browser.newContext();
  const bobCtx = await browser.newContext();
  const alice = await aliceCtx.newPage();
  const bob = await bobCtx.newPage();
  const { npub: aliceNpub } = await createIdentity(alice, web.url);
  const { npub: bobNpub } = await createIdentity(bob, web.url);
  await acceptFirstContact(alice, bob, aliceNpub, 'hello before the timer');
  await openChat(alice, bobNpub);

  // Alice sets 1 minute in the chat; the dialog says what it cannot promise.
  await alice.getByRole('button', { name: /Disappearing: off/ }).click();
  const dialog = alice.getByRole('dialog', { name: 'Disappearing messages' });
  await expect(dialog).toContainText('It cannot stop a screenshot, a copy, or a modified app on the other side');
  await expect(dialog).toContainText('Relays are asked to delete their copies (NIP-40) but may not.');
  await dialog.getByRole('radio', { name: /^1 minute/ }).check();
  await dialog.getByRole('button', { name: 'Save' }).click();
  await expect(messages(alice).getByText('You set messages to disappear after 1 minute')).toBeVisible();
  await expect(alice.getByRole('button', { name: 'Disappearing: 1 minute' })).toBeVisible();

  // Bob sees who set it, and his header follows.
  await expect(messages(bob).getByText(/^(?!You).+ set messages to disappear after 1 minute$/)).toBeVisible({ timeout: 20_000 });
  await expect(bob.getByRole('button', { name: 'Disappearing: 1 minute' })).toBeVisible();

  await send(alice, 'this text will not last');
  await expect(messages(bob).getByText('this text will not last')).toBeVisible({ timeout: 20_000 });
  await expect(messages(bob).getByText(/disappears/)).toBeVisible();

  // Both stores hold it, with its deadline in the plain index (the body is sealed).
  const [a0, b0] = [await rawStores(alice), await rawStores(bob)];
  expect(a0.expiring).toHaveLength(1);
  expect(b0.expiring).toHaveLength(1);
  const expiresAt = a0.expiring[0]!.expiresAt;
  expect(b0.expiring[0]!.expiresAt).toBe(expiresAt);
  expect(expiresAt).toBeGreaterThan(Date.now());
  expect(expiresAt).toBeLessThanOrEqual(Date.now() + 75_000);

  // The relay: every envelope that expires within a day is this message's (its copies to Bob and to
  // Alice's own devices), each expiring no later than the message; the rest keep the usual 30 days.
  const raw = await RawClient.open(relay.url);
  const envelopes = (await raw.query('audit', { kinds: [1067], limit: 1000 })) as unknown as { created_at: number; tags: string[][] }[];
  const exps = envelopes.map((e) => Number(e.tags.find((t) => t[0] === 'expiration')![1]));
  const short = exps.filter((exp) => exp < Date.now() / 1000 + 86_400);
  expect(short.length).toBeGreaterThanOrEqual(1);
  for (const exp of short) expect(exp).toBeLessThanOrEqual(expiresAt / 1000);
  for (const e of envelopes) expect(e.tags.map((t) => t[0])).toEqual(['p', 'expiration']);

  // After its minute: gone from both screens without a reload …
  await expect(messages(alice).getByText('this text will not last')).toBeHidden({ timeout: 100_000 });
  await expect(messages(bob).getByText('this text will not last')).toBeHidden({ timeout: 30_000 });
  // … from both IndexedDBs and from the outbox, while the system lines and the earlier message stay.
  for (const [page, before] of [
    [alice, a0],
    [bob, b0]
  ] as const) {
    await expect.poll(async () => (await rawStores(page)).expiring.length).toBe(0);
    const after = await rawStores(page);
    const gone = before.expiring[0]!.key;
    expect(after.messageKeys).not.toContain(gone);
    expect(after.outboxMessageKeys).not.toContain(gone);
    expect(after.messageKeys.length).toBe(before.messageKeys.length - 1);
  }
  await expect(messages(alice).getByText('hello before the timer')).toBeVisible();
  await expect(messages(bob).getByText(/set messages to disappear after 1 minute/)).toBeVisible();
  // The relay no longer gives it out.
  const later = (await raw.query('later', { kinds: [1067], limit: 1000 })) as unknown as { tags: string[][] }[];
  await raw.close();
  expect(later.map((e) => Number(e.tags.find((t) => t[0] === 'expiration')![1])).filter((exp) => exp < Date.now() / 1000 + 86_400)).toEqual([]);

  await aliceCtx.close();
  await bobCtx.close();
});
