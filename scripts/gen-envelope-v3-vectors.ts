/**
 * Writes tests/vectors/envelope-v3.json: published vectors of the Veil envelope v3, the
 * key-committing envelope (docs/proposals/0009-envelope-v3.md): pair-tag keys and tags, intro
 * buckets, v3 envelopes with every intermediate value (pair, intro, own-device copy, cover; body key
 * and commitment included), invalid cases, and the two-recipient envelope of issue 16 item 5 in its
 * v2 and v3 forms. Every key and every random choice is fixed (derived from labels with SHA-256), so
 * running this again produces the same file byte for byte. Buckets and pair bucket indices are
 * unchanged from v2: envelope-v2.json has them.
 * Run: node --import tsx scripts/gen-envelope-v3-vectors.ts
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
import { twoRecipientCases } from './envelope-v3-salamander';

const h = (label: string) => sha256(utf8Encode(`veil-vectors/v3/${label}`));
const hx = bytesToHex;
const NOW = 1_767_225_600 + 13 * 3600 + 37 * 60 + 5; // 2026-01-01T13:37:05Z
const DAY = epochDay(NOW);
const RELAY = 'wss://relay.example.com';
const RELAY2 = 'wss://nos.example.org/inbox';

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
        body_key: hx(trace.bodyKey),
        commitment: hx(trace.commitment),
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
   * of `check` (the direction the reader expects): a v3 envelope whose nonce equals pairTag(tagKey, E).
   */
  const tagMatches = (ev: NostrEvent, check: { from: Name; to: Name }) => {
    const b = base64Decode(ev.content);
    const tk = pairTagKey(pairKeyOf(check.from, check.to), people[check.from].ek, people[check.to].ek, DAY);
    return b[0] === ENVELOPE_VERSION && hx(b.subarray(49, 61)) === hx(pairTag(tk, hexToBytes(ev.pubkey)));
  };
  const invalid: { name: string; reason: string; recipient: Name; pair_tag_check: { from: Name; to: Name; day: number; matches: boolean }; outer: unknown }[] = [];
  const add = (name: string, reason: string, outer: NostrEvent, recipient: Name = 'bob', check: { from: Name; to: Name } = { from: 'alice', to: recipient }) =>
    invalid.push({ name, reason, recipient, pair_tag_check: { ...check, day: DAY, matches: tagMatches(outer, check) }, outer: eventJson(outer) });

  const COMMIT = 61;
  add('version 4', 'version byte 0x04 (unknown), re-signed by E', resign({ ...body(base.event), content: withBytes(base.event, (b) => (b[0] = 4)) }));
  add('version 0', 'version byte 0x00, re-signed by E', resign({ ...body(base.event), content: withBytes(base.event, (b) => (b[0] = 0)) }));
  add(
    'v3 relabelled 2',
    'version byte 0x03 → 0x02, re-signed by E: version 2 is not key-committing and is refused (a v2 opener would read the commitment as body and fail the tag)',
    resign({ ...body(base.event), content: withBytes(base.event, (b) => (b[0] = 2)) })
  );
  add('v3 relabelled 1', 'version byte 0x03 → 0x01, re-signed by E: version 1 is refused', resign({ ...body(base.event), content: withBytes(base.event, (b) => (b[0] = 1)) }));
  add(
    'commitment bit flipped',
    'one bit of the commitment flipped, re-signed by E: the unwrap succeeds, the commitment check refuses it before the body is decrypted',
    resign({ ...body(base.event), content: withBytes(base.event, (b) => (b[COMMIT + 31]! ^= 0x80)) })
  );
  const other = sealed.get('intro k=0')!;
  add(
    'commitment of another envelope',
    "the commitment bytes of the 'intro k=0' vector in place of this one's, re-signed by E: a well-formed commitment, of another session key, nonce and AAD",
    resign({ ...body(base.event), content: withBytes(base.event, (b) => b.set(base64Decode(other.event.content).subarray(COMMIT, COMMIT + 32), COMMIT)) })
  );
  add(
    'pair nonce changed',
    'one bit of the nonce (the pair tag) flipped, re-signed by E: the pair-tag check no longer matches, and the commitment (which binds the nonce) refuses it',
    resign({ ...body(base.event), content: withBytes(base.event, (b) => (b[49 + 11]! ^= 0x01)) })
  );
  const wrongBucket = bucketPoint(RELAY, DAY, 4, 3);
  add(
    'wrong bucket in p tag',
    'p tag moved to another bucket (level 4, index 3) and re-signed by E: the pair tag still matches (it depends on E only); the commitment and the body AAD, which both bind M, refuse it',
    resign({ ...body(base.event), tags: [['p', wrongBucket], base.event.tags[1]!] })
  );
  add(
    'body bit flipped',
    'one bit of the body ciphertext flipped, re-signed by E: the commitment matches, the body tag fails',
    resign({ ...body(base.event), content: withBytes(base.event, (b) => (b[COMMIT + 32 + 5]! ^= 0x01)) })
  );
  add('wrong recipient', "the alice → bob pair envelope opened by carol: her tag key for alice does not match, and the key unwrap fails", base.event, 'carol');

  // ---- bucket points, pair bucket indices, pair tags, intro buckets ----
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
  const twoRecipient = twoRecipientCases({ ephemeralSecret: h('two-recipient/ephemeral'), authorSecret: alice.identitySecret, bob, carol, bucket: bucketPoint(RELAY, DAY, 0, 0), now: NOW });
  const out = {
    description:
      'Veil envelope v3 (kind 1067, key-committing) vectors: pair tags, intro buckets, v3 envelopes with body key and commitment, invalid cases, and the two-recipient envelope of issue 16 item 5. docs/proposals/0009-envelope-v3.md (on 0001, 0004, 0005). All hex is lowercase; all secrets are test-only (sha256 of "veil-vectors/v3/<label>").',
    generator: 'scripts/gen-envelope-v3-vectors.ts',
    kind: ENVELOPE_KIND,
    version: ENVELOPE_VERSION,
    keys,
    pair_tags: pairTags,
    intro_buckets: introBuckets,
    valid,
    invalid,
    two_recipient: twoRecipient
  };
  const path = resolve(process.cwd(), 'tests/vectors/envelope-v3.json');
  writeFileSync(path, JSON.stringify(out, null, 2) + '\n');
  console.log(`wrote ${path}: ${pairTags.length} pair tags, ${valid.length} valid, ${invalid.length} invalid, ${twoRecipient.length} two-recipient`);
}

await main();
