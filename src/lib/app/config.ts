/**
 * Runtime configuration. The build carries a default relay list (__VEIL_DEFAULT_RELAYS__), and a
 * host may override it without a rebuild by serving /veil-config.json (scripts/serve.mjs does for
 * `npm start`, pointing at the local relay). The user's own relay settings, once saved, win over both.
 */
export interface RuntimeConfig {
  relays: string[];
}

const MAX_CONFIG_BYTES = 16 * 1024;
const MAX_RELAYS = 32;

function isRelayUrl(s: unknown): s is string {
  if (typeof s !== 'string' || s.length > 512) return false;
  try {
    const u = new URL(s);
    return (u.protocol === 'ws:' || u.protocol === 'wss:') && !u.username && !u.password;
  } catch {
    return false;
  }
}

/** Reads /veil-config.json when the host provides one; otherwise the build's defaults. Never throws. */
export async function loadRuntimeConfig(fetchImpl: typeof fetch = fetch): Promise<RuntimeConfig> {
  const fallback: RuntimeConfig = { relays: [...__VEIL_DEFAULT_RELAYS__] };
  try {
    const res = await fetchImpl('/veil-config.json', { cache: 'no-store', headers: { Accept: 'application/json' } });
    if (!res.ok || !(res.headers.get('content-type') ?? '').includes('json')) return fallback;
    const text = await res.text();
    if (text.length > MAX_CONFIG_BYTES) return fallback;
    const data: unknown = JSON.parse(text);
    if (!data || typeof data !== 'object' || !Array.isArray((data as { relays?: unknown }).relays)) return fallback;
    const relays = ((data as { relays: unknown[] }).relays).filter(isRelayUrl).slice(0, MAX_RELAYS);
    return relays.length ? { relays } : fallback;
  } catch {
    return fallback;
  }
}
