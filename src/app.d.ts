// See https://svelte.dev/docs/kit/types#app.d.ts
declare global {
  const __VEIL_DEFAULT_RELAYS__: string[];
  const __VEIL_DEFAULT_LOOKUP_RELAYS__: string[];
  const __VEIL_VERSION__: string;
  namespace App {}
}

export {};
