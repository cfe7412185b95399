/**
 * scripts/paraglide-compact.mjs (issue 12: precache ≤ 600 kB) rewrites Paraglide's message modules for the
 * bundle. Every message, compacted, says exactly what Paraglide's own module says: in each locale, by
 * options.locale and by the current locale, with and without inputs and for plural counts. Every module
 * is of the shape the plugin knows, so none is left out of the saving.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compactMessageModule, pickModule, PICK_ID } from '../../scripts/paraglide-compact.mjs';
import { baseLocale, locales, overwriteGetLocale } from '../../src/lib/paraglide/runtime';

const ROOT = new URL('../..', import.meta.url).pathname;
const PARAGLIDE = join(ROOT, 'src/lib/paraglide');
const MESSAGES = join(PARAGLIDE, 'messages');
const settings = JSON.parse(readFileSync(join(ROOT, 'project.inlang/settings.json'), 'utf8')) as { locales: string[]; baseLocale: string };

type Message = (inputs?: unknown, options?: { locale?: string }) => string;
const tmp = mkdtempSync(join(tmpdir(), 'veil-compact-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
// The dispatcher and the compacted modules use the real runtime.js and registry.js, so one locale rules both.
writeFileSync(join(tmp, 'pick.js'), pickModule(join(PARAGLIDE, 'runtime.js')));
const absolute = (code: string): string =>
  code
    .replaceAll("'../runtime.js'", JSON.stringify(join(PARAGLIDE, 'runtime.js')))
    .replaceAll("'../registry.js'", JSON.stringify(join(PARAGLIDE, 'registry.js')))
    .replaceAll(`'${PICK_ID}'`, JSON.stringify(join(tmp, 'pick.js')));

const files = readdirSync(MESSAGES).filter((f) => f.endsWith('.js') && !f.startsWith('_'));

/** Inputs whose every field is `value` (a count for plurals, a word for placeholders). */
const inputsOf = (value: unknown) => new Proxy({}, { get: (_t, key) => (typeof key === 'string' ? value : undefined) });
const INPUTS = [undefined, inputsOf('‹x›'), ...[0, 1, 2, 5, 21].map(inputsOf)];

describe('compacted Paraglide messages', () => {
  it('knows the settings the app compiles with', () => {
    expect(settings.locales).toEqual([...locales]);
    expect(settings.baseLocale).toBe(baseLocale);
    expect(files.length).toBeGreaterThan(400);
  });

  it('compacts every message module, and the compact one is smaller', () => {
    const skipped: string[] = [];
    for (const f of files) {
      const code = readFileSync(join(MESSAGES, f), 'utf8');
      const out = compactMessageModule(code, settings);
      if ('skipped' in out) skipped.push(`${f}: ${out.skipped}`);
      else expect(out.code.length, f).toBeLessThan(code.length);
    }
    expect(skipped).toEqual([]);
  });

  it('leaves a module of another shape alone', () => {
    const code = readFileSync(join(MESSAGES, files[0]!), 'utf8');
    expect(compactMessageModule(code.replace('getLocale()', 'getLocale() ?? "es"'), settings)).toEqual({ skipped: 'dispatcher not of the known shape' });
    expect(compactMessageModule(code, { ...settings, locales: [...settings.locales, 'fr'] })).toEqual({ skipped: 'not one function per locale' });
  });

  it('says what Paraglide says, for every message, locale and input', async () => {
    const pairs: [string, Message, Message][] = [];
    for (const f of files) {
      const out = compactMessageModule(readFileSync(join(MESSAGES, f), 'utf8'), settings);
      if ('skipped' in out) throw new Error(f);
      writeFileSync(join(tmp, f), absolute(out.code));
      const key = f.slice(0, -3);
      const [original, compact] = await Promise.all([import(join(MESSAGES, f)), import(join(tmp, f))]);
      pairs.push([key, original[key] as Message, compact[key] as Message]);
    }
    let compared = 0;
    try {
      for (const current of [...locales, 'xx']) {
        overwriteGetLocale(() => current as (typeof locales)[number]);
        for (const [key, original, compact] of pairs)
          for (const inputs of INPUTS)
            for (const options of [undefined, {}, ...locales.map((locale) => ({ locale }))]) {
              expect(compact(inputs, options), `${key} in ${current} with ${JSON.stringify(options)}`).toBe(original(inputs, options));
              compared++;
            }
      }
    } finally {
      overwriteGetLocale(() => baseLocale);
    }
    // Spanish is really there: some message reads differently in es than in en.
    expect(pairs.some(([, , c]) => c({}, { locale: 'es' }) !== c({}, { locale: 'en' }))).toBe(true);
    expect(compared).toBe(pairs.length * 3 * INPUTS.length * (2 + locales.length));
  });
});
