/**
 * NIP-17 private direct messages on NIP-59 gift wraps (DESIGN.md §1: Veil speaks NIP-17 to reach
 * every other Nostr client). Sending: `wrapNip17Message` makes ONE rumor and a seal + wrap per
 * recipient and one for the sender. Receiving: `unwrapGiftWrap`, then `parseNip17Rumor`.
 *
 * Opening: The wrap (kind 1059) is signed by a throwaway key; the seal (kind 13) is
 * signed by the sender and is the only thing that proves authorship, so the rumor inside must claim
 * the seal's pubkey — else anyone could seal a rumor "from" someone else.
 *
 * Checks, in order: wrap shape, size, kind 1059, id and signature; NIP-44 decryption with the
 * recipient key (a secret key, or a Signer's nip44Decrypt for extension/bunker users); seal kind 13,
 * no tags, id and signature; rumor shape and id; rumor.pubkey === seal.pubkey.
 * Errors carry a `reason` for logs and tests; codes: INVALID_EVENT, INVALID_SIGNATURE,
 * DECRYPT_FAILED, TOO_LARGE, SIGNER_*.
 */
import { finalizeEvent, getEventHash } from 'nostr-tools/pure';
import { hexToBytes, randomInt, utf8Encode, wipe } from '../shared/bytes';
import { VeilError, isVeilError, type VeilErrorCode } from '../shared/errors';
import { generateSecretKey, xOnlyFromHex } from './keys';
import { getConversationKey, nip44Decrypt, nip44Encrypt } from './nip44';
import { checkRumor, parseJsonBounded, verifyEvent, type UnsignedNostrEvent, type VerifiedEvent } from './nostr-event';
import type { Signer } from './signer';

export const GIFT_WRAP_KIND = 1059;
export const SEAL_KIND = 13;
/** Largest wrap content we try to open (relays commonly cap events near 64–512 KiB). */
export const MAX_WRAP_CONTENT_CHARS = 512 * 1024;

export type UnwrapFailure =
  | 'wrap-malformed'
  | 'wrap-kind'
  | 'wrap-signature'
  | 'wrap-decrypt'
  | 'seal-malformed'
  | 'seal-kind'
  | 'seal-tags'
  | 'seal-signature'
  | 'seal-decrypt'
  | 'rumor-malformed'
  | 'rumor-author-mismatch'
  // parseNip17Rumor: the rumor opened but is not a NIP-17 message we can show
  | 'rumor-kind'
  | 'rumor-tags'
  | 'rumor-too-large'
  | 'file-malformed'
  | 'reaction-malformed';

export interface Unwrapped {
  wrap: VerifiedEvent;
  seal: VerifiedEvent;
  /** The rumor: unsigned, its id checked, its pubkey equal to the seal's signer. */
  rumor: UnsignedNostrEvent;
  /** The verified sender: the seal's signer. */
  sender: string;
}

function fail(code: VeilErrorCode, reason: UnwrapFailure, cause?: unknown): never {
  const e = new VeilError(code, `gift wrap: ${reason}`, cause === undefined ? undefined : { cause });
  (e as VeilError & { reason: UnwrapFailure }).reason = reason;
  throw e;
}

/** The `reason` of an unwrap error, if it is one. */
export function unwrapFailureOf(e: unknown): UnwrapFailure | undefined {
  return isVeilError(e) ? (e as VeilError & { reason?: UnwrapFailure }).reason : undefined;
}

const LIMITS = { maxContentChars: MAX_WRAP_CONTENT_CHARS, maxTags: 64, maxTagItems: 16, maxTagItemChars: 1024 };
const RUMOR_LIMITS = { maxContentChars: MAX_WRAP_CONTENT_CHARS, maxTags: 2000, maxTagItems: 64, maxTagItemChars: 8192 };

function verified(raw: unknown, what: 'wrap' | 'seal'): VerifiedEvent {
  try {
    return verifyEvent(raw, LIMITS);
  } catch (e) {
    if (isVeilError(e, 'TOO_LARGE')) throw e;
    if (isVeilError(e, 'INVALID_SIGNATURE')) fail('INVALID_SIGNATURE', `${what}-signature`, e);
    fail('INVALID_EVENT', `${what}-malformed`, e);
  }
}

