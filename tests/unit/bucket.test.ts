/**
 * Shared buckets and pair tags (crypto/bucket.ts; docs/proposals/0004-envelope-v2.md, 0005-traffic.md):
 * properties of bucket points, pair bucket indices, pair-tag keys and tags, the reader's pair-tag check,
 * levelForVolume, and the errors of bad input.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { bytesToHex, equalBytes, randomBytes } from '../../src/lib/shared/bytes';
import { isVeilError } from '../../src/lib/shared/errors';
import { trustEvent } from '../../src/lib/shared/trusted-event';
import { generateSecretKey, getXOnlyPublicKey, isValidPublicKey } from '../../src/lib/crypto/keys';
import { bucketPoint, levelForVolume, MAX_BUCKET_LEVEL, PAIR_TAG_BYTES, pairBucketIndex, pairTag, pairTagKey } from '../../src/lib/crypto/bucket';
import { envelopeKey, envelopePairTag, openEnvelope, sealEnvelope, type SealPayload } from '../../src/lib/crypto/envelope';
import { OUTER_RULES } from '../../src/lib/crypto/envelope-format';
import { derivePairKey, epochDay, introMailbox } from '../../src/lib/crypto/mailbox';
import { readFileSync } from 'node:fs';
import { checkedOwnVectors, vectorPath } from '../helpers/vectors';

const V2_VECTORS = checkedOwnVectors<{ valid: { name: string; outer: unknown }[] }>('envelope-v2.json', readFileSync(vectorPath('envelope-v2.json')));

const RELAYS = ['wss://relay.example.com', 'wss://nos.example.org/inbox'];
const DAY = 20_454;
const NOW = DAY * 86_400 + 49_025;
const cover: SealPayload = { type: 'cover', bytes: new Uint8Array(16) };

function expectInvalid(f: () => unknown, code = 'INVALID_INPUT'): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(isVeilError(err, code as 'INVALID_INPUT'), String(err)).toBe(true);
}

function device() {
  const secret = generateSecretKey();
  return { secret, ek: getXOnlyPublicKey(secret) };
}

/** The reader's pair-tag check (spec 0004 §Recognising): one HMAC, no curve operation. */
function recognises(outer: unknown, tagKey: Uint8Array): boolean {
  const t = trustEvent(outer, { rules: OUTER_RULES });
  if (!t.ok) return false;
  const nonce = envelopePairTag(t.event);
  return nonce !== null && equalBytes(nonce, pairTag(tagKey, Uint8Array.from(Buffer.from(t.event.pubkey, 'hex'))));
}

describe('bucket points', () => {
  it('are valid x-only keys, distinct across relay, day, level and index', () => {
    const seen = new Set<string>();
    let n = 0;
    for (const relay of RELAYS)
      for (const day of [DAY, DAY + 1, DAY + 2])
        for (const level of [0, 1, 4])
          for (let index = 0; index < 2 ** level; index++) {
            const b = bucketPoint(relay, day, level, index);
            expect(b).toMatch(/^[0-9a-f]{64}$/);
            expect(isValidPublicKey(Uint8Array.from(Buffer.from(b, 'hex')))).toBe(true);
            seen.add(b);
            n++;
          }
    for (const index of [0, 1, 2 ** 15, 2 ** 16 - 1]) {
      seen.add(bucketPoint(RELAYS[0]!, DAY, 16, index));
      n++;
    }
    expect(n).toBe(2 * 3 * 19 + 4);
    expect(seen.size).toBe(n);
  });

  it('are the same for every caller (public inputs only; the relay URL is normalised)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: MAX_BUCKET_LEVEL }), fc.double({ min: 0, max: 1, noNaN: true }), (day, level, u) => {
        const index = Math.min(2 ** level - 1, Math.floor(u * 2 ** level));
        const a = bucketPoint('wss://relay.example.com', day, level, index);
        return a === bucketPoint('WSS://Relay.Example.com:443/', day, level, index) && a === bucketPoint('wss://relay.example.com', day, level, index);
      }),
      { numRuns: 100 }
    );
  });

  it('differ from the intro bucket of the same relay and day', () => {
    const intro = introMailbox(device().ek, RELAYS[0]!, DAY, 0);
    for (const level of [0, 1, 4]) for (let i = 0; i < 2 ** level; i++) expect(bucketPoint(RELAYS[0]!, DAY, level, i)).not.toBe(intro);
  });
});

