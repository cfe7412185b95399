/**
 * DESIGN.md §6: crypto, relay and store are leaves. The rule lives in eslint.config.js; this test
 * proves it fires on fixtures (a leaf importing another leaf, touching `window`/`document`) and
 * stays quiet on legal imports, so nobody can weaken the config without a red test.
 */
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, test } from 'vitest';

let eslint: ESLint;
beforeAll(() => {
  eslint = new ESLint({ cwd: process.cwd() });
});

async function layerErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? [])
    .filter((m) => m.severity === 2)
    .map((m) => `${m.ruleId}: ${m.message}`);
}

const LEAVES = ['crypto', 'relay', 'store'] as const;

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
