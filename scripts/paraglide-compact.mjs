/**
 * A Vite plugin that makes Paraglide's per-message modules smaller in the bundle (issue 12: precache ≤ 600 kB),
 * with the same words and the same behaviour.
 *
 * Paraglide's "message-modules" output (src/lib/paraglide/messages/<key>.js) has, per message, one function
 * per locale and a dispatcher that picks one:
 *
 *     const en_key = () => `…`;
 *     const es_key = () => `…`;
 *     export const key = (inputs = {}, options = {}) => {
 *       const locale = experimentalStaticLocale ?? options.locale ?? getLocale()
 *       if (locale === "es") return es_key(inputs)
 *       return en_key(inputs)
 *     };
 *
 * Minified, the dispatcher is ~53 bytes and each locale function ~10 bytes besides its text: ~40 kB over the
 * app's ~550 messages. This plugin rewrites each such module into one call of a shared dispatcher, with the
 * locale functions inlined, in the order of the project's locales:
 *
 *     export const key = /* @__PURE__ *\/ pick(() => `…`, () => `…`);
 *
 * pick() (the virtual module PICK_ID) resolves the locale as the dispatcher did (experimentalStaticLocale,
 * then options.locale, then getLocale(); an unknown locale gets the base locale's words). The texts and the
 * locale functions themselves (placeholders, plurals) are Paraglide's, unchanged. A module of another shape
 * (markup, a missing translation's fallback, a new Paraglide version) is left as Paraglide wrote it, with a
 * warning. Vite's dev server uses "locale-modules" (one file per locale), which this leaves alone.
 * tests/unit/paraglide-compact.test.ts checks every message in every locale against Paraglide's own output.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAst } from 'vite';

export const PICK_ID = 'virtual:veil-message-pick';
const RESOLVED_PICK_ID = `\0${PICK_ID}`;

/**
 * The shared dispatcher.
 * @param {string} runtime the path of Paraglide's runtime.js
 */
export function pickModule(runtime) {
  return `import { baseLocale, experimentalStaticLocale, getLocale, locales } from ${JSON.stringify(runtime)};
const base = locales.indexOf(baseLocale);
/**
 * A message from its words per locale, in the order of \`locales\`: a function of the inputs, or the text of a
 * message without placeholders or variants. Dispatched as Paraglide's own dispatcher does.
 */
export const pick = (...byLocale) => (inputs = {}, options = {}) => {
  const at = locales.indexOf(experimentalStaticLocale ?? options.locale ?? getLocale());
  const words = byLocale[at < 0 ? base : at];
  return typeof words === 'string' ? words : words(inputs);
};
`;
}

/** @typedef {ReturnType<typeof parseAst>['body'][number]} Statement */
/** @typedef {Extract<Statement, { type: 'VariableDeclaration' }>['declarations'][number]} Declarator */
/** @typedef {Extract<NonNullable<Declarator['init']>, { type: 'ArrowFunctionExpression' }>} Arrow */

/** @param {string} s */
const squash = (s) => s.replace(/\s+/g, '');
/** @param {string} s */
const safeId = (s) => s.replace(/[^a-zA-Z0-9_]/g, '_');
/**
 * The declarator's name and arrow function, if it is `name = () => …`.
 * @param {Declarator | undefined} d
 * @returns {[string, Arrow] | undefined}
 */
const arrowOf = (d) => (d?.id.type === 'Identifier' && d.init?.type === 'ArrowFunctionExpression' ? [d.id.name, d.init] : undefined);

/**
 * The text literal of `() => { return \`…\` }` (a message without placeholders or variants), else undefined.
 * @param {string} code
 * @param {Arrow} fn
 */
function literalText(code, fn) {
  const [ret, ...rest] = fn.body.type === 'BlockStatement' ? fn.body.body : [];
  const arg = ret?.type === 'ReturnStatement' ? ret.argument : undefined;
  if (fn.params.length > 0 || rest.length > 0 || arg?.type !== 'TemplateLiteral' || arg.expressions.length > 0) return undefined;
  return code.slice(arg.start, arg.end);
}

/**
 * The compact form of one message module, or a reason why it was left alone.
 * @param {string} code Paraglide's message module
 * @param {{ locales: readonly string[], baseLocale: string }} settings the inlang project's
 * @returns {{ code: string } | { skipped: string }}
 */
