/**
 * Named malformed inputs for bech32 (bech32.ts), NIP-19 (nip19.ts) and NIP-49 (nip49.ts), each with
 * the exact typed error it must give.
 */
import { describe } from 'vitest';
import * as ntNip19 from 'nostr-tools/nip19';
import { scrypt } from '@noble/hashes/scrypt.js';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { bech32Decode, bech32Encode } from '../../../src/lib/crypto/bech32';
import { decodeNevent, decodeNote, decodeNprofile, decodeNpub, decodeNsec, encodeNpub, encodeNsec, parseContactInput } from '../../../src/lib/crypto/nip19';
import { MIN_LOG_N, decryptNcryptsec, encryptNcryptsec, inspectNcryptsec } from '../../../src/lib/crypto/nip49';
import { generateSecretKey, getXOnlyPublicKey } from '../../../src/lib/crypto/keys';
import { bytesToHex, concatBytes, hexToBytes, randomBytes, utf8Encode } from '../../../src/lib/shared/bytes';
import { malformed, type MalformedCase } from '../../helpers/malformed';

const sk = generateSecretKey();
const pub = getXOnlyPublicKey(sk);
const pubHex = bytesToHex(pub);
const npub = encodeNpub(pubHex);
const nsec = encodeNsec(sk);
const note = ntNip19.noteEncode(bytesToHex(randomBytes(32)));
const nprofile = ntNip19.nprofileEncode({ pubkey: pubHex, relays: ['wss://relay.example'] });
const nevent = ntNip19.neventEncode({ id: bytesToHex(randomBytes(32)), relays: [] });
/** 32 bytes that are not the x coordinate of a curve point (x = 5 has no square root of x³ + 7). */
const NOT_ON_CURVE = hexToBytes('00'.repeat(31) + '05');
const N = hexToBytes('fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141');
const FF = new Uint8Array(32).fill(0xff);
const PASS = 'correct horse battery staple';

const swapLast = (s: string) => s.slice(0, -1) + (s.endsWith('q') ? 'p' : 'q');
const at = (s: string, i: number, c: string) => s.slice(0, i) + c + s.slice(i + 1);
const tlv = (...parts: [number, Uint8Array][]) => concatBytes(...parts.map(([t, v]) => concatBytes(Uint8Array.of(t, v.length), v)));

const ncryptsec = await encryptNcryptsec(sk, PASS, { logN: MIN_LOG_N, keySecurity: 1 });
const ncBytes = bech32Decode(ncryptsec, 200).bytes;
/** The ncryptsec with byte `i` set to `v` (or the payload replaced), under a correct checksum. */
const ncWith = (i: number, v: number) => {
  const b = ncBytes.slice();
  b[i] = v;
  return bech32Encode('ncryptsec', b);
};
/** An ncryptsec that decrypts (right passphrase) to 32 bytes that are not a valid secret key. */
function ncryptsecOf(secret: Uint8Array): string {
  const salt = randomBytes(16);
  const nonce = randomBytes(24);
  const key = scrypt(utf8Encode(PASS), salt, { N: 2 ** MIN_LOG_N, r: 8, p: 1, dkLen: 32 });
  const ct = xchacha20poly1305(key, nonce, Uint8Array.of(2)).encrypt(secret);
  return bech32Encode('ncryptsec', concatBytes(Uint8Array.of(2, MIN_LOG_N), salt, nonce, Uint8Array.of(2), ct));
}

const bech32Cases: MalformedCase[] = [
  ['bech32 without a separator', () => bech32Decode('qpzry9x8gf2tvdw0s3jn54khce6mua7l', 90), 'INVALID_INPUT'],
  ['bech32 with an empty prefix', () => bech32Decode('1qpzry9x8', 90), 'INVALID_INPUT'],
  ['bech32 with fewer than 6 checksum characters', () => bech32Decode('npub1qpzry', 90), 'INVALID_INPUT'],
  ['bech32 with a space in the prefix', () => bech32Decode(' npub' + npub.slice(4), 90), 'INVALID_INPUT'],
  ['bech32 longer than the bound', () => bech32Decode(npub, 62), 'INVALID_INPUT'],
  ['bech32 with mixed case', () => bech32Decode(at(npub, 10, npub[10]!.toUpperCase() === npub[10] ? 'Q' : npub[10]!.toUpperCase()), 90), 'INVALID_INPUT'],
  ['bech32 with "b" in the data', () => bech32Decode(at(npub, 20, 'b'), 90), 'INVALID_INPUT'],
  ['bech32 with a bad checksum', () => bech32Decode(swapLast(npub), 90), 'INVALID_INPUT'],
  ['bech32 given a number', () => bech32Decode(42 as unknown as string, 90), 'INVALID_INPUT']
];

