/**
 * Broadcast channel posts (spec docs/proposals/0011-channels.md, issue 15 §3). A post is a v3
 * envelope (0009) in every byte a relay sees, sealed into the shared pair buckets; its session key
 * is wrapped under a key every reader of the epoch derives from the channel key CK (no ECDH), and
 * its inner event is a kind 1069 signed by the channel's own owner key O, with the epoch signed in.
 *
 * - channelBucketKey(CK) → the "pair key" of bucket.ts pairBucketIndex (where posts go).
 * - channelTagKey(CK, day) → the tag key of bucket.ts pairTag (the body nonce readers recognise).
 * - channelKeySchedule(CK, E) → prk, kek, wrap nonce (HKDF, salt "veil/chan1/kem").
 * - sealChannelPost / trialOpenChannel + finishChannelOpen.
 */
import { extract, expand } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { EventTemplate } from 'nostr-tools/pure';
import { abytes, bytesToHex, concatBytes, utf8Encode, wipe } from '../shared/bytes';
import { VeilError } from '../shared/errors';
import type { NostrEventJson } from '../shared/nostr';
import type { IdCheckedEvent, TrustedEvent } from '../shared/trusted-event';
import { assertDay } from './mailbox';
import { jsCurve, type Curve } from './curve';
import type { KeySchedule } from './envelope-kdf';
import { finishWith, outerShapeOk, unwrapWith, type OpenOptions, type UnwrappedEnvelope } from './envelope-open';
import { sealFresh, sealWrapped, type SealBody, type SealPayload, type SealRandomness, type SealTrace, type Wrapping } from './envelope-seal';

/** The inner kind of a channel post (never published on its own; not kind 1, so a leaked post is no public note). */
export const CHANNEL_POST_KIND = 1069;
export const CHANNEL_KEY_BYTES = 32;
/** Largest epoch number (u32). */
export const MAX_EPOCH = 0xffff_ffff;

const LABEL_BUCKET = utf8Encode('veil/chan1/bucket');
const LABEL_TAG = utf8Encode('veil/chan1/tag');
const LABEL_KEM = utf8Encode('veil/chan1/kem');
const LABEL_WRAP = utf8Encode('veil/env1/wrap');
const HEX64 = /^[0-9a-f]{64}$/;

/** A u32, big-endian (the epoch and day fields). */
export function be32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, false);
  return b;
}

export function assertEpoch(epoch: number): void {
  if (!Number.isSafeInteger(epoch) || epoch < 0 || epoch > MAX_EPOCH) throw new VeilError('INVALID_INPUT', 'channel epoch out of range');
}

/** HMAC(CK, "veil/chan1/bucket"): the key bucket.ts pairBucketIndex takes to place this epoch's posts. Secret. */
export function channelBucketKey(ck: Uint8Array): Uint8Array {
  abytes(ck, CHANNEL_KEY_BYTES, 'channel key');
  return hmac(sha256, ck, LABEL_BUCKET);
}

/** HMAC(CK, "veil/chan1/tag" ‖ 0x00 ‖ be32(day)): the tag key of one day (bucket.ts pairTag gives each post's nonce). Secret. */
export function channelTagKey(ck: Uint8Array, day: number): Uint8Array {
  abytes(ck, CHANNEL_KEY_BYTES, 'channel key');
  assertDay(day);
  return hmac(sha256, ck, concatBytes(LABEL_TAG, Uint8Array.of(0), be32(day)));
}

/** prk = HKDF-Extract("veil/chan1/kem", CK ‖ E); kek ‖ wrapNonce = HKDF-Expand(prk, "veil/env1/wrap", 44). Wipe all three. */
export function channelKeySchedule(ck: Uint8Array, ephemeral: Uint8Array): KeySchedule {
  abytes(ck, CHANNEL_KEY_BYTES, 'channel key');
  abytes(ephemeral, 32, 'ephemeral key');
  const ikm = concatBytes(ck, ephemeral);
  const prk = extract(sha256, ikm, LABEL_KEM);
  wipe(ikm);
  const okm = expand(sha256, prk, LABEL_WRAP, 44);
  return { prk, kek: okm.subarray(0, 32), wrapNonce: okm.subarray(32, 44) };
}

function channelWrapping(ck: Uint8Array): Wrapping {
  abytes(ck, CHANNEL_KEY_BYTES, 'channel key');
  // No shared secret: the channel key itself stands in (the vectors show an empty one).
  return { kinds: [CHANNEL_POST_KIND], schedule: (_e, E) => ({ ss: new Uint8Array(0), ks: channelKeySchedule(ck, E) }) };
}

