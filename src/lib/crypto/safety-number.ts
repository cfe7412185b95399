/**
 * Safety numbers (spec docs/proposals/0006-safety-numbers.md): a 60-digit code two people compare to
 * be sure no one sits between them. It covers both identities (Nostr pubkeys) and every device
 * envelope key (EK) each side's inbox record certifies, so a new or replaced device changes it.
 *
 *   keySet(P)   = P.identity ‖ byte(n) ‖ EK_1 ‖ … ‖ EK_n        (EKs distinct, sorted ascending, n ≤ 16)
 *   h           = be16(VERSION) ‖ "veil-safety-number" ‖ keySet(P)
 *   repeat ITERATIONS times: h = SHA-512(h ‖ keySet(P))
 *   F(P)        = first_32(h)                                   (the party's fingerprint)
 *   digits(P)   = for j in 0..5: be40(F[5j .. 5j+5]) mod 100000, five digits each
 *   code(A, B)  = digits(lower identity) ‖ digits(higher identity)   (60 digits, the same on both sides)
 *
 * The QR payload lets one side check the other's screen without reading digits:
 *   "veil-verify:1:" ‖ base64url(sender identity ‖ F(sender) ‖ receiver identity ‖ F(receiver))
 * Pure: no I/O. Bad input is INVALID_INPUT / INVALID_KEY (VeilError), never a silent mismatch.
 */
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { base64Decode, base64Encode, bytesToHex, concatBytes, equalBytes, utf8Encode } from '../shared/bytes';
import { userError, VeilError } from '../shared/errors';
import { xOnlyFromHex } from './keys';

export const SAFETY_NUMBER_VERSION = 1;
/** SHA-512 rounds per party, as many as Signal's (5200): a 100-bit half costs that much more to match. */
export const SAFETY_NUMBER_ITERATIONS = 5200;
/** EKs one party may bring (the store keeps at most 16 per contact; a record certifies at most 8). */
export const MAX_SAFETY_EKS = 16;
export const SAFETY_DOMAIN = 'veil-safety-number';
/** Domain of the key-set id stored with a "verified" mark (cheap to recompute on every chat list). */
export const KEY_SET_ID_DOMAIN = 'veil-key-set-id';
export const VERIFY_PAYLOAD_PREFIX = `veil-verify:${SAFETY_NUMBER_VERSION}:`;
/** Digits of a whole safety number, and of one group as shown. */
export const SAFETY_NUMBER_DIGITS = 60;
export const SAFETY_GROUP_DIGITS = 5;
const FINGERPRINT_BYTES = 32;
const PAYLOAD_BYTES = 4 * 32;
const PAYLOAD_B64URL = /^[A-Za-z0-9_-]{171}$/;

/** Sentences shown when a pasted code or payload is not one. */
export const BAD_CODE_MESSAGE = 'That is not a safety number: paste the 60 digits or the verification code from their screen.';
const BAD_CODE_KEY = { key: 'err_safety_code_bad' } as const;

/** One party's keys: the identity pubkey and the EKs of its devices, all 64 lowercase hex. */
export interface KeySet {
  identity: string;
  eks: readonly string[];
}

/** A party with its canonical encoding and fingerprint. */
export interface Party {
  identity: string;
  /** EKs, distinct and sorted, as hashed. */
  eks: string[];
  /** keySet(P): the bytes hashed. */
  encoding: Uint8Array;
  /** F(P), 32 bytes. */
  fingerprint: Uint8Array;
  /** The 30 digits of this party's half. */
  digits: string;
}

/** keySet(P) of §Inputs: identity ‖ byte(n) ‖ sorted distinct EKs. Throws INVALID_KEY / TOO_LARGE. */
export function encodeKeySet(keys: KeySet): { identity: string; eks: string[]; encoding: Uint8Array } {
  const identity = keys.identity;
  const id = xOnlyFromHex(identity, 'identity');
  if (!Array.isArray(keys.eks)) throw new VeilError('INVALID_INPUT', 'safety number: eks must be a list');
  const eks = [...new Set(keys.eks)].sort();
  if (eks.length > MAX_SAFETY_EKS) throw new VeilError('TOO_LARGE', `safety number: more than ${MAX_SAFETY_EKS} EKs`);
  const ekBytes = eks.map((ek) => xOnlyFromHex(ek, 'EK'));
  return { identity, eks, encoding: concatBytes(id, new Uint8Array([eks.length]), ...ekBytes) };
}

/** F(P): ITERATIONS rounds of SHA-512 over the running hash and keySet(P), first 32 bytes. */
function iteratedFingerprint(encoding: Uint8Array): Uint8Array {
  const version = new Uint8Array([SAFETY_NUMBER_VERSION >> 8, SAFETY_NUMBER_VERSION & 0xff]);
  let h: Uint8Array = concatBytes(version, utf8Encode(SAFETY_DOMAIN), encoding);
  for (let i = 0; i < SAFETY_NUMBER_ITERATIONS; i++) h = sha512(concatBytes(h, encoding));
  return h.slice(0, FINGERPRINT_BYTES);
}

/** Six 5-digit groups from the first 30 bytes of a fingerprint (each 5 bytes big-endian, mod 100000). */
export function fingerprintDigits(fingerprint: Uint8Array): string {
  let out = '';
  for (let j = 0; j < 6; j++) {
    let v = 0;
    for (let k = 0; k < 5; k++) v = v * 256 + fingerprint[5 * j + k]!;
    out += String(v % 100_000).padStart(SAFETY_GROUP_DIGITS, '0');
  }
  return out;
}

