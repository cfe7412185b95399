/**
 * Small view helpers of the sync layer: kind-0 profile parsing (NIP-01 "set_metadata"), display
 * names and the short npub fingerprint shown beside every name (issue 4 §2); my own kind 0 built
 * from the profile form (issue 14 §3), every other field of the one it replaces kept.
 */
import { userError } from '../shared/errors';
import type { EventTemplate } from '../crypto/signer';
import type { Profile } from '../store/db';
import { m } from '../paraglide/messages';

/** Longest kind-0 content we parse; profiles are small, anything larger is refused. */
export const MAX_PROFILE_JSON_CHARS = 64 * 1024;
/** Longest name kept (characters). */
export const MAX_NAME_CHARS = 64;
/** Longest picture address accepted from the form (characters, after normalizing). */
export const MAX_PICTURE_URL_CHARS = 1024;
export const PROFILE_KIND = 0;

// C0/C1 controls, bidi overrides and isolates: a name must not reorder the text around it.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function cleanName(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const s = v.replace(UNSAFE, '').trim().slice(0, MAX_NAME_CHARS);
  return s === '' ? undefined : s;
}

/** A kind-0 content's JSON object (hostile, bounded); undefined when it is not one. */
export function profileFields(content: string): Record<string, unknown> | undefined {
  if (typeof content !== 'string' || content.length > MAX_PROFILE_JSON_CHARS) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(content);
  } catch {
    return undefined;
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  return data as Record<string, unknown>;
}

/**
 * Reads `name` and `display_name` from a kind-0 event's content (hostile JSON, bounded). Returns
 * undefined when nothing usable is there. Only names are kept: Veil shows no remote pictures.
 */
export function parseProfileContent(content: string): Profile | undefined {
  const d = profileFields(content);
  if (!d) return undefined;
  const out: Profile = {};
  const name = cleanName(d.name);
  const displayName = cleanName(d.display_name) ?? cleanName(d.displayName);
  if (name) out.name = name;
  if (displayName) out.displayName = displayName;
  return name || displayName ? out : undefined;
}

/**
 * A name typed by me (my display name, a nickname): trimmed; '' when empty. Refused rather than
 * silently changed: control and text-direction characters (INVALID_INPUT), more than
 * MAX_NAME_CHARS characters (TOO_LARGE). `what` starts the sentence ("A display name").
 */
export function checkName(input: string, what: string): string {
  const s = typeof input === 'string' ? input.trim() : '';
  if (s.replace(UNSAFE, '') !== s) throw userError('INVALID_INPUT', m.err_name_chars({ what }));
  if ([...s].length > MAX_NAME_CHARS) throw userError('TOO_LARGE', m.err_name_long({ what, max: MAX_NAME_CHARS }));
  return s;
}


/**
 * A picture address from the form: '' when empty, else a normalized https URL with a host and no
 * user name or password, at most MAX_PICTURE_URL_CHARS. Errors: INVALID_INPUT, TOO_LARGE.
 */
export function checkPictureUrl(input: string): string {
  const s = typeof input === 'string' ? input.trim() : '';
  if (s === '') return '';
  if (s.length > MAX_PICTURE_URL_CHARS) throw userError('TOO_LARGE', m.err_picture_long({ max: MAX_PICTURE_URL_CHARS }));
  if (/\s/.test(s) || s.replace(UNSAFE, '') !== s) throw userError('INVALID_INPUT', m.err_picture_form());
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    throw userError('INVALID_INPUT', m.err_picture_form());
  }
  if (u.protocol !== 'https:' || !u.hostname) throw userError('INVALID_INPUT', m.err_picture_form());
  if (u.username || u.password) throw userError('INVALID_INPUT', m.err_picture_credentials());
  if (u.href.length > MAX_PICTURE_URL_CHARS) throw userError('TOO_LARGE', m.err_picture_long({ max: MAX_PICTURE_URL_CHARS }));
  return u.href;
}

/** My profile as the form holds it ('' = none). */
export interface OwnProfileInput {
  displayName: string;
  picture: string;
}

/** My profile as Veil shows it: what the form edits, read from a kind-0 content. */
export interface OwnProfileView {
  displayName?: string;
  picture?: string;
  /** created_at of the kind 0 it came from (seconds). */
  createdAt: number;
}

/** The form's fields checked (checkName, checkPictureUrl). */
export function checkOwnProfile(input: OwnProfileInput): OwnProfileInput {
  return { displayName: checkName(input.displayName, m.err_display_name()), picture: checkPictureUrl(input.picture) };
}

/** What the form shows of a kind-0 content: its display name (else name) and its picture when it is one the form accepts. */
export function ownProfileView(content: string, createdAt: number): OwnProfileView {
  const d = profileFields(content) ?? {};
  const p = parseProfileContent(content);
  const view: OwnProfileView = { createdAt };
  const name = p?.displayName ?? p?.name;
  if (name) view.displayName = name;
  try {
    const pic = typeof d.picture === 'string' ? checkPictureUrl(d.picture) : '';
    if (pic) view.picture = pic;
  } catch {
    // another client's picture that the form would refuse: not shown, kept in the event
  }
  return view;
}

/**
 * The content of my new kind 0: every field of `existing` (the kind 0 it replaces) kept, `name`
 * and `display_name` set to the display name and `picture` to the picture (each removed when
 * empty; the deprecated `displayName` too, so no stale name remains). Input as checkOwnProfile
 * returns it. Errors: TOO_LARGE when the result exceeds MAX_PROFILE_JSON_CHARS.
 */
export function profileContent(input: OwnProfileInput, existing: Record<string, unknown> = {}): string {
  const out: Record<string, unknown> = { ...existing };
  for (const k of ['name', 'display_name', 'displayName', 'picture']) delete out[k];
  if (input.displayName) {
    out.name = input.displayName;
    out.display_name = input.displayName;
  }
  if (input.picture) out.picture = input.picture;
  const content = JSON.stringify(out);
  if (content.length > MAX_PROFILE_JSON_CHARS) throw userError('TOO_LARGE', m.err_profile_too_large());
  return content;
}

/** The unsigned kind 0. */
export function buildProfileEvent(content: string, createdAt: number): EventTemplate {
  return { kind: PROFILE_KIND, created_at: createdAt, tags: [], content };
}

/** A short, readable fingerprint of a pubkey: the npub's last 8 characters in two groups. */
export function npubFingerprint(npub: string): string {
  const tail = npub.slice(-8);
  return `${tail.slice(0, 4)}·${tail.slice(4)}`;
}
