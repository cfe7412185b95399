import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vitest/config';

// Unit and integration tests run in Node: crypto, relay, store and sync are written to run
// unchanged there (DESIGN.md §6). The browser tier is Playwright (playwright.config.ts).
export default defineConfig({
  // Compiles runes in src/lib/app/*.svelte.ts (view models tested in Node).
  plugins: [svelte()],
  define: {
    __VEIL_DEFAULT_RELAYS__: JSON.stringify(['ws://127.0.0.1:7777']),
    __VEIL_DEFAULT_LOOKUP_RELAYS__: JSON.stringify(['ws://127.0.0.1:7778']),
    __VEIL_VERSION__: JSON.stringify('test')
  },
  test: {
    // Paraglide compiles messages/*.json once before the tests (app modules import their words); its
    // Vite plugin would keep a file watcher open that holds vitest from exiting.
    globalSetup: ['scripts/paraglide.mjs'],
    include: ['tests/unit/**/*.test.ts', 'tests/integration/**/*.test.ts', 'tests/privacy/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000
  }
});