async function decryptWith(recipient: Signer | Uint8Array, peer: string, ct: string, what: 'wrap' | 'seal'): Promise<string> {
  try {
    if (recipient instanceof Uint8Array) return nip44Decrypt(ct, getConversationKey(recipient, peer), { maxPayloadChars: MAX_WRAP_CONTENT_CHARS });
    if (!recipient.nip44Decrypt) throw new VeilError('SIGNER_UNAVAILABLE', 'signer cannot decrypt NIP-44');
    return await recipient.nip44Decrypt(peer, ct);
  } catch (e) {
    if (isVeilError(e) && (e.code.startsWith('SIGNER_') || e.code === 'TOO_LARGE')) throw e;
    fail('DECRYPT_FAILED', `${what}-decrypt`, e);
  }
}

/**
 * Opens a NIP-17 gift wrap addressed to `recipient` (a 32-byte secret key, or a Signer with
 * nip44Decrypt). Returns the verified wrap and seal and the checked rumor; throws on any failure,
 * so one bad wrap never poisons a batch (callers open each wrap on its own).
 */
export async function unwrapGiftWrap(wrapRaw: unknown, recipient: Signer | Uint8Array): Promise<Unwrapped> {
  const wrap = verified(wrapRaw, 'wrap');
  if (wrap.kind !== GIFT_WRAP_KIND) fail('INVALID_EVENT', 'wrap-kind');
  const sealJson = await decryptWith(recipient, wrap.pubkey, wrap.content, 'wrap');
  let sealRaw: unknown;
  try {
    sealRaw = parseJsonBounded(sealJson, MAX_WRAP_CONTENT_CHARS);
  } catch (e) {
    fail('INVALID_EVENT', 'seal-malformed', e);
  }
  const seal = verified(sealRaw, 'seal');
  if (seal.kind !== SEAL_KIND) fail('INVALID_EVENT', 'seal-kind');
  // NIP-59: "tags MUST always be empty in a kind:13".
  if (seal.tags.length !== 0) fail('INVALID_EVENT', 'seal-tags');
  const rumorJson = await decryptWith(recipient, seal.pubkey, seal.content, 'seal');
  let rumor: UnsignedNostrEvent;
  try {
    rumor = checkRumor(parseJsonBounded(rumorJson, MAX_WRAP_CONTENT_CHARS), RUMOR_LIMITS);
  } catch (e) {
    if (isVeilError(e, 'TOO_LARGE')) throw e;
    fail('INVALID_EVENT', 'rumor-malformed', e);
  }
  if (rumor.pubkey !== seal.pubkey) fail('INVALID_EVENT', 'rumor-author-mismatch');
  return { wrap, seal, rumor, sender: seal.pubkey };
}

// ---------------------------------------------------------------------------------- sending

/** NIP-17 chat message, NIP-17 file message, NIP-25 reaction (sent inside gift wraps by NIP-17 clients). */
export const CHAT_KIND = 14;
export const FILE_KIND = 15;
export const REACTION_KIND = 7;
/** Largest rumor we send, in UTF-8 bytes of its JSON: its wrap stays near 75 KB, under common relay caps (~100 KB). */
export const MAX_RUMOR_BYTES = 32 * 1024;
/** Most recipients of one NIP-17 message (NIP-17 groups are small; every one costs a seal and a wrap). */
export const MAX_RECIPIENTS = 16;
/** Most participants we accept in a received rumor (sender + `p` tags). */
export const MAX_PARTICIPANTS = 64;
/** NIP-59: seal and wrap created_at are "tweaked" up to two days into the past. */
export const TIMESTAMP_JITTER_SECONDS = 2 * 86_400;
/** Longest text (chars) of a received message we accept (the store's body limit). */
export const MAX_TEXT_CHARS = 100_000;

const HEX64 = /^[0-9a-f]{64}$/;

/** What the caller wants to say: a kind 14, 15 or 7 event without pubkey and id. */
export interface RumorTemplate {
  kind: number;
  created_at: number;
  tags: string[][];
  content: string;
}

/**
 * NIP-59 "Rumor": the unsigned event, its id computed once from its fields. Being unsigned it is
 * deniable if leaked; the seal around it is what proves authorship to the recipient.
 */