export function compactMessageModule(code, { locales, baseLocale }) {
  const ast = parseAst(code);
  /** @type {string[]} */
  const imports = [];
  /** @type {Map<string, string>} */
  const consts = new Map();
  /** @type {[string, Arrow] | undefined} */
  let exported;
  for (const node of ast.body) {
    const single = node.type === 'VariableDeclaration' && node.declarations.length === 1 ? arrowOf(node.declarations[0]) : undefined;
    const exportedArrow = node.type === 'ExportNamedDeclaration' && node.declaration?.type === 'VariableDeclaration' ? arrowOf(node.declaration.declarations[0]) : undefined;
    if (node.type === 'ImportDeclaration') imports.push(code.slice(node.start, node.end));
    else if (single) consts.set(single[0], literalText(code, single[1]) ?? code.slice(single[1].start, single[1].end));
    else if (exportedArrow && !exported) exported = exportedArrow;
    else return { skipped: `unexpected ${node.type}` };
  }
  if (!exported) return { skipped: 'no exported message function' };
  const [key, dispatcherFn] = exported;
  /** @param {string} locale */
  const fnName = (locale) => `${safeId(locale)}_${key}`;
  if (consts.size !== locales.length || !locales.every((l) => consts.has(fnName(l)))) return { skipped: 'not one function per locale' };
  // The dispatcher, exactly as Paraglide writes it for a fully translated message without markup.
  const others = locales.filter((l) => l !== baseLocale);
  const body = [
    'const locale = experimentalStaticLocale ?? options.locale ?? getLocale()',
    ...others.map((l) => `if (locale === "${l}") return ${fnName(l)}(inputs)`),
    `return ${fnName(baseLocale)}(inputs)`
  ];
  const dispatcher = squash(code.slice(dispatcherFn.start, dispatcherFn.end));
  const expected = ['inputs = {}, options = {}', 'inputs, options = {}'].map((params) => squash(`(${params}) => {${body.join('\n')}}`));
  if (!expected.includes(dispatcher)) return { skipped: 'dispatcher not of the known shape' };
  const runtimeImports = imports.filter((i) => /from '\.\.\/runtime\.js'/.test(i));
  if (runtimeImports.length !== 1 || runtimeImports[0] !== "import { getLocale, experimentalStaticLocale } from '../runtime.js';") return { skipped: 'unexpected runtime import' };
  return {
    code: [
      ...imports.filter((i) => i !== runtimeImports[0]),
      `import { pick } from '${PICK_ID}';`,
      `export const ${key} = /* @__PURE__ */ pick(${locales.map((l) => consts.get(fnName(l))).join(', ')});`,
      ''
    ].join('\n')
  };
}

/**
 * @param {{ project: string, outdir: string }} options the Paraglide compiler options (scripts/paraglide.mjs)
 * @returns {import('vite').Plugin}
 */
export function compactMessages({ project, outdir }) {
  /** @type {{ locales: string[], baseLocale: string }} */
  const settings = JSON.parse(readFileSync(join(project, 'settings.json'), 'utf8'));
  const messagesDir = `${resolve(outdir, 'messages')}/`;
  const runtime = resolve(outdir, 'runtime.js');
  return {
    name: 'veil-compact-messages',
    resolveId: (id) => (id === PICK_ID ? RESOLVED_PICK_ID : undefined),
    load: (id) => (id === RESOLVED_PICK_ID ? pickModule(runtime) : undefined),
    transform(code, id) {
      const file = id.split('?')[0] ?? id;
      if (!file.startsWith(messagesDir) || file.includes('/', messagesDir.length) || !file.endsWith('.js')) return;
      const name = file.slice(messagesDir.length);
      // _index.js re-exports; en.js, es.js… are the dev server's locale-modules.
      if (name.startsWith('_') || settings.locales.some((l) => name === `${l}.js`)) return;
      const out = compactMessageModule(code, settings);
      if ('skipped' in out) {
        this.warn(`${name} kept as Paraglide wrote it: ${out.skipped}`);
        return;
      }
      return { code: out.code, map: null };
    }
  };
}