const npubCases: MalformedCase[] = [
  ['npub with bad checksum', () => decodeNpub(swapLast(npub)), 'INVALID_NPUB'],
  ['npub cut off by one character', () => decodeNpub(npub.slice(0, -1)), 'INVALID_NPUB'],
  ['npub with one extra character', () => decodeNpub(npub + 'q'), 'INVALID_NPUB'],
  ['npub with mixed case', () => decodeNpub('NPUB1' + npub.slice(5)), 'INVALID_NPUB'],
  ['npub containing "b"', () => decodeNpub(at(npub, 30, 'b')), 'INVALID_NPUB'],
  ['npub containing "i"', () => decodeNpub(at(npub, 30, 'i')), 'INVALID_NPUB'],
  ['npub containing "o"', () => decodeNpub(at(npub, 30, 'o')), 'INVALID_NPUB'],
  ['npub with a space inside', () => decodeNpub(at(npub, 30, ' ')), 'INVALID_NPUB'],
  ['npub empty string', () => decodeNpub(''), 'INVALID_NPUB'],
  ['npub prefix only', () => decodeNpub('npub1'), 'INVALID_NPUB'],
  ['npub with nostr: prefix given to decodeNpub', () => decodeNpub(`nostr:${npub}`), 'INVALID_NPUB'],
  ['npub given an nsec', () => decodeNpub(nsec), 'INVALID_NPUB'],
  ['npub whose x is not on the curve', () => decodeNpub(bech32Encode('npub', NOT_ON_CURVE)), 'INVALID_NPUB'],
  ['npub whose x is above the field prime', () => decodeNpub(bech32Encode('npub', FF)), 'INVALID_NPUB'],
  ['npub of 32 zero bytes', () => decodeNpub(bech32Encode('npub', new Uint8Array(32))), 'INVALID_NPUB'],
  ['npub of 31 bytes with a valid checksum', () => decodeNpub(bech32Encode('npub', pub.subarray(1))), 'INVALID_NPUB'],
  ['npub of 33 bytes with a valid checksum', () => decodeNpub(bech32Encode('npub', concatBytes(pub, Uint8Array.of(0)))), 'INVALID_NPUB'],
  ['npub of 10,000 characters', () => decodeNpub('npub1' + 'q'.repeat(9995)), 'INVALID_NPUB'],
  ['npub given a number', () => decodeNpub(7 as unknown as string), 'INVALID_INPUT']
];

const nsecCases: MalformedCase[] = [
  ['nsec with bad checksum', () => decodeNsec(swapLast(nsec)), 'INVALID_KEY'],
  ['nsec cut off', () => decodeNsec(nsec.slice(0, 40)), 'INVALID_KEY'],
  ['nsec of the zero key', () => decodeNsec(bech32Encode('nsec', new Uint8Array(32))), 'INVALID_KEY'],
  ['nsec equal to the group order n', () => decodeNsec(bech32Encode('nsec', N)), 'INVALID_KEY'],
  ['nsec above the group order', () => decodeNsec(bech32Encode('nsec', FF)), 'INVALID_KEY'],
  ['nsec given an npub', () => decodeNsec(npub), 'INVALID_KEY'],
  ['nsec of 31 bytes with a valid checksum', () => decodeNsec(bech32Encode('nsec', sk.subarray(1))), 'INVALID_KEY'],
  ['nsec with mixed case', () => decodeNsec('nsec1' + nsec.slice(5).toUpperCase()), 'INVALID_KEY']
];