export function createRumor(template: RumorTemplate, pubkey: string): UnsignedNostrEvent {
  xOnlyFromHex(pubkey, 'sender pubkey');
  const { kind, created_at, content } = template;
  if (kind !== CHAT_KIND && kind !== FILE_KIND && kind !== REACTION_KIND) throw new VeilError('INVALID_INPUT', 'NIP-17 rumor must be kind 14, 15 or 7');
  if (!Number.isSafeInteger(created_at) || created_at < 0) throw new VeilError('INVALID_INPUT', 'bad created_at');
  if (typeof content !== 'string') throw new VeilError('INVALID_INPUT', 'content must be a string');
  if (!Array.isArray(template.tags) || template.tags.length > 2000) throw new VeilError('INVALID_INPUT', 'bad tags');
  const tags = template.tags.map((t) => {
    if (!Array.isArray(t) || t.some((x) => typeof x !== 'string')) throw new VeilError('INVALID_INPUT', 'bad tag');
    return [...t];
  });
  const r = { pubkey, created_at, kind, tags, content };
  return { id: getEventHash(r), ...r };
}

/** now − uniform[0, 2 days] from the CSPRNG (NIP-59 "created_at … tweaked"), never in the future. */
export function randomPastTimestamp(nowSeconds: number): number {
  if (!Number.isSafeInteger(nowSeconds) || nowSeconds < TIMESTAMP_JITTER_SECONDS) throw new VeilError('INVALID_INPUT', 'bad time');
  return nowSeconds - randomInt(TIMESTAMP_JITTER_SECONDS + 1);
}

/** A kind 14 chat rumor template (NIP-17 "Chat Message"): `p` per recipient, `e` reply, `subject`. */
export function nip17ChatTemplate(opts: {
  text: string;
  recipients: readonly string[];
  createdAt: number;
  replyTo?: string;
  subject?: string;
}): RumorTemplate {
  if (typeof opts.text !== 'string' || opts.text.length === 0) throw new VeilError('INVALID_INPUT', 'message is empty');
  if (opts.text.length > MAX_TEXT_CHARS) throw new VeilError('TOO_LARGE', 'message too long');
  const tags = checkRecipients(opts.recipients).map((r) => ['p', r]);
  if (opts.replyTo !== undefined) {
    if (!HEX64.test(opts.replyTo)) throw new VeilError('INVALID_INPUT', 'reply id must be 64 hex');
    tags.push(['e', opts.replyTo]);
  }
  if (opts.subject !== undefined) {
    if (typeof opts.subject !== 'string' || opts.subject.length > 256) throw new VeilError('INVALID_INPUT', 'bad subject');
    tags.push(['subject', opts.subject]);
  }
  return { kind: CHAT_KIND, created_at: opts.createdAt, tags, content: opts.text };
}

/** A kind 7 reaction rumor template (NIP-25 inside NIP-17): `e` = the message, `p` per recipient, `k` = 14. */
export function nip17ReactionTemplate(opts: { targetId: string; emoji: string; recipients: readonly string[]; createdAt: number; targetKind?: number }): RumorTemplate {
  if (!HEX64.test(opts.targetId)) throw new VeilError('INVALID_INPUT', 'target id must be 64 hex');
  if (typeof opts.emoji !== 'string' || opts.emoji.length === 0 || opts.emoji.length > MAX_REACTION_CHARS) throw new VeilError('INVALID_INPUT', 'bad reaction');
  const tags = [['e', opts.targetId], ...checkRecipients(opts.recipients).map((r) => ['p', r]), ['k', String(opts.targetKind ?? CHAT_KIND)]];
  return { kind: REACTION_KIND, created_at: opts.createdAt, tags, content: opts.emoji };
}

function checkRecipients(recipients: readonly string[]): string[] {
  if (!Array.isArray(recipients) || recipients.length === 0) throw new VeilError('INVALID_INPUT', 'at least one recipient');
  const out: string[] = [];
  for (const r of recipients) {
    if (typeof r !== 'string' || !HEX64.test(r)) throw new VeilError('INVALID_INPUT', 'recipient must be 64 hex');
    xOnlyFromHex(r, 'recipient');
    if (!out.includes(r)) out.push(r);
  }
  if (out.length > MAX_RECIPIENTS) throw new VeilError('TOO_LARGE', 'too many recipients');
  return out;
}

