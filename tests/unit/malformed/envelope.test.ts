/**
 * Named malformed envelopes (crypto/envelope.ts): every one must fail with the single
 * ENVELOPE_OPEN_FAILED (openEnvelope) or null (trialOpen). Outer defects that would fail the
 * signature anyway are re-signed with the envelope's ephemeral key, and inner defects are encrypted
 * correctly under the envelope's session key, so each case fails for its named reason only.
 */
import { describe } from 'vitest';
import { schnorr } from '@noble/curves/secp256k1.js';
import { finalizeEvent, getPublicKey, type NostrEvent } from 'nostr-tools/pure';
import type { VerifiedEvent } from '../../../src/lib/crypto/nostr-event';
import { ENVELOPE_VERSION, chatMessageTemplate, envelopeKey, openEnvelope, sealEnvelopeDeterministic, trialOpen } from '../../../src/lib/crypto/envelope';
import { aesGcmEncrypt } from '../../../src/lib/crypto/aes';
import { generateSecretKey } from '../../../src/lib/crypto/keys';
import { pad } from '../../../src/lib/crypto/padding';
import { base64Decode, base64Encode, bytesToHex, concatBytes, randomBytes, utf8Encode } from '../../../src/lib/shared/bytes';
import { malformed, type MalformedCase } from '../../helpers/malformed';

const NOW = 1_767_225_600;
const aliceId = generateSecretKey();
const bobId = generateSecretKey();
const bob = getPublicKey(bobId);
const carol = getPublicKey(generateSecretKey());
const ek = envelopeKey(generateSecretKey());
const otherEk = envelopeKey(generateSecretKey());
const mailbox = bytesToHex(schnorr.getPublicKey(generateSecretKey()));

async function seal(inner: NostrEvent) {
  const eph = generateSecretKey();
  const { event, trace } = await sealEnvelopeDeterministic(
    { recipientEk: ek.publicKey, mailbox, payload: { type: 'event', event: inner }, nowSeconds: NOW },
    { ephemeralSecret: eph, sessionKey: randomBytes(32), nonce: randomBytes(12), createdAtOffset: 100, signatureAux: randomBytes(32) }
  );
  return { outer: JSON.parse(JSON.stringify(event)) as NostrEvent, trace, eph };
}
const message = (recipients: string[], kind = 14) => finalizeEvent({ ...chatMessageTemplate({ text: 'hi', recipients, createdAt: NOW }), kind }, aliceId);
const good = await seal(message([bob]));
const forCarol = await seal(message([carol]));
const long = await seal(finalizeEvent(chatMessageTemplate({ text: 'x'.repeat(1500), recipients: [bob], createdAt: NOW }), aliceId));
const { outer, trace, eph } = good;

const open = (o: unknown) => () => openEnvelope(o, ek, bob);
/** The outer event with fields replaced, re-signed by the ephemeral key (or another key). */
const resigned = (over: Partial<NostrEvent>, key = eph) => {
  const e = { ...outer, ...over };
  return finalizeEvent({ kind: e.kind, created_at: e.created_at, tags: e.tags, content: e.content }, key);
};
const bin = base64Decode(outer.content);
const withBytes = (f: (b: Uint8Array) => void) => {
  const b = bin.slice();
  f(b);
  return base64Encode(b);
};
/** An envelope whose padded inner plaintext is `padded`, correctly encrypted (same key, nonce, AAD). */
const withInner = async (padded: Uint8Array) => {
  const ct = await aesGcmEncrypt(trace.bodyKey, trace.nonce, padded, trace.aad);
  return resigned({ content: base64Encode(concatBytes(Uint8Array.of(ENVELOPE_VERSION), trace.wrappedKey, trace.nonce, trace.commitment, ct)) });
};
const innerJson = (e: unknown) => pad(1, utf8Encode(JSON.stringify(e)));
const inner = message([bob]);
const p = ['p', mailbox];
const exp = outer.tags[1]!;
const framed = (type: number, len: number, tail = 0) => {
  const b = pad(1, utf8Encode(JSON.stringify(inner))).slice();
  b[0] = type;
  b[1] = len >>> 8;
  b[2] = len & 0xff;
  if (tail) b[b.length - 1] = tail;
  return b;
};

