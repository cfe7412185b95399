/**
 * The service worker sends what the page could not (issue 13 item 1), in Chromium with a persistent
 * profile. Alice ("remember on this device") queues a message while her relay is unreachable and
 * closes every Veil page; the relay is reachable again; the worker's Background Sync event is fired
 * with CDP `ServiceWorker.dispatchSyncEvent`; Bob gets the message exactly once, and Alice's reopened
 * page shows "Sent to 1 of 1 relays" while her relay is unreachable again (the worker recorded it).
 * Then the worker is stopped (CDP `ServiceWorker.stopWorker`) after the relay took the event but
 * before its answer arrived: the next sync sends the very same event id again and Bob still has it once.
 *
 * Bob is a Veil Messenger in Node (tests/helpers/veil-client.ts), so his history is read exactly.
 * Everyone reaches the relay through a small gate in this file: browser sockets (they send an
 * Origin header; Node's `ws` sends none) are Alice's, which the gate can cut, or whose OK answers it
 * can hold back, and whose EVENT ids it records.
 */
import { chromium, type BrowserContext, type CDPSession, type Page, type Worker } from '@playwright/test';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import WebSocket, { WebSocketServer } from 'ws';
import { CHROMIUM_ARGS } from '../../playwright.config';
import { encodeNpub } from '../../src/lib/crypto/nip19';
import { OUTBOX_SYNC_TAG } from '../../src/lib/sync/worker-flush';
import { veilClient, type VeilClient } from '../helpers/veil-client';
import { startWeb, type WebServer } from '../helpers/web';
import { expect, messages, openChat, test } from './fixtures';

const SCRATCH = '/work/tmp/worker';

/** A WebSocket relay proxy that tells Alice's (browser) sockets from Bob's (Node) ones. */
interface Gate {
  url: string;
  /** Alice's sockets are cut and refused. */
  aliceDown: boolean;
  /** OK answers to Alice's sockets are dropped (counted in `heldOks`). */
  holdOks: boolean;
  heldOks: number;
  forwardedOks: number;
  /** Ids of the EVENTs Alice's sockets sent, in order. */
  aliceEvents: string[];
  setAliceDown(down: boolean): void;
  stop(): Promise<void>;
}

async function startGate(upstream: string): Promise<Gate> {
  const server = createServer();
  const wss = new WebSocketServer({ server });
  const alice = new Set<WebSocket>();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const gate: Gate = {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
    aliceDown: false,
    holdOks: false,
    heldOks: 0,
    forwardedOks: 0,
    aliceEvents: [],
    setAliceDown(down) {
      gate.aliceDown = down;
      if (down) for (const s of alice) s.terminate();
    },
    async stop() {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
      await new Promise<void>((r) => server.close(() => r()));
    }
  };
  wss.on('connection', (client, req) => {
    const isAlice = req.headers.origin !== undefined;
    if (isAlice && gate.aliceDown) return client.terminate();
    if (isAlice) alice.add(client);
    const up = new WebSocket(upstream);
    const waiting: string[] = [];
    const end = () => {
      alice.delete(client);
      client.terminate();
      up.terminate();
    };
    up.on('open', () => waiting.splice(0).forEach((f) => up.send(f)));
    client.on('message', (data) => {
      const frame = data.toString();
      if (isAlice && frame.startsWith('["EVENT"')) gate.aliceEvents.push((JSON.parse(frame) as [string, { id: string }])[1].id);
      if (up.readyState === WebSocket.OPEN) up.send(frame);
      else waiting.push(frame);
    });
    up.on('message', (data) => {
      const frame = data.toString();
      if (isAlice && frame.startsWith('["OK"')) {
        if (gate.holdOks) return void gate.heldOks++;
        gate.forwardedOks++;
      }
      if (client.readyState === WebSocket.OPEN) client.send(frame);
    });
    for (const s of [client, up]) {
      s.on('close', end);
      s.on('error', end);
    }
  });
  return gate;
}

