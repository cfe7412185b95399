import { paraglideVitePlugin } from '@inlang/paraglide-js';
import { sveltekit } from '@sveltejs/kit/vite';
import { SvelteKitPWA, type SvelteKitPWAOptions } from '@vite-pwa/sveltekit';
import { defineConfig, type Plugin } from 'vite';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compactMessages } from './scripts/paraglide-compact.mjs';
import { PARAGLIDE } from './scripts/paraglide.mjs';

/**
 * Relays a production build offers by default. A user changes them at run time in Settings;
 * a server may also provide /veil-config.json (scripts/serve.mjs does, for `npm start`).
 */
function relayListFromEnv(value: string | undefined, fallback: string): string[] {
  return (value ?? fallback)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
const DEFAULT_RELAYS = relayListFromEnv(process.env.VEIL_DEFAULT_RELAYS, 'wss://relay.damus.io,wss://nos.lol,wss://relay.primal.net');

/**
 * Relays for identity-linked lookups (inbox records, profiles, DM relay lists) and my own record:
 * by default not the envelope relays (docs/proposals/0005-traffic.md §Roles). Also in /veil-config.json.
 */
const DEFAULT_LOOKUP_RELAYS = relayListFromEnv(
  process.env.VEIL_DEFAULT_LOOKUP_RELAYS,
  'wss://purplepag.es,wss://user.kindpag.es,wss://relay.nos.social'
);

/** libsecp256k1 in WebAssembly for the scan (src/lib/app/secp256k1-wasm.ts); not in the package's exports map. */
const SECP256K1_WASM = fileURLToPath(new URL('./node_modules/tiny-secp256k1/lib/secp256k1.wasm', import.meta.url));

/**
 * Packages left out of the precache (issue 12 §6: precache ≤ 600 kB): jsQR (127 kB) loads only when the QR
 * scanner first decodes a picture or a frame. The service worker keeps such a chunk on first use
 * (src/service-worker.ts, "veil-lazy"), so the scanner works offline after it was used once online.
 */
const LAZY_PACKAGES = ['/node_modules/jsqr/'];

/** The built chunks of LAZY_PACKAGES, read from the client build's Vite manifest once the service worker is built. */
function lazyChunks(root: string): Set<string> {
  const manifest = JSON.parse(readFileSync(`${root}/.svelte-kit/output/client/.vite/manifest.json`, 'utf8')) as Record<string, { file: string; src?: string }>;
  const files = Object.values(manifest)
    .filter((e) => LAZY_PACKAGES.some((p) => `/${e.src ?? ''}`.includes(p)))
    .map((e) => e.file);
  if (files.length !== LAZY_PACKAGES.length) throw new Error(`vite.config: lazy chunks ${LAZY_PACKAGES.join(', ')} not found in the client build (found ${files.join(', ') || 'none'})`);
  return new Set(files);
}

const injectManifest: NonNullable<SvelteKitPWAOptions['injectManifest']> = {
  // No wasm: secp256k1.wasm (1.2 MB) loads after sign-in and is cached on first use (src/lib/app/wasm-cache.ts).
  globPatterns: ['client/**/*.{js,css,html,ico,png,svg,webmanifest,woff2}']
};

/**
 * Drops the LAZY_PACKAGES chunks from the precache. It runs after @vite-pwa/sveltekit's own transform (which
 * turns "client/_app/…" into "_app/…"): that one is set up in the PWA plugin's configResolved, so this
 * plugin (after it in the list) appends to the same array there.
 */
function lazyOutOfPrecache(): Plugin {
  let root = process.cwd();
  const omitLazy: NonNullable<typeof injectManifest.manifestTransforms>[number] = async (entries) => {
    const lazy = lazyChunks(root);
    return { manifest: entries.filter((e) => !lazy.has(e.url)), warnings: [] };
  };
  return {
    name: 'veil-lazy-out-of-precache',
    configResolved(config) {
      root = config.root;
      const transforms = injectManifest.manifestTransforms;
      if (!transforms) throw new Error('vite.config: @vite-pwa/sveltekit set no manifestTransforms to append to');
      if (!transforms.includes(omitLazy)) transforms.push(omitLazy);
    }
  };
}

export default defineConfig({
  resolve: {
    alias: [{ find: /^veil-secp256k1-wasm(\?.*)?$/, replacement: `${SECP256K1_WASM}$1` }]
  },
  define: {
    __VEIL_DEFAULT_RELAYS__: JSON.stringify(DEFAULT_RELAYS),
    __VEIL_DEFAULT_LOOKUP_RELAYS__: JSON.stringify(DEFAULT_LOOKUP_RELAYS),
    __VEIL_VERSION__: JSON.stringify(process.env.npm_package_version ?? '0.0.0')
  },
  plugins: [
    // messages/*.json → src/lib/paraglide (scripts/paraglide.mjs), before SvelteKit resolves imports of it.
    paraglideVitePlugin(PARAGLIDE),
    // …and each message module as one call of a shared dispatcher (scripts/paraglide-compact.mjs).
    compactMessages(PARAGLIDE),
    sveltekit(),
    SvelteKitPWA({
      strategies: 'injectManifest',
      srcDir: 'src',
      filename: 'service-worker.ts',
      registerType: 'prompt',
      injectRegister: false,
      manifest: {
        id: '/',
        name: 'Veil',
        short_name: 'Veil',
        description: 'Private messages over Nostr. What relays store names neither who writes nor who reads.',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        background_color: '#111318',
        theme_color: '#111318',
        icons: [
          { src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
          { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
          { src: '/icons/maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' }
        ]
      },
      injectManifest,
      kit: { spa: true, adapterFallback: 'index.html', includeVersionFile: true },
      devOptions: { enabled: false }
    }),
    lazyOutOfPrecache()
  ]
});
