import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import ts from 'typescript-eslint';
import svelteConfig from './svelte.config.js';

/**
 * Layer rules from DESIGN.md §6. crypto, relay and store are leaves: they import none of each
 * other (nor sync, app, components, routes) and use no page globals, so they run unchanged in
 * Node, the page and the service worker. tests/unit/layers.test.ts proves the rule fires.
 */
const LEAVES = ['crypto', 'relay', 'store'];
const UPPER = ['sync', 'camouflage', 'app', 'components'];
const PAGE_GLOBALS = ['window', 'document', 'localStorage', 'sessionStorage', 'navigator', 'location', 'alert'];

function leafRules(leaf) {
  const forbidden = [...LEAVES.filter((l) => l !== leaf), ...UPPER];
  return {
    files: [`src/lib/${leaf}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...forbidden.map((other) => ({
              group: [`**/${other}`, `**/${other}/**`, `$lib/${other}`, `$lib/${other}/**`],
              message: `src/lib/${leaf} is a leaf layer: it must not import src/lib/${other} (DESIGN.md §6). Pass what you need in from sync/.`
            })),
            { group: ['$app/*', '$app/**', 'svelte', 'svelte/*'], message: `src/lib/${leaf} must not depend on SvelteKit or Svelte (DESIGN.md §6).` }
          ]
        }
      ],
      'no-restricted-globals': [
        'error',
        ...PAGE_GLOBALS.map((name) => ({
          name,
          message: `src/lib/${leaf} must not touch page globals (${name}); platform objects are passed in (DESIGN.md §6).`
        }))
      ],
      'no-restricted-properties': [
        'error',
        ...PAGE_GLOBALS.map((property) => ({
          object: 'globalThis',
          property,
          message: `src/lib/${leaf} must not touch page globals (globalThis.${property}).`
        })),
        { object: 'Math', property: 'random', message: 'Use crypto.getRandomValues (shared/bytes.ts).' }
      ]
    }
  };
}

export default ts.config(
  { ignores: ['build/', '.svelte-kit/', 'node_modules/', 'test-results/', 'playwright-report/', 'dev-dist/'] },
  js.configs.recommended,
  ...ts.configs.recommended,
  ...svelte.configs.recommended,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node } }
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts', '**/*.svelte.js'],
    languageOptions: {
      parserOptions: { projectService: false, extraFileExtensions: ['.svelte'], parser: ts.parser, svelteConfig }
    }
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: 'Use crypto.getRandomValues (shared/bytes.ts).' }],
      'svelte/no-at-html-tags': 'error'
    }
  },
  ...LEAVES.map(leafRules),
  {
    files: ['src/lib/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['../*', '$lib/*'], message: 'src/lib/shared is the bottom layer: it imports nothing from the app.' }] }
      ]
    }
  }
);
