/**
 * Writes tests/vectors/envelope-v1.json: published vectors of the Veil envelope
 * (docs/proposals/0001-envelope.md) and mailboxes (docs/proposals/0003-mailboxes.md).
 * Every key and every random choice is fixed (derived from labels with SHA-256), so running this
 * again produces the same file byte for byte. Run: npx tsx scripts/gen-envelope-vectors.ts
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import { schnorr } from '@noble/curves/secp256k1.js';
import { getEventHash, type NostrEvent } from 'nostr-tools/pure';
import { base64Decode, base64Encode, bytesToHex, concatBytes, hexToBytes, utf8Encode } from '../src/lib/shared/bytes';
import { aesGcmEncrypt } from '../src/lib/crypto/aes';
import { getXOnlyPublicKey, isValidPublicKey } from '../src/lib/crypto/keys';
import {
  chatMessageTemplate,
  CREATED_AT_SPREAD,
  ENVELOPE_KIND,
  sealEnvelopeDeterministic,
  type SealPayload,
  type SealRandomness
} from '../src/lib/crypto/envelope';
import { derivePairKey, epochDay, introMailbox, pairMailbox, selfMailbox } from '../src/lib/crypto/mailbox';
import { MAX_PAYLOAD_BYTES, PADDED_CLASS_SIZES } from '../src/lib/crypto/padding';

const h = (label: string) => sha256(utf8Encode(`veil-vectors/v1/${label}`));
const NOW = 1_767_225_600 + 13 * 3600 + 37 * 60 + 5; // 2026-01-01T13:37:05Z
const RELAY = 'wss://relay.example.com';
const RELAY2 = 'wss://nos.example.org/inbox';

function person(name: string) {
  const identitySecret = h(`${name}/identity`);
  const ekSecret = h(`${name}/ek`);
  return {
    identitySecret,
    identity: bytesToHex(getXOnlyPublicKey(identitySecret)),
    ekSecret,
    ek: getXOnlyPublicKey(ekSecret)
  };
}
const alice = person('alice');
const alice2 = { ...alice, ekSecret: h('alice/ek-device2'), ek: getXOnlyPublicKey(h('alice/ek-device2')) };
const bob = person('bob');
const carol = person('carol');
const people = { alice, alice2, bob, carol };
type Name = keyof typeof people;

/** Deterministic BIP-340 signing (fixed aux) of an event template. */
function signWith(sk: Uint8Array, t: Omit<NostrEvent, 'id' | 'sig' | 'pubkey'>, aux: string): NostrEvent {
  const unsigned = { ...t, pubkey: bytesToHex(getXOnlyPublicKey(sk)) };
  const id = getEventHash(unsigned);
  return { ...unsigned, id, sig: bytesToHex(schnorr.sign(hexToBytes(id), sk, h(aux))) };
}

function randomness(label: string, offset?: number): SealRandomness {
  return {
    ephemeralSecret: h(`${label}/ephemeral`),
    sessionKey: h(`${label}/session`),
    nonce: h(`${label}/nonce`).slice(0, 12),
    createdAtOffset: offset ?? (new DataView(h(`${label}/offset`).buffer).getUint32(0) % (CREATED_AT_SPREAD + 1)),
    signatureAux: h(`${label}/aux`)
  };
}

const DAY = epochDay(NOW);

function chat(from: Name, to: Name[], text: string, extra: { kind?: number; tags?: string[][]; label: string }): NostrEvent {
  const t = chatMessageTemplate({ text, recipients: to.map((n) => people[n].identity), createdAt: NOW });
  return signWith(people[from].identitySecret, { ...t, kind: extra.kind ?? 14, tags: [...t.tags, ...(extra.tags ?? [])] }, `${extra.label}/inner-aux`);
}

/** Text that makes the inner JSON exactly `bytes` long (ASCII filler). */
function fillTo(bytes: number, from: Name, to: Name[], label: string): NostrEvent {
  const base = utf8Encode(JSON.stringify(chat(from, to, '', { label }))).length;
  const ev = chat(from, to, 'x'.repeat(bytes - base), { label });
  if (utf8Encode(JSON.stringify(ev)).length !== bytes) throw new Error('fill calibration');
  return ev;
}

