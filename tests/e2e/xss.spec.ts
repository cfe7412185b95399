/**
 * XSS through every text sink Veil renders (issue 11 §6), in Chromium, with the payload table of
 * tests/e2e/xss-payloads.ts. Delivered the way real peers and relays deliver them:
 * - Carol (another Nostr client, tests/e2e/xss-peers.ts) sends one NIP-17 DM (kind 14) per payload:
 *   message body, request and chat-list preview;
 * - Dave sends one kind 15 file message per payload (URL path, file-type, subject, name, alt, summary,
 *   thumb): the file line;
 * - Carol then publishes one kind 0 per payload (name, display_name, about, picture, banner, website,
 *   nip05, lud16), each waited for in the chat header and list; Alice's own kind 0 from "another
 *   client" carries payloads into Settings → Your profile;
 * - a hostile relay (tests/helpers/hostile-relay.ts) in Alice's relays and Carol's DM relays sends
 *   every payload as NOTICE on each connection, as CLOSED reason for every REQ, as `OK false` reason
 *   for every EVENT (shown in a sent message's delivery details and Settings), and in its NIP-11;
 * - every payload pasted as a contact card link into New chat.
 * The page's watchers (xss-guard.ts) fail the test on a marker, a dialog or a CSP violation, and the
 * DOM is checked for anything a payload could have made.
 */
import { expect, test, type Page } from '@playwright/test';
import { finalizeEvent, nip19 } from 'nostr-tools';
import { cleanRelayText } from '../../src/lib/relay/reasons';
import { nowSec } from '../helpers/events';
import { startHostileRelay, type HostileRelay } from '../helpers/hostile-relay';
import { RawClient } from '../helpers/raw-ws';
import { startRelay, type TestRelay } from '../helpers/relay';
import { startWeb, type WebServer } from '../helpers/web';
import { createIdentity, messages, openChat, send, unlock } from './fixtures';
import { domFindings, guardPage, type XssGuard } from './xss-guard';
import { newPeer, publishFile, publishProfile, publishText, shownName, type Peer } from './xss-peers';
import { XSS_PAYLOADS as P } from './xss-payloads';

let relay: TestRelay;
let hostile: HostileRelay;
let web: WebServer;
let raw: RawClient;

test.beforeEach(async () => {
  relay = await startRelay();
  hostile = await startHostileRelay(P);
  web = await startWeb({ relays: [relay.url, hostile.url] });
  raw = await RawClient.open(relay.url);
});

test.afterEach(async () => {
  await raw.close();
  await web.stop();
  await hostile.stop();
  await relay.stop();
});

/** Nothing ran and nothing foreign is in the page, at this step. */
async function clean(page: Page, guard: XssGuard, step: string): Promise<void> {
  expect({ watchers: guard.hits, dom: await domFindings(page) }, `after ${step}`).toEqual({ watchers: [], dom: [] });
}

const request = (page: Page, peer: Peer) =>
  page.getByRole('region', { name: 'Requests' }).getByRole('listitem', { name: new RegExp(peer.npub.slice(0, 16)) });

async function accept(page: Page, peer: Peer): Promise<void> {
  await request(page, peer).getByRole('button', { name: 'Accept' }).click();
  await expect(request(page, peer)).toBeHidden();
}

/**
 * Opens the chat and shows every one of its `count` messages. The log keeps only a window of rows in
 * the DOM (src/lib/app/log-window.svelte.ts), so it is walked: "Load older messages" until there is
 * none (the oldest loaded and nothing older), then scrolled down page by page to the newest. Messages
 * may still be coming in while it walks (an older one then lands above the window, or a burst of new
 * ones pushes the first rows out before they were looked at), so a walk that reaches the newest with
 * messages still missing starts again from the oldest. Each window is checked for anything a payload
 * could have made while it is in the DOM. Returns the text of each message shown.
 */
