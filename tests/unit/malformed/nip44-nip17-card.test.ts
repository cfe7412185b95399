/**
 * Named malformed inputs for NIP-44 decryption (nip44.ts), NIP-17/NIP-59 unwrapping and rumor
 * parsing (nip17.ts) and contact cards (card.ts), each with the exact typed error. NIP-44 payloads
 * with bad padding are built with a correct MAC, gift wraps and seals are correctly encrypted and
 * signed, so each case fails at its named layer only.
 */
import { describe } from 'vitest';
import { chacha20 } from '@noble/ciphers/chacha.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { finalizeEvent, getEventHash } from 'nostr-tools/pure';
import { getConversationKey, getMessageKeys, nip44Decrypt, nip44Encrypt } from '../../../src/lib/crypto/nip44';
import { parseNip17Rumor, unwrapGiftWrap } from '../../../src/lib/crypto/nip17';
import { verifyEvent } from '../../../src/lib/crypto/nostr-event';
import { base64UrlDecode, base64UrlEncode, decodeContactCard, encodeContactCard, findContactCard } from '../../../src/lib/crypto/card';
import { buildInboxRecord } from '../../../src/lib/crypto/inbox';
import { LocalSigner } from '../../../src/lib/crypto/signer';
import { generateSecretKey, getXOnlyPublicKey } from '../../../src/lib/crypto/keys';
import { base64Decode, base64Encode, bytesToHex, concatBytes, randomBytes, utf8Encode } from '../../../src/lib/shared/bytes';
import { cardLayout } from '../../helpers/card-layout';
import { malformed, type MalformedCase } from '../../helpers/malformed';

const pk = (sk: Uint8Array) => bytesToHex(getXOnlyPublicKey(sk));
const aliceSk = generateSecretKey();
const bobSk = generateSecretKey();
const alice = pk(aliceSk);
const bob = pk(bobSk);
const NOW = 1_767_225_600;
const ck = getConversationKey(aliceSk, bob);
const payload = nip44Encrypt('hello', ck);
const raw = base64Decode(payload);
const b64With = (f: (b: Uint8Array) => void) => {
  const b = raw.slice();
  f(b);
  return base64Encode(b);
};
/** A NIP-44 v2 payload of an arbitrary padded plaintext, with a correct MAC. */
function nip44Raw(padded: Uint8Array): string {
  const nonce = randomBytes(32);
  const { chachaKey, chachaNonce, hmacKey } = getMessageKeys(ck, nonce);
  const ct = chacha20(chachaKey, chachaNonce, padded);
  return base64Encode(concatBytes(Uint8Array.of(2), nonce, ct, hmac(sha256, hmacKey, concatBytes(nonce, ct))));
}
const framed = (len: number, body: Uint8Array, size: number) => {
  const b = new Uint8Array(2 + size);
  b[0] = len >>> 8;
  b[1] = len & 0xff;
  b.set(body, 2);
  return b;
};

