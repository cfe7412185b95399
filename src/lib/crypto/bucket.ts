/**
 * Shared buckets and pair tags (envelope v2; docs/proposals/0004-envelope-v2.md, 0005-traffic.md;
 * docs/design.md §4). A bucket is the value of an envelope's outer `p` tag that MANY readers share:
 * it depends only on public values (relay, UTC day, level, index), so a reader's REQ names the same
 * tags as everyone else's at the same level and says nothing about its contacts. A pair finds its
 * own envelopes inside a bucket by the 12-byte pair tag that v2 puts in the body nonce: an HMAC
 * under the pair key over the envelope's ephemeral key, which only the two ends can compute, so a
 * reader recognises its mail with one HMAC per candidate contact and no curve operation.
 *
 * - bucket(relay, day, level, index): 2^level buckets per relay and day (level 0 = one bucket).
 * - pairBucketIndex(pairKey, relay, day, level): which of them a pair uses on that relay and day
 *   (both directions).
 * - pairTagKey(pairKey, from, to, day) and pairTag(tagKey, E): the nonce of a pair envelope.
 * - The intro bucket is mailbox.ts `introMailbox` (public already, shared by every reader at k = 0).
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { abytes, bytesToHex, concatBytes, utf8Encode, wipe } from '../shared/bytes';
import { VeilError } from '../shared/errors';
import { assertDay, hashToXOnly, placeBytes } from './mailbox';

/** Largest bucket level: 2^16 buckets per relay and day. */
export const MAX_BUCKET_LEVEL = 16;
/** Bytes of the pair tag (the v2 body nonce). */
export const PAIR_TAG_BYTES = 12;

const LABEL_BUCKET = 'veil/bkt2/bucket';
const LABEL_INDEX = 'veil/bkt2/index';
const LABEL_TAG_KEY = 'veil/env2/tag';
const LABEL_TAG = utf8Encode('veil/env2/nonce');
const BUCKET_KEY = utf8Encode(LABEL_BUCKET);

function assertLevel(level: number): void {
  if (!Number.isSafeInteger(level) || level < 0 || level > MAX_BUCKET_LEVEL) throw new VeilError('INVALID_INPUT', 'bad bucket level');
}

function be32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
}

/**
 * The bucket point (spec 0004 §Buckets): seed = HMAC(key "veil/bkt2/bucket", "veil/bkt2/bucket" ‖
 * 0x00 ‖ level ‖ be32(index) ‖ place(relay, day)), then hash-to-x (spec 0003). Public: anyone can
 * compute every bucket, which is the point (readers share them). Returns 64 lowercase hex.
 */
export function bucketPoint(relay: string, day: number, level: number, index: number): string {
  assertLevel(level);
  if (!Number.isSafeInteger(index) || index < 0 || index >= 2 ** level) throw new VeilError('INVALID_INPUT', 'bad bucket index');
  const msg = concatBytes(BUCKET_KEY, Uint8Array.of(0, level), be32(index), placeBytes(relay, day));
  const seed = hmac(sha256, BUCKET_KEY, msg);
  const m = hashToXOnly(seed);
  wipe(seed);
  return bytesToHex(m);
}

/**
 * Which bucket of a level a pair uses on `relay` and `day` (spec 0004 §Pair bucket): the first 32
 * bits of HMAC(pairKey, "veil/bkt2/index" ‖ 0x00 ‖ place(relay, day)), top `level` bits. The relay
 * is bound so that relays comparing notes cannot match a pair by its index. The pair key is
 * symmetric (mailbox.ts derivePairKey), so both directions of a pair share the bucket.
 */
export function pairBucketIndex(pairKey: Uint8Array, relay: string, day: number, level: number): number {
  abytes(pairKey, 32, 'pair key');
  assertLevel(level);
  const where = placeBytes(relay, day); // validates day and relay even at level 0
  if (level === 0) return 0;
  const h = hmac(sha256, pairKey, concatBytes(utf8Encode(LABEL_INDEX), Uint8Array.of(0), where));
  const top = new DataView(h.buffer, h.byteOffset, 4).getUint32(0);
  wipe(h);
  return top >>> (32 - level);
}

/**
 * The pair-tag key of one direction and day (spec 0004 §Pair tag): HMAC(pairKey, "veil/env2/tag" ‖
 * 0x00 ‖ fromEK ‖ toEK ‖ be32(day)). Secret: keep and wipe it like the pair key.
 */
export function pairTagKey(pairKey: Uint8Array, from: Uint8Array, to: Uint8Array, day: number): Uint8Array {
  abytes(pairKey, 32, 'pair key');
  abytes(from, 32, 'from EK');
  abytes(to, 32, 'to EK');
  assertDay(day);
  return hmac(sha256, pairKey, concatBytes(utf8Encode(LABEL_TAG_KEY), Uint8Array.of(0), from, to, be32(day)));
}

/**
 * The pair tag of one envelope: the first 12 bytes of HMAC(tagKey, "veil/env2/nonce" ‖ E), where E
 * is the envelope's ephemeral key (its outer pubkey). E is fresh per envelope, so tags never repeat
 * and cannot be linked by anyone without the tag key; v2 uses the tag as the body's GCM nonce.
 */
export function pairTag(tagKey: Uint8Array, ephemeral: Uint8Array): Uint8Array {
  abytes(tagKey, 32, 'tag key');
  abytes(ephemeral, 32, 'ephemeral key');
  const h = hmac(sha256, tagKey, concatBytes(LABEL_TAG, ephemeral));
  const tag = h.slice(0, PAIR_TAG_BYTES);
  wipe(h);
  return tag;
}

/**
 * The bucket level for a relay's daily volume (spec 0005 §Bucket count): the smallest level at which
 * one bucket holds at most `perBucket` envelopes a day. 0 while the volume fits one bucket.
 */
export function levelForVolume(envelopesPerDay: number, perBucket: number): number {
  if (!(perBucket > 0) || !(envelopesPerDay >= 0)) throw new VeilError('INVALID_INPUT', 'bad volume');
  let level = 0;
  while (level < MAX_BUCKET_LEVEL && envelopesPerDay / 2 ** level > perBucket) level++;
  return level;
}