/** One recipient's copy: the seal (signed by the sender) inside the wrap (signed by a throwaway key). */
export interface WrappedCopy {
  /** The wrap's `p`: whose relays it goes to and who can open it. */
  recipient: string;
  /** True for the sender's own copy (read by the sender's other devices and clients). */
  self: boolean;
  seal: VerifiedEvent;
  wrap: VerifiedEvent;
}

export interface Nip17Wrapped {
  /** The ONE rumor every copy carries; its id is the message id. */
  rumor: UnsignedNostrEvent;
  copies: WrappedCopy[];
}

/**
 * NIP-17 "Encrypting": one rumor, then per recipient (and one for the sender unless
 * `selfCopy: false`) a kind 13 seal — NIP-44 with the identity key through the Signer, so it works
 * with a local key, a NIP-07 extension exposing `nip44` and a NIP-46 bunker — and a kind 1059 wrap
 * with a fresh ephemeral key, `p` = that recipient. Seal and wrap created_at are random up to two
 * days in the past (CSPRNG); the rumor keeps the real time. Unlike nostr-tools' `wrapManyEvents`,
 * the rumor (and so its id) is the same in every copy, so replies and reactions point at one id.
 * Errors: INVALID_INPUT, TOO_LARGE (rumor over MAX_RUMOR_BYTES), SIGNER_* (no nip44Encrypt, refusal).
 */
export async function wrapNip17Message(opts: {
  rumor: RumorTemplate;
  recipients: readonly string[];
  signer: Signer;
  /** Seconds; the base for the randomized seal/wrap times. Default: the clock. */
  nowSeconds?: number;
  selfCopy?: boolean;
}): Promise<Nip17Wrapped> {
  const { signer } = opts;
  if (!signer.nip44Encrypt) throw new VeilError('SIGNER_UNAVAILABLE', 'this signer cannot encrypt NIP-44, which NIP-17 needs');
  const me = await signer.getPublicKey();
  const others = checkRecipients(opts.recipients).filter((r) => r !== me);
  const targets = [...others.map((r) => ({ recipient: r, self: false })), ...(opts.selfCopy === false ? [] : [{ recipient: me, self: true }])];
  if (targets.length === 0) throw new VeilError('INVALID_INPUT', 'no recipient besides the sender');
  const rumor = createRumor(opts.rumor, me);
  const rumorJson = JSON.stringify(rumor);
  if (utf8Encode(rumorJson).length > MAX_RUMOR_BYTES) throw new VeilError('TOO_LARGE', 'message too long for NIP-17');
  const now = opts.nowSeconds ?? Math.floor(Date.now() / 1000);
  const copies: WrappedCopy[] = [];
  // Sequential: an extension or bunker may ask the user once per request; do not flood it.
  for (const t of targets) {
    const sealContent = await signer.nip44Encrypt(t.recipient, rumorJson);
    const seal = await signer.signEvent({ kind: SEAL_KIND, created_at: randomPastTimestamp(now), tags: [], content: sealContent });
    if (seal.pubkey !== me) throw new VeilError('INVALID_SIGNATURE', 'seal signed by another key');
    copies.push({ recipient: t.recipient, self: t.self, seal, wrap: giftWrap(seal, t.recipient, now) });
  }
  return { rumor, copies };
}

/** NIP-59 "Gift Wrap": the seal, NIP-44-encrypted with a fresh key that signs the wrap and is then wiped. */
function giftWrap(seal: VerifiedEvent, recipient: string, now: number): VerifiedEvent {
  const eph = generateSecretKey();
  try {
    const sealJson = JSON.stringify({ id: seal.id, pubkey: seal.pubkey, created_at: seal.created_at, kind: seal.kind, tags: seal.tags, content: seal.content, sig: seal.sig });
    const content = nip44Encrypt(sealJson, getConversationKey(eph, recipient));
    const ev = finalizeEvent({ kind: GIFT_WRAP_KIND, created_at: randomPastTimestamp(now), tags: [['p', recipient]], content }, eph);
    return { id: ev.id, pubkey: ev.pubkey, created_at: ev.created_at, kind: ev.kind, tags: ev.tags, content: ev.content, sig: ev.sig } as VerifiedEvent;
  } finally {
    wipe(eph);
  }
}

