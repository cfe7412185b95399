/**
 * docs/design.md §7: crypto, relay and store are leaves, and crypto does no I/O. The rules live in
 * eslint.config.js; this test proves they fire on fixtures (a leaf importing another leaf, touching
 * `window`/`document`, crypto opening a socket or fetching) and stay quiet on legal code, so nobody
 * can weaken the config without a red test.
 */
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, test } from 'vitest';

let eslint: ESLint;
// The first lint loads the config and the TypeScript parser (seconds, more on a busy machine): once, here.
beforeAll(async () => {
  eslint = new ESLint({ cwd: process.cwd() });
  await eslint.lintText('export {};\n', { filePath: 'src/lib/crypto/__warmup__.ts' });
}, 180_000);

async function layerErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? [])
    .filter((m) => m.severity === 2)
    .map((m) => `${m.ruleId}: ${m.message}`);
}

const LEAVES = ['crypto', 'relay', 'store'] as const;
const IO_GLOBALS = ['WebSocket', 'fetch', 'XMLHttpRequest', 'indexedDB'] as const;
const GLOBAL_OBJECTS = ['globalThis', 'self', 'window'] as const;

describe('layer rules', () => {
  test.each([
    ['crypto', "import { x } from '../relay';\nexport const y = x;\n", 'src/lib/crypto is a leaf layer: it must not import src/lib/relay'],
    ['crypto', "import { x } from '../relay/pool';\nexport const y = x;\n", 'src/lib/crypto is a leaf layer: it must not import src/lib/relay'],
    ['crypto', "import { x } from '$lib/store/db';\nexport const y = x;\n", 'src/lib/crypto is a leaf layer: it must not import src/lib/store'],
    ['relay', "import { x } from '../crypto/envelope';\nexport const y = x;\n", 'src/lib/relay is a leaf layer: it must not import src/lib/crypto'],
    ['store', "import { x } from '../../lib/sync/engine';\nexport const y = x;\n", 'src/lib/store is a leaf layer: it must not import src/lib/sync'],
    ['relay', "import { page } from '$app/state';\nexport const y = page;\n", 'must not depend on SvelteKit']
  ])('a file in src/lib/%s with a forbidden import fails the lint (%s)', async (leaf, code, expected) => {
    const errors = await layerErrors(`src/lib/${leaf}/__fixture__.ts`, code);
    expect(errors.some((e) => e.startsWith('no-restricted-imports') && e.includes(expected))).toBe(true);
  });

  test.each(LEAVES.flatMap((leaf) => ['window', 'document', 'localStorage'].map((g) => [leaf, g] as const)))(
    'src/lib/%s may not use %s',
    async (leaf, global) => {
      const errors = await layerErrors(`src/lib/${leaf}/__fixture__.ts`, `export const y = ${global};\n`);
      expect(errors).toContainEqual(expect.stringContaining(`must not touch page globals (${global})`));
    }
  );

  test.each(LEAVES.flatMap((leaf) => ['window', 'document'].flatMap((g) => GLOBAL_OBJECTS.map((o) => [leaf, `${o}.${g}`, g] as const))))(
    'src/lib/%s may not use %s',
    async (leaf, expr, global) => {
      const errors = await layerErrors(`src/lib/${leaf}/__fixture__.ts`, `export const y = ${expr};\n`);
      expect(errors).toContainEqual(expect.stringMatching(new RegExp(`^no-restricted-properties: .*must not touch page globals \\(${global}\\)`)));
    }
  );

  test.each(IO_GLOBALS)('src/lib/crypto may not use the global %s', async (global) => {
    const errors = await layerErrors('src/lib/crypto/__fixture__.ts', `export const y = ${global};\n`);
    expect(errors).toContainEqual(expect.stringMatching(new RegExp(`^no-restricted-globals: .*crypto does no I/O \\(${global}\\)`)));
  });

  test.each(IO_GLOBALS.flatMap((g) => GLOBAL_OBJECTS.map((o) => [`${o}.${g}`, g] as const)))(
    'src/lib/crypto may not use %s',
    async (expr, global) => {
      const errors = await layerErrors('src/lib/crypto/__fixture__.ts', `export const y = ${expr};\n`);
      expect(errors).toContainEqual(expect.stringMatching(new RegExp(`^no-restricted-properties: .*crypto does no I/O \\(${global}\\)`)));
    }
  );

  test.each(IO_GLOBALS)('src/lib/crypto may not reach %s by destructuring or a computed key', async (global) => {
    for (const code of [`const { ${global}: g } = globalThis;\nexport const y = g;\n`, `export const y = self['${global}'];\n`]) {
      const errors = await layerErrors('src/lib/crypto/__fixture__.ts', code);
      expect(errors).toContainEqual(expect.stringContaining(`crypto does no I/O (${global})`));
    }
  });

  test.each([
    ['typeof WebSocket', 'export type W = typeof WebSocket;\n'],
    ['a WebSocket parameter', 'export const f = (w: WebSocket) => w.readyState;\n'],
    ['typeof fetch', 'export type F = typeof fetch;\n']
  ])('src/lib/crypto may not name I/O types either (%s)', async (_what, code) => {
    const errors = await layerErrors('src/lib/crypto/__fixture__.ts', code);
    expect(errors).toContainEqual(expect.stringMatching(/^no-restricted-syntax: src\/lib\/crypto does no I\/O/));
  });

  test('a clean crypto module passes: WebCrypto, timers, npm and shared imports are not I/O', async () => {
    const code = [
      "import { sha256 } from '@noble/hashes/sha2.js';",
      "import { bytesToHex, randomBytes } from '../shared/bytes';",
      "import type { NostrEventJson } from '../shared/nostr';",
      'export interface Transport { publish(event: NostrEventJson): Promise<void> }',
      'export async function seal(t: Transport, e: NostrEventJson): Promise<string> {',
      "  const k = await crypto.subtle.importKey('raw', randomBytes(32), { name: 'AES-GCM' }, false, ['encrypt']);",
      '  const timer = setTimeout(() => undefined, 10);',
      '  clearTimeout(timer);',
      '  await t.publish(e);',
      '  return bytesToHex(sha256(new Uint8Array([k.type.length])));',
      '}',
      ''
    ].join('\n');
    expect(await layerErrors('src/lib/crypto/__fixture__.ts', code)).toEqual([]);
  });

  test.each(['relay', 'sync'])('the I/O rule is crypto-only: src/lib/%s may use an injected WebSocket and fetch', async (dir) => {
    const code = 'export const open = (W: typeof WebSocket, f: typeof fetch) => [new W("wss://r.example"), f];\n';
    expect(await layerErrors(`src/lib/${dir}/__fixture__.ts`, code)).toEqual([]);
  });

  test('Math.random is refused everywhere', async () => {
    const errors = await layerErrors('src/lib/sync/__fixture__.ts', 'export const r = Math.random();\n');
    expect(errors).toContainEqual(expect.stringContaining('crypto.getRandomValues'));
  });

  test.each(LEAVES)('legal imports in src/lib/%s pass', async (leaf) => {
    const code = "import { randomBytes } from '../shared/bytes';\nimport { nip19 } from 'nostr-tools';\nexport const y = [randomBytes, nip19];\n";
    expect(await layerErrors(`src/lib/${leaf}/__fixture__.ts`, code)).toEqual([]);
  });

  test('the same import is allowed in sync/, which combines leaves', async () => {
    const code = "import { x } from '../relay/pool';\nimport { y } from '../crypto/envelope';\nexport const z = [x, y];\n";
    expect(await layerErrors('src/lib/sync/__fixture__.ts', code)).toEqual([]);
  });
});
