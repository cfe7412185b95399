import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import ts from 'typescript-eslint';
import svelteConfig from './svelte.config.js';

/**
 * Layer rules from DESIGN.md §6. crypto, relay and store are leaves: they import none of each
 * other (nor sync, app, components, routes) and use no page globals, so they run unchanged in
 * Node, the page and the service worker. crypto also does no I/O: no sockets, fetches or
 * databases, as bare globals or through globalThis/self/window. tests/unit/layers.test.ts proves
 * each rule fires.
 */
const LEAVES = ['crypto', 'relay', 'store'];
const UPPER = ['sync', 'camouflage', 'app', 'components'];
const PAGE_GLOBALS = ['window', 'document', 'localStorage', 'sessionStorage', 'navigator', 'location', 'alert'];
const IO_GLOBALS = ['WebSocket', 'fetch', 'XMLHttpRequest', 'indexedDB'];
const GLOBAL_OBJECTS = ['globalThis', 'self', 'window'];

function leafRules(leaf) {
  const forbidden = [...LEAVES.filter((l) => l !== leaf), ...UPPER];
  const pageMessage = (name) => `src/lib/${leaf} must not touch page globals (${name}); platform objects are passed in (DESIGN.md §6).`;
  const ioMessage = (name) => `src/lib/crypto does no I/O (${name}): relay/ or sync/ does it and hands crypto the bytes (DESIGN.md §6).`;
  const restricted = [
    ...PAGE_GLOBALS.map((name) => ({ name, message: pageMessage(name) })),
    ...(leaf === 'crypto' ? IO_GLOBALS.map((name) => ({ name, message: ioMessage(name) })) : [])
  ];
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
      'no-restricted-globals': ['error', ...restricted],
      'no-restricted-properties': [
        'error',
        ...restricted.flatMap(({ name, message }) => GLOBAL_OBJECTS.map((object) => ({ object, property: name, message }))),
        { object: 'Math', property: 'random', message: 'Use crypto.getRandomValues (shared/bytes.ts).' }
      ],
      ...(leaf === 'crypto'
        ? {
            // Types too (`typeof WebSocket`, `(w: WebSocket)`): a crypto module has no use for them.
            'no-restricted-syntax': [
              'error',
              ...['TSTypeQuery > Identifier', 'TSTypeReference > Identifier'].map((node) => ({
                selector: `${node}[name=/^(${IO_GLOBALS.join('|')})$/]`,
                message: 'src/lib/crypto does no I/O: it needs no socket, fetch or database types (DESIGN.md §6).'
              }))
            ]
          }
        : {})
    }
  };
}

export default ts.config(
  { ignores: ['build/', '.svelte-kit/', 'node_modules/', 'test-results/', 'playwright-report/', 'dev-dist/', 'src/lib/paraglide/'] },
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