async function showAll(page: Page, guard: XssGuard, peer: Peer, count: number, step: string): Promise<string[]> {
  await openChat(page, peer.npub);
  await expect(page.getByRole('region', { name: `Conversation with ${peer.npub.slice(0, 20)}…` })).toBeVisible();
  const log = messages(page);
  await expect(log.locator('article').first()).toBeVisible({ timeout: 60_000 });
  const older = log.getByRole('button', { name: 'Load older messages' });
  // The same button while a page loads ("Loading…"); gone only at the oldest message.
  const olderOrLoading = log.getByRole('button', { name: /^(Load older messages|Loading…)$/ });
  // "Jump to latest" is gone only with the newest row in the window and the view at the bottom.
  const jump = page.getByRole('button', { name: 'Jump to latest' });
  const shown = new Map<string, string>();
  const found = new Set<string>();
  let back = true;
  let sweeps = 1;
  await expect
    .poll(
      async () => {
        for (const f of await domFindings(page)) found.add(f);
        const now = await log.locator('article').evaluateAll((els) => els.map((el) => [(el as HTMLElement).dataset.id ?? '', el.querySelector('.text')?.textContent ?? ''] as const));
        for (const [id, text] of now) shown.set(id, text);
        if (back) back = await olderOrLoading.isVisible();
        else if (shown.size < count && (await jump.isHidden())) {
          back = true; // at the newest with some never seen: walk again from the oldest
          console.log(`${step}: ${shown.size} of ${count} shown after walk ${sweeps++}; walking again`);
        }
        if (back) {
          // A click can meet a page the scroll started loading (the button then reads "Loading…"): the next round clicks again.
          if (await older.isVisible()) await older.click({ timeout: 5_000 }).catch(() => undefined);
        } else await log.evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
        return shown.size;
      },
      { timeout: 240_000, message: `${count} messages shown` }
    )
    .toBe(count);
  expect({ watchers: guard.hits, dom: [...found] }, `while showing ${step}`).toEqual({ watchers: [], dom: [] });
  return [...shown.values()];
}

