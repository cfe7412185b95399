/**
 * Reading NIP-17 kinds: an opened rumor (./nip17-unwrap.ts) becomes a typed message — kind 14 text,
 * kind 15 file, kind 7 reaction (NIP-25) — or a typed error whose `reason` says why not.
 */
import { hexToBytes } from '../shared/bytes';
import { isLoopbackHttp } from '../shared/file-server';
import { fail, type UnwrapFailure } from './nip17-unwrap';
import type { UnsignedNostrEvent } from './nostr-event';

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
  /**
   * A small preview of an image, inline (`thumb` = a `data:image/…;base64,` URL, checked by
   * isInlineThumb): Veil envelopes carry one so the chat shows the picture before anything is
   * fetched from the file server. Never sent in a NIP-17 gift wrap (there `thumb` is a URL).
   */
  inlineThumb?: string;
  /**
   * `plain-size` (Veil envelopes): the file was padded with zeros before encryption (crypto/file.ts
   * padmeLength) and is this many bytes; the rest is cut off after decryption, and must be zeros.
   */
  plainSize?: number;
  fallbacks: string[];
}

/** Longest inline thumbnail (characters of its data URL): it must fit in an envelope beside the file's tags. */
export const MAX_INLINE_THUMB_CHARS = 3600;
const INLINE_THUMB = /^data:image\/(webp|jpeg|png);base64,[A-Za-z0-9+/]+={0,2}$/;

/** Whether `s` is an inline thumbnail Veil shows: a base64 data URL of a WebP, JPEG or PNG, at most MAX_INLINE_THUMB_CHARS. */
export function isInlineThumb(s: unknown): s is string {
  return typeof s === 'string' && s.length <= MAX_INLINE_THUMB_CHARS && INLINE_THUMB.test(s);
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
  // https only; plain http only to this machine (a local Blossom server: npm start, the tests).
  if ((u.protocol !== 'https:' && !isLoopbackHttp(u)) || u.username !== '' || u.password !== '') fail('INVALID_EVENT', reason);
  return u.href;
}

/** The file metadata of a kind 15 event (rumor or envelope inner event). Errors: INVALID_EVENT. */
export function parseFile(rumor: Pick<UnsignedNostrEvent, 'content' | 'tags'>): Nip17File {
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
  else if (isInlineThumb(thumb)) file.inlineThumb = thumb;
  const plainSize = tagVal(t, 'plain-size');
  if (plainSize !== undefined) {
    // A receiver that ignored it would show the padding: a malformed one refuses the message.
    if (!/^[0-9]{1,15}$/.test(plainSize)) fail('INVALID_EVENT', 'file-malformed');
    file.plainSize = Number(plainSize);
  }
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

/**
 * The tags of a kind 15 event for `file` (NIP-17 §File message): what parseFile reads back. The inline
 * thumbnail and the padded file's `plain-size` only with `veil` (Veil envelopes: NIP-17 clients read
 * `thumb` as a URL and know no padding).
 */
export function fileEventTags(file: Nip17File, opts: { veil?: boolean } = {}): string[][] {
  const tags: string[][] = [];
  if (file.mimeType) tags.push(['file-type', file.mimeType]);
  tags.push(['encryption-algorithm', 'aes-gcm'], ['decryption-key', file.keyHex], ['decryption-nonce', file.nonceHex]);
  if (file.sha256) tags.push(['x', file.sha256]);
  if (file.originalSha256) tags.push(['ox', file.originalSha256]);
  if (file.size !== undefined) tags.push(['size', String(file.size)]);
  if (file.dim) tags.push(['dim', file.dim]);
  if (file.blurhash) tags.push(['blurhash', file.blurhash]);
  if (opts.veil && isInlineThumb(file.inlineThumb)) tags.push(['thumb', file.inlineThumb]);
  if (opts.veil && file.plainSize !== undefined) tags.push(['plain-size', String(file.plainSize)]);
  for (const f of file.fallbacks) tags.push(['fallback', f]);
  return tags;
}

/** Turns a kind 14 template into the kind 15 message of `file` (content = its URL), keeping its p/e/subject tags. */
export function asFileMessage(template: { kind: number; content: string; tags: string[][] }, file: Nip17File, opts: { veil?: boolean } = {}): void {
  template.kind = FILE_KIND;
  template.content = file.url;
  template.tags.push(...fileEventTags(file, opts));
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