type Mbx = { kind: 'pair'; from: Name; to: Name; relay: string; day: number } | { kind: 'intro'; to: Name; relay: string; day: number; k: number } | { kind: 'self'; of: Name; relay: string; day: number };
function mailboxOf(m: Mbx): string {
  if (m.kind === 'pair') return pairMailbox(derivePairKey(people[m.from].ekSecret, people[m.to].ek), people[m.from].ek, people[m.to].ek, m.relay, m.day);
  if (m.kind === 'intro') return introMailbox(people[m.to].ek, m.relay, m.day, m.k);
  return selfMailbox(people[m.of].ekSecret, m.relay, m.day);
}

interface ValidSpec {
  name: string;
  description: string;
  to: Name;
  mailbox: Mbx;
  payload: SealPayload;
  offset?: number;
}
const pairAtoB: Mbx = { kind: 'pair', from: 'alice', to: 'bob', relay: RELAY, day: DAY };
const textOf = (s: string): SealPayload => ({ type: 'event', event: chat('alice', ['bob'], s, { label: s.slice(0, 16) }) });
const C1 = PADDED_CLASS_SIZES[0]! - 3;
const C2 = PADDED_CLASS_SIZES[1]! - 3;
const C3 = PADDED_CLASS_SIZES[2]! - 3;

