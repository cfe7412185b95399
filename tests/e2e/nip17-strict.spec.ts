/**
 * NIP-17 both ways through a relay with strfry's defaults (issue 11; docs/relay.md "Strict mode"): reading
 * kind 1059 needs NIP-42 AUTH, and the relay first answers CLOSED "ERROR: auth-required: …". Veil must
 * authenticate its DM sockets (and only those) and read again (the reason parser must see "auth-required"
 * after strfry's "ERROR: "; tests/integration/nip17.test.ts is the test that fails without that).
 */
import { finalizeEvent, generateSecretKey, getPublicKey, nip19, type NostrEvent } from 'nostr-tools';
import { wrapEvent as ntWrapDm } from 'nostr-tools/nip17';
import * as nip59 from 'nostr-tools/nip59';
import { RawClient } from '../helpers/raw-ws';
import { createIdentity, expect, messages, openChat, send, test } from './fixtures';

test.use({ strictRelay: true });

test('a nostr-tools DM reaches Veil through a strict relay, and Veil’s reply reaches the other client', async ({ page, relay, web }) => {
  const raw = await RawClient.open(relay.url);
  await createIdentity(page, web.url);
  const me = nip19.decode(await page.getByRole('textbox', { name: 'Your npub' }).inputValue()).data as string;
  const carolSk = generateSecretKey();
  const carol = getPublicKey(carolSk);
  const list = finalizeEvent({ kind: 10050, created_at: Math.floor(Date.now() / 1000), tags: [['relay', relay.url]], content: '' }, carolSk);
  expect(await raw.publish(list)).toEqual([true, '']);
  expect(await raw.publish(ntWrapDm(carolSk, { publicKey: me, relayUrl: relay.url }, 'Hello through strfry'))).toEqual([true, '']);

  const requests = page.getByRole('region', { name: 'Requests' });
  await expect(requests.getByText('Hello through strfry')).toBeVisible({ timeout: 30_000 });
  await requests.getByRole('button', { name: 'Accept' }).click();
  await openChat(page, nip19.npubEncode(carol));
  await send(page, 'Reply through strfry');
  await expect(messages(page).getByText('Sent to 1 of 1 relays')).toBeVisible({ timeout: 20_000 });

  // The other client reads its inbox as strfry demands: AUTH as itself, then the REQ again.
  await expect
    .poll(async () => {
      const sub = `c${Date.now()}`;
      const wraps = (await raw.queryWithAuth(sub, (t) => finalizeEvent(t, carolSk), relay.url, { kinds: [1059], '#p': [carol] })) as unknown as NostrEvent[];
      raw.send(['CLOSE', sub]);
      return wraps.map((w) => nip59.unwrapEvent(w, carolSk).content);
    }, { timeout: 20_000 })
    .toContain('Reply through strfry');
  await raw.close();
});
