/**
 * Runtime configuration. The build carries default relay lists (__VEIL_DEFAULT_RELAYS__ for envelopes,
 * __VEIL_DEFAULT_LOOKUP_RELAYS__ for identity-linked lookups), and a host may override either without a
 * rebuild by serving /veil-config.json (scripts/serve.mjs does for `npm start`, pointing both at the
 * local relay, and `fileServer` at the local Blossom server). The user's own relay settings, once saved, win over both.
 */
import { blossomServerUrl } from '../shared/file-server';

export interface RuntimeConfig {
  /** Where envelopes are read and published. */
  relays: string[];
  /**
   * Where inbox records, profiles and DM relay lists are looked up and my own record is published
   * (spec 0005 §Roles): by default not the envelope relays. Empty: the envelope relays.
   */
  lookupRelays: string[];
  /** The Blossom server files are uploaded to (issue 15 §1; docs/proposals/0010-files.md); '' = none, no attach button. */
  fileServer: string;
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

/**
 * A list from the host's file: its valid addresses, or the build's default when it has none (absent,
 * not a list, or nothing usable in it). `allowEmpty`: an explicit `[]` stands (lookups: use the envelope relays).
 */
function relayList(value: unknown, fallback: readonly string[], allowEmpty = false): string[] {
  if (!Array.isArray(value)) return [...fallback];
  if (value.length === 0 && allowEmpty) return [];
  const list = value.filter(isRelayUrl).slice(0, MAX_RELAYS);
  return list.length ? list : [...fallback];
}

/** The host's file server, when it is a usable address (https, or http to this machine); else ''. */
function fileServerUrl(value: unknown): string {
  if (typeof value !== 'string' || value.length > 512) return '';
  try {
    return blossomServerUrl(value);
  } catch {
    return '';
  }
}

/** Reads /veil-config.json when the host provides one; otherwise the build's defaults. Never throws. */
export async function loadRuntimeConfig(fetchImpl: typeof fetch = fetch): Promise<RuntimeConfig> {
  const fallback: RuntimeConfig = { relays: [...__VEIL_DEFAULT_RELAYS__], lookupRelays: [...__VEIL_DEFAULT_LOOKUP_RELAYS__], fileServer: '' };
  try {
    const res = await fetchImpl('/veil-config.json', { cache: 'no-store', headers: { Accept: 'application/json' } });
    if (!res.ok || !(res.headers.get('content-type') ?? '').includes('json')) return fallback;
    const text = await res.text();
    if (text.length > MAX_CONFIG_BYTES) return fallback;
    const data: unknown = JSON.parse(text);
    if (!data || typeof data !== 'object') return fallback;
    const { relays, lookupRelays, fileServer } = data as { relays?: unknown; lookupRelays?: unknown; fileServer?: unknown };
    return { relays: relayList(relays, fallback.relays), lookupRelays: relayList(lookupRelays, fallback.lookupRelays, true), fileServer: fileServerUrl(fileServer) };
  } catch {
    return fallback;
  }
}