const validSpecs: ValidSpec[] = [
  { name: 'short text', description: 'kind 14 "Hello, Bob!" in the 1 KiB class', to: 'bob', mailbox: pairAtoB, payload: textOf('Hello, Bob!') },
  { name: 'empty text', description: 'empty content', to: 'bob', mailbox: pairAtoB, payload: { type: 'event', event: chat('alice', ['bob'], '', { label: 'empty' }) } },
  { name: 'unicode', description: 'emoji, CJK, RTL, combining marks, astral plane', to: 'bob', mailbox: pairAtoB, payload: textOf('héllo 👋🏽 世界 مرحبا e\u0301 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 \u200d👨‍👩‍👧') },
  { name: 'json escapes', description: 'quotes, backslash, newline, tab and control characters in content', to: 'bob', mailbox: pairAtoB, payload: textOf('line1\nline2\t"quoted" \\ back\u0001\u001f</script>') },
  { name: 'class 1 full', description: `inner JSON of exactly ${C1} bytes: the largest payload of the 1 KiB class`, to: 'bob', mailbox: pairAtoB, payload: { type: 'event', event: fillTo(C1, 'alice', ['bob'], 'c1full') } },
  { name: 'class 2 smallest', description: `inner JSON of ${C1 + 1} bytes: one byte over class 1`, to: 'bob', mailbox: pairAtoB, payload: { type: 'event', event: fillTo(C1 + 1, 'alice', ['bob'], 'c2min') } },
  { name: 'class 2 full', description: `inner JSON of exactly ${C2} bytes`, to: 'bob', mailbox: pairAtoB, payload: { type: 'event', event: fillTo(C2, 'alice', ['bob'], 'c2full') } },
  { name: 'class 3 middle', description: 'inner JSON of 3000 bytes (4 KiB class)', to: 'bob', mailbox: pairAtoB, payload: { type: 'event', event: fillTo(3000, 'alice', ['bob'], 'c3mid') } },
  { name: 'class 3 full', description: `inner JSON of exactly ${C3} bytes`, to: 'bob', mailbox: pairAtoB, payload: { type: 'event', event: fillTo(C3, 'alice', ['bob'], 'c3full') } },
  { name: 'class 4 smallest', description: `inner JSON of ${C3 + 1} bytes`, to: 'bob', mailbox: pairAtoB, payload: { type: 'event', event: fillTo(C3 + 1, 'alice', ['bob'], 'c4min') } },
  { name: 'max size', description: `inner JSON of exactly ${MAX_PAYLOAD_BYTES} bytes (largest envelope)`, to: 'bob', mailbox: pairAtoB, payload: { type: 'event', event: fillTo(MAX_PAYLOAD_BYTES, 'alice', ['bob'], 'max') } },
  { name: 'multiple recipients to bob', description: 'p tags for bob and carol; envelope to bob', to: 'bob', mailbox: pairAtoB, payload: { type: 'event', event: chat('alice', ['bob', 'carol'], 'Hi both', { label: 'group' }) } },
  { name: 'multiple recipients to carol', description: 'the same inner event sealed to carol', to: 'carol', mailbox: { kind: 'pair', from: 'alice', to: 'carol', relay: RELAY, day: DAY }, payload: { type: 'event', event: chat('alice', ['bob', 'carol'], 'Hi both', { label: 'group' }) } },
  { name: 'own device copy', description: "alice's message to bob, sealed to alice's second device: the reader is the author", to: 'alice2', mailbox: { kind: 'pair', from: 'alice', to: 'alice2', relay: RELAY, day: DAY }, payload: textOf('Hello, Bob!') },
  { name: 'reply with subject', description: 'kind 14 with e reply tag and subject', to: 'bob', mailbox: pairAtoB, payload: { type: 'event', event: chat('alice', ['bob'], 'Re: plans', { label: 'reply', tags: [['e', bytesToHex(h('replied-event'))], ['subject', 'Plans']] }) } },
  { name: 'file message kind 15', description: 'kind 15 file message with NIP-17 file tags', to: 'bob', mailbox: pairAtoB, payload: { type: 'event', event: chat('alice', ['bob'], 'https://blossom.example/' + bytesToHex(h('file')), { label: 'file', kind: 15, tags: [['file-type', 'image/jpeg'], ['encryption-algorithm', 'aes-gcm'], ['decryption-key', bytesToHex(h('file-key'))], ['decryption-nonce', bytesToHex(h('file-nonce').slice(0, 12))], ['x', bytesToHex(h('file-hash'))]] }) } },
  { name: 'intro mailbox k=0', description: 'first contact: carol writes to bob in the shared intro mailbox', to: 'bob', mailbox: { kind: 'intro', to: 'bob', relay: RELAY, day: DAY, k: 0 }, payload: { type: 'event', event: chat('carol', ['bob'], 'Hi Bob, it is Carol', { label: 'intro' }) } },
  { name: 'intro mailbox k=8', description: 'intro mailbox narrowed by the first 8 bits of bob\'s EK', to: 'bob', mailbox: { kind: 'intro', to: 'bob', relay: RELAY2, day: DAY, k: 8 }, payload: { type: 'event', event: chat('carol', ['bob'], 'Hi again', { label: 'intro8' }) } },
  { name: 'cover empty', description: 'cover payload (type 0) of zero bytes in the self mailbox', to: 'alice', mailbox: { kind: 'self', of: 'alice', relay: RELAY, day: DAY }, payload: { type: 'cover', bytes: new Uint8Array(0) } },
  { name: 'cover public note', description: 'cover with the text of a public note, to a pair mailbox', to: 'bob', mailbox: pairAtoB, payload: { type: 'cover', bytes: utf8Encode('GM nostr! Coffee first, then relays. ☕') } },
  { name: 'cover max size', description: `cover of ${MAX_PAYLOAD_BYTES} bytes`, to: 'bob', mailbox: pairAtoB, payload: { type: 'cover', bytes: new Uint8Array(MAX_PAYLOAD_BYTES).fill(0x61) } },
  { name: 'offset zero', description: 'created_at equals the send time', to: 'bob', mailbox: pairAtoB, payload: textOf('now'), offset: 0 },
  { name: 'offset 48h', description: 'created_at exactly 48 h before the send time', to: 'bob', mailbox: pairAtoB, payload: textOf('then'), offset: CREATED_AT_SPREAD },
  { name: 'other relay and day', description: 'pair mailbox on another relay, the next day', to: 'bob', mailbox: { kind: 'pair', from: 'alice', to: 'bob', relay: RELAY2, day: DAY + 1 }, payload: textOf('Tomorrow') }
];

const hx = bytesToHex;
function eventJson(e: NostrEvent): NostrEvent {
  return { id: e.id, pubkey: e.pubkey, created_at: e.created_at, kind: e.kind, tags: e.tags, content: e.content, sig: e.sig };
}

