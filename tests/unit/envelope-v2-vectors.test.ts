/**
 * Published vectors of the Veil envelope v2 (docs/proposals/0004-envelope-v2.md §Vectors): the file's
 * sha256 must be the one recorded in tests/vectors/README.md; every bucket point, pair bucket index and
 * pair tag is recomputed (v3 keeps them); the key schedule of every valid envelope reproduces. Version 2
 * is not key-committing and has been refused since v3 (spec 0009): every envelope in the file, valid
 * or invalid, now fails with the one generic error, and the recorded pair-tag answers are those of a
 * v2 reader (version byte 2 and a matching tag).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { NostrEvent } from 'nostr-tools/pure';
import { base64Decode, bytesToHex, equalBytes, hexToBytes } from '../../src/lib/shared/bytes';
import { trustEvent } from '../../src/lib/shared/trusted-event';
import { getXOnlyPublicKey } from '../../src/lib/crypto/keys';
import { OUTER_RULES } from '../../src/lib/crypto/envelope-format';
import { bucketPoint, pairBucketIndex, pairTag, pairTagKey } from '../../src/lib/crypto/bucket';
import { derivePairKey, epochDay, introMailbox, normalizeRelayUrl } from '../../src/lib/crypto/mailbox';
import { expectOldKeySchedule, expectRefused } from '../helpers/old-envelopes';
import { vectorPath } from '../helpers/vectors';

interface KeyRec { identity_secret: string; identity: string; ek_secret: string; ek: string }
type Derivation =
  | { kind: 'pair'; from: string; to: string; relay: string; day: number; level: number; index: number }
  | { kind: 'intro'; to: string; relay: string; day: number; k: number }
  | { kind: 'read'; relay: string; day: number; level: number; index: number };
interface PairTagRec { from: string; to: string; pair_key: string; day: number; tag_key: string; tag: string }
interface ValidVec {
  name: string;
  recipient: string;
  recipient_ek: string;
  recipient_identity: string;
  bucket_derivation: Derivation;
  bucket: string;
  now: number;
  pair_tag: PairTagRec | null;
  randomness: { ephemeral_secret: string; session_key: string; nonce: string | null; created_at_offset: number; signature_aux: string };
  payload: { type: 'event'; event: NostrEvent } | { type: 'cover'; bytes: string };
  intermediate: Record<'ephemeral_public' | 'shared_secret' | 'prk' | 'kek' | 'wrap_nonce' | 'wrapped_key' | 'nonce' | 'aad' | 'padded', string>;
  outer: NostrEvent;
}
interface InvalidVec { name: string; reason: string; recipient: string; pair_tag_check: { from: string; to: string; day: number; matches: boolean }; outer: unknown }
interface VectorFile {
  version: number;
  keys: Record<string, KeyRec>;
  buckets: { relay: string; day: number; level: number; index: number; bucket: string }[];
  pair_buckets: { a: string; b: string; a_ek: string; b_ek: string; pair_key: string; relay: string; day: number; level: number; index: number }[];
  pair_tags: (PairTagRec & { from_ek: string; to_ek: string; ephemeral_public: string })[];
  intro_buckets: { to_ek: string; relay: string; day: number; k: number; bucket: string }[];
  valid: ValidVec[];
  invalid: InvalidVec[];
}

const FILE = 'envelope-v2.json';

/** The sha256 recorded for `name` in tests/vectors/README.md (its "sha256" line). */
function recordedSha256(name: string): string {
  const readme = readFileSync(vectorPath('README.md'), 'utf8');
  const section = readme.split('\n### ').find((s) => s.startsWith(`\`${name}\``));
  const hash = section?.match(/\*\*sha256\*\*[\s\S]*?`([0-9a-f]{64})`/)?.[1];
  if (!hash) throw new Error(`no sha256 recorded for ${name} in tests/vectors/README.md`);
  return hash;
}

/** Parses the vector file after checking its sha256 against the README; throws on any difference. */
function checkedVectors(buf: Buffer): VectorFile {
  const got = createHash('sha256').update(buf).digest('hex');
  const expected = recordedSha256(FILE);
  if (got !== expected) throw new Error(`sha256 mismatch for ${FILE}: got ${got}, expected ${expected}`);
  return JSON.parse(buf.toString('utf8')) as VectorFile;
}

