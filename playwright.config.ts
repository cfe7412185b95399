import { defineConfig } from '@playwright/test';

/**
 * End-to-end tests drive Debian's Chromium (`npx playwright install` cannot download browsers
 * here) against the built app served by scripts/serve.mjs and a real relay (scripts/relay.mjs).
 * `npm run test:e2e` builds first. Each spec starts the servers it needs on free ports.
 */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync'
];

export default defineConfig({
  testDir: 'tests/e2e',
  timeout: 120_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: process.env.CI ? [['list']] : [['list']],
  use: {
    browserName: 'chromium',
    headless: true,
    // The app follows the browser's language (src/lib/app/language.svelte.ts); the specs find controls by
    // their English names, so every context is English unless a spec asks otherwise (tests/e2e/i18n.spec.ts).
    locale: 'en-US',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: CHROMIUM_ARGS
    },
    trace: 'retain-on-failure'
  }
});