const nip44Cases: MalformedCase[] = [
  ['NIP-44 version byte 3', () => nip44Decrypt(b64With((b) => (b[0] = 3)), ck), 'DECRYPT_FAILED'],
  ['NIP-44 version byte 1', () => nip44Decrypt(b64With((b) => (b[0] = 1)), ck), 'DECRYPT_FAILED'],
  ['NIP-44 version byte 0', () => nip44Decrypt(b64With((b) => (b[0] = 0)), ck), 'DECRYPT_FAILED'],
  ['NIP-44 payload starting with "#" (future encoding)', () => nip44Decrypt('#' + payload.slice(1), ck), 'DECRYPT_FAILED'],
  ['NIP-44 payload of 131 characters', () => nip44Decrypt('A'.repeat(131), ck), 'DECRYPT_FAILED'],
  ['NIP-44 payload above maxPayloadChars', () => nip44Decrypt(payload, ck, { maxPayloadChars: payload.length - 1 }), 'TOO_LARGE'],
  ['NIP-44 payload not base64', () => nip44Decrypt('!'.repeat(200), ck), 'DECRYPT_FAILED'],
  ['NIP-44 payload not a string', () => nip44Decrypt(5 as unknown as string, ck), 'DECRYPT_FAILED'],
  ['NIP-44 with a flipped MAC byte', () => nip44Decrypt(b64With((b) => (b[b.length - 1]! ^= 1)), ck), 'DECRYPT_FAILED'],
  ['NIP-44 with a flipped nonce byte', () => nip44Decrypt(b64With((b) => (b[5]! ^= 1)), ck), 'DECRYPT_FAILED'],
  ['NIP-44 with a flipped ciphertext byte', () => nip44Decrypt(b64With((b) => (b[40]! ^= 1)), ck), 'DECRYPT_FAILED'],
  ['NIP-44 truncated by one byte', () => nip44Decrypt(base64Encode(raw.subarray(0, -1)), ck), 'DECRYPT_FAILED'],
  ['NIP-44 under the wrong conversation key', () => nip44Decrypt(payload, randomBytes(32)), 'DECRYPT_FAILED'],
  ['NIP-44 padded length field 0', () => nip44Decrypt(nip44Raw(new Uint8Array(34)), ck), 'DECRYPT_FAILED'],
  ['NIP-44 length field beyond the padding', () => nip44Decrypt(nip44Raw(framed(40, utf8Encode('hello'), 32)), ck), 'DECRYPT_FAILED'],
  ['NIP-44 padded to more than the minimal size', () => nip44Decrypt(nip44Raw(framed(5, utf8Encode('hello'), 64)), ck), 'DECRYPT_FAILED'],
  ['NIP-44 conversation key with a peer not on the curve', () => getConversationKey(aliceSk, '00'.repeat(31) + '05'), 'INVALID_KEY'],
  ['NIP-44 conversation key with a 63-hex peer', () => getConversationKey(aliceSk, bob.slice(1)), 'INVALID_KEY'],
  ['NIP-44 conversation key with the zero secret', () => getConversationKey(new Uint8Array(32), bob), 'INVALID_KEY']
];

// ---- NIP-17 / NIP-59: every layer built correctly except the named defect.
const rumorOf = (t: { kind?: number; tags?: string[][]; content?: string; pubkey?: string }) => {
  const r = { pubkey: t.pubkey ?? alice, created_at: NOW, kind: t.kind ?? 14, tags: t.tags ?? [['p', bob]], content: t.content ?? 'hi' };
  return { id: getEventHash(r), ...r };
};
const sealOf = (content: string, over: { kind?: number; tags?: string[][] } = {}) =>
  finalizeEvent({ kind: over.kind ?? 13, created_at: NOW - 7, tags: over.tags ?? [], content: nip44Encrypt(content, ck) }, aliceSk);
const eph = generateSecretKey();
const wrapOf = (content: string, over: { kind?: number; to?: string } = {}) =>
  finalizeEvent({ kind: over.kind ?? 1059, created_at: NOW - 3, tags: [['p', bob]], content: nip44Encrypt(content, getConversationKey(eph, over.to ?? bob)) }, eph);
const goodRumor = JSON.stringify(rumorOf({}));
const goodSeal = JSON.stringify(sealOf(goodRumor));
const goodWrap = wrapOf(goodSeal);
const unwrap = (w: unknown) => () => unwrapGiftWrap(w, bobSk);
const flip = (hex: string) => hex.slice(0, -1) + (hex.endsWith('0') ? '1' : '0');

