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
import type { Page } from '@playwright/test';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import WebSocket, { WebSocketServer } from 'ws';
import { OUTBOX_SYNC_TAG } from '../../src/lib/sync/worker-flush';
import { veilClient, type VeilClient } from '../helpers/veil-client';
import { startWeb, type WebServer } from '../helpers/web';
import { expect, messages, openChat, test } from './fixtures';
import { attachWorkerLog, bobWritesFirst, createRemembered, swProfile, type SwProfile } from './sw-profile';

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

let dir: string;
let gate: Gate;
let web: WebServer;
let sw: SwProfile;
let bob: VeilClient;

test.beforeEach(async ({ relay }) => {
  await mkdir(SCRATCH, { recursive: true });
  dir = await mkdtemp(join(SCRATCH, 'e2e-'));
  gate = await startGate(relay.url);
  web = await startWeb({ relays: [gate.url] });
  sw = await swProfile(dir, web.url, ['background-sync']);
  bob = await veilClient('bob', [gate.url]);
});

test.afterEach(async () => {
  attachWorkerLog(test.info(), sw);
  await bob.m.stop();
  await sw.context.close();
  await web.stop();
  await gate.stop();
  await rm(dir, { recursive: true, force: true });
});

async function fireSync(): Promise<void> {
  const v = sw.activeVersion()!;
  await sw.cdp.send('ServiceWorker.dispatchSyncEvent', { origin: new URL(web.url).origin, registrationId: v.registrationId, tag: OUTBOX_SYNC_TAG, lastChance: false });
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
  const page = await sw.context.newPage();
  await page.goto(web.url);
  await openChat(page, bobNpub);
  await expect(messages(page).getByRole('article').filter({ hasText: text }).getByText(status)).toBeVisible({ timeout: 20_000 });
  return page;
}

test('a message queued before every page closed is sent by the worker, once; a worker stopped mid-flush resends the same event', async () => {
  let alice = await sw.context.newPage();
  const aliceNpub = await createRemembered(alice, web.url, sw);

  // Bob writes first; Alice accepts and opens the chat.
  const { convB, bobNpub } = await bobWritesFirst(alice, aliceNpub, bob);

  // 1. Queued while unreachable, every page closed, the relay back: the worker's sync sends it.
  await queueWhileDown(alice, 'sent by the worker');
  await sw.closeEveryPage(alice);
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
  await sw.closeEveryPage(alice);
  gate.holdOks = true;
  gate.setAliceDown(false);
  const cutFrom = gate.aliceEvents.length;
  await fireSync();
  await expect.poll(() => gate.heldOks, { timeout: 30_000 }).toBeGreaterThan(0);
  await expect.poll(() => bobHas(convB, 'cut short by stopWorker'), { timeout: 30_000 }).toBe(1);
  expect(await sw.heldLocks()).toEqual(['veil-sockets']); // the flush is the sockets' one owner meanwhile
  const running = sw.activeVersion()!;
  await sw.cdp.send('ServiceWorker.stopWorker', { versionId: running.versionId });
  await expect.poll(() => sw.activeVersion()?.runningStatus).toBe('stopped');
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