const otherNip19Cases: MalformedCase[] = [
  ['note with bad checksum', () => decodeNote(swapLast(note)), 'INVALID_INPUT'],
  ['note cut off', () => decodeNote(note.slice(0, -3)), 'INVALID_INPUT'],
  ['nevent with bad checksum', () => decodeNevent(swapLast(nevent)), 'INVALID_INPUT'],
  ['nevent without an id TLV', () => decodeNevent(bech32Encode('nevent', tlv([1, utf8Encode('wss://r.example')]))), 'INVALID_INPUT'],
  ['nevent with a 31-byte id', () => decodeNevent(bech32Encode('nevent', tlv([0, randomBytes(31)]))), 'INVALID_INPUT'],
  ['nevent longer than 1500 characters', () => decodeNevent('nevent1' + 'q'.repeat(1600)), 'INVALID_INPUT'],
  ['nprofile with bad checksum', () => decodeNprofile(swapLast(nprofile)), 'INVALID_NPUB'],
  ['nprofile without a pubkey TLV', () => decodeNprofile(bech32Encode('nprofile', tlv([1, utf8Encode('wss://r.example')]))), 'INVALID_NPUB'],
  ['nprofile with a 31-byte pubkey', () => decodeNprofile(bech32Encode('nprofile', tlv([0, pub.subarray(1)]))), 'INVALID_NPUB'],
  ['nprofile whose pubkey is not on the curve', () => decodeNprofile(bech32Encode('nprofile', tlv([0, NOT_ON_CURVE]))), 'INVALID_NPUB'],
  ['nprofile with a TLV length past the end', () => decodeNprofile(bech32Encode('nprofile', concatBytes(tlv([0, pub]), Uint8Array.of(1, 200, 0x77)))), 'INVALID_NPUB'],
  ['nprofile longer than 1500 characters', () => decodeNprofile('nprofile1' + 'q'.repeat(1600)), 'INVALID_NPUB'],
  ['nprofile given an npub', () => decodeNprofile(npub), 'INVALID_NPUB']
];

const contactCases: MalformedCase[] = [
  ['contact input empty', () => parseContactInput(''), 'INVALID_INPUT'],
  ['contact input only whitespace', () => parseContactInput(' \n\t '), 'INVALID_INPUT'],
  ['contact input not a string', () => parseContactInput(null as unknown as string), 'INVALID_INPUT'],
  ['contact input of 4097 characters', () => parseContactInput('a'.repeat(4097)), 'TOO_LARGE'],
  ['contact input is an nsec', () => parseContactInput(nsec), 'NSEC_WHERE_CONTACT_EXPECTED'],
  ['contact input has an nsec inside a sentence', () => parseContactInput(`my key: ${nsec} ok`), 'NSEC_WHERE_CONTACT_EXPECTED'],
  ['contact input is an ncryptsec', () => parseContactInput(ncryptsec), 'NSEC_WHERE_CONTACT_EXPECTED'],
  ['contact input is 63 hex characters', () => parseContactInput(pubHex.slice(1)), 'INVALID_NPUB'],
  ['contact input is 65 hex characters', () => parseContactInput(pubHex + 'a'), 'INVALID_NPUB'],
  ['contact input is 64 hex that is not a curve point', () => parseContactInput(bytesToHex(NOT_ON_CURVE)), 'INVALID_KEY'],
  ['contact input is "nostr:" alone', () => parseContactInput('nostr:'), 'INVALID_NPUB'],
  ['contact input is a word', () => parseContactInput('hello'), 'INVALID_NPUB'],
  ['contact input is an npub with bad checksum', () => parseContactInput(`nostr:${swapLast(npub)}`), 'INVALID_NPUB'],
  ['contact input is an nprofile with bad checksum', () => parseContactInput(swapLast(nprofile)), 'INVALID_NPUB'],
  ['contact input has an empty card link', () => parseContactInput('https://veil.example/#c='), 'INVALID_CONTACT_CARD'],
  ['contact input has a garbage card link', () => parseContactInput('web+veil:c=AAAA'), 'INVALID_CONTACT_CARD']
];