const nip17Cases: MalformedCase[] = [
  ['gift wrap of kind 1 (wrap-kind)', unwrap(wrapOf(goodSeal, { kind: 1 })), 'INVALID_EVENT'],
  ['gift wrap with a bad signature (wrap-signature)', unwrap({ ...goodWrap, sig: flip(goodWrap.sig) }), 'INVALID_SIGNATURE'],
  ['gift wrap whose id does not match (wrap-malformed)', unwrap({ ...goodWrap, created_at: NOW }), 'INVALID_EVENT'],
  ['gift wrap that is not an object (wrap-malformed)', unwrap('["EVENT"]'), 'INVALID_EVENT'],
  ['gift wrap content not NIP-44 (wrap-decrypt)', unwrap(finalizeEvent({ kind: 1059, created_at: NOW, tags: [], content: 'hello' }, eph)), 'DECRYPT_FAILED'],
  ['gift wrap encrypted to someone else (wrap-decrypt)', unwrap(wrapOf(goodSeal, { to: alice })), 'DECRYPT_FAILED'],
  ['gift wrap content above 512 KiB', unwrap(finalizeEvent({ kind: 1059, created_at: NOW, tags: [], content: 'A'.repeat(512 * 1024 + 4) }, eph)), 'TOO_LARGE'],
  ['gift wrap with 65 tags (wrap-malformed)', unwrap(finalizeEvent({ kind: 1059, created_at: NOW, tags: Array.from({ length: 65 }, () => ['p', bob]), content: nip44Encrypt(goodSeal, getConversationKey(eph, bob)) }, eph)), 'INVALID_EVENT'],
  ['seal that is not JSON (seal-malformed)', unwrap(wrapOf('{"kind":13,')), 'INVALID_EVENT'],
  ['seal that is a JSON array (seal-malformed)', unwrap(wrapOf('[13]')), 'INVALID_EVENT'],
  ['seal of kind 14 (seal-kind)', unwrap(wrapOf(JSON.stringify(sealOf(goodRumor, { kind: 14 })))), 'INVALID_EVENT'],
  ['seal with a p tag (seal-tags)', unwrap(wrapOf(JSON.stringify(sealOf(goodRumor, { tags: [['p', bob]] })))), 'INVALID_EVENT'],
  ['seal with a bad signature (seal-signature)', unwrap(wrapOf(JSON.stringify({ ...sealOf(goodRumor), sig: flip(sealOf(goodRumor).sig) }))), 'INVALID_SIGNATURE'],
  ['seal content not decryptable (seal-decrypt)', unwrap(wrapOf(JSON.stringify(finalizeEvent({ kind: 13, created_at: NOW, tags: [], content: payload.slice(0, -4) + 'AAAA' }, aliceSk)))), 'DECRYPT_FAILED'],
  ['rumor that is not JSON (rumor-malformed)', unwrap(wrapOf(JSON.stringify(sealOf('{"id":')))), 'INVALID_EVENT'],
  ['rumor whose id does not match (rumor-malformed)', unwrap(wrapOf(JSON.stringify(sealOf(JSON.stringify({ ...rumorOf({}), content: 'other' }))))), 'INVALID_EVENT'],
  ['rumor without created_at (rumor-malformed)', unwrap(wrapOf(JSON.stringify(sealOf(JSON.stringify({ ...rumorOf({}), created_at: undefined }))))), 'INVALID_EVENT'],
  ['rumor claiming another author than the seal (rumor-author-mismatch)', unwrap(wrapOf(JSON.stringify(sealOf(JSON.stringify(rumorOf({ pubkey: bob })))))), 'INVALID_EVENT'],
  ['gift wrap for a signer without nip44Decrypt', () => unwrapGiftWrap(goodWrap, { kind: 'nip07', getPublicKey: async () => bob, signEvent: async () => verifyEvent(goodWrap), close: async () => undefined }), 'SIGNER_UNAVAILABLE']
];

