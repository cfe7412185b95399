#!/usr/bin/env node
/**
 * The app's strings (messages/en.json, messages/es.json) compiled by Paraglide into src/lib/paraglide
 * (generated, not committed). vite.config.ts hands these options to paraglideVitePlugin, so `vite build`,
 * `vite dev` and vitest compile; `npm run check` runs this file first because svelte-check runs no Vite.
 *
 * Strategy: a static app with no server and no locale in the URL. The Settings choice
 * (src/lib/app/language.svelte.ts, "custom-setting") wins, then the browser's languages, then English.
 */
import { compile } from '@inlang/paraglide-js';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** @type {import('@inlang/paraglide-js').CompilerOptions} */
export const PARAGLIDE = {
  project: `${root}project.inlang`,
  outdir: `${root}src/lib/paraglide`,
  strategy: ['custom-setting', 'preferredLanguage', 'baseLocale'],
  emitReadme: false,
  emitPrettierIgnore: false
};

if (process.argv[1] === fileURLToPath(import.meta.url)) await compile(PARAGLIDE);
