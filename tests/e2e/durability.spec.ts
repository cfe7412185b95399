/**
 * Durability in real Chromium (issue 11 item 7): Veil's renderer is killed at ≥ 100 random points
 * while it sends, then the same profile is opened again. Nothing the UI showed (as sending, queued
 * or sent) may be lost or sent twice:
 * - sender side: after each reopen, every message of the killed round that was on screen is in the
 *   history exactly once, and no message is there twice;
 * - recipient side: the recipient is another Nostr client played by the test (nostr-tools, its own
 *   key and kind 10050 list); at the end every gift wrap to it on the relay is opened and each
 *   message counted: every message that was stored arrives exactly once, and one that was not
 *   stored (killed before the outbox write) never arrives. Veil's self copies are counted the same way.
 *
 * Kills: most are `Page.crash` through CDP (the renderer dies at once, no unload, no pagehide);
 * every eighth SIGKILLs the whole browser process, IndexedDB's backend included, and launches
 * it again on the same profile. Each kill comes at a random delay after pressing Send (node:crypto),
 * spread over the time a send takes, with 0–2 earlier sends of the same round still in flight.
 * DURABILITY_KILLS sets the number of kills: 40 in `npm test` (about 4 minutes); the recorded figure is
 * `DURABILITY_KILLS=110 npx playwright test tests/e2e/durability.spec.ts` (110 kills, about 12 minutes).
 */
import { expect, test } from './fixtures';
import { randomInt } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { finalizeEvent, generateSecretKey, getPublicKey, nip19, type NostrEvent } from 'nostr-tools';
import * as nip59 from 'nostr-tools/nip59';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RawClient } from '../helpers/raw-ws';
import { KillableProfile, PREFIX } from './durability-kill';
import { messages, startChat, PASSPHRASE } from './fixtures';
import type { Page } from '@playwright/test';

const KILLS = Number(process.env.DURABILITY_KILLS ?? 40);
const SCRATCH = process.env.DURABILITY_DIR ?? join(tmpdir(), 'veil-durability');

/** DURABILITY_TRACE=1: one line per step on stderr (where a slow or stuck run is). */
const trace = (line: string): void => {
  if (process.env.DURABILITY_TRACE) process.stderr.write(`[durability ${new Date().toISOString().slice(11, 23)}] ${line}\n`);
};

test.describe.configure({ timeout: 40 * 60_000 });

/** Onboarding with "Remember on this device", so each reopen opens without the passphrase. */
async function createRemembered(page: Page, url: string): Promise<{ sk: Uint8Array }> {
  await page.goto(url);
  await page.getByRole('button', { name: 'Create a new identity' }).click();
  await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await page.getByLabel('Type it again').fill(PASSPHRASE);
  trace('onboarding filled');
  await page.getByRole('checkbox', { name: /Remember on this device/ }).check({ timeout: 10_000 });
  trace('remember checked');
  await page.getByRole('button', { name: 'Create', exact: true }).click();
  trace('created');
  const nsec = await page.getByLabel('Your private key (nsec)').inputValue();
  trace('nsec read');
  await page.getByLabel('I have saved my key somewhere safe').check();
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByRole('textbox', { name: 'Your npub' })).toBeVisible();
  return { sk: nip19.decode(nsec).data as Uint8Array };
}

/** The texts of my messages in the open chat's history, as shown (the newest page). */
async function history(page: Page): Promise<string[]> {
  return messages(page).locator('article[aria-label="You"] .text').allTextContents();
}

/** The state of a send as its delivery line showed it (undefined: never on screen). */
function deliveryPhase(status: string | undefined): string {
  if (status === undefined) return 'not shown';
  if (status.startsWith('Sent to')) return 'sent';
  if (status === 'Queued, will retry') return 'queued';
  return status === '' || status === 'Sending…' ? 'sending' : 'other';
}

function counts(texts: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const t of texts) m.set(t, (m.get(t) ?? 0) + 1);
  return m;
}