/** One party's fingerprint and digits. Costs ITERATIONS SHA-512 calls (tens of ms in a browser). */
export function safetyParty(keys: KeySet): Party {
  const k = encodeKeySet(keys);
  const fingerprint = iteratedFingerprint(k.encoding);
  return { ...k, fingerprint, digits: fingerprintDigits(fingerprint) };
}

/**
 * The key-set id a "verified" mark stores: hex SHA-256("veil-key-set-id" ‖ keySet(P)). It changes
 * exactly when F(P) does, at the cost of one hash, so a chat list can compare it for every contact.
 */
export function keySetId(keys: KeySet): string {
  return bytesToHex(sha256(concatBytes(utf8Encode(KEY_SET_ID_DOMAIN), encodeKeySet(keys).encoding)));
}

/** The 60 digits for two parties, lower identity first: both sides compute the same string. */
export function safetyNumber(a: Party, b: Party): string {
  if (a.identity === b.identity) throw new VeilError('INVALID_INPUT', 'safety number: both sides are one identity');
  return a.identity < b.identity ? a.digits + b.digits : b.digits + a.digits;
}

/** The 60 digits as 12 groups of 5 (what the screen shows, a space between groups). */
export function safetyNumberGroups(code: string): string[] {
  if (!/^[0-9]{60}$/.test(code)) throw new VeilError('INVALID_INPUT', 'safety number: 60 digits expected');
  return code.match(/.{5}/g)!;
}

export function formatSafetyNumber(code: string): string {
  return safetyNumberGroups(code).join(' ');
}

/** Digits typed or pasted by a person: spaces, dots and dashes between groups are ignored. INVALID_INPUT otherwise. */
export function parseSafetyNumberText(text: string): string {
  const digits = typeof text === 'string' && text.length <= 200 ? text.replace(/[\s.·-]/g, '') : '';
  if (!/^[0-9]{60}$/.test(digits)) throw userError('INVALID_INPUT', BAD_CODE_MESSAGE, BAD_CODE_KEY);
  return digits;
}

function base64UrlEncode(b: Uint8Array): string {
  return base64Encode(b).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The QR payload `sender` shows to `receiver` (§QR payload). */
export function encodeVerifyPayload(sender: Party, receiver: Party): string {
  const bytes = concatBytes(xOnlyFromHex(sender.identity), sender.fingerprint, xOnlyFromHex(receiver.identity), receiver.fingerprint);
  return VERIFY_PAYLOAD_PREFIX + base64UrlEncode(bytes);
}

export interface VerifyPayload {
  sender: string;
  senderFingerprint: Uint8Array;
  receiver: string;
  receiverFingerprint: Uint8Array;
}

/** Strict decoding: the exact prefix, 171 base64url characters (canonical), 128 bytes. INVALID_INPUT otherwise. */
export function decodeVerifyPayload(text: string): VerifyPayload {
  const s = typeof text === 'string' ? text.trim() : '';
  if (!s.startsWith(VERIFY_PAYLOAD_PREFIX)) throw userError('INVALID_INPUT', BAD_CODE_MESSAGE, BAD_CODE_KEY);
  const body = s.slice(VERIFY_PAYLOAD_PREFIX.length);
  if (!PAYLOAD_B64URL.test(body)) throw userError('INVALID_INPUT', BAD_CODE_MESSAGE, BAD_CODE_KEY);
  let bytes: Uint8Array;
  try {
    bytes = base64Decode(body.replace(/-/g, '+').replace(/_/g, '/') + '=');
  } catch (cause) {
    throw userError('INVALID_INPUT', BAD_CODE_MESSAGE, { ...BAD_CODE_KEY, cause });
  }
  if (bytes.length !== PAYLOAD_BYTES) throw userError('INVALID_INPUT', BAD_CODE_MESSAGE, BAD_CODE_KEY);
  return {
    sender: bytesToHex(bytes.subarray(0, 32)),
    senderFingerprint: bytes.slice(32, 64),
    receiver: bytesToHex(bytes.subarray(64, 96)),
    receiverFingerprint: bytes.slice(96, 128)
  };
}

/** Why a compared code did not match (or 'match'). */
export type VerifyResult = 'match' | 'other-person' | 'not-for-me' | 'their-keys-differ' | 'my-keys-differ' | 'digits-differ';

/**
 * Compares what came from their screen with what I compute: a QR payload (`veil-verify:1:…`, checked
 * part by part) or the 60 digits. Throws INVALID_INPUT (BAD_CODE_MESSAGE) when the text is neither.
 */
export function compareVerification(text: string, me: Party, them: Party): VerifyResult {
  const s = typeof text === 'string' ? text.trim() : '';
  if (!s.toLowerCase().startsWith('veil-verify:')) return parseSafetyNumberText(s) === safetyNumber(me, them) ? 'match' : 'digits-differ';
  const p = decodeVerifyPayload(s);
  if (p.sender !== them.identity) return 'other-person';
  if (p.receiver !== me.identity) return 'not-for-me';
  if (!equalBytes(p.senderFingerprint, them.fingerprint)) return 'their-keys-differ';
  if (!equalBytes(p.receiverFingerprint, me.fingerprint)) return 'my-keys-differ';
  return 'match';
}
