/**
 * NIP-19 (bech32 entities) for Veil: typed, bounded wrappers over nostr-tools' nip19, and the one
 * place that turns pasted text into a contact's public key (docs/design.md §2, §7).
 *
 * Everything here treats its input as hostile: lengths are checked before any bech32 work, every
 * failure is a VeilError with a code, and messages never echo the input (it may be a secret key).
 */
import * as nip19 from 'nostr-tools/nip19';
import { bytesToHex } from '../shared/bytes';
import { VeilError, isVeilError, userError } from '../shared/errors';
import { assertSecretKey, xOnlyFromHex } from './keys';
import { bech32Decode } from './bech32';
import { findContactCard, type ContactCard } from './card';

/** Longest text `parseContactInput` looks at; a contact card link is the longest form (card.ts). */
export const MAX_CONTACT_INPUT_CHARS = 4096;
/** nprofile/nevent carry relay hints; beyond this they are not something a person pastes. */
export const MAX_TLV_BECH32_CHARS = 1500;
/** An npub/nsec/note is "npub1" + 52 data characters + 6 checksum characters. */
const KEY_BECH32_LEN: Record<'npub' | 'nsec' | 'note', number> = { npub: 63, nsec: 63, note: 63 };
/** At most this many relay hints are kept from an nprofile/nevent. */
export const MAX_RELAY_HINTS = 8;
const MAX_RELAY_URL_CHARS = 256;

const BECH32_CHARSET = /^[qpzry9x8gf2tvdw0s3jn54khce6mua7l]*$/;
const HEX64 = /^[0-9a-f]{64}$/;

export interface ProfilePointer {
  /** x-only public key, lowercase hex, validated as a curve point. */
  pubkey: string;
  relays: string[];
}

export interface EventPointer {
  id: string;
  relays: string[];
  author?: string;
  kind?: number;
}

/** Why a bech32 string failed, so the UI can say something useful about a truncated or mistyped key. */
export type Bech32Problem = 'prefix' | 'length' | 'character' | 'mixed-case' | 'checksum' | 'payload';

function bech32Error(code: 'INVALID_NPUB' | 'INVALID_KEY' | 'INVALID_INPUT', hrp: string, problem: Bech32Problem, lens?: { n: number; expected: number }): VeilError {
  const what = `This ${hrp}`;
  const msg: Record<Bech32Problem, string> = {
    prefix: `Expected text starting with "${hrp}1".`,
    length: lens
      ? `${what} has the wrong length (${lens.n} characters, expected ${lens.expected}): it may have been cut off or have extra characters.`
      : `${what} has the wrong length: it may have been cut off or have extra characters.`,
    character: `${what} contains a character that bech32 never uses (b, i, o, 1 after the prefix, or punctuation).`,
    'mixed-case': `${what} mixes upper and lower case letters.`,
    checksum: `${what} fails its checksum: a character was probably mistyped.`,
    payload: `${what} decodes, but does not hold a valid key.`
  };
  // The same sentences in the app's languages (messages/*.json err_bech32_*).
  const key = `err_bech32_${problem.replace('-', '_')}${problem === 'length' && lens ? '_exact' : ''}`;
  const e = userError(code, msg[problem], { key, values: { hrp, ...(lens ?? {}) } });
  (e as VeilError & { problem: Bech32Problem }).problem = problem;
  return e;
}

/** The `problem` attached to errors from this module, when there is one. */
export function bech32ProblemOf(e: unknown): Bech32Problem | undefined {
  return isVeilError(e) ? (e as VeilError & { problem?: Bech32Problem }).problem : undefined;
}

/**
 * Lower-cases an all-upper-case bech32 string (QR codes use upper case) and rejects mixed case
 * (BIP-173 §"Uppercase/lowercase").
 */
function normalizeCase(s: string, code: 'INVALID_NPUB' | 'INVALID_KEY' | 'INVALID_INPUT', hrp: string): string {
  const lower = s.toLowerCase();
  if (s !== lower && s !== s.toUpperCase()) throw bech32Error(code, hrp, 'mixed-case');
  return lower;
}

/** Structural checks before the checksum, so the error can tell "cut off" from "mistyped". */
function precheck(
  s: unknown,
  hrp: string,
  code: 'INVALID_NPUB' | 'INVALID_KEY' | 'INVALID_INPUT',
  exactLen: number | undefined,
  maxLen: number
): string {
  if (typeof s !== 'string') throw new VeilError('INVALID_INPUT', `${hrp} must be a string`);
  if (s.length > maxLen + 8) throw bech32Error(code, hrp, 'length');
  const t = normalizeCase(s, code, hrp);
  if (!t.startsWith(hrp + '1')) throw bech32Error(code, hrp, 'prefix');
  const data = t.slice(hrp.length + 1);
  if (!BECH32_CHARSET.test(data)) throw bech32Error(code, hrp, 'character');
  if (exactLen !== undefined && t.length !== exactLen)
    throw bech32Error(code, hrp, 'length', { n: t.length, expected: exactLen });
  if (t.length > maxLen) throw bech32Error(code, hrp, 'length');
  return t;
}

