/**
 * Small view helpers of the sync layer: kind-0 profile parsing (NIP-01 "set_metadata"), display
 * names and the short npub fingerprint shown beside every name (issue 4 §2).
 */
import type { Profile } from '../store/db';

/** Longest kind-0 content we parse; profiles are small, anything larger is refused. */
export const MAX_PROFILE_JSON_CHARS = 64 * 1024;
/** Longest name kept (characters). */
export const MAX_NAME_CHARS = 64;

// C0/C1 controls, bidi overrides and isolates: a name must not reorder the text around it.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function cleanName(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const s = v.replace(UNSAFE, '').trim().slice(0, MAX_NAME_CHARS);
  return s === '' ? undefined : s;
}

/**
 * Reads `name` and `display_name` from a kind-0 event's content (hostile JSON, bounded). Returns
 * undefined when nothing usable is there. Only names are kept: Veil shows no remote pictures.
 */
export function parseProfileContent(content: string): Profile | undefined {
  if (typeof content !== 'string' || content.length > MAX_PROFILE_JSON_CHARS) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(content);
  } catch {
    return undefined;
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  const d = data as Record<string, unknown>;
  const out: Profile = {};
  const name = cleanName(d.name);
  const displayName = cleanName(d.display_name) ?? cleanName(d.displayName);
  if (name) out.name = name;
  if (displayName) out.displayName = displayName;
  return name || displayName ? out : undefined;
}

/** A short, readable fingerprint of a pubkey: the npub's last 8 characters in two groups. */
export function npubFingerprint(npub: string): string {
  const tail = npub.slice(-8);
  return `${tail.slice(0, 4)}·${tail.slice(4)}`;
}