export interface ChannelSealInput {
  /** CK of the epoch the post belongs to. */
  channelKey: Uint8Array;
  /** The bucket point M (bucket.ts bucketPoint of pairBucketIndex(channelBucketKey(CK), …)). */
  mailbox: string;
  /** channelTagKey(CK, day of the send time). */
  tagKey: Uint8Array;
  /** A signed kind 1069 (channelPostTemplate, signed by the owner key), or cover. */
  payload: SealPayload;
  nowSeconds?: number;
  expiresAt?: number;
}

function body(input: ChannelSealInput): SealBody {
  return {
    mailbox: input.mailbox,
    payload: input.payload,
    pairTagKey: input.tagKey,
    ...(input.nowSeconds !== undefined ? { nowSeconds: input.nowSeconds } : {}),
    ...(input.expiresAt !== undefined ? { expiresAt: input.expiresAt } : {})
  };
}

/** Seals one post for every reader of the epoch (one envelope per relay). Fresh CSPRNG randomness, secrets wiped. */
export function sealChannelPost(input: ChannelSealInput, curve: Curve = jsCurve): Promise<NostrEventJson> {
  return sealFresh((rnd) => sealWrapped(body(input), rnd, curve, channelWrapping(input.channelKey)));
}

/** TESTS AND VECTOR GENERATION ONLY: sealChannelPost with the randomness given, and every intermediate value. */
export function sealChannelPostDeterministic(input: ChannelSealInput, rnd: SealRandomness, curve: Curve = jsCurve): Promise<{ event: NostrEventJson; trace: SealTrace }> {
  return sealWrapped(body(input), { ...rnd, ephemeralSecret: rnd.ephemeralSecret.slice(), sessionKey: rnd.sessionKey.slice(), nonce: rnd.nonce.slice() }, curve, channelWrapping(input.channelKey));
}

/**
 * The unsigned inner post (spec 0011 §Inner event): kind 1069, ["epoch", n], optional owner-signed
 * name and about, and ["rotated", n+1] on the last post of an epoch. Sign it with the owner key.
 */
export function channelPostTemplate(opts: { text: string; epoch: number; createdAt: number; name?: string; about?: string; rotated?: number }): EventTemplate {
  if (typeof opts.text !== 'string') throw new VeilError('INVALID_INPUT', 'text must be a string');
  assertEpoch(opts.epoch);
  const tags = [['epoch', String(opts.epoch)]];
  if (opts.name !== undefined) tags.push(['name', opts.name]);
  if (opts.about !== undefined) tags.push(['about', opts.about]);
  if (opts.rotated !== undefined) {
    if (opts.rotated !== opts.epoch + 1) throw new VeilError('INVALID_INPUT', 'a rotation names the next epoch');
    tags.push(['rotated', String(opts.rotated)]);
  }
  return { kind: CHANNEL_POST_KIND, created_at: opts.createdAt, tags, content: opts.text };
}

/**
 * Unwraps an outer event under a channel key (shape, version, HKDF + key unwrap, class size,
 * commitment); null for anything else, never throws. Run it only on envelopes whose nonce is the
 * channel's tag for that day (the cheap check); the outer signature is the caller's (relay layer).
 */
export function trialOpenChannel<E extends TrustedEvent | IdCheckedEvent>(outer: E, ck: Uint8Array): UnwrappedEnvelope<E> | null {
  if (ck.length !== CHANNEL_KEY_BYTES || !outerShapeOk(outer)) return null;
  return unwrapWith(outer, (E) => channelKeySchedule(ck, E));
}

/** An opened post, or cover a channel device sent into its bucket (dropped by the caller). */
export type OpenedChannelPost = { type: 'post'; event: TrustedEvent; outerId: string } | { type: 'cover'; outerId: string };

/**
 * Finishes a trial-open: body, unpad, inner kind 1069, id and signature, author = the channel's
 * owner key, `epoch` = the epoch of the key that opened it. Wipes the session key. Throws only the
 * generic ENVELOPE_OPEN_FAILED.
 */
export async function finishChannelOpen(u: UnwrappedEnvelope, owner: string, epoch: number, opts?: Pick<OpenOptions, 'schnorr'>): Promise<OpenedChannelPost> {
  if (!HEX64.test(owner)) throw new VeilError('INVALID_INPUT', 'owner key must be 64 hex');
  assertEpoch(epoch);
  const accept = (inner: TrustedEvent) => inner.pubkey === owner && inner.tags.filter((t) => t[0] === 'epoch').map((t) => t[1]).join() === String(epoch);
  const opened = await finishWith(u, [CHANNEL_POST_KIND], accept, opts);
  return opened.type === 'cover' ? { type: 'cover', outerId: opened.outerId } : { type: 'post', event: opened.event, outerId: opened.outerId };
}

/** The channel's id as the app names it: the owner key, hex. */
export function channelId(ownerPublic: Uint8Array): string {
  abytes(ownerPublic, 32, 'owner key');
  return bytesToHex(ownerPublic);
}