interface SwVersion {
  versionId: string;
  registrationId: string;
  runningStatus: string;
  status: string;
}

let dir: string;
let gate: Gate;
let web: WebServer;
let context: BrowserContext;
let cdp: CDPSession;
let bob: VeilClient;
const versions = new Map<string, SwVersion>();

test.beforeEach(async ({ relay }) => {
  await mkdir(SCRATCH, { recursive: true });
  dir = await mkdtemp(join(SCRATCH, 'e2e-'));
  gate = await startGate(relay.url);
  web = await startWeb({ relays: [gate.url] });
  context = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    headless: true
  });
  await context.grantPermissions(['background-sync'], { origin: web.url });
  // The CDP session lives on a blank tab, which is no Veil page: closing Alice's tabs leaves it.
  const blank = context.pages()[0] ?? (await context.newPage());
  cdp = await context.newCDPSession(blank);
  versions.clear();
  cdp.on('ServiceWorker.workerVersionUpdated', ({ versions: vs }: { versions: SwVersion[] }) => {
    for (const v of vs) versions.set(v.versionId, v);
  });
  await cdp.send('ServiceWorker.enable');
  bob = await veilClient('bob', [gate.url]);
});

test.afterEach(async () => {
  await bob.m.stop();
  await context.close();
  await web.stop();
  await gate.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Onboarding with "Remember on this device" (the worker may open the store with the device key). */
async function createRemembered(page: Page): Promise<string> {
  await page.goto(web.url);
  await page.getByRole('button', { name: 'Create a new identity' }).click();
  await page.getByLabel('Passphrase', { exact: true }).fill('correct horse battery staple');
  await page.getByLabel('Type it again').fill('correct horse battery staple');
  await page.getByRole('checkbox', { name: /Remember on this device/ }).check();
  await page.getByRole('button', { name: 'Create', exact: true }).click();
  await page.getByLabel('I have saved my key somewhere safe').check();
  await page.getByRole('button', { name: 'Continue' }).click();
  return page.getByRole('textbox', { name: 'Your npub' }).inputValue();
}

/** The active worker's version (the one CDP events reported as activated). */
function activeVersion(): SwVersion | undefined {
  return [...versions.values()].find((v) => v.status === 'activated');
}

/** The worker itself (started through CDP when it is stopped), for a look at the Web Locks held. */
async function worker(): Promise<Worker> {
  const running = context.serviceWorkers()[0];
  if (running) return running;
  const started = context.waitForEvent('serviceworker');
  await cdp.send('ServiceWorker.startWorker', { scopeURL: new URL('/', web.url).href });
  return started;
}

const heldLocks = async (): Promise<string[]> => (await worker()).evaluate(async () => (await navigator.locks.query()).held?.map((l) => l.name ?? '') ?? []);

/** Closes Alice's tab and waits until no page holds "veil-sockets" (seen from the worker). */
async function closeEveryPage(page: Page): Promise<void> {
  await page.close();
  await expect.poll(heldLocks).not.toContain('veil-sockets');
}

async function fireSync(): Promise<void> {
  const v = activeVersion()!;
  await cdp.send('ServiceWorker.dispatchSyncEvent', { origin: new URL(web.url).origin, registrationId: v.registrationId, tag: OUTBOX_SYNC_TAG, lastChance: false });
}

const bobHas = async (conv: string, text: string) => (await bob.m.pageMessages(conv, { limit: 200 })).filter((m) => m.text === text).length;

/** Alice's page, the relay unreachable for her: types `text`, sees it queued. */
async function queueWhileDown(alice: Page, text: string): Promise<void> {
  gate.setAliceDown(true);
  await expect(alice.getByText('No relay is connected')).toBeVisible({ timeout: 30_000 });
  await alice.getByRole('textbox', { name: 'Message' }).fill(text);
  await alice.getByRole('button', { name: 'Send' }).click();
  const mine = messages(alice).getByRole('article').filter({ hasText: text });
  await expect(mine.getByText('Queued, will retry')).toBeVisible({ timeout: 30_000 });
}

/** A new tab while the relay is unreachable for Alice: what the store says about `text`. */
async function reopenedShows(bobNpub: string, text: string, status: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(web.url);
  await openChat(page, bobNpub);
  await expect(messages(page).getByRole('article').filter({ hasText: text }).getByText(status)).toBeVisible({ timeout: 20_000 });
  return page;
}

test('a message queued before every page closed is sent by the worker, once; a worker stopped mid-flush resends the same event', async () => {
  let alice = await context.newPage();
  const aliceNpub = await createRemembered(alice);
  const bobNpub = encodeNpub(bob.pubkey);
  await alice.waitForFunction(() => navigator.serviceWorker?.controller?.state === 'activated', null, { timeout: 20_000 });
  await expect.poll(() => activeVersion()?.registrationId).toBeTruthy();

  // Bob writes first; Alice accepts and opens the chat.
  const convB = await bob.m.startChat(aliceNpub);
  await bob.m.send(convB, 'hello Alice');
  const requests = alice.getByRole('region', { name: 'Requests' });
  await expect(requests.getByText('hello Alice')).toBeVisible({ timeout: 30_000 });
  await requests.getByRole('button', { name: 'Accept' }).click();
  await openChat(alice, bobNpub);

  // 1. Queued while unreachable, every page closed, the relay back: the worker's sync sends it.
  await queueWhileDown(alice, 'sent by the worker');
  await closeEveryPage(alice);
  gate.setAliceDown(false);
  const before = gate.aliceEvents.length;
  await fireSync();
  await expect.poll(() => bobHas(convB, 'sent by the worker'), { timeout: 30_000 }).toBe(1);
  await expect.poll(() => gate.forwardedOks).toBeGreaterThan(0);
  const sentByWorker = gate.aliceEvents.slice(before);
  expect(sentByWorker).toHaveLength(1);
  // Recorded as the page records it: a new tab, the relay unreachable again, shows it sent.
  gate.setAliceDown(true);
  alice = await reopenedShows(bobNpub, 'sent by the worker', 'Sent to 1 of 1 relays');

  // 2. The worker stopped after the relay took the event, before its answer came.
  await queueWhileDown(alice, 'cut short by stopWorker');
  await closeEveryPage(alice);
  gate.holdOks = true;
  gate.setAliceDown(false);
  const cutFrom = gate.aliceEvents.length;
  await fireSync();
  await expect.poll(() => gate.heldOks, { timeout: 30_000 }).toBeGreaterThan(0);
  await expect.poll(() => bobHas(convB, 'cut short by stopWorker'), { timeout: 30_000 }).toBe(1);
  expect(await heldLocks()).toEqual(['veil-sockets']); // the flush is the sockets' one owner meanwhile
  const running = activeVersion()!;
  await cdp.send('ServiceWorker.stopWorker', { versionId: running.versionId });
  await expect.poll(() => activeVersion()?.runningStatus).toBe('stopped');
  gate.holdOks = false;
  const oksBefore = gate.forwardedOks;
  await fireSync();
  await expect.poll(() => gate.forwardedOks, { timeout: 30_000 }).toBeGreaterThan(oksBefore);
  const cut = gate.aliceEvents.slice(cutFrom);
  expect(cut).toHaveLength(2);
  expect(cut[1]).toBe(cut[0]); // the very same event: nothing new minted on retry
  gate.setAliceDown(true);
  await reopenedShows(bobNpub, 'cut short by stopWorker', 'Sent to 1 of 1 relays');
  expect(await bobHas(convB, 'cut short by stopWorker')).toBe(1);
  expect(await bobHas(convB, 'sent by the worker')).toBe(1);
});
