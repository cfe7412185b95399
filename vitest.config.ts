import { paraglideVitePlugin } from '@inlang/paraglide-js';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vitest/config';
import { PARAGLIDE } from './scripts/paraglide.mjs';

// Unit and integration tests run in Node: crypto, relay, store and sync are written to run
// unchanged there (DESIGN.md §6). The browser tier is Playwright (playwright.config.ts).
export default defineConfig({
  // Compiles runes in src/lib/app/*.svelte.ts (view models tested in Node).
  // Paraglide compiles messages/*.json first (scripts/paraglide.mjs): app modules import their words.
  plugins: [paraglideVitePlugin(PARAGLIDE), svelte()],
  define: {
    __VEIL_DEFAULT_RELAYS__: JSON.stringify(['ws://127.0.0.1:7777']),
    __VEIL_DEFAULT_LOOKUP_RELAYS__: JSON.stringify(['ws://127.0.0.1:7778']),
    __VEIL_VERSION__: JSON.stringify('test')
  },
  test: {
    include: ['tests/unit/**/*.test.ts', 'tests/integration/**/*.test.ts', 'tests/privacy/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000
  }
});