const cases: MalformedCase[] = [
  ['envelope with two p tags', open(resigned({ tags: [p, p, exp] })), 'ENVELOPE_OPEN_FAILED'],
  ['envelope with the tags in the other order', open(resigned({ tags: [exp, p] })), 'ENVELOPE_OPEN_FAILED'],
  ['envelope with a third (client) tag', open(resigned({ tags: [p, exp, ['client', 'x']] })), 'ENVELOPE_OPEN_FAILED'],
  ['envelope without an expiration', open(resigned({ tags: [p] })), 'ENVELOPE_OPEN_FAILED'],
  ['envelope expiring at its created_at', open(resigned({ tags: [p, ['expiration', String(outer.created_at)]] })), 'ENVELOPE_OPEN_FAILED'],
  ['envelope expiring 91 days after created_at', open(resigned({ tags: [p, ['expiration', String(outer.created_at + 91 * 86_400)]] })), 'ENVELOPE_OPEN_FAILED'],
  ['envelope expiration in exponent notation', open(resigned({ tags: [p, ['expiration', '1.8e9']] })), 'ENVELOPE_OPEN_FAILED'],
  ['envelope expiration with a leading zero', open(resigned({ tags: [p, ['expiration', '0' + exp[1]]] })), 'ENVELOPE_OPEN_FAILED'],
  ['envelope expiration tag with a third item', open(resigned({ tags: [p, [...exp, 'x']] })), 'ENVELOPE_OPEN_FAILED'],
  ['envelope p tag in upper-case hex', open(resigned({ tags: [['p', mailbox.toUpperCase()], exp] })), 'ENVELOPE_OPEN_FAILED'],
  ['envelope p tag of 63 hex', open(resigned({ tags: [['p', mailbox.slice(1)], exp] })), 'ENVELOPE_OPEN_FAILED'],
  ['envelope of kind 1068', open(resigned({ kind: 1068 })), 'ENVELOPE_OPEN_FAILED'],
  ['envelope content one character short of a class size', open(resigned({ content: outer.content.slice(0, -1) })), 'ENVELOPE_OPEN_FAILED'],
  ['envelope content of a class size but not base64', open(resigned({ content: '!'.repeat(outer.content.length) })), 'ENVELOPE_OPEN_FAILED'],
  ['envelope content in base64url', open(resigned({ content: outer.content.replace(/\+/g, '-').replace(/\//g, '_')})), 'ENVELOPE_OPEN_FAILED'],
  ['envelope with an extra outer field', open({ ...outer, relay: 'wss://x' }), 'ENVELOPE_OPEN_FAILED'],
  ['envelope without sig', open({ ...outer, sig: undefined }), 'ENVELOPE_OPEN_FAILED'],
  ['envelope with a bad signature', open({ ...outer, sig: forCarol.outer.sig }), 'ENVELOPE_OPEN_FAILED'],
  ['envelope whose id does not match', open({ ...outer, created_at: outer.created_at + 1 }), 'ENVELOPE_OPEN_FAILED'],
  ['envelope version byte 4', open(resigned({ content: withBytes((b) => (b[0] = 4)) })), 'ENVELOPE_OPEN_FAILED'],
  ['a v3 envelope relabelled v2 (not key-committing: refused)', open(resigned({ content: withBytes((b) => (b[0] = 2)) })), 'ENVELOPE_OPEN_FAILED'],
  ['a v3 envelope relabelled v1 (refused)', open(resigned({ content: withBytes((b) => (b[0] = 1)) })), 'ENVELOPE_OPEN_FAILED'],
  ['envelope with a flipped commitment byte', open(resigned({ content: withBytes((b) => (b[61 + 7]! ^= 1)) })), 'ENVELOPE_OPEN_FAILED'],
  ['envelope with a zero commitment', open(resigned({ content: withBytes((b) => b.fill(0, 61, 93)) })), 'ENVELOPE_OPEN_FAILED'],
  ['envelope version byte 0', open(resigned({ content: withBytes((b) => (b[0] = 0)) })), 'ENVELOPE_OPEN_FAILED'],
  ['envelope with a flipped wrapped-key byte', open(resigned({ content: withBytes((b) => (b[10]! ^= 1)) })), 'ENVELOPE_OPEN_FAILED'],
  ['envelope with a flipped nonce byte', open(resigned({ content: withBytes((b) => (b[55]! ^= 1)) })), 'ENVELOPE_OPEN_FAILED'],
  ['envelope with a flipped ciphertext byte', open(resigned({ content: withBytes((b) => (b[500]! ^= 0x80)) })), 'ENVELOPE_OPEN_FAILED'],
  ['envelope with a flipped GCM tag byte', open(resigned({ content: withBytes((b) => (b[b.length - 1]! ^= 1)) })), 'ENVELOPE_OPEN_FAILED'],
  ['envelope body moved to another mailbox (AAD)', open(resigned({ tags: [['p', bytesToHex(randomBytes(32))], exp] })), 'ENVELOPE_OPEN_FAILED'],
  ['envelope re-signed by another ephemeral key', open(resigned({}, generateSecretKey())), 'ENVELOPE_OPEN_FAILED'],
  ['envelope with the content of another envelope', open(resigned({ content: long.outer.content })), 'ENVELOPE_OPEN_FAILED'],
  ['envelope opened with another EK', () => openEnvelope(outer, otherEk, bob), 'ENVELOPE_OPEN_FAILED'],
  ['envelope whose inner event names someone else', open(forCarol.outer), 'ENVELOPE_OPEN_FAILED'],
  ['envelope inner event of kind 1', async () => openEnvelope(await withInner(innerJson(message([bob], 1))), ek, bob), 'ENVELOPE_OPEN_FAILED'],
  ['envelope inner event with a bad signature', async () => openEnvelope(await withInner(innerJson({ ...inner, sig: forCarol.outer.sig })), ek, bob), 'ENVELOPE_OPEN_FAILED'],
  ['envelope inner event whose id does not match', async () => openEnvelope(await withInner(innerJson({ ...inner, content: 'hj' })), ek, bob), 'ENVELOPE_OPEN_FAILED'],
  ['envelope inner event with an extra field', async () => openEnvelope(await withInner(innerJson({ ...inner, extra: 1 })), ek, bob), 'ENVELOPE_OPEN_FAILED'],
  ['envelope inner payload not JSON', async () => openEnvelope(await withInner(pad(1, utf8Encode('{"id":'))), ek, bob), 'ENVELOPE_OPEN_FAILED'],
  ['envelope inner payload invalid UTF-8', async () => openEnvelope(await withInner(pad(1, Uint8Array.of(0xc3, 0x28))), ek, bob), 'ENVELOPE_OPEN_FAILED'],
  ['envelope inner payload type 2', async () => openEnvelope(await withInner(framed(2, JSON.stringify(inner).length)), ek, bob), 'ENVELOPE_OPEN_FAILED'],
  ['envelope inner length field beyond the frame', async () => openEnvelope(await withInner(framed(1, 0xffff)), ek, bob), 'ENVELOPE_OPEN_FAILED'],
  ['envelope inner with a non-zero padding byte', async () => openEnvelope(await withInner(framed(1, utf8Encode(JSON.stringify(inner)).length, 1)), ek, bob), 'ENVELOPE_OPEN_FAILED'],
  ['envelope inner padded to a larger class than needed', async () => openEnvelope(await withInner(concatBytes(framed(1, utf8Encode(JSON.stringify(inner)).length), new Uint8Array(1024))), ek, bob), 'ENVELOPE_OPEN_FAILED'],
  ['envelope that is null', open(null), 'ENVELOPE_OPEN_FAILED'],
  ['envelope that is an array', open([outer]), 'ENVELOPE_OPEN_FAILED'],
  ['trialOpen of an envelope for another EK', () => trialOpen(outer as VerifiedEvent, otherEk), 'null'],
  ['trialOpen of an envelope with two p tags', () => trialOpen({ ...outer, tags: [p, p] } as unknown as VerifiedEvent, ek), 'null'],
  ['trialOpen of an envelope whose ephemeral key is not a curve point', () => trialOpen({ ...outer, pubkey: '00'.repeat(31) + '05' } as unknown as VerifiedEvent, ek), 'null'],
  ['trialOpen of an envelope with a flipped commitment byte (the unwrap succeeds)', () => trialOpen(resigned({ content: withBytes((b) => (b[92]! ^= 1)) }) as unknown as VerifiedEvent, ek), 'null']
];

describe('malformed envelopes', () => malformed(cases));
