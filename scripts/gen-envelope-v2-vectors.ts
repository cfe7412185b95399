/**
 * Writes tests/vectors/envelope-v2.json: published vectors of the Veil envelope v2
 * (docs/proposals/0004-envelope-v2.md): shared bucket points, pair bucket indices, pair-tag keys and
 * tags, and v2 envelopes with every intermediate value (pair, intro, own-device copy, cover), plus
 * invalid cases. Every key and every random choice is fixed (derived from labels with SHA-256), so
 * running this again produces the same file byte for byte.
 * Run: node --import tsx scripts/gen-envelope-v2-vectors.ts
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import { schnorr } from '@noble/curves/secp256k1.js';
import { getEventHash, type NostrEvent } from 'nostr-tools/pure';
import { base64Decode, base64Encode, bytesToHex, hexToBytes, utf8Encode } from '../src/lib/shared/bytes';
import { getXOnlyPublicKey } from '../src/lib/crypto/keys';
import { chatMessageTemplate, CREATED_AT_SPREAD, ENVELOPE_KIND, ENVELOPE_VERSION, sealEnvelopeDeterministic, type SealPayload, type SealRandomness } from '../src/lib/crypto/envelope';
import { bucketPoint, pairBucketIndex, pairTag, pairTagKey } from '../src/lib/crypto/bucket';
import { derivePairKey, epochDay, introMailbox } from '../src/lib/crypto/mailbox';
import { PADDED_CLASS_SIZES } from '../src/lib/crypto/padding';

const h = (label: string) => sha256(utf8Encode(`veil-vectors/v2/${label}`));
const hx = bytesToHex;
const NOW = 1_767_225_600 + 13 * 3600 + 37 * 60 + 5; // 2026-01-01T13:37:05Z
const DAY = epochDay(NOW);
const RELAY = 'wss://relay.example.com';
const RELAY2 = 'wss://nos.example.org/inbox';
const RELAY_SPELLED = 'WSS://Relay.Example.com:443/'; // normalises to RELAY

function person(name: string) {
  const identitySecret = h(`${name}/identity`);
  const ekSecret = h(`${name}/ek`);
  return { identitySecret, identity: bytesToHex(getXOnlyPublicKey(identitySecret)), ekSecret, ek: getXOnlyPublicKey(ekSecret) };
}
const alice = person('alice');
const alice2 = { ...alice, ekSecret: h('alice/ek-device2'), ek: getXOnlyPublicKey(h('alice/ek-device2')) };
const bob = person('bob');
const carol = person('carol');
/** The throwaway recipient of a cover envelope (spec 0005 §Cover): its secret is published here only so the vector can be opened. */
const throwaway = person('cover-throwaway');
const people = { alice, alice2, bob, carol, throwaway };
type Name = keyof typeof people;

function signWith(sk: Uint8Array, t: Omit<NostrEvent, 'id' | 'sig' | 'pubkey'>, aux: string): NostrEvent {
  const unsigned = { ...t, pubkey: bytesToHex(getXOnlyPublicKey(sk)) };
  const id = getEventHash(unsigned);
  return { ...unsigned, id, sig: bytesToHex(schnorr.sign(hexToBytes(id), sk, h(aux))) };
}

function eventJson(e: NostrEvent): NostrEvent {
  return { id: e.id, pubkey: e.pubkey, created_at: e.created_at, kind: e.kind, tags: e.tags, content: e.content, sig: e.sig };
}

function randomness(label: string): SealRandomness {
  return {
    ephemeralSecret: h(`${label}/ephemeral`),
    sessionKey: h(`${label}/session`),
    nonce: h(`${label}/nonce`).slice(0, 12),
    createdAtOffset: new DataView(h(`${label}/offset`).buffer).getUint32(0) % (CREATED_AT_SPREAD + 1),
    signatureAux: h(`${label}/aux`)
  };
}

function chat(from: Name, to: Name[], text: string, label: string): NostrEvent {
  const t = chatMessageTemplate({ text, recipients: to.map((n) => people[n].identity), createdAt: NOW });
  return signWith(people[from].identitySecret, t, `${label}/inner-aux`);
}

const pairKeyOf = (a: Name, b: Name) => derivePairKey(people[a].ekSecret, people[b].ek);

/** How the `p` tag of a vector is derived (spec 0004 §Buckets). */
type BucketDerivation =
  | { kind: 'pair'; from: Name; to: Name; relay: string; day: number; level: number }
  | { kind: 'intro'; to: Name; relay: string; day: number; k: number }
  | { kind: 'read'; relay: string; day: number; level: number; index: number };