describe('pair bucket index', () => {
  const a = device();
  const b = device();
  const pk = derivePairKey(a.secret, b.ek);

  it('is symmetric in the two EKs (both ends derive the same pair key)', () => {
    expect(bytesToHex(derivePairKey(b.secret, a.ek))).toBe(bytesToHex(pk));
    for (const relay of RELAYS)
      for (const level of [0, 1, 4, 16])
        for (const day of [DAY, DAY + 1]) expect(pairBucketIndex(derivePairKey(b.secret, a.ek), relay, day, level)).toBe(pairBucketIndex(pk, relay, day, level));
  });

  it('is in range, 0 at level 0, and the level-L index is the top L bits of the level-16 one', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.constantFrom(...RELAYS), fc.integer({ min: 0, max: 0xffffffff }), (key, relay, day) => {
        const top = pairBucketIndex(key, relay, day, 16);
        if (pairBucketIndex(key, relay, day, 0) !== 0) return false;
        for (let level = 1; level <= MAX_BUCKET_LEVEL; level++) {
          const i = pairBucketIndex(key, relay, day, level);
          if (!Number.isInteger(i) || i < 0 || i >= 2 ** level || i !== top >>> (16 - level)) return false;
        }
        return true;
      }),
      { numRuns: 300 }
    );
  });

  it('changes per day, and spreads over the buckets', () => {
    const days = Array.from({ length: 64 }, (_, i) => DAY + i);
    expect(new Set(days.map((d) => pairBucketIndex(pk, RELAYS[0]!, d, 16))).size).toBeGreaterThan(60);
    const level4 = new Set(days.map((d) => pairBucketIndex(pk, RELAYS[0]!, d, 4)));
    expect(level4.size).toBeGreaterThan(8); // 64 draws from 16: fewer than 9 distinct has probability < 1e-9
    // many pairs on one day cover both halves at level 1
    const halves = new Set(Array.from({ length: 64 }, () => pairBucketIndex(randomBytes(32), RELAYS[0]!, DAY, 1)));
    expect(halves).toEqual(new Set([0, 1]));
  });

  it('is bound to the relay: relays comparing notes cannot match a pair by its index', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.integer({ min: 0, max: 0xffffffff }), (key, day) => {
        const relays = Array.from({ length: 64 }, (_, i) => `wss://relay${i}.example.com`);
        // 64 draws from 2^16: fewer than 60 distinct has probability < 1e-9
        return new Set(relays.map((r) => pairBucketIndex(key, r, day, 16))).size >= 60;
      }),
      { numRuns: 20 }
    );
    // one relay spelled two ways is one relay (the URL is normalised first)
    expect(pairBucketIndex(pk, 'WSS://Relay.Example.com:443/', DAY, 16)).toBe(pairBucketIndex(pk, RELAYS[0]!, DAY, 16));
  });
});

describe('pair tags', () => {
  const a = device();
  const b = device();
  const pk = derivePairKey(a.secret, b.ek);
  const ab = pairTagKey(pk, a.ek, b.ek, DAY);

  it('tag keys differ per direction and per day; tags differ per E', () => {
    const keys = [ab, pairTagKey(pk, b.ek, a.ek, DAY), pairTagKey(pk, a.ek, b.ek, DAY + 1), pairTagKey(derivePairKey(a.secret, device().ek), a.ek, b.ek, DAY)];
    expect(new Set(keys.map(bytesToHex)).size).toBe(keys.length);
    const tags = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const t = pairTag(ab, device().ek);
      expect(t.length).toBe(PAIR_TAG_BYTES);
      tags.add(bytesToHex(t));
    }
    expect(tags.size).toBe(1000);
    const E = device().ek;
    expect(new Set(keys.map((k) => bytesToHex(pairTag(k, E)))).size).toBe(keys.length);
  });

  it('a reader with the right tag key recognises its envelopes; intro, cover and the other direction do not match', async () => {
    const ba = pairTagKey(pk, b.ek, a.ek, DAY);
    for (let i = 0; i < 8; i++) {
      const ev = await sealEnvelope({ recipientEk: b.ek, mailbox: bucketPoint(RELAYS[0]!, DAY, 0, 0), payload: cover, nowSeconds: NOW, pairTagKey: ab });
      expect(recognises(ev, ab)).toBe(true);
      expect(recognises(ev, ba)).toBe(false);
      expect((await openEnvelope(ev, envelopeKey(b.secret), bytesToHex(b.ek))).type).toBe('cover');
    }
    const intro = await sealEnvelope({ recipientEk: b.ek, mailbox: introMailbox(b.ek, RELAYS[0]!, DAY), payload: cover, nowSeconds: NOW });
    expect(recognises(intro, ab)).toBe(false);
    // an envelope of another version (here a v2 one, refused since v3) yields no pair tag
    const v2 = V2_VECTORS.valid.find((v) => v.name === 'pair level 0')!.outer;
    const t2 = trustEvent(structuredClone(v2), { rules: OUTER_RULES });
    expect(t2.ok).toBe(true);
    expect(t2.ok && envelopePairTag(t2.event)).toBe(null);
  });

  it('a wrong tag key never matches in 10,000 tries, nor the right key a foreign nonce', async () => {
    const ev = await sealEnvelope({ recipientEk: b.ek, mailbox: bucketPoint(RELAYS[0]!, DAY, 0, 0), payload: cover, nowSeconds: NOW, pairTagKey: ab });
    const t = trustEvent(ev, { rules: OUTER_RULES });
    if (!t.ok) throw new Error('sealed envelope not trusted');
    const nonce = envelopePairTag(t.event)!;
    const E = Uint8Array.from(Buffer.from(ev.pubkey, 'hex'));
    expect(equalBytes(nonce, pairTag(ab, E))).toBe(true);
    let wrongKey = 0;
    let foreign = 0;
    for (let i = 0; i < 10_000; i++) {
      if (equalBytes(nonce, pairTag(randomBytes(32), E))) wrongKey++;
      if (equalBytes(randomBytes(PAIR_TAG_BYTES), pairTag(ab, E))) foreign++;
    }
    expect(wrongKey).toBe(0);
    expect(foreign).toBe(0);
  });

  it('the tag follows the sender day: the next day the same E gives another tag', () => {
    const E = device().ek;
    expect(bytesToHex(pairTag(ab, E))).not.toBe(bytesToHex(pairTag(pairTagKey(pk, a.ek, b.ek, epochDay(NOW) + 1), E)));
  });
});

