/**
 * Receiving NIP-17: opening a NIP-59 gift wrap (docs/design.md §1). The wrap (kind 1059) is signed by a
 * throwaway key; the seal (kind 13) is signed by the sender and is the only thing that proves
 * authorship, so the rumor inside must claim the seal's pubkey — else anyone could seal a rumor
 * "from" someone else.
 *
 * Checks, in order: wrap shape, size, kind 1059, id and signature; NIP-44 decryption with the
 * recipient key (a secret key, or a Signer's nip44Decrypt for extension/bunker users); seal kind 13,
 * no tags, id and signature; rumor shape and id; rumor.pubkey === seal.pubkey.
 * Errors carry a `reason` for logs and tests; codes: INVALID_EVENT, INVALID_SIGNATURE,
 * DECRYPT_FAILED, TOO_LARGE, SIGNER_*.
 */
import { VeilError, isVeilError, type VeilErrorCode } from '../shared/errors';
import { getConversationKey, nip44Decrypt } from './nip44';
import { checkRumor, parseJsonBounded, verifyEvent, type UnsignedNostrEvent, type TrustedEvent } from './nostr-event';
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
  wrap: TrustedEvent;
  seal: TrustedEvent;
  /** The rumor: unsigned, its id checked, its pubkey equal to the seal's signer. */
  rumor: UnsignedNostrEvent;
  /** The verified sender: the seal's signer. */
  sender: string;
}

export function fail(code: VeilErrorCode, reason: UnwrapFailure, cause?: unknown): never {
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

function verified(raw: unknown, what: 'wrap' | 'seal'): TrustedEvent {
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