function checksumHolds(t: string): boolean {
  try {
    bech32Decode(t, t.length);
    return true;
  } catch {
    return false;
  }
}

function tryDecode(t: string, hrp: string, code: 'INVALID_NPUB' | 'INVALID_KEY' | 'INVALID_INPUT'): nip19.DecodedResult {
  let d: nip19.DecodedResult;
  try {
    d = nip19.decode(t);
  } catch (cause) {
    // Prefix, length and alphabet were checked above, so what is left is the checksum, or a payload
    // that passes its checksum but is not what the prefix promises (a TLV without its pubkey, say).
    const e = bech32Error(code, hrp, checksumHolds(t) ? 'payload' : 'checksum');
    (e as Error).cause = cause;
    throw e;
  }
  if (d.type !== hrp) throw bech32Error(code, hrp, 'prefix');
  return d;
}

function cleanRelays(relays: unknown): string[] {
  if (!Array.isArray(relays)) return [];
  const out: string[] = [];
  for (const r of relays) {
    if (out.length >= MAX_RELAY_HINTS) break;
    if (typeof r !== 'string' || r.length > MAX_RELAY_URL_CHARS) continue;
    if (!/^wss?:\/\/[^\s]+$/.test(r)) continue;
    if (!out.includes(r)) out.push(r);
  }
  return out;
}

/** NIP-19 npub → x-only hex pubkey (validated as a curve point). Errors: INVALID_NPUB. */
export function decodeNpub(s: string): string {
  const t = precheck(s, 'npub', 'INVALID_NPUB', KEY_BECH32_LEN.npub, KEY_BECH32_LEN.npub);
  const d = tryDecode(t, 'npub', 'INVALID_NPUB');
  const hex = d.data as string;
  try {
    xOnlyFromHex(hex);
  } catch {
    throw bech32Error('INVALID_NPUB', 'npub', 'payload');
  }
  return hex;
}

/** x-only hex pubkey → npub. Errors: INVALID_KEY. */
export function encodeNpub(hex: string): string {
  xOnlyFromHex(hex);
  return nip19.npubEncode(hex);
}

/** NIP-19 nsec → 32-byte secret key. Errors: INVALID_KEY (never echoes the input). */
export function decodeNsec(s: string): Uint8Array {
  const t = precheck(s, 'nsec', 'INVALID_KEY', KEY_BECH32_LEN.nsec, KEY_BECH32_LEN.nsec);
  const d = tryDecode(t, 'nsec', 'INVALID_KEY');
  const sk = d.data as Uint8Array;
  try {
    assertSecretKey(sk);
  } catch {
    throw bech32Error('INVALID_KEY', 'nsec', 'payload');
  }
  return sk;
}

/** 32-byte secret key → nsec. Errors: INVALID_KEY. */
export function encodeNsec(sk: Uint8Array): string {
  assertSecretKey(sk);
  return nip19.nsecEncode(sk);
}

/** NIP-19 note → 32-byte event id (hex). Errors: INVALID_INPUT. */
export function decodeNote(s: string): string {
  const t = precheck(s, 'note', 'INVALID_INPUT', KEY_BECH32_LEN.note, KEY_BECH32_LEN.note);
  const d = tryDecode(t, 'note', 'INVALID_INPUT');
  return d.data as string;
}

/** NIP-19 nprofile → pubkey and (bounded, ws/wss only) relay hints. Errors: INVALID_NPUB. */
export function decodeNprofile(s: string): ProfilePointer {
  const t = precheck(s, 'nprofile', 'INVALID_NPUB', undefined, MAX_TLV_BECH32_CHARS);
  const d = tryDecode(t, 'nprofile', 'INVALID_NPUB');
  const p = d.data as nip19.ProfilePointer;
  if (typeof p.pubkey !== 'string' || !HEX64.test(p.pubkey)) throw bech32Error('INVALID_NPUB', 'nprofile', 'payload');
  try {
    xOnlyFromHex(p.pubkey);
  } catch {
    throw bech32Error('INVALID_NPUB', 'nprofile', 'payload');
  }
  return { pubkey: p.pubkey, relays: cleanRelays(p.relays) };
}