// ---------------------------------------------------------------------------------- reading

/** Longest reaction content (an emoji, `+`, `-`, or a `:shortcode:`). */
export const MAX_REACTION_CHARS = 64;
const MAX_URL_CHARS = 2048;

/** A kind 15 file message's attachment (NIP-17 "File Message" tags). Hex strings are validated. */
export interface Nip17File {
  /** https URL of the ENCRYPTED file (the rumor content). */
  url: string;
  /** `file-type`: the MIME type of the decrypted file, when given. */
  mimeType?: string;
  algorithm: 'aes-gcm';
  /** `decryption-key`: 32 bytes, hex. */
  keyHex: string;
  /** `decryption-nonce`: 12 or 16 bytes, hex. */
  nonceHex: string;
  /** `x`: sha256 of the encrypted file, hex, when given. */
  sha256?: string;
  /** `ox`: sha256 of the file before encryption, hex, when given. */
  originalSha256?: string;
  /** `size` in bytes of the encrypted file, when given. */
  size?: number;
  dim?: string;
  blurhash?: string;
  thumb?: string;
  fallbacks: string[];
}

export type Nip17Payload =
  | { type: 'text'; text: string; replyTo?: string; subject?: string }
  | { type: 'file'; file: Nip17File; replyTo?: string; subject?: string }
  | { type: 'reaction'; targetId: string; emoji: string };

/** A checked NIP-17 rumor, ready for the sync layer. */
export interface ParsedRumor {
  id: string;
  sender: string;
  createdAt: number;
  kind: number;
  /** Sender and every `p`, unique, sorted: the chat's members (NIP-17: the room is this set). */
  participants: string[];
  payload: Nip17Payload;
}

function tagVal(tags: readonly (readonly string[])[], name: string): string | undefined {
  return tags.find((t) => t[0] === name)?.[1];
}

function httpsUrl(s: string | undefined, reason: UnwrapFailure): string {
  if (typeof s !== 'string' || s.length === 0 || s.length > MAX_URL_CHARS) fail('INVALID_EVENT', reason);
  let u: URL;
  try {
    u = new URL(s);
  } catch (e) {
    fail('INVALID_EVENT', reason, e);
  }
  if (u.protocol !== 'https:' || u.username !== '' || u.password !== '') fail('INVALID_EVENT', reason);
  return u.href;
}