async function main() {
  const valid = [];
  const sealed = new Map<string, { event: NostrEvent; trace: Awaited<ReturnType<typeof sealEnvelopeDeterministic>>['trace'] }>();
  for (const [i, s] of validSpecs.entries()) {
    const rnd = randomness(`valid/${i}`, s.offset);
    const mailbox = mailboxOf(s.mailbox);
    const now = s.mailbox.day === DAY ? NOW : NOW + (s.mailbox.day - DAY) * 86400;
    const { event, trace } = await sealEnvelopeDeterministic({ recipientEk: people[s.to].ek, mailbox, payload: s.payload, nowSeconds: now, version: 1 }, rnd);
    sealed.set(s.name, { event, trace });
    valid.push({
      name: s.name,
      description: s.description,
      recipient: s.to,
      recipient_ek: hx(people[s.to].ek),
      recipient_identity: people[s.to].identity,
      mailbox_derivation: s.mailbox,
      mailbox,
      now,
      randomness: {
        ephemeral_secret: hx(rnd.ephemeralSecret),
        session_key: hx(rnd.sessionKey),
        nonce: hx(rnd.nonce),
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
        aad: hx(trace.aad),
        padded: hx(trace.padded)
      },
      outer: eventJson(event)
    });
  }

  // ---- invalid cases, derived from "short text" (alice → bob) unless noted ----
  const base = sealed.get('short text')!;
  const baseSpec = validSpecs[0]!;
  const e = base.trace.ephemeralSecret;
  const resign = (t: Omit<NostrEvent, 'id' | 'sig' | 'pubkey'>, sk = e, aux = 'resign') => signWith(sk, t, aux);
  const body = (ev: NostrEvent) => ({ kind: ev.kind, created_at: ev.created_at, tags: ev.tags.map((t) => t.slice()), content: ev.content });
  const bin = base64Decode(base.event.content);
  const flip = (offset: number, bit = 0) => {
    const b = bin.slice();
    b[offset]! ^= 1 << bit;
    return base64Encode(b);
  };
  /** Re-encrypt a chosen padded plaintext with the base session key, nonce and AAD; re-sign. */
  const withPadded = async (padded: Uint8Array) => {
    const ct = await aesGcmEncrypt(base.trace.sessionKey, base.trace.nonce, padded, base.trace.aad);
    return resign({ ...body(base.event), content: base64Encode(concatBytes(bin.subarray(0, 61), ct)) });
  };
  const innerPadded = async (inner: NostrEvent | Uint8Array, type = 1) => {
    const p = new Uint8Array(PADDED_CLASS_SIZES[0]!);
    const bytes = inner instanceof Uint8Array ? inner : utf8Encode(JSON.stringify(eventJson(inner)));
    p[0] = type;
    p[1] = bytes.length >> 8;
    p[2] = bytes.length & 0xff;
    p.set(bytes, 3);
    return withPadded(p);
  };
  const basePadded = base.trace.padded;
  const baseInner = (baseSpec.payload as { event: NostrEvent }).event;
  const otherMailbox = pairMailbox(derivePairKey(alice.ekSecret, bob.ek), alice.ek, bob.ek, RELAY, DAY + 1);
  const freshE = h('invalid/transplant/ephemeral');
  const notOnCurve = (() => {
    for (let i = 0; i < 256; i++) {
      const x = sha256(utf8Encode(`not-on-curve/${i}`));
      if (!isValidPublicKey(x)) return hx(x);
    }
    throw new Error('no off-curve x found');
  })();

  const invalid: { name: string; reason: string; recipient: Name; outer: unknown }[] = [];
  const add = (name: string, reason: string, outer: unknown, recipient: Name = 'bob') => invalid.push({ name, reason, recipient, outer });

  add('wrong key', 'opened with carol\'s EK: key unwrap fails', base.event, 'carol');
  add('moved mailbox', 'p tag changed to another mailbox and re-signed by E: only the AAD (which binds M) catches it', resign({ ...body(base.event), tags: [['p', otherMailbox], base.event.tags[1]!] }));
  add('changed kind', 'kind 1068 instead of 1067, re-signed by E', resign({ ...body(base.event), kind: ENVELOPE_KIND + 1 }));
  add('transplanted content', 'content copied under a fresh ephemeral key E\' that signs it: KEM and AAD use E', resign(body(base.event), freshE));
  add('flip version bit', 'version byte 0x01 → 0x00, re-signed', resign({ ...body(base.event), content: flip(0, 0) }));
  add('unknown version', 'version byte 0x02, re-signed', resign({ ...body(base.event), content: (() => { const b = bin.slice(); b[0] = 2; return base64Encode(b); })() }));
  add('flip wrapped key bit', 'one bit of the wrapped session key, re-signed', resign({ ...body(base.event), content: flip(1 + 7, 3) }));
  add('flip wrap tag bit', 'one bit of the wrapped key\'s GCM tag, re-signed', resign({ ...body(base.event), content: flip(1 + 40, 5) }));
  add('flip nonce bit', 'one bit of the body nonce, re-signed', resign({ ...body(base.event), content: flip(49 + 4, 1) }));
  add('flip ciphertext bit', 'one bit of the body ciphertext, re-signed', resign({ ...body(base.event), content: flip(61 + 100, 6) }));
  add('flip body tag bit', 'one bit of the body GCM tag (last byte), re-signed', resign({ ...body(base.event), content: flip(bin.length - 1, 7) }));
  add('content changed without re-signing', 'one content bit flipped; id no longer matches', { ...eventJson(base.event), content: flip(61 + 5, 0) });
  add('truncated', 'last 3 bytes dropped (not a class size), re-signed', resign({ ...body(base.event), content: base64Encode(bin.subarray(0, bin.length - 3)) }));
  add('wrong class size', 'content padded with 1024 extra bytes to the 2 KiB binary size, re-signed', resign({ ...body(base.event), content: base64Encode(concatBytes(bin, new Uint8Array(1024))) }));
  add('extra tag', 'a third tag ["t","x"], re-signed', resign({ ...body(base.event), tags: [...base.event.tags, ['t', 'x']] }));
  add('missing expiration', 'only the p tag, re-signed', resign({ ...body(base.event), tags: [base.event.tags[0]!] }));
  add('tags swapped', 'expiration before p, re-signed', resign({ ...body(base.event), tags: [base.event.tags[1]!, base.event.tags[0]!] }));
  add('expiration before created_at', 'expiration = created_at − 1, re-signed', resign({ ...body(base.event), tags: [base.event.tags[0]!, ['expiration', String(base.event.created_at - 1)]] }));
  add('uppercase mailbox', 'p value in uppercase hex, re-signed', resign({ ...body(base.event), tags: [['p', base.event.tags[0]![1]!.toUpperCase()], base.event.tags[1]!] }));
  add('extra outer field', 'an extra top-level key on the outer event', { ...eventJson(base.event), relay: 'wss://x' });
  add('non-canonical base64', 'content with stray bits in the last base64 character', (() => {
    // 1024 bytes end in "Xy==": the low 4 bits of y are zero in canonical base64; set one.
    const c = base.event.content;
    const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    if (!c.endsWith('==')) throw new Error('expected two padding characters');
    const y = abc[abc.indexOf(c.at(-3)!) | 1]!;
    return resign({ ...body(base.event), content: c.slice(0, -3) + y + '==' });
  })());
  add('invalid ephemeral point', 'outer pubkey is an x with no curve point', { ...eventJson(base.event), pubkey: notOnCurve, id: getEventHash({ ...body(base.event), pubkey: notOnCurve }) });
  add('bad outer signature', 'one bit of the outer signature flipped', { ...eventJson(base.event), sig: (base.event.sig.slice(0, 10) + ((parseInt(base.event.sig[10]!, 16) ^ 1).toString(16)) + base.event.sig.slice(11)) });
  add('bad outer id', 'id of another event', { ...eventJson(base.event), id: bytesToHex(h('other-id')) });
  add('non-zero padding', 'last padding byte 0x01 (re-encrypted with the real session key)', await withPadded((() => { const p = basePadded.slice(); p[p.length - 1] = 1; return p; })()));
  add('length beyond frame', 'length field 0xffff (re-encrypted)', await withPadded((() => { const p = basePadded.slice(); p[1] = 0xff; p[2] = 0xff; return p; })()));
  add('unknown payload type', 'type byte 0x02 (re-encrypted)', await withPadded((() => { const p = basePadded.slice(); p[0] = 2; return p; })()));
  add('inner signature invalid', 'inner event signature bit flipped (re-encrypted)', await innerPadded({ ...baseInner, sig: baseInner.sig.slice(0, 20) + ((parseInt(baseInner.sig[20]!, 16) ^ 4).toString(16)) + baseInner.sig.slice(21) }));
  add('inner id mismatch', 'inner content changed, id and sig kept (re-encrypted)', await innerPadded({ ...baseInner, content: baseInner.content + '!' }));
  add('recipient not in inner p tags', 'inner event signed by alice for carol only, sealed to bob', await innerPadded(chat('alice', ['carol'], 'Hello, Carol!', { label: 'not-bob' })));
  add('wrong inner kind', 'inner kind 1 (a public note) signed by alice', await innerPadded(chat('alice', ['bob'], 'public?', { label: 'kind1', kind: 1 })));
  add('inner not json', 'type 1 payload that is not JSON', await innerPadded(utf8Encode('{"id":')));
  add('inner invalid utf-8', 'type 1 payload with invalid UTF-8', await innerPadded(Uint8Array.of(0x7b, 0xff, 0xfe, 0x7d)));
  add('inner extra field', 'inner event with an extra key', await innerPadded(utf8Encode(JSON.stringify({ ...eventJson(baseInner), extra: 1 }))));
  add('created_at not integer', 'created_at as a string', { ...eventJson(base.event), created_at: String(base.event.created_at) });

  // ---- mailbox derivations ----
  const mailboxes = {
    pair: [
      { from: 'alice', to: 'bob', relay: RELAY, day: DAY },
      { from: 'bob', to: 'alice', relay: RELAY, day: DAY },
      { from: 'alice', to: 'bob', relay: 'WSS://Relay.Example.com:443/', day: DAY },
      { from: 'alice', to: 'bob', relay: RELAY2, day: DAY },
      { from: 'alice', to: 'bob', relay: RELAY, day: DAY + 1 }
    ].map((m) => {
      const pk = derivePairKey(people[m.from as Name].ekSecret, people[m.to as Name].ek);
      return { ...m, from_ek: hx(people[m.from as Name].ek), to_ek: hx(people[m.to as Name].ek), pair_key: hx(pk), mailbox: pairMailbox(pk, people[m.from as Name].ek, people[m.to as Name].ek, m.relay, m.day) };
    }),
    intro: [0, 1, 8, 13, 16].map((k) => ({ to: 'bob', to_ek: hx(bob.ek), relay: RELAY, day: DAY, k, mailbox: introMailbox(bob.ek, RELAY, DAY, k) })),
    self: [DAY, DAY + 1].map((day) => ({ of: 'alice', ek_secret: hx(alice.ekSecret), relay: RELAY, day, mailbox: selfMailbox(alice.ekSecret, RELAY, day) }))
  };

  const keys = Object.fromEntries(
    Object.entries(people).map(([n, p]) => [n, { identity_secret: hx(p.identitySecret), identity: p.identity, ek_secret: hx(p.ekSecret), ek: hx(p.ek) }])
  );
  const out = {
    description: 'Veil envelope v1 (kind 1067) and mailbox vectors. docs/proposals/0001-envelope.md, 0003-mailboxes.md. All hex is lowercase; all secrets are test-only.',
    generator: 'scripts/gen-envelope-vectors.ts',
    kind: ENVELOPE_KIND,
    keys,
    valid,
    invalid,
    mailboxes
  };
  const path = resolve(process.cwd(), 'tests/vectors/envelope-v1.json');
  writeFileSync(path, JSON.stringify(out, null, 2) + '\n');
  console.log(`wrote ${path}: ${valid.length} valid, ${invalid.length} invalid`);
}

await main();
