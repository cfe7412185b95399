/**
 * Killing Chromium on purpose, for the durability spec: a persistent profile that outlives its
 * renderers and its browser process, a record of what the UI showed until the kill (reported by the
 * page itself as it changes, so nothing shown in the last milliseconds is missed), and the two kinds
 * of kill (the renderer through CDP `Page.crash`; the whole browser process with SIGKILL, which takes
 * IndexedDB's backend down with it).
 */
import { chromium, type BrowserContext, type Page } from '@playwright/test';
import { readdirSync, readFileSync } from 'node:fs';
import { CHROMIUM_ARGS } from '../../playwright.config';

/** Prefix of every message the spec sends (the page reports only these). */
export const PREFIX = 'dur-';

/** text → the delivery line it last had on screen ('' before the first attempt is recorded). */
export type Shown = Map<string, string>;

export class KillableProfile {
  context!: BrowserContext;
  page!: Page;
  readonly shown: Shown = new Map();

  constructor(readonly dir: string) {}

  /** Launches Chromium on the profile, with the page reporting its outgoing messages as they change. */
  async launch(): Promise<void> {
    this.context = await chromium.launchPersistentContext(this.dir, {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: CHROMIUM_ARGS,
      headless: true
    });
    await this.context.exposeBinding('__durShown', (_src, items: [string, string][]) => {
      for (const [text, status] of items) this.shown.set(text, status);
    });
    await this.context.addInitScript((prefix: string) => {
      let last = '';
      const report = () => {
        const out: [string, string][] = [];
        for (const a of document.querySelectorAll('article[aria-label="You"]')) {
          const text = a.querySelector('.text')?.textContent ?? '';
          if (text.startsWith(prefix)) out.push([text, a.querySelector('.status')?.textContent?.trim() ?? '']);
        }
        const key = JSON.stringify(out);
        if (out.length === 0 || key === last) return;
        last = key;
        void (window as unknown as { __durShown(x: [string, string][]): Promise<void> }).__durShown(out);
      };
      new MutationObserver(report).observe(document, { subtree: true, childList: true, characterData: true });
    }, PREFIX);
    this.page = this.context.pages()[0] ?? (await this.context.newPage());
  }

  /** A new tab in the same profile (after a renderer crash). */
  async newPage(): Promise<void> {
    this.page = await this.context.newPage();
  }

  /** Kills the renderer of the current page (CDP `Page.crash`) and waits until Playwright saw it die. */
  async crashRenderer(): Promise<void> {
    const page = this.page;
    const crashed = new Promise<void>((resolve) => page.once('crash', () => resolve()));
    const cdp = await this.context.newCDPSession(page);
    void cdp.send('Page.crash').catch(() => {}); // never answered: the target dies
    await crashed;
    await page.close().catch(() => {});
  }

  /** SIGKILLs the browser process of this profile (found by its own --user-data-dir) and relaunches. */
  async killBrowser(): Promise<void> {
    const pid = browserPid(this.dir);
    const closed = new Promise<void>((resolve) => this.context.once('close', () => resolve()));
    process.kill(pid, 'SIGKILL');
    await closed;
    await this.launch();
  }

  async close(): Promise<void> {
    await this.context.close().catch(() => {});
  }
}

/** The main Chromium process running `profileDir` (its command line names the dir and has no --type=). */
export function browserPid(profileDir: string): number {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmd: string[];
    try {
      cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // exited meanwhile
    }
    if (cmd.includes(`--user-data-dir=${profileDir}`) && !cmd.some((a) => a.startsWith('--type='))) found.push(Number(entry));
  }
  if (found.length !== 1) throw new Error(`expected one browser process for ${profileDir}, found ${found.length}`);
  return found[0]!;
}