test('the renderer killed at random points while sending (DURABILITY_KILLS, 40 here): nothing shown is lost or sent twice', async ({ relay, web }) => {
  const started = Date.now();
  mkdirSync(SCRATCH, { recursive: true });
  const dir = mkdtempSync(join(SCRATCH, 'profile-'));
  const raw = await RawClient.open(relay.url);
  const profile = new KillableProfile(dir);
  try {
    // The recipient: another Nostr client with its DM relay list on the test relay.
    const carolSk = generateSecretKey();
    const carol = getPublicKey(carolSk);
    const list = finalizeEvent({ kind: 10050, created_at: Math.floor(Date.now() / 1000), tags: [['relay', relay.url]], content: '' }, carolSk);
    expect(await raw.publish(list)).toEqual([true, '']);

    await profile.launch();
    trace('launched');
    const { sk: mySk } = await createRemembered(profile.page, web.url);
    await startChat(profile.page, nip19.npubEncode(carol));
    const chatUrl = profile.page.url();

    // One message all the way to "Sent", timed: the kill delays are spread over twice that.
    const t0 = Date.now();
    const first = `${PREFIX}0-0`;
    await profile.page.getByRole('textbox', { name: 'Message' }).fill(first);
    await profile.page.getByRole('button', { name: 'Send' }).click();
    await expect(messages(profile.page).getByText('Sent to 1 of 1 relays')).toBeVisible({ timeout: 20_000 });
    const sendMs = Date.now() - t0;
    trace(`first message sent in ${sendMs} ms`);
    const maxDelay = Math.max(200, 2 * sendMs);

    const sent: string[] = [first]; // every text whose Send was pressed
    const stored = new Set<string>([first]); // found in the history after a reopen
    const notStored = new Set<string>(); // pressed, killed before it was stored: must never arrive
    let lastStored = first;
    let browserKills = 0;
    let shownAtKill = 0;
    let staleDrafts = 0;
    const phases: Record<string, number> = {};
    const lost: string[] = [];
    const duplicated: string[] = [];
    const delays: number[] = [];

    for (let round = 1; round <= KILLS; round++) {
      const page = profile.page;
      const n = randomInt(1, 4);
      const texts: string[] = [];
      for (let j = 0; j < n; j++) {
        const text = `${PREFIX}${round}-${j}`;
        texts.push(text);
        sent.push(text);
        await page.getByRole('textbox', { name: 'Message' }).fill(text);
        await page.getByRole('button', { name: 'Send' }).click();
        // Earlier sends of the round: on screen before the next (they may still be publishing).
        if (j < n - 1) await expect(messages(page).getByText(text, { exact: true })).toBeVisible();
      }
      // The kill point itself: a random moment after the last Send (this delay is the test's input, not a wait).
      // Squared uniform: denser early (signing, the outbox write, the first publish), reaching 2× a full send.
      const u = randomInt(0, 1_000_001) / 1_000_000;
      const delay = Math.round(maxDelay * u * u);
      delays.push(delay);
      await new Promise((r) => setTimeout(r, delay));
      trace(`round ${round}: ${n} sends, kill after ${delay} ms`);
      // Where the last send was when it died, as the page last showed it.
      const phase = deliveryPhase(profile.shown.get(texts[n - 1]!));
      phases[phase] = (phases[phase] ?? 0) + 1;
      if (round % 8 === 0) {
        browserKills++;
        await profile.killBrowser();
      } else {
        await profile.crashRenderer();
        await profile.newPage();
      }
      // What the page reported up to its death (reports still in flight when it died are lost: fewer checks, never false ones).
      const shown = texts.filter((t) => profile.shown.has(t));
      shownAtKill += shown.length;

      trace(`round ${round}: killed`);
      // Reopen the same profile on the chat; wait until its history is on screen.
      await profile.page.goto(chatUrl);
      await expect(messages(profile.page).getByText(lastStored, { exact: true })).toBeVisible({ timeout: 20_000 });
      trace(`round ${round}: reopened`);
      const now = counts(await history(profile.page));
      for (const [text, c] of now) if (c > 1) duplicated.push(`${text} ×${c} in the history after reopen ${round}`);
      for (const t of shown) if (!now.has(t)) lost.push(`${t} was on screen before kill ${round}, missing after reopen`);
      // A draft left in the box holding a message already stored would invite the person to send it twice.
      const box = await profile.page.getByRole('textbox', { name: 'Message' }).inputValue();
      if (box !== '' && now.has(box)) staleDrafts++;
      for (const t of texts) {
        if (now.has(t)) {
          stored.add(t);
          lastStored = t;
        } else notStored.add(t);
      }
    }

    // Everything stored reaches the recipient exactly once; nothing that was not stored ever does.
    const opened = async (pubkey: string, sk: Uint8Array, sub: string) => {
      const wraps = (await raw.query(sub, { kinds: [1059], '#p': [pubkey], limit: 1000 })) as unknown as NostrEvent[];
      return counts(wraps.map((w) => nip59.unwrapEvent(w, sk).content).filter((c) => c.startsWith(PREFIX)));
    };
    let q = 0;
    await expect
      .poll(async () => {
        const at = await opened(carol, carolSk, `c${q++}`);
        return [...stored].filter((t) => !at.has(t)).length;
      }, {
        timeout: 90_000,
        message: 'every stored message reaches the recipient'
      })
      .toBe(0);
    const atCarol = await opened(carol, carolSk, 'carol-final');
    const atMe = await opened(getPublicKey(mySk), mySk, 'self-final');
    for (const [who, at] of [['recipient', atCarol], ['self copy', atMe]] as const) {
      for (const t of stored) {
        const c = at.get(t) ?? 0;
        if (c === 0) lost.push(`${t}: no ${who}`);
        if (c > 1) duplicated.push(`${t}: ${c} at the ${who}`);
      }
      for (const t of at.keys()) if (!stored.has(t)) duplicated.push(`${t} arrived (${who}) but was never stored`);
    }
    // The final history: no message twice.
    for (const [text, c] of counts(await history(profile.page))) if (c > 1) duplicated.push(`${text} ×${c} in the final history`);
    expect(lost).toEqual([]);
    expect(duplicated).toEqual([]);
    expect(staleDrafts, 'a sent text back in the box after a reopen').toBe(0);

    const seconds = Math.round((Date.now() - started) / 1000);
    const figures = {
      kills: KILLS,
      rendererCrashes: KILLS - browserKills,
      browserKills,
      sendsPressed: sent.length,
      stored: stored.size,
      killedBeforeStored: notStored.size,
      lastSendAtKill: phases,
      shownAtKill,
      recipientWraps: [...atCarol.values()].reduce((a, b) => a + b, 0),
      lost: lost.length,
      duplicated: duplicated.length,
      staleDrafts,
      sendMs,
      maxDelayMs: maxDelay,
      killDelayMs: { min: Math.min(...delays), median: [...delays].sort((a, b) => a - b)[delays.length >> 1], max: Math.max(...delays) },
      seconds
    };
    console.log(`DURABILITY ${JSON.stringify(figures)}`);
    test.info().annotations.push({ type: 'durability', description: JSON.stringify(figures) });
  } finally {
    await raw.close();
    await profile.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
