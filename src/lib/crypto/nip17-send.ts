/**
 * Sending NIP-17: one rumor, and a seal + gift wrap (NIP-59) per recipient and one for the sender.
 */
import { finalizeEvent } from 'nostr-tools/pure';
import { randomInt, utf8Encode, wipe } from '../shared/bytes';
import { VeilError } from '../shared/errors';
import { eventId } from '../shared/trusted-event';
import { generateSecretKey, xOnlyFromHex } from './keys';
import { getConversationKey, nip44Encrypt } from './nip44';
import { GIFT_WRAP_KIND, SEAL_KIND } from './nip17-unwrap';
import { CHAT_KIND, FILE_KIND, MAX_REACTION_CHARS, MAX_RECIPIENTS, MAX_RUMOR_BYTES, MAX_TEXT_CHARS, REACTION_KIND, TIMESTAMP_JITTER_SECONDS } from './nip17-rumor';
import { verifyEvent, type UnsignedNostrEvent, type TrustedEvent } from './nostr-event';
import type { Signer } from './signer';

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
  return { id: eventId(r), ...r };
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
  seal: TrustedEvent;
  wrap: TrustedEvent;
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
  /** Disappearing message: NIP-40 `expiration` (unix seconds) on every wrap (NIP-17 "Disappearing messages"). */
  expiresAt?: number;
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
  const expiresAt = opts.expiresAt;
  if (expiresAt !== undefined && (!Number.isSafeInteger(expiresAt) || expiresAt <= now)) throw new VeilError('INVALID_INPUT', 'expiry must lie after the send time');
  const copies: WrappedCopy[] = [];
  // Sequential: an extension or bunker may ask the user once per request; do not flood it.
  for (const t of targets) {
    const sealContent = await signer.nip44Encrypt(t.recipient, rumorJson);
    const seal = await signer.signEvent({ kind: SEAL_KIND, created_at: randomPastTimestamp(now), tags: [], content: sealContent });
    if (seal.pubkey !== me) throw new VeilError('INVALID_SIGNATURE', 'seal signed by another key');
    copies.push({ recipient: t.recipient, self: t.self, seal, wrap: giftWrap(seal, t.recipient, now, expiresAt) });
  }
  return { rumor, copies };
}

/** NIP-59 "Gift Wrap": the seal, NIP-44-encrypted with a fresh key that signs the wrap and is then wiped. */
function giftWrap(seal: TrustedEvent, recipient: string, now: number, expiresAt: number | undefined): TrustedEvent {
  const eph = generateSecretKey();
  try {
    const sealJson = JSON.stringify({ id: seal.id, pubkey: seal.pubkey, created_at: seal.created_at, kind: seal.kind, tags: seal.tags, content: seal.content, sig: seal.sig });
    const content = nip44Encrypt(sealJson, getConversationKey(eph, recipient));
    const ev = finalizeEvent({ kind: GIFT_WRAP_KIND, created_at: randomPastTimestamp(now), tags: [['p', recipient], ...(expiresAt !== undefined ? [['expiration', String(expiresAt)]] : [])], content }, eph);
    return verifyEvent(ev); // a fresh frozen copy, without nostr-tools' cached flag
  } finally {
    wipe(eph);
  }
}