function bucketOf(d: BucketDerivation): { bucket: string; index?: number } {
  if (d.kind === 'intro') return { bucket: introMailbox(people[d.to].ek, d.relay, d.day, d.k) };
  const index = d.kind === 'pair' ? pairBucketIndex(pairKeyOf(d.from, d.to), d.relay, d.day, d.level) : d.index;
  return { bucket: bucketPoint(d.relay, d.day, d.level, index), index };
}

interface ValidSpec {
  name: string;
  description: string;
  to: Name;
  derivation: BucketDerivation;
  payload: SealPayload;
  /** Pair envelopes: the direction whose pair-tag key sets the nonce. */
  pair?: { from: Name; to: Name };
}

const coverBytes = h('cover/payload-seed');
const coverPayload = new Uint8Array(PADDED_CLASS_SIZES[0]! - 3);
for (let i = 0; i < coverPayload.length; i += 32) coverPayload.set(sha256(new Uint8Array([...coverBytes, i >> 8, i & 0xff])).subarray(0, Math.min(32, coverPayload.length - i)), i);

const validSpecs: ValidSpec[] = [
  {
    name: 'pair level 0',
    description: 'alice → bob at launch volume: level 0, the one bucket of the relay and day; nonce = pair tag',
    to: 'bob',
    derivation: { kind: 'pair', from: 'alice', to: 'bob', relay: RELAY, day: DAY, level: 0 },
    payload: { type: 'event', event: chat('alice', ['bob'], 'Hello, Bob!', 'pair0') },
    pair: { from: 'alice', to: 'bob' }
  },
  {
    name: 'pair reply level 4',
    description: 'bob → alice at level 4 (16 buckets): the pair bucket index is the same in both directions, the tag key is not',
    to: 'alice',
    derivation: { kind: 'pair', from: 'bob', to: 'alice', relay: RELAY, day: DAY, level: 4 },
    payload: { type: 'event', event: chat('bob', ['alice'], 'Hi Alice, got it.', 'reply4') },
    pair: { from: 'bob', to: 'alice' }
  },
  {
    name: 'pair other relay next day level 16',
    description: 'alice → bob on another relay the next day at level 16 (65,536 buckets), class 2 payload',
    to: 'bob',
    derivation: { kind: 'pair', from: 'alice', to: 'bob', relay: RELAY2, day: DAY + 1, level: 16 },
    payload: { type: 'event', event: chat('alice', ['bob'], 'Tomorrow: ' + 'x'.repeat(1200), 'pair16') },
    pair: { from: 'alice', to: 'bob' }
  },
  {
    name: 'own device copy',
    description: "alice's message to bob, sealed to alice's second device as a pair envelope between her own EKs: the reader is the author",
    to: 'alice2',
    derivation: { kind: 'pair', from: 'alice', to: 'alice2', relay: RELAY, day: DAY, level: 1 },
    payload: { type: 'event', event: chat('alice', ['bob'], 'Hello, Bob!', 'pair0') },
    pair: { from: 'alice', to: 'alice2' }
  },
  {
    name: 'intro k=0',
    description: 'first contact: carol writes to bob in the shared intro bucket (= 0003 intro mailbox, k = 0); random nonce',
    to: 'bob',
    derivation: { kind: 'intro', to: 'bob', relay: RELAY, day: DAY, k: 0 },
    payload: { type: 'event', event: chat('carol', ['bob'], 'Hi Bob, it is Carol', 'intro') }
  },
  {
    name: 'cover',
    description: 'Private-mode cover: class 1, sealed to a throwaway key, random nonce, type 0 random payload, into a bucket the sender reads (level 4, index 9)',
    to: 'throwaway',
    derivation: { kind: 'read', relay: RELAY, day: DAY, level: 4, index: 9 },
    payload: { type: 'cover', bytes: coverPayload }
  }
];

