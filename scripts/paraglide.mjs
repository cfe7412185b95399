#!/usr/bin/env node
/**
 * The app's strings (messages/en.json, messages/es.json) compiled by Paraglide into src/lib/paraglide
 * (generated, not committed). vite.config.ts hands these options to paraglideVitePlugin, so `vite build`
 * and `vite dev` compile; vitest runs this file as its globalSetup, and `npm run check` runs it first
 * (svelte-check runs no Vite).
 *
 * Strategy: a static app with no server and no locale in the URL. The Settings choice
 * (src/lib/app/language.svelte.ts, "custom-setting") wins, then the browser's languages, then English.
 */
import { compile } from '@inlang/paraglide-js';
import { execFileSync } from 'node:child_process';
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

/**
 * vitest's globalSetup (vitest.config.ts): the compile runs in a child process, because the inlang SDK
 * leaves handles open that would keep vitest from exiting.
 */
export default function setup() {
  execFileSync(process.execPath, [fileURLToPath(import.meta.url)], { stdio: 'inherit' });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await compile(PARAGLIDE);
  process.exit(0); // as paraglide-js's own CLI does: the SDK's open handles would hold the process ~30 s
}