describe('levelForVolume', () => {
  it('is the smallest level with V / 2^level ≤ perBucket, capped at 16', () => {
    const cases: [number, number][] = [
      [0, 0],
      [1, 0],
      [2000, 0],
      [2001, 1],
      [4000, 1],
      [4001, 2],
      [32_000, 4],
      [32_001, 5],
      [1_000_000, 9],
      [10_000_000, 13],
      [2000 * 2 ** 16, 16],
      [2000 * 2 ** 16 + 1, 16],
      [Number.POSITIVE_INFINITY, 16]
    ];
    for (const [v, level] of cases) expect(levelForVolume(v, 2000), `V=${v}`).toBe(level);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2000 * 2 ** 16 }), fc.integer({ min: 1, max: 10_000 }), (v, per) => {
        const L = levelForVolume(v, per);
        return (v / 2 ** L <= per || L === MAX_BUCKET_LEVEL) && (L === 0 || v / 2 ** (L - 1) > per);
      }),
      { numRuns: 500 }
    );
  });

  it('refuses bad volumes and budgets', () => {
    for (const [v, per] of [
      [-1, 2000],
      [Number.NaN, 2000],
      [10, 0],
      [10, -5],
      [10, Number.NaN]
    ] as const)
      expectInvalid(() => levelForVolume(v, per));
  });
});

describe('bad inputs throw INVALID_INPUT', () => {
  const key = randomBytes(32);
  const ek = device().ek;
  it('bucketPoint', () => {
    for (const level of [-1, 17, 1.5, Number.NaN]) expectInvalid(() => bucketPoint(RELAYS[0]!, DAY, level, 0));
    for (const [level, index] of [
      [0, 1],
      [4, 16],
      [4, -1],
      [16, 65_536],
      [1, 0.5]
    ] as const)
      expectInvalid(() => bucketPoint(RELAYS[0]!, DAY, level, index));
    for (const day of [-1, 2 ** 32, 1.5, Number.NaN]) expectInvalid(() => bucketPoint(RELAYS[0]!, day, 0, 0));
    expectInvalid(() => bucketPoint('https://relay.example.com', DAY, 0, 0), 'RELAY_URL_INVALID');
  });
  it('pairBucketIndex, pairTagKey, pairTag', () => {
    expectInvalid(() => pairBucketIndex(key.subarray(0, 31), RELAYS[0]!, DAY, 1));
    expectInvalid(() => pairBucketIndex(key, RELAYS[0]!, DAY, 17));
    expectInvalid(() => pairBucketIndex(key, RELAYS[0]!, -1, 1));
    expectInvalid(() => pairBucketIndex(key, RELAYS[0]!, -1, 0));
    expectInvalid(() => pairBucketIndex(key, 'https://relay.example.com', DAY, 0), 'RELAY_URL_INVALID');
    expectInvalid(() => pairTagKey(key.subarray(1), ek, ek, DAY));
    expectInvalid(() => pairTagKey(key, ek.subarray(1), ek, DAY));
    expectInvalid(() => pairTagKey(key, ek, new Uint8Array(33), DAY));
    expectInvalid(() => pairTagKey(key, ek, ek, 2 ** 32));
    expectInvalid(() => pairTag(key.subarray(2), ek));
    expectInvalid(() => pairTag(key, ek.subarray(2)));
    expectInvalid(() => pairTag('x' as unknown as Uint8Array, ek));
  });
});