const parse = (t: Parameters<typeof rumorOf>[0]) => () => parseNip17Rumor(rumorOf(t));
const fileTags = (over: Record<string, string | undefined> = {}) => {
  const base: Record<string, string | undefined> = { 'decryption-key': 'ab'.repeat(32), 'decryption-nonce': 'cd'.repeat(12), ...over };
  return [['p', bob], ...Object.entries(base).filter(([, v]) => v !== undefined).map(([k, v]) => [k, v!])];
};
const rumorCases: MalformedCase[] = [
  ['rumor of kind 1 (rumor-kind)', parse({ kind: 1 }), 'INVALID_EVENT'],
  ['rumor with a p tag that is not hex (rumor-tags)', parse({ tags: [['p', 'bob']] }), 'INVALID_EVENT'],
  ['rumor with a p tag without a value (rumor-tags)', parse({ tags: [['p']] }), 'INVALID_EVENT'],
  ['rumor with 64 other participants (rumor-tags)', parse({ tags: Array.from({ length: 64 }, () => ['p', bytesToHex(randomBytes(32))]) }), 'TOO_LARGE'],
  ['rumor text of 100,001 characters (rumor-too-large)', parse({ content: 'x'.repeat(100_001) }), 'TOO_LARGE'],
  ['file message with an http URL (file-malformed)', parse({ kind: 15, content: 'http://files.example/f', tags: fileTags() }), 'INVALID_EVENT'],
  ['file message with credentials in the URL', parse({ kind: 15, content: 'https://u:p@files.example/f', tags: fileTags() }), 'INVALID_EVENT'],
  ['file message with an empty URL', parse({ kind: 15, content: '  ', tags: fileTags() }), 'INVALID_EVENT'],
  ['file message without a decryption key', parse({ kind: 15, content: 'https://f.example/x', tags: fileTags({ 'decryption-key': undefined }) }), 'INVALID_EVENT'],
  ['file message with a 31-byte key', parse({ kind: 15, content: 'https://f.example/x', tags: fileTags({ 'decryption-key': 'ab'.repeat(31) }) }), 'INVALID_EVENT'],
  ['file message with an 8-byte nonce', parse({ kind: 15, content: 'https://f.example/x', tags: fileTags({ 'decryption-nonce': 'cd'.repeat(8) }) }), 'INVALID_EVENT'],
  ['file message encrypted with chacha20', parse({ kind: 15, content: 'https://f.example/x', tags: fileTags({ 'encryption-algorithm': 'chacha20' }) }), 'INVALID_EVENT'],
  ['file message whose x hash is not hex', parse({ kind: 15, content: 'https://f.example/x', tags: fileTags({ x: 'zz'.repeat(32) }) }), 'INVALID_EVENT'],
  ['reaction without an e tag (reaction-malformed)', parse({ kind: 7, content: '+' }), 'INVALID_EVENT'],
  ['reaction whose e tag is not hex', parse({ kind: 7, content: '+', tags: [['e', 'x'.repeat(64)]] }), 'INVALID_EVENT'],
  ['reaction of 65 characters', parse({ kind: 7, content: 'x'.repeat(65), tags: [['e', 'ab'.repeat(32)]] }), 'INVALID_EVENT']
];

// ---- Contact cards: a valid card with one field damaged.
const ek = () => pk(generateSecretKey());
const dev = (relays: string[]) => ({ id: bytesToHex(randomBytes(8)), ek: ek(), addedAt: 1_700_000_000, label: 'phone', relays });
const cardEv = await new LocalSigner(generateSecretKey()).signEvent(buildInboxRecord({ devices: [dev(['wss://a.example', 'wss://b.example'])], removed: [] }, 1_700_000_500));
const card = encodeContactCard(cardEv, 'Al');
const bin = base64UrlDecode(card);
const L = cardLayout(bin);
const cardWith = (f: (b: Uint8Array) => Uint8Array | void) => {
  const b = bin.slice();
  return base64UrlEncode(f(b) ?? b);
};
const dec = (p: string) => () => decodeContactCard(p);
const nameAt = L.nameLen + 1;