const ncryptsecCases: MalformedCase[] = [
  ['ncryptsec log_n 0', () => inspectNcryptsec(ncWith(1, 0)), 'INVALID_KEY'],
  ['ncryptsec version 1', () => inspectNcryptsec(ncWith(0, 1)), 'INVALID_KEY'],
  ['ncryptsec version 3', () => inspectNcryptsec(ncWith(0, 3)), 'INVALID_KEY'],
  ['ncryptsec key security byte 3', () => inspectNcryptsec(ncWith(42, 3)), 'INVALID_KEY'],
  ['ncryptsec key security byte 255', () => inspectNcryptsec(ncWith(42, 255)), 'INVALID_KEY'],
  ['ncryptsec of 90 bytes', () => inspectNcryptsec(bech32Encode('ncryptsec', ncBytes.subarray(1))), 'INVALID_KEY'],
  ['ncryptsec of 92 bytes', () => inspectNcryptsec(bech32Encode('ncryptsec', concatBytes(ncBytes, Uint8Array.of(0)))), 'INVALID_KEY'],
  ['ncryptsec with another 9-letter prefix', () => inspectNcryptsec(bech32Encode('ncryptsed', ncBytes)), 'INVALID_KEY'],
  ['ncryptsec with bad checksum', () => inspectNcryptsec(swapLast(ncryptsec)), 'INVALID_KEY'],
  ['ncryptsec with a character outside bech32', () => inspectNcryptsec(at(ncryptsec, 50, 'o')), 'INVALID_KEY'],
  ['ncryptsec empty', () => inspectNcryptsec(''), 'INVALID_KEY'],
  ['ncryptsec not a string', () => inspectNcryptsec({} as unknown as string), 'INVALID_KEY'],
  ['ncryptsec log_n 0 on decrypt', () => decryptNcryptsec(ncWith(1, 0), PASS), 'INVALID_KEY'],
  ['ncryptsec log_n 21 (2 GiB of scrypt) with the default limit', () => decryptNcryptsec(ncWith(1, 21), PASS), 'KDF_TOO_COSTLY'],
  ['ncryptsec log_n 255', () => decryptNcryptsec(ncWith(1, 255), PASS), 'KDF_TOO_COSTLY'],
  ['ncryptsec log_n 17 with maxLogN 16', () => decryptNcryptsec(ncWith(1, 17), PASS, { maxLogN: 16 }), 'KDF_TOO_COSTLY'],
  ['ncryptsec with the wrong passphrase', () => decryptNcryptsec(ncryptsec, 'wrong'), 'WRONG_PASSPHRASE'],
  ['ncryptsec with a changed ciphertext byte', () => decryptNcryptsec(ncWith(60, ncBytes[60]! ^ 1), PASS), 'WRONG_PASSPHRASE'],
  ['ncryptsec with a changed salt byte', () => decryptNcryptsec(ncWith(5, ncBytes[5]! ^ 1), PASS), 'WRONG_PASSPHRASE'],
  ['ncryptsec with a changed nonce byte', () => decryptNcryptsec(ncWith(20, ncBytes[20]! ^ 1), PASS), 'WRONG_PASSPHRASE'],
  ['ncryptsec with the key security byte changed (it is the AAD)', () => decryptNcryptsec(ncWith(42, 0), PASS), 'WRONG_PASSPHRASE'],
  ['ncryptsec holding the zero key', () => decryptNcryptsec(ncryptsecOf(new Uint8Array(32)), PASS), 'INVALID_KEY'],
  ['ncryptsec holding a key equal to n', () => decryptNcryptsec(ncryptsecOf(N), PASS), 'INVALID_KEY'],
  ['ncryptsec passphrase of 1025 characters', () => decryptNcryptsec(ncryptsec, 'x'.repeat(1025)), 'TOO_LARGE'],
  ['ncryptsec passphrase not a string', () => decryptNcryptsec(ncryptsec, 5 as unknown as string), 'INVALID_INPUT']
];

describe('malformed bech32', () => malformed(bech32Cases));
describe('malformed npub', () => malformed(npubCases));
describe('malformed nsec', () => malformed(nsecCases));
describe('malformed note / nevent / nprofile', () => malformed(otherNip19Cases));
describe('malformed contact input', () => malformed(contactCases));
describe('malformed ncryptsec', () => malformed(ncryptsecCases));