/** pubkey + relay hints → nprofile. */
export function encodeNprofile(p: ProfilePointer): string {
  xOnlyFromHex(p.pubkey);
  return nip19.nprofileEncode({ pubkey: p.pubkey, relays: cleanRelays(p.relays) });
}

/** NIP-19 nevent → event pointer (bounded relay hints). Errors: INVALID_INPUT. */
export function decodeNevent(s: string): EventPointer {
  const t = precheck(s, 'nevent', 'INVALID_INPUT', undefined, MAX_TLV_BECH32_CHARS);
  const d = tryDecode(t, 'nevent', 'INVALID_INPUT');
  const p = d.data as nip19.EventPointer;
  if (typeof p.id !== 'string' || !HEX64.test(p.id)) throw bech32Error('INVALID_INPUT', 'nevent', 'payload');
  const out: EventPointer = { id: p.id, relays: cleanRelays(p.relays) };
  if (typeof p.author === 'string' && HEX64.test(p.author)) out.author = p.author;
  if (typeof p.kind === 'number' && Number.isSafeInteger(p.kind) && p.kind >= 0) out.kind = p.kind;
  return out;
}

/** What `parseContactInput` recognised. Every form yields a validated x-only hex pubkey. */
export type ContactInput =
  | { type: 'npub'; pubkey: string; relays: [] }
  | { type: 'nprofile'; pubkey: string; relays: string[] }
  | { type: 'hex'; pubkey: string; relays: [] }
  | { type: 'card'; pubkey: string; relays: string[]; card: ContactCard };

const NSEC_WARNING =
  'This is a secret key (nsec), not a contact. Never share it: anyone who has it can act as you. Paste their npub or contact card instead.';
const NCRYPTSEC_WARNING =
  'This is an encrypted secret key (ncryptsec), not a contact. Do not share it. Paste their npub or contact card instead.';

/**
 * Turns whatever a person pasted or scanned into a contact: an npub, an nprofile, a 64-hex pubkey,
 * any of these behind `nostr:`, or a Veil contact-card link (card.ts) anywhere in the text.
 *
 * A secret key pasted where a contact is expected throws NSEC_WHERE_CONTACT_EXPECTED, so the UI can
 * warn the user never to share it; its text is never kept or echoed. (A raw 64-hex secret cannot be
 * told apart from a pubkey and is read as a pubkey.) Other failures: INVALID_NPUB (with a reason: cut
 * off, mistyped, wrong prefix), INVALID_CONTACT_CARD, TOO_LARGE, INVALID_INPUT.
 */
export function parseContactInput(text: string): ContactInput {
  if (typeof text !== 'string') throw new VeilError('INVALID_INPUT', 'contact input must be text');
  if (text.length > MAX_CONTACT_INPUT_CHARS) throw new VeilError('TOO_LARGE', 'contact input is too long');
  const trimmed = text.trim();
  if (trimmed === '') throw new VeilError('INVALID_INPUT', 'contact input is empty');

  // Secrets first, wherever they appear in the text: never let one slip through as "unrecognised".
  const lower = trimmed.toLowerCase();
  // The left boundary excludes base64url characters, so a card payload that happens to contain
  // "nsec1" is not mistaken for a key.
  if (/(^|[^a-z0-9_-])nsec1/.test(lower)) throw userError('NSEC_WHERE_CONTACT_EXPECTED', NSEC_WARNING, { key: 'err_nsec_pasted' });
  if (/(^|[^a-z0-9_-])ncryptsec1/.test(lower)) throw userError('NSEC_WHERE_CONTACT_EXPECTED', NCRYPTSEC_WARNING, { key: 'err_ncryptsec_pasted' });

  // A contact card link may be pasted with text around it ("here's my Veil: https://…").
  const card = findContactCard(trimmed);
  if (card) return { type: 'card', pubkey: card.pubkey, relays: [...card.relays], card };

  let s = trimmed;
  if (/^nostr:/i.test(s)) s = s.slice(6);
  const ls = s.toLowerCase();
  if (HEX64.test(ls)) {
    return { type: 'hex', pubkey: bytesToHex(xOnlyFromHex(ls, 'public key')), relays: [] };
  }
  if (ls.startsWith('nprofile1')) {
    const p = decodeNprofile(s);
    return { type: 'nprofile', pubkey: p.pubkey, relays: p.relays };
  }
  if (ls.startsWith('npub')) return { type: 'npub', pubkey: decodeNpub(s), relays: [] };
  if (/^[0-9a-f]+$/.test(ls)) throw userError('INVALID_NPUB', `A hex public key has 64 characters; this has ${ls.length}.`, { key: 'err_hex_length', values: { n: ls.length } });
  throw bech32Error('INVALID_NPUB', 'npub', 'prefix');
}

