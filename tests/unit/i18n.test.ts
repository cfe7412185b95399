/**
 * The app's words (issue 14 item 9): every message in messages/en.json exists in messages/es.json and the
 * other way round, with the same placeholders (and, for plurals, the same selectors and variants); every
 * key is used by the app; Spanish is translated, not copied. tests/e2e/i18n.spec.ts checks the screens.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

type Variant = { declarations?: string[]; selectors?: string[]; match: Record<string, string> };
type Message = string | Variant[];
type Messages = Record<string, Message>;

const ROOT = new URL('../..', import.meta.url).pathname;
const load = (locale: string): Messages => {
  const { $schema: _schema, ...rest } = JSON.parse(readFileSync(join(ROOT, `messages/${locale}.json`), 'utf8')) as Record<string, unknown>;
  return rest as Messages;
};
const en = load('en');
const es = load('es');

/** The texts of a message: the string, or every variant of a plural. */
const texts = (m: Message): string[] => (typeof m === 'string' ? [m] : m.flatMap((v) => Object.values(v.match)));
const placeholders = (text: string): string[] => [...text.matchAll(/\{(\w+)\}/g)].map((x) => x[1]!).sort();

/** Identical in both languages on purpose: names, protocol terms, and the language names themselves. */
const SAME = new Set(['onb_bunker_short', 'acct_signer_nip46', 'rv_kind_other', 'rv_bytes', 'rv_term_created', 'relay_error', 'lang_en', 'lang_es', 'list_nav', 'conv_escape']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'paraglide') return [];
    return statSync(path).isDirectory() ? sourceFiles(path) : /\.(ts|svelte)$/.test(name) ? [path] : [];
  });
}

describe('messages', () => {
  it('has the same keys in English and Spanish', () => {
    expect(Object.keys(en).length).toBeGreaterThan(400);
    expect(Object.keys(es).sort()).toEqual(Object.keys(en).sort());
  });

  it('has the same placeholders, and plurals the same selectors and variants', () => {
    for (const key of Object.keys(en)) {
      const a = en[key]!;
      const b = es[key]!;
      expect(typeof b, key).toBe(typeof a);
      if (typeof a === 'string') {
        expect(placeholders(b as string), key).toEqual(placeholders(a));
        continue;
      }
      const [va, vb] = [a[0]!, (b as Variant[])[0]!];
      expect(vb.declarations, key).toEqual(va.declarations);
      expect(vb.selectors, key).toEqual(va.selectors);
      expect(Object.keys(vb.match).sort(), key).toEqual(Object.keys(va.match).sort());
      for (const v of Object.keys(va.match)) expect(placeholders(vb.match[v]!), `${key} ${v}`).toEqual(placeholders(va.match[v]!));
    }
  });

  it('translates every message into Spanish (only names and protocol terms stay the same)', () => {
    const copied = Object.keys(en).filter((k) => JSON.stringify(en[k]) === JSON.stringify(es[k]));
    expect(copied.sort()).toEqual([...SAME].sort());
    for (const key of Object.keys(es)) for (const t of texts(es[key]!)) expect(t.trim(), key).not.toBe('');
  });

  it('uses every key somewhere in src/', () => {
    const source = sourceFiles(join(ROOT, 'src')).map((f) => readFileSync(f, 'utf8')).join('\n');
    const unused = Object.keys(en).filter((k) => !new RegExp(`\\b(m|t|words)\\.${k}\\b`).test(source));
    expect(unused).toEqual([]);
  });
});