function parseFile(rumor: UnsignedNostrEvent): Nip17File {
  const t = rumor.tags;
  const url = httpsUrl(rumor.content.trim(), 'file-malformed');
  const algorithm = tagVal(t, 'encryption-algorithm');
  if (algorithm !== undefined && algorithm.toLowerCase() !== 'aes-gcm') fail('INVALID_EVENT', 'file-malformed');
  const keyHex = tagVal(t, 'decryption-key')?.toLowerCase();
  const nonceHex = tagVal(t, 'decryption-nonce')?.toLowerCase();
  if (!keyHex || !/^[0-9a-f]{64}$/.test(keyHex)) fail('INVALID_EVENT', 'file-malformed');
  if (!nonceHex || !/^([0-9a-f]{24}|[0-9a-f]{32})$/.test(nonceHex)) fail('INVALID_EVENT', 'file-malformed');
  const file: Nip17File = { url, algorithm: 'aes-gcm', keyHex, nonceHex, fallbacks: [] };
  const mime = tagVal(t, 'file-type');
  if (mime !== undefined && /^[a-z0-9!#$&^_.+-]{1,64}\/[a-z0-9!#$&^_.+-]{1,128}$/i.test(mime)) file.mimeType = mime.toLowerCase();
  const x = tagVal(t, 'x')?.toLowerCase();
  if (x !== undefined) {
    if (!HEX64.test(x)) fail('INVALID_EVENT', 'file-malformed');
    file.sha256 = x;
  }
  const ox = tagVal(t, 'ox')?.toLowerCase();
  if (ox !== undefined && HEX64.test(ox)) file.originalSha256 = ox;
  const size = tagVal(t, 'size');
  if (size !== undefined && /^[0-9]{1,15}$/.test(size)) file.size = Number(size);
  const dim = tagVal(t, 'dim');
  if (dim !== undefined && /^[0-9]{1,6}x[0-9]{1,6}$/.test(dim)) file.dim = dim;
  const blurhash = tagVal(t, 'blurhash');
  if (blurhash !== undefined && blurhash.length <= 128) file.blurhash = blurhash;
  const thumb = tagVal(t, 'thumb');
  if (thumb !== undefined && thumb.length <= MAX_URL_CHARS && /^https:\/\//i.test(thumb)) file.thumb = thumb;
  for (const tag of t) {
    if (tag[0] !== 'fallback' || file.fallbacks.length >= 8) continue;
    try {
      file.fallbacks.push(httpsUrl(tag[1], 'file-malformed'));
    } catch {
      // a bad fallback is skipped, the message still shows
    }
  }
  return file;
}

/** NIP-17/NIP-10: the reply target is the `e` tag marked "reply", else the first `e` tag. */
function replyOf(tags: readonly (readonly string[])[]): string | undefined {
  const es = tags.filter((t) => t[0] === 'e' && typeof t[1] === 'string' && HEX64.test(t[1]));
  return (es.find((t) => t[3] === 'reply') ?? es[0])?.[1];
}

/**
 * Turns an opened rumor into a typed NIP-17 message: kind 14 text, kind 15 file (url, MIME,
 * key/nonce/hash per NIP-17's file-message tags), kind 7 reaction (NIP-25: the last `e` is the
 * target). Other kinds, bad `p` tags, oversized text or a malformed file/reaction are rejected with
 * a typed INVALID_EVENT / TOO_LARGE whose `reason` (unwrapFailureOf) says which.
 */
export function parseNip17Rumor(rumor: UnsignedNostrEvent): ParsedRumor {
  const participants = [rumor.pubkey];
  for (const t of rumor.tags) {
    if (t[0] !== 'p') continue;
    const pk = t[1];
    if (typeof pk !== 'string' || !HEX64.test(pk)) fail('INVALID_EVENT', 'rumor-tags');
    if (!participants.includes(pk)) participants.push(pk);
    if (participants.length > MAX_PARTICIPANTS) fail('TOO_LARGE', 'rumor-tags');
  }
  participants.sort();
  const base = { id: rumor.id, sender: rumor.pubkey, createdAt: rumor.created_at, kind: rumor.kind, participants };
  const subjectTag = tagVal(rumor.tags, 'subject');
  const extra = (replyTo: string | undefined) => ({
    ...(replyTo ? { replyTo } : {}),
    ...(subjectTag !== undefined && subjectTag.length <= 256 ? { subject: subjectTag } : {})
  });
  switch (rumor.kind) {
    case CHAT_KIND: {
      if (rumor.content.length > MAX_TEXT_CHARS) fail('TOO_LARGE', 'rumor-too-large');
      return { ...base, payload: { type: 'text', text: rumor.content, ...extra(replyOf(rumor.tags)) } };
    }
    case FILE_KIND:
      return { ...base, payload: { type: 'file', file: parseFile(rumor), ...extra(replyOf(rumor.tags)) } };
    case REACTION_KIND: {
      const es = rumor.tags.filter((t) => t[0] === 'e');
      const targetId = es[es.length - 1]?.[1];
      if (!targetId || !HEX64.test(targetId)) fail('INVALID_EVENT', 'reaction-malformed');
      if (rumor.content.length > MAX_REACTION_CHARS) fail('INVALID_EVENT', 'reaction-malformed');
      // NIP-25: an empty content means "+".
      return { ...base, payload: { type: 'reaction', targetId, emoji: rumor.content === '' ? '+' : rumor.content } };
    }
    default:
      fail('INVALID_EVENT', 'rumor-kind');
  }
}

/** Hex → bytes for a parsed file's key/nonce (validated by parseNip17Rumor). */
export function fileKeyBytes(file: Nip17File): { key: Uint8Array; nonce: Uint8Array } {
  return { key: hexToBytes(file.keyHex, 32), nonce: hexToBytes(file.nonceHex) };
}
