/**
 * What a stored message holds beyond its text: the metadata of a NIP-17 kind 15 file (one tag, so
 * the file can be fetched later) and the system lines Veil writes into a chat itself. Also the one
 * place a file is downloaded.
 */
import { VeilError, userError } from '../shared/errors';
import { downloadNip17File, type DownloadOptions, type FileFetch } from './file-download';
import type { MessageInput, VeilStore } from '../store';
import { isInlineThumb, type Nip17File } from '../crypto/nip17';
import { m as words } from '../paraglide/messages';

/** Local-only kind of the system lines Veil writes into a chat (never sent). */
export const SYSTEM_KIND = 0;
export const SYSTEM_TAG = 'veil-system';
/** Tag carrying a kind 15 file's metadata (JSON) in the stored message. */
const FILE_TAG = 'veil-file';
/** Tag carrying a file's inline thumbnail (a data URL) in the stored message: its own, as it nearly fills a tag value. */
const THUMB_TAG = 'veil-thumb';
/** A tag value the store keeps (characters). */
const MAX_TAG_CHARS = 4096;
export const UPGRADED_NOTE = "Upgraded to Veil's private envelope";

/** The file metadata of a kind 15 message as one stored tag, or undefined when it cannot fit. */
export function fileTag(f: Nip17File): string[] | undefined {
  const keep: Nip17File = {
    url: f.url,
    algorithm: f.algorithm,
    keyHex: f.keyHex,
    nonceHex: f.nonceHex,
    fallbacks: f.fallbacks.slice(0, 3),
    ...(f.mimeType ? { mimeType: f.mimeType } : {}),
    ...(f.sha256 ? { sha256: f.sha256 } : {}),
    ...(f.originalSha256 ? { originalSha256: f.originalSha256 } : {}),
    ...(f.size !== undefined ? { size: f.size } : {}),
    ...(f.dim ? { dim: f.dim } : {}),
    ...(f.plainSize !== undefined ? { plainSize: f.plainSize } : {})
  };
  let json = JSON.stringify(keep);
  if (json.length > MAX_TAG_CHARS) json = JSON.stringify({ ...keep, fallbacks: [] });
  return json.length <= MAX_TAG_CHARS ? [FILE_TAG, json] : undefined;
}

/** The label a file message shows as its text: "File (image/png)". */
function fileLabel(f: Pick<Nip17File, 'mimeType'>): string {
  return f.mimeType ? `File (${f.mimeType.slice(0, 100)})` : 'File';
}

/** A received file message's stored form: its metadata as one tag (when it fits) and its label as text. */
export function fileMessage(f: Nip17File): { body: string; tags?: string[][] } {
  const tag = fileTag(f);
  const tags = tag ? [tag] : [];
  if (tag && isInlineThumb(f.inlineThumb) && f.inlineThumb.length <= MAX_TAG_CHARS) tags.push([THUMB_TAG, f.inlineThumb]);
  return { body: fileLabel(f), ...(tags.length ? { tags } : {}) };
}

/**
 * What a sent message stores: its text as kind 14, a file message as kind 15 with the file's tag,
 * or the control message's system line (`stored`, disappearing.ts applyExtras).
 */
export function storedBody(s: { text: string; file?: Nip17File }, stored?: { kind: number; tags: string[][] }): { body: string; kind: number; tags?: string[][] } {
  if (stored) return { body: s.text, kind: stored.kind, tags: stored.tags };
  return s.file ? { ...fileMessage(s.file), kind: 15 } : { body: s.text, kind: 14 };
}

/** Reads back what fileTag wrote (our own sealed data, still checked). */
export function storedFile(tags: readonly (readonly string[])[]): Nip17File | undefined {
  const raw = tags.find((t) => t[0] === FILE_TAG)?.[1];
  if (!raw) return undefined;
  try {
    const f = JSON.parse(raw) as Partial<Nip17File>;
    if (typeof f.url !== 'string' || typeof f.keyHex !== 'string' || typeof f.nonceHex !== 'string' || f.algorithm !== 'aes-gcm') return undefined;
    const thumb = tags.find((t) => t[0] === THUMB_TAG)?.[1];
    const { inlineThumb: _, dim, plainSize, ...rest } = f;
    return {
      ...rest,
      fallbacks: Array.isArray(f.fallbacks) ? f.fallbacks.filter((x): x is string => typeof x === 'string') : [],
      ...(typeof dim === 'string' && /^[0-9]{1,6}x[0-9]{1,6}$/.test(dim) ? { dim } : {}),
      ...(Number.isSafeInteger(plainSize) && plainSize! >= 0 ? { plainSize } : {}),
      ...(isInlineThumb(thumb) ? { inlineThumb: thumb } : {})
    } as Nip17File;
  } catch {
    return undefined;
  }
}

export function isSystemLine(kind: number, tags: readonly (readonly string[])[]): boolean {
  return kind === SYSTEM_KIND && tags.some((t) => t[0] === SYSTEM_TAG);
}

/**
 * The system line "Upgraded to Veil's private envelope" (one per contact and record). Its id is made by
 * the vault (store.localMessageId), not hashed from the contact's pubkey and record time: those are
 * public, so a thief holding the disk could recompute such an id for every record on a relay (issue 11).
 */
export async function upgradeLine(store: VeilStore, me: string, peer: string, recordAt: number, conversationId: string, nowS: number): Promise<MessageInput> {
  return {
    id: await store.localMessageId('system/upgrade', `${peer}\0${recordAt}`),
    conversationId,
    createdAt: nowS,
    direction: 'out',
    status: 'sent',
    content: { body: UPGRADED_NOTE, sender: me, kind: SYSTEM_KIND, tags: [[SYSTEM_TAG, 'upgrade']] }
  };
}

/**
 * Downloads and decrypts the file of a kind 15 message (AES-GCM) through `fetch`. Errors:
 * NOT_FOUND (no such file message), FILE_UNAVAILABLE (also when cancelled), DECRYPT_FAILED, TOO_LARGE.
 */
export async function downloadFile(
  store: VeilStore,
  fetch: typeof globalThis.fetch | undefined,
  messageId: string,
  opts: Pick<DownloadOptions, 'signal' | 'onProgress'> = {}
): Promise<{ bytes: Uint8Array; mimeType?: string }> {
  const m = await store.getMessage(messageId);
  const file = m && m.content.kind === 15 ? storedFile(m.content.tags ?? []) : undefined;
  if (!file) throw userError('NOT_FOUND', words.err_no_file());
  if (!fetch) throw new VeilError('FILE_UNAVAILABLE', 'downloads are not available here');
  return downloadNip17File(file, fetch as unknown as FileFetch, opts);
}