async function main() {
  const valid = [];
  const sealed = new Map<string, Awaited<ReturnType<typeof sealEnvelopeDeterministic>> & { spec: ValidSpec; tagKey?: Uint8Array }>();
  for (const [i, s] of validSpecs.entries()) {
    const rnd = randomness(`valid/${i}`);
    const now = NOW + (s.derivation.day - DAY) * 86400;
    const { bucket, index } = bucketOf(s.derivation);
    const tagKey = s.pair ? pairTagKey(pairKeyOf(s.pair.from, s.pair.to), people[s.pair.from].ek, people[s.pair.to].ek, epochDay(now)) : undefined;
    const r = await sealEnvelopeDeterministic({ recipientEk: people[s.to].ek, mailbox: bucket, payload: s.payload, nowSeconds: now, ...(tagKey ? { pairTagKey: tagKey } : {}) }, rnd);
    sealed.set(s.name, { ...r, spec: s, tagKey });
    const { event, trace } = r;
    valid.push({
      name: s.name,
      description: s.description,
      recipient: s.to,
      recipient_ek: hx(people[s.to].ek),
      recipient_identity: people[s.to].identity,
      bucket_derivation: { ...s.derivation, ...(index !== undefined ? { index } : {}) },
      bucket,
      now,
      pair_tag: s.pair
        ? { from: s.pair.from, to: s.pair.to, pair_key: hx(pairKeyOf(s.pair.from, s.pair.to)), day: epochDay(now), tag_key: hx(tagKey!), tag: hx(trace.nonce) }
        : null,
      randomness: {
        ephemeral_secret: hx(rnd.ephemeralSecret),
        session_key: hx(rnd.sessionKey),
        nonce: s.pair ? null : hx(rnd.nonce),
        created_at_offset: rnd.createdAtOffset,
        signature_aux: hx(rnd.signatureAux)
      },
      payload: s.payload.type === 'event' ? { type: 'event', event: eventJson(s.payload.event) } : { type: 'cover', bytes: hx(s.payload.bytes) },
      intermediate: {
        ephemeral_public: hx(trace.ephemeralPublic),
        shared_secret: hx(trace.sharedSecret),
        prk: hx(trace.prk),
        kek: hx(trace.kek),
        wrap_nonce: hx(trace.wrapNonce),
        wrapped_key: hx(trace.wrappedKey),
        nonce: hx(trace.nonce),
        aad: hx(trace.aad),
        padded: hx(trace.padded)
      },
      outer: eventJson(event)
    });
  }

  // ---- invalid cases, derived from "pair level 0" (alice → bob) unless noted ----
  const base = sealed.get('pair level 0')!;
  const e = base.trace.ephemeralSecret;
  const resign = (t: Omit<NostrEvent, 'id' | 'sig' | 'pubkey'>) => signWith(e, t, 'invalid/resign');
  const body = (ev: NostrEvent) => ({ kind: ev.kind, created_at: ev.created_at, tags: ev.tags.map((t) => t.slice()), content: ev.content });
  const withBytes = (ev: NostrEvent, edit: (b: Uint8Array) => void) => {
    const b = base64Decode(ev.content);
    edit(b);
    return base64Encode(b);
  };
  /**
   * What the reader's pair-tag check (spec 0004 §Recognising) answers for this event with the tag key
   * of `check` (the direction the reader expects): a v2 envelope whose nonce equals pairTag(tagKey, E).
   */
  const tagMatches = (ev: NostrEvent, check: { from: Name; to: Name }) => {
    const b = base64Decode(ev.content);
    const tk = pairTagKey(pairKeyOf(check.from, check.to), people[check.from].ek, people[check.to].ek, DAY);
    return b[0] === ENVELOPE_VERSION && hx(b.subarray(49, 61)) === hx(pairTag(tk, hexToBytes(ev.pubkey)));
  };
  const invalid: { name: string; reason: string; recipient: Name; pair_tag_check: { from: Name; to: Name; day: number; matches: boolean }; outer: unknown }[] = [];
  const add = (name: string, reason: string, outer: NostrEvent, recipient: Name = 'bob', check: { from: Name; to: Name } = { from: 'alice', to: recipient }) =>
    invalid.push({ name, reason, recipient, pair_tag_check: { ...check, day: DAY, matches: tagMatches(outer, check) }, outer: eventJson(outer) });

  add('version 3', 'version byte 0x03 (unknown), re-signed by E', resign({ ...body(base.event), content: withBytes(base.event, (b) => (b[0] = 3)) }));
  add('version 0', 'version byte 0x00, re-signed by E', resign({ ...body(base.event), content: withBytes(base.event, (b) => (b[0] = 0)) }));
  add(
    'v2 relabelled 1',
    'version byte 0x02 → 0x01, re-signed by E: the key unwrap succeeds (it does not depend on the version) and only the body AAD, which binds the version, rejects it',
    resign({ ...body(base.event), content: withBytes(base.event, (b) => (b[0] = 1)) })
  );
  add(
    'pair nonce changed',
    'one bit of the nonce (the pair tag) flipped, re-signed by E: the pair-tag check no longer matches and the body does not decrypt',
    resign({ ...body(base.event), content: withBytes(base.event, (b) => (b[49 + 11]! ^= 0x01)) })
  );
  const wrongBucket = bucketPoint(RELAY, DAY, 4, 3);
  add(
    'wrong bucket in p tag',
    'p tag moved to another bucket (level 4, index 3) and re-signed by E: the pair tag still matches (it depends on E only), the AAD (which binds M) rejects it',
    resign({ ...body(base.event), tags: [['p', wrongBucket], base.event.tags[1]!] })
  );
  const reply = sealed.get('pair reply level 4')!;
  add(
    'reply relabelled 1',
    'the level-4 reply bob → alice with version 0x01, re-signed by its E: rejected by the AAD',
    signWith(reply.trace.ephemeralSecret, { ...body(reply.event), content: withBytes(reply.event, (b) => (b[0] = 1)) }, 'invalid/resign-reply'),
    'alice',
    { from: 'bob', to: 'alice' }
  );
  add('wrong recipient', "the alice → bob pair envelope opened by carol: her tag key for alice does not match, and the key unwrap fails", base.event, 'carol');

  // ---- bucket points, pair bucket indices, pair tags, intro buckets ----
  const points: { relay: string; day: number; level: number; index: number }[] = [];
  const indices: Record<number, number[]> = { 0: [0], 1: [0, 1], 4: [0, 7, 15], 16: [0, 1, 40_000, 65_535] };
  for (const relay of [RELAY, RELAY2, RELAY_SPELLED])
    for (const day of [DAY, DAY + 1])
      for (const level of [0, 1, 4, 16]) for (const index of relay === RELAY ? indices[level]! : [indices[level]!.at(-1)!]) points.push({ relay, day, level, index });
  const buckets = points.map((p) => ({ ...p, bucket: bucketPoint(p.relay, p.day, p.level, p.index) }));

  const pairs: [Name, Name][] = [
    ['alice', 'bob'],
    ['alice', 'carol'],
    ['alice', 'alice2']
  ];
  // the index is bound to the relay (spec 0004 §Pair bucket): each pair on two relays, and RELAY
  // spelled another way for one pair (same index as RELAY, the URL is normalised first)
  const pairBuckets = pairs.flatMap(([a, b], i) =>
    (i === 0 ? [RELAY, RELAY2, RELAY_SPELLED] : [RELAY, RELAY2]).flatMap((relay) =>
      [DAY, DAY + 1].flatMap((day) =>
        [0, 1, 4, 16].map((level) => ({
          a,
          b,
          a_ek: hx(people[a].ek),
          b_ek: hx(people[b].ek),
          pair_key: hx(pairKeyOf(a, b)),
          relay,
          day,
          level,
          index: pairBucketIndex(pairKeyOf(a, b), relay, day, level)
        }))
      )
    )
  );
  const tagCases: { from: Name; to: Name; day: number; e: string }[] = [
    { from: 'alice', to: 'bob', day: DAY, e: 'tag/e1' },
    { from: 'alice', to: 'bob', day: DAY, e: 'tag/e2' },
    { from: 'bob', to: 'alice', day: DAY, e: 'tag/e1' },
    { from: 'alice', to: 'bob', day: DAY + 1, e: 'tag/e1' },
    { from: 'alice', to: 'alice2', day: DAY, e: 'tag/e1' }
  ];
  const pairTags = tagCases.map((c) => {
    const pk = pairKeyOf(c.from, c.to);
    const tk = pairTagKey(pk, people[c.from].ek, people[c.to].ek, c.day);
    const E = getXOnlyPublicKey(h(c.e));
    return { from: c.from, to: c.to, from_ek: hx(people[c.from].ek), to_ek: hx(people[c.to].ek), pair_key: hx(pk), day: c.day, tag_key: hx(tk), ephemeral_public: hx(E), tag: hx(pairTag(tk, E)) };
  });
  const introBuckets = [0, 8].flatMap((k) => [RELAY, RELAY2].map((relay) => ({ to: 'bob', to_ek: hx(bob.ek), relay, day: DAY, k, bucket: introMailbox(bob.ek, relay, DAY, k) })));

  const keys = Object.fromEntries(
    Object.entries(people).map(([n, p]) => [n, { identity_secret: hx(p.identitySecret), identity: p.identity, ek_secret: hx(p.ekSecret), ek: hx(p.ek) }])
  );
  const out = {
    description:
      'Veil envelope v2 (kind 1067) vectors: shared buckets, pair bucket indices, pair tags and v2 envelopes. docs/proposals/0004-envelope-v2.md, 0005-traffic.md. All hex is lowercase; all secrets are test-only (sha256 of "veil-vectors/v2/<label>").',
    generator: 'scripts/gen-envelope-v2-vectors.ts',
    kind: ENVELOPE_KIND,
    version: ENVELOPE_VERSION,
    keys,
    buckets,
    pair_buckets: pairBuckets,
    pair_tags: pairTags,
    intro_buckets: introBuckets,
    valid,
    invalid
  };
  const path = resolve(process.cwd(), 'tests/vectors/envelope-v2.json');
  writeFileSync(path, JSON.stringify(out, null, 2) + '\n');
  console.log(`wrote ${path}: ${buckets.length} buckets, ${pairBuckets.length} pair indices, ${pairTags.length} pair tags, ${valid.length} valid, ${invalid.length} invalid`);
}

await main();