const RAW = readFileSync(vectorPath(FILE));
const V = checkedVectors(RAW);
const key = (name: string) => {
  const k = V.keys[name];
  if (!k) throw new Error(`vector key ${name} missing`);
  return k;
};
const ek = (name: string) => hexToBytes(key(name).ek);
const pairKeyOf = (a: string, b: string) => derivePairKey(hexToBytes(key(a).ek_secret), ek(b));
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;
/** A v2 reader's pair-tag check (spec 0004 §Recognising): version byte 2 and the nonce equals pairTag(tagKey, E). */
function tagMatches(outer: unknown, tagKey: Uint8Array): boolean {
  const t = trustEvent(clone(outer), { rules: OUTER_RULES });
  if (!t.ok) return false;
  const head = base64Decode(t.event.content.slice(0, 84));
  return head[0] === 2 && equalBytes(head.subarray(49, 61), pairTag(tagKey, hexToBytes(t.event.pubkey)));
}

describe('envelope-v2 vector file', () => {
  it('has the sha256 recorded in tests/vectors/README.md, and one changed byte is refused', () => {
    expect(createHash('sha256').update(RAW).digest('hex')).toBe(recordedSha256(FILE));
    for (const at of [0, Math.floor(RAW.length / 2), RAW.length - 2]) {
      const changed = Buffer.from(RAW);
      changed[at] = changed[at]! ^ 0x01;
      expect(() => checkedVectors(changed)).toThrow(/sha256 mismatch/);
    }
  });

  it('covers what 0004 §Vectors lists, with unique names', () => {
    expect(V.version).toBe(2);
    expect(new Set(V.buckets.map((b) => b.level))).toEqual(new Set([0, 1, 4, 16]));
    expect(V.buckets.some((b) => b.level === 16 && b.index === 65_535)).toBe(true);
    expect(V.buckets.some((b) => b.level === 4 && b.index === 15)).toBe(true);
    const names = [...V.valid, ...V.invalid].map((v) => v.name);
    expect(new Set(names).size).toBe(names.length);
    expect(V.valid.filter((v) => v.pair_tag !== null).length).toBeGreaterThanOrEqual(3);
    expect(V.valid.some((v) => v.bucket_derivation.kind === 'intro')).toBe(true);
    expect(V.valid.some((v) => v.payload.type === 'cover')).toBe(true);
    for (const [n, k] of Object.entries(V.keys)) {
      expect(bytesToHex(getXOnlyPublicKey(hexToBytes(k.ek_secret))), n).toBe(k.ek);
      expect(bytesToHex(getXOnlyPublicKey(hexToBytes(k.identity_secret))), n).toBe(k.identity);
    }
  });
});

describe('envelope-v2 derivations', () => {
  it('bucket points', () => {
    for (const b of V.buckets) expect(bucketPoint(b.relay, b.day, b.level, b.index)).toBe(b.bucket);
    // one relay spelled two ways gives the same buckets (the relay URL is normalised first)
    const byPlace = new Map<string, string>();
    for (const b of V.buckets) {
      const k = `${normalizeRelayUrl(b.relay)}|${b.day}|${b.level}|${b.index}`;
      const seen = byPlace.get(k);
      if (seen !== undefined) expect(b.bucket).toBe(seen);
      byPlace.set(k, b.bucket);
    }
    expect(byPlace.size).toBeLessThan(V.buckets.length);
    expect(new Set(byPlace.values()).size).toBe(byPlace.size);
  });

  it('pair bucket indices (both ends derive the same pair key)', () => {
    for (const p of V.pair_buckets) {
      const pk = pairKeyOf(p.a, p.b);
      expect(bytesToHex(pk)).toBe(p.pair_key);
      expect(bytesToHex(pairKeyOf(p.b, p.a))).toBe(p.pair_key);
      expect(pairBucketIndex(pk, p.relay, p.day, p.level)).toBe(p.index);
    }
    // the index is bound to the normalised relay: equal across spellings, and the file holds a
    // pair whose level-16 index differs between two relays on the same day
    const byPlace = new Map<string, number>();
    for (const p of V.pair_buckets) {
      const k = `${p.pair_key}|${normalizeRelayUrl(p.relay)}|${p.day}|${p.level}`;
      const seen = byPlace.get(k);
      if (seen !== undefined) expect(p.index).toBe(seen);
      byPlace.set(k, p.index);
    }
    expect(byPlace.size).toBeLessThan(V.pair_buckets.length);
    const high = V.pair_buckets.filter((p) => p.level === 16);
    expect(high.some((p) => high.some((q) => q.pair_key === p.pair_key && q.day === p.day && normalizeRelayUrl(q.relay) !== normalizeRelayUrl(p.relay) && q.index !== p.index))).toBe(true);
  });

  it('pair-tag keys and tags', () => {
    for (const t of V.pair_tags) {
      const pk = hexToBytes(t.pair_key);
      expect(bytesToHex(pairKeyOf(t.from, t.to))).toBe(t.pair_key);
      const tk = pairTagKey(pk, hexToBytes(t.from_ek), hexToBytes(t.to_ek), t.day);
      expect(bytesToHex(tk)).toBe(t.tag_key);
      expect(bytesToHex(pairTag(tk, hexToBytes(t.ephemeral_public)))).toBe(t.tag);
    }
    expect(new Set(V.pair_tags.map((t) => t.tag)).size).toBe(V.pair_tags.length);
  });

  it('intro buckets are the 0003 intro mailboxes', () => {
    for (const b of V.intro_buckets) expect(introMailbox(hexToBytes(b.to_ek), b.relay, b.day, b.k)).toBe(b.bucket);
  });
});