test('XSS payloads from peers and relays are shown as text and never run', async ({ page }) => {
  test.setTimeout(900_000);
  const started = Date.now();
  const guard = await guardPage(page, [relay.url, hostile.url]);
  const { npub, nsec } = await createIdentity(page, web.url);
  const me = nip19.decode(npub).data as string;
  const carol = await newPeer(raw, [relay.url, hostile.url]);
  const dave = await newPeer(raw, [relay.url]);
  const base = nowSec() - 3600;

  // Message bodies (Carol) and file messages (Dave), one per payload.
  for (const [i, p] of P.entries()) await publishText(raw, carol, me, p, base + i);
  let files = 0;
  for (const [i, p] of P.entries()) if (await publishFile(raw, dave, me, p, base + i)) files++;
  // My own profile, written by "another client" with my key: payloads in every field.
  const ownContent = JSON.stringify({ name: P[0], display_name: P[7], about: P.join('\n'), picture: 'https://example.com/"><script>window.__xss=1</script>', website: P[11] });
  const [ownOk] = await raw.publish(finalizeEvent({ kind: 0, created_at: nowSec(), tags: [], content: ownContent }, nip19.decode(nsec).data as Uint8Array));
  expect(ownOk).toBe(true);

  // The requests show the newest text of each (a payload) as their preview.
  await expect(request(page, carol)).toBeVisible({ timeout: 60_000 });
  await expect(request(page, dave)).toBeVisible({ timeout: 60_000 });
  await clean(page, guard, 'the requests');
  await accept(page, carol);
  await accept(page, dave);

  const texts = new Set(await showAll(page, guard, carol, P.length, 'the message bodies'));
  await clean(page, guard, 'the message bodies');
  expect(P.filter((p) => !texts.has(p)), 'payloads not shown literally as message text').toEqual([]);

  // Alice answers Carol three times; the hostile relay (one of Carol's DM relays) refuses each with a payload.
  for (const n of [1, 2, 3]) await send(page, `answer ${n}`);
  await expect.poll(() => hostile.received.EVENT, { timeout: 30_000 }).toBeGreaterThanOrEqual(3);
  const reasons: string[] = [];
  for (const n of [1, 2, 3]) {
    const bubble = messages(page).locator('article').filter({ hasText: `answer ${n}` });
    const line = bubble.locator('details.delivery li').filter({ hasText: hostile.url });
    await bubble.locator('details.delivery summary').click({ timeout: 30_000 });
    const text = (await line.textContent({ timeout: 30_000 }))!;
    reasons.push(text);
    // "<relay>: not yet (<reason prefix>: <the relay's text, cleaned and cut>)" (sync/outbox.ts)
    const m = /: not yet \(([a-z-]+): ([\s\S]*)\)$/.exec(text);
    expect(m, `delivery line ${text.slice(0, 80)}`).not.toBeNull();
    expect(P.map(cleanRelayText).some((c) => c.startsWith(m![2]!)), `reason shown literally: ${m![2]!.slice(0, 80)}`).toBe(true);
  }
  await clean(page, guard, 'the OK reasons in delivery details');

  await showAll(page, guard, dave, files, 'the file messages');
  await clean(page, guard, 'the file messages');

  // Profiles: Veil follows a contact's kind 0 on a subscription that waits a random 1–5 min after
  // start (spec 0005 §Timing); the page's clock is moved past that. Then each new one shows live.
  await page.clock.install();
  await page.reload();
  await unlock(page);
  await openChat(page, carol.npub);
  const heading = page.getByRole('region', { name: /^Conversation with/ }).getByRole('heading', { level: 2 });
  const first = await publishProfile(raw, carol.sk, 'Carol', nowSec() - P.length - 1);
  await expect
    .poll(
      async () => {
        await page.clock.fastForward('01:00');
        return heading.textContent();
      },
      { timeout: 60_000, message: 'Carol\'s first profile read' }
    )
    .toBe(shownName(first));
  let names = 0;
  for (const [i, p] of P.entries()) {
    const content = await publishProfile(raw, carol.sk, p, nowSec() - P.length + i);
    const name = shownName(content);
    if (name === undefined) continue;
    names++;
    await expect(heading, `profile ${i}`).toHaveText(name, { timeout: 20_000 });
  }
  await clean(page, guard, 'the profiles');

  // Contact cards: every payload pasted as a card link.
  await page.getByRole('button', { name: 'New chat' }).click();
  const box = page.getByRole('textbox', { name: 'Contact' });
  const start = page.getByRole('button', { name: 'Start chat' });
  for (const p of P) {
    await box.fill(`https://veil.example/#c=${p}`);
    await start.click();
    await expect(page.getByRole('form', { name: 'New chat' }).getByRole('alert')).toBeVisible();
    await expect(start).toBeEnabled();
  }
  await clean(page, guard, 'the contact cards');

  // Settings: my profile from the other client, and the relays (the hostile one's error, if any).
  await page.getByRole('link', { name: 'Settings' }).click();
  const profile = page.getByRole('region', { name: 'Your profile' });
  await expect(profile.getByText('Looking for a profile you published before…')).toBeHidden({ timeout: 20_000 });
  await expect(profile.getByRole('textbox', { name: 'Display name' })).toHaveValue(shownName(ownContent)!);
  await clean(page, guard, 'Settings');

  expect(hostile.sent.NOTICE).toBeGreaterThanOrEqual(P.length);
  expect(hostile.sent.CLOSED).toBeGreaterThanOrEqual(P.length);
  const seconds = Math.round((Date.now() - started) / 1000);
  console.log(
    [
      `${P.length} payloads; message bodies ${P.length}, file messages ${P.length} (${files} kept by the parser), `,
      `profiles ${P.length} (${names} with a name Veil shows), own profile 1 (all payloads in about), contact card links ${P.length}, `,
      `NOTICE ${hostile.sent.NOTICE}, CLOSED ${hostile.sent.CLOSED} over ${hostile.received.REQ} REQs, OK false ${hostile.sent.OK}, NIP-11 ${hostile.sent.nip11}; `,
      `delivery reasons shown: ${reasons.length}; ${seconds} s`
    ].join('')
  );
});
