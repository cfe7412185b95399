/**
 * A persistent Chromium profile with a CDP session for the service worker specs (issue 13): the
 * worker's versions as CDP reports them, the worker itself (started through CDP when stopped), the
 * Web Locks it sees, and onboarding with "Remember on this device" (the worker may open the store).
 */
import { chromium, type BrowserContext, type CDPSession, type Page, type TestInfo, type Worker } from '@playwright/test';
import { join } from 'node:path';
import { CHROMIUM_ARGS } from '../../playwright.config';
import { encodeNpub } from '../../src/lib/crypto/nip19';
import type { VeilClient } from '../helpers/veil-client';
import { expect, openChat } from './fixtures';

export interface SwVersion {
  versionId: string;
  registrationId: string;
  runningStatus: string;
  status: string;
}

export interface SwProfile {
  context: BrowserContext;
  cdp: CDPSession;
  /** The active worker's version (the one CDP reported as activated). */
  activeVersion(): SwVersion | undefined;
  worker(): Promise<Worker>;
  heldLocks(): Promise<string[]>;
  /** Closes `page` and waits until no page holds "veil-sockets" (seen from the worker). */
  closeEveryPage(page: Page): Promise<void>;
  /** What the service worker wrote to its console so far (each start of it), with errors it threw. */
  workerLog(): string[];
  /**
   * Fires Periodic Background Sync's event with `tag` and waits until the worker logs that its wake
   * began. An event the browser did not deliver within 15 s is fired once more (the browser's own
   * schedule would fire it again later); the test log says so.
   */
  periodicWake(tag: string): Promise<void>;
}

/** `locale`: the browser's language (as playwright.config.ts, English unless a spec asks otherwise). */
export async function swProfile(dir: string, origin: string, permissions: string[], locale = 'en-US'): Promise<SwProfile> {
  const context = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    locale,
    headless: true
  });
  await context.grantPermissions(permissions, { origin });
  const log: string[] = [];
  const listen = (w: Worker): void => {
    w.on('console', (msg) => log.push(`${msg.type()}: ${msg.text()}`));
  };
  context.serviceWorkers().forEach(listen);
  context.on('serviceworker', listen);
  context.on('weberror', (e) => log.push(`error: ${String(e.error())}`));
  // The CDP session lives on a blank tab, which is no Veil page: closing Alice's tabs leaves it.
  const blank = context.pages()[0] ?? (await context.newPage());
  const cdp = await context.newCDPSession(blank);
  const versions = new Map<string, SwVersion>();
  cdp.on('ServiceWorker.workerVersionUpdated', ({ versions: vs }: { versions: SwVersion[] }) => {
    for (const v of vs) versions.set(v.versionId, v);
  });
  await cdp.send('ServiceWorker.enable');
  const activeVersion = () => [...versions.values()].find((v) => v.status === 'activated');
  const worker = async (): Promise<Worker> => {
    const running = context.serviceWorkers()[0];
    if (running) return running;
    const started = context.waitForEvent('serviceworker');
    await cdp.send('ServiceWorker.startWorker', { scopeURL: new URL('/', origin).href });
    return started;
  };
  const heldLocks = async (): Promise<string[]> => (await worker()).evaluate(async () => (await navigator.locks.query()).held?.map((l) => l.name ?? '') ?? []);
  const closeEveryPage = async (page: Page): Promise<void> => {
    await page.close();
    await expect.poll(heldLocks).not.toContain('veil-sockets');
  };
  const wakes = (): number => log.filter((l) => l.endsWith('veil worker: periodic wake')).length;
  const periodicWake = async (tag: string): Promise<void> => {
    const v = activeVersion();
    if (!v) throw new Error('no activated service worker version reported by CDP');
    for (let attempt = 1; ; attempt++) {
      const before = wakes();
      await cdp.send('ServiceWorker.dispatchPeriodicSyncEvent', { origin: new URL(origin).origin, registrationId: v.registrationId, tag });
      try {
        await expect.poll(wakes, { timeout: 15_000, message: 'the worker began its periodic wake' }).toBeGreaterThan(before);
        return;
      } catch (e) {
        if (attempt >= 2) throw e;
        console.log(`periodic sync event not delivered within 15 s (worker log: ${JSON.stringify(log)}); fired again`);
      }
    }
  };
  return { context, cdp, activeVersion, worker, heldLocks, closeEveryPage, workerLog: () => [...log], periodicWake };
}

/** Onboarding with "Remember on this device" (or without: `remember` false); returns the npub once the worker controls the page. */
export async function createRemembered(page: Page, url: string, sw: SwProfile, remember = true): Promise<string> {
  await page.goto(url);
  await page.getByRole('button', { name: 'Create a new identity' }).click();
  await page.getByLabel('Passphrase', { exact: true }).fill('correct horse battery staple');
  await page.getByLabel('Type it again').fill('correct horse battery staple');
  await page.getByRole('checkbox', { name: /Remember on this device/ }).setChecked(remember);
  await page.getByRole('button', { name: 'Create', exact: true }).click();
  await page.getByLabel('I have saved my key somewhere safe').check();
  await page.getByRole('button', { name: 'Continue' }).click();
  const npub = await page.getByRole('textbox', { name: 'Your npub' }).inputValue();
  await page.waitForFunction(() => navigator.serviceWorker?.controller?.state === 'activated', null, { timeout: 20_000 });
  // A wait, not a check: CDP reports the activated version a moment after the page sees its controller
  // (dispatchSyncEvent needs its registration id); it times out when CDP never reports one.
  await expect.poll(() => sw.activeVersion()?.registrationId, { message: 'CDP reported the activated worker' }).toMatch(/\S/);
  return npub;
}

/** Bob (a Node Messenger) writes first; Alice accepts the request and opens the chat. Returns Bob's conversation and npub. */
export async function bobWritesFirst(alice: Page, aliceNpub: string, bob: VeilClient): Promise<{ convB: string; bobNpub: string }> {
  const bobNpub = encodeNpub(bob.pubkey);
  const convB = await bob.m.startChat(aliceNpub);
  await bob.m.send(convB, 'hello Alice');
  const requests = alice.getByRole('region', { name: 'Requests' });
  await expect(requests.getByText('hello Alice')).toBeVisible({ timeout: 30_000 });
  await requests.getByRole('button', { name: 'Accept' }).click();
  await openChat(alice, bobNpub);
  return { convB, bobNpub };
}

/** The notifications the worker's registration shows now (title, body, tag). */
export async function workerNotifications(sw: SwProfile): Promise<{ title: string; body: string; tag: string }[]> {
  return (await sw.worker()).evaluate(async () => {
    const reg = (self as unknown as { registration: ServiceWorkerRegistration }).registration;
    return (await reg.getNotifications()).map((n) => ({ title: n.title, body: n.body, tag: n.tag }));
  });
}

/** On a failed test, the worker's console goes into the report (what each wake did: counts only). */
export function attachWorkerLog(info: TestInfo, sw: SwProfile | undefined): void {
  if (!sw || info.status === info.expectedStatus) return;
  const log = sw.workerLog();
  console.log(`service worker console (${log.length} lines):\n${log.join('\n')}`);
}