describe('envelope-v2 valid vectors', () => {
  it.each(V.valid.map((v) => [v.name, v] as const))('%s: derivations and key schedule reproduce; the envelope is refused', async (_n, v) => {
    const d = v.bucket_derivation;
    const bucket =
      d.kind === 'intro'
        ? introMailbox(ek(d.to), d.relay, d.day, d.k)
        : bucketPoint(d.relay, d.day, d.level, d.kind === 'pair' ? pairBucketIndex(pairKeyOf(d.from, d.to), d.relay, d.day, d.level) : d.index);
    if (d.kind === 'pair') expect(pairBucketIndex(pairKeyOf(d.to, d.from), d.relay, d.day, d.level)).toBe(d.index);
    expect(bucket).toBe(v.bucket);
    expect(epochDay(v.now)).toBe(d.day);

    let tagKey: Uint8Array | undefined;
    if (v.pair_tag) {
      const t = v.pair_tag;
      tagKey = pairTagKey(pairKeyOf(t.from, t.to), ek(t.from), ek(t.to), epochDay(v.now));
      expect(bytesToHex(tagKey)).toBe(t.tag_key);
      expect(t.day).toBe(epochDay(v.now));
    }
    expect(v.randomness.nonce === null).toBe(v.pair_tag !== null);
    await expectOldKeySchedule(v, 2);
    expect(base64Decode(v.outer.content)[0]).toBe(2);

    // the pair-tag check: a pair envelope matches its own direction's tag key and no other
    if (v.pair_tag) {
      expect(v.pair_tag.tag).toBe(v.intermediate.nonce);
      expect(tagMatches(v.outer, tagKey!)).toBe(true);
      const t = v.pair_tag;
      expect(tagMatches(v.outer, pairTagKey(pairKeyOf(t.from, t.to), ek(t.to), ek(t.from), t.day))).toBe(false);
      expect(tagMatches(v.outer, pairTagKey(pairKeyOf(t.from, t.to), ek(t.from), ek(t.to), t.day + 1))).toBe(false);
    } else {
      for (const t of V.pair_tags) expect(tagMatches(v.outer, hexToBytes(t.tag_key))).toBe(false);
    }

    await expectRefused(v.outer, key(v.recipient).ek_secret, v.recipient_identity);
  });
});

describe('envelope-v2 invalid vectors', () => {
  it.each(V.invalid.map((v) => [v.name, v] as const))('%s: pair-tag check as recorded, open fails with the generic error', async (_n, v) => {
    const c = v.pair_tag_check;
    expect(tagMatches(v.outer, pairTagKey(pairKeyOf(c.from, c.to), ek(c.from), ek(c.to), c.day))).toBe(c.matches);
    const rk = key(v.recipient);
    await expectRefused(v.outer, rk.ek_secret, rk.identity);
  });

  it('the relabelled and moved envelopes differ from the valid one only in the version byte and the bucket', () => {
    const base = V.valid.find((v) => v.name === 'pair level 0')!;
    const relabelled = V.invalid.find((v) => v.name === 'v2 relabelled 1')!.outer as NostrEvent;
    const moved = V.invalid.find((v) => v.name === 'wrong bucket in p tag')!.outer as NostrEvent;
    // only byte 0 of the content differs, and only the p tag respectively
    expect(relabelled.content.slice(4)).toBe(base.outer.content.slice(4));
    expect(moved.content).toBe(base.outer.content);
    expect(moved.tags[0]![1]).not.toBe(base.outer.tags[0]![1]);
  });
});