const cardCases: MalformedCase[] = [
  ['card version 2', dec(cardWith((b) => void (b[L.version] = 2))), 'INVALID_CONTACT_CARD'],
  ['card truncated by one byte', dec(base64UrlEncode(bin.subarray(0, -1))), 'INVALID_CONTACT_CARD'],
  ['card with a trailing byte', dec(base64UrlEncode(concatBytes(bin, Uint8Array.of(0)))), 'INVALID_CONTACT_CARD'],
  ['card relay scheme 2', dec(cardWith((b) => void (b[L.relays[0]!.scheme] = 2))), 'INVALID_CONTACT_CARD'],
  ['card with 17 relays', dec(cardWith((b) => void (b[L.nRelays] = 17))), 'INVALID_CONTACT_CARD'],
  ['card with 0 devices', dec(cardWith((b) => void (b[L.nDevices] = 0))), 'INVALID_CONTACT_CARD'],
  ['card with 9 devices', dec(cardWith((b) => void (b[L.nDevices] = 9))), 'INVALID_CONTACT_CARD'],
  ['card device with 0 relays', dec(cardWith((b) => void (b[L.devices[0]!.nRelays] = 0))), 'INVALID_CONTACT_CARD'],
  ['card device relay index out of range', dec(cardWith((b) => void (b[L.devices[0]!.indexes[0]!] = 7))), 'INVALID_CONTACT_CARD'],
  ['card with an unused relay (same index twice)', dec(cardWith((b) => void (b[L.devices[0]!.indexes[1]!] = 0))), 'INVALID_CONTACT_CARD'],
  ['card relay URL changed (signature covers it)', dec(cardWith((b) => void (b[L.relays[0]!.len + 1]! ^= 1))), 'INVALID_CONTACT_CARD'],
  ['card label with invalid UTF-8', dec(cardWith((b) => void b.set([0xc3, 0x28], L.devices[0]!.labelLen + 1))), 'INVALID_CONTACT_CARD'],
  ['card with 17 removals', dec(cardWith((b) => void (b[L.nRemoved] = 17))), 'INVALID_CONTACT_CARD'],
  ['card name with a control character', dec(cardWith((b) => void (b[nameAt] = 0x07))), 'INVALID_CONTACT_CARD'],
  ['card name with a bidi override', dec(cardWith((b) => concatBytes(b.subarray(0, L.nameLen), Uint8Array.of(3), utf8Encode('\u202e')))), 'INVALID_CONTACT_CARD'],
  ['card name of 65 bytes', dec(cardWith((b) => concatBytes(b.subarray(0, L.nameLen), Uint8Array.of(65), new Uint8Array(65).fill(0x61)))), 'INVALID_CONTACT_CARD'],
  ['card signature flipped', dec(cardWith((b) => void (b[40]! ^= 1))), 'INVALID_CONTACT_CARD'],
  ['card pubkey flipped', dec(cardWith((b) => void (b[5]! ^= 1))), 'INVALID_CONTACT_CARD'],
  ['card created_at changed', dec(cardWith((b) => void (b[35]! ^= 1))), 'INVALID_CONTACT_CARD'],
  ['card payload of 1367 characters', dec('A'.repeat(1367)), 'TOO_LARGE'],
  ['card payload with "+" (standard base64)', dec(card.slice(0, 10) + '+' + card.slice(11)), 'INVALID_CONTACT_CARD'],
  ['card payload whose length is 1 mod 4', dec(card + 'A'.repeat((5 - (card.length % 4)) % 4)), 'INVALID_CONTACT_CARD'],
  ['card payload empty', dec(''), 'INVALID_CONTACT_CARD'],
  ['card link with an empty payload', () => findContactCard('https://veil.example/#c='), 'INVALID_CONTACT_CARD'],
  ['card link web+veil: with a damaged payload', () => findContactCard(`web+veil:c=${card.slice(0, -8)}`), 'INVALID_CONTACT_CARD'],
  ['card link without a marker', () => findContactCard(`https://veil.example/#x=${card}`), 'null']
];

describe('malformed NIP-44 payloads', () => malformed(nip44Cases));
describe('malformed NIP-17 gift wraps', () => malformed(nip17Cases));
describe('malformed NIP-17 rumors', () => malformed(rumorCases));
describe('malformed contact cards', () => malformed(cardCases));
