import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
const config = {
  preprocess: vitePreprocess(),
  compilerOptions: {
    runes: true,
    // Svelte's own scoping class with a shorter prefix ("s…" for "svelte-…"): it is in every scoped CSS rule and
    // element, ~650 times in the bundle; 4 kB less to precache (issue 12). Same hash input as Svelte's default.
    cssHash: ({ css, filename, hash }) => `s${hash(filename === '(unknown)' ? css : (filename ?? css))}`
  },
  kit: {
    // A static single-page app: every unknown path falls back to index.html,
    // which the static server (scripts/serve.mjs) and the service worker both honour.
    adapter: adapter({ fallback: 'index.html', strict: true }),
    // @vite-pwa/sveltekit registers and builds the service worker (src/service-worker.ts).
    serviceWorker: { register: false },
    csp: {
      mode: 'hash',
      directives: {
        'default-src': ['self'],
        'script-src': ['self', 'wasm-unsafe-eval'],
        'style-src': ['self', 'unsafe-inline'],
        'img-src': ['self', 'data:', 'blob:'],
        // http only to this machine: a local Blossom file server (npm start, the tests; docs/proposals/0010-files.md).
        'connect-src': ['self', 'ws:', 'wss:', 'https:', 'http://127.0.0.1:*', 'http://localhost:*'],
        'worker-src': ['self'],
        'manifest-src': ['self'],
        'object-src': ['none'],
        'base-uri': ['self'],
        'form-action': ['none'],
        'frame-ancestors': ['none']
      }
    }
  }
};

export default config;
