/**
 * A kind-1067 envelope that two recipients open differently (issue 16 item 5): cover for one, a
 * signed message for the other. Built deterministically with GCM multi-key collisions
 * (./gcm-collision.ts), by a sender who knows the ephemeral secret e and so both key-encryption keys:
 *
 * 1. Wrap: 32 ciphertext bytes whose second block is solved so that the 48 bytes are authentic under
 *    kek_A and kek_B; they open to two different session keys sk_A and sk_B.
 * 2. Nonce: counted up until the two keystreams' first bytes differ so that the padded plaintext
 *    under A starts with cover's header (type 0, the largest payload of the class: no padding) and
 *    under B with an event's header (type 1, a length of the same class). About 2^14 AES pairs.
 * 3. Body: B's plaintext is a signed kind-14 event behind leading JSON whitespace (tab or CR: bit 2
 *    free in each, outside the signed fields); those bits are solved so that the body's tag is
 *    authentic under both body keys. Under A the same bytes are cover payload, which may be anything.
 *
 * `layout` says how a version derives the body key and what it carries after the nonce, so the same
 * attack runs against every version.
 */
import { schnorr } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { sessionKeys } from '../../src/lib/crypto/envelope-commit';
import { envelopeAad } from '../../src/lib/crypto/envelope-format';
import { keySchedule } from '../../src/lib/crypto/envelope-kdf';
import { ecdh, getXOnlyPublicKey, type SecretKey, type XOnlyPublicKey } from '../../src/lib/crypto/keys';
import { PADDED_CLASS_SIZES } from '../../src/lib/crypto/padding';
import { base64Encode, bytesToHex, concatBytes, hexToBytes, utf8Encode } from '../../src/lib/shared/bytes';
import type { NostrEventJson } from '../../src/lib/shared/nostr';
import { eventId } from '../../src/lib/shared/trusted-event';
import { aesEcb, collide, keystream, xor, type FreeBit } from './gcm-collision';

export interface Layout {
  version: number;
  /** Padded inner length P of the class used (class 2). */
  padded: number;
  /** Smallest payload length of that class (largest of class 1, plus one). */
  minPayload: number;
  /** The AES-GCM key of the body, from the session key. */
  bodyKey(sessionKey: Uint8Array): Uint8Array;
  /** Bytes between the nonce and the body (v3: the commitment), from the session key given. */
  extra(sessionKey: Uint8Array, nonce: Uint8Array, aad: Uint8Array): Uint8Array;
}

/** Version 2 (spec 0004): the session key is the body key, nothing between nonce and body; class 2 = 2048 bytes. */
export const V2_LAYOUT: Layout = { version: 2, padded: 2048 - 77, minPayload: 945, bodyKey: (sk) => sk, extra: () => new Uint8Array(0) };

/** Version 3 (spec 0009): body key and commitment from the session key, the commitment after the nonce. */
export const V3_LAYOUT: Layout = {
  version: 3,
  padded: PADDED_CLASS_SIZES[1]!,
  minPayload: PADDED_CLASS_SIZES[0]! - 2,
  bodyKey: (sk) => sessionKeys(sk, new Uint8Array(12), new Uint8Array(0)).bodyKey,
  extra: (sk, nonce, aad) => sessionKeys(sk, nonce, aad).commitment
};

export interface SalamanderInput {
  ephemeralSecret: SecretKey;
  /** The recipient who reads cover. */
  coverEk: XOnlyPublicKey;
  /** The recipient who reads a signed message. */
  messageEk: XOnlyPublicKey;
  messageIdentity: string;
  authorSecret: SecretKey;
  mailbox: string;
  now: number;
  layout: Layout;
  /** Whose session key `layout.extra` is given (v3: which recipient the commitment names). */
  extraFor?: 'cover' | 'message';
}

const WHITESPACE = 200;

function signed(authorSecret: SecretKey, messageIdentity: string, createdAt: number, jsonLength: number): string {
  const make = (text: string) => {
    const unsigned = { pubkey: bytesToHex(getXOnlyPublicKey(authorSecret)), created_at: createdAt, kind: 14, tags: [['p', messageIdentity]], content: text };
    const id = eventId(unsigned);
    const sig = bytesToHex(schnorr.sign(hexToBytes(id, 32), authorSecret, new Uint8Array(32)));
    const e = { id, ...unsigned, sig };
    return JSON.stringify({ id: e.id, pubkey: e.pubkey, created_at: e.created_at, kind: e.kind, tags: e.tags, content: e.content, sig: e.sig });
  };
  const base = make('').length;
  if (jsonLength < base) throw new Error('class too small for the event');
  const json = make('x'.repeat(jsonLength - base));
  if (json.length !== jsonLength) throw new Error('event length');
  return json;
}

/** Counts nonces 0, 1, … (8 fixed bytes ‖ be32(i)) until the two first keystream blocks fit; returns nonce, lenB, tries. */
function findNonce(keyA: Uint8Array, keyB: Uint8Array, layout: Layout): { nonce: Uint8Array; lenB: number; tries: number } {
  const lenA = layout.padded - 3;
  const batch = 1 << 15;
  const prefix = sha256(utf8Encode('salamander/nonce')).subarray(0, 8);
  for (let start = 0; start < 1 << 24; start += batch) {
    const ctr = new Uint8Array(batch * 16);
    const dv = new DataView(ctr.buffer);
    for (let i = 0; i < batch; i++) {
      ctr.set(prefix, i * 16);
      dv.setUint32(i * 16 + 8, start + i);
      dv.setUint32(i * 16 + 12, 2);
    }
    const a = aesEcb(keyA, ctr);
    const b = aesEcb(keyB, ctr);
    for (let i = 0; i < batch; i++) {
      const o = i * 16;
      if ((a[o]! ^ b[o]!) !== 1) continue;
      const lenB = lenA ^ (((a[o + 1]! ^ b[o + 1]!) << 8) | (a[o + 2]! ^ b[o + 2]!));
      if (lenB < layout.minPayload || lenB > lenA) continue;
      return { nonce: ctr.slice(o, o + 12), lenB, tries: start + i + 1 };
    }
  }
  throw new Error('no nonce found');
}

export interface Salamander {
  event: NostrEventJson;
  /** What each recipient's unwrap yields. */
  coverSessionKey: Uint8Array;
  messageSessionKey: Uint8Array;
  /** Nonces tried. */
  tries: number;
}

export function twoRecipientEnvelope(input: SalamanderInput): Salamander {
  const { layout } = input;
  const e = input.ephemeralSecret;
  const E = getXOnlyPublicKey(e);
  const ksA = keySchedule(ecdh(e, input.coverEk), E, input.coverEk);
  const ksB = keySchedule(ecdh(e, input.messageEk), E, input.messageEk);

  // 1. The wrap: block 2 of the 32 ciphertext bytes is free.
  const wrapFree: FreeBit[] = [];
  for (let byte = 16; byte < 32; byte++) for (let bit = 0; bit < 8; bit++) wrapFree.push({ byte, mask: 1 << bit });
  const wrapped = collide(ksA.kek, ksA.wrapNonce, ksB.kek, ksB.wrapNonce, new Uint8Array(0), sha256(utf8Encode('salamander/wrap')), wrapFree);
  const skA = xor(wrapped.subarray(0, 32), keystream(ksA.kek, ksA.wrapNonce, 32));
  const skB = xor(wrapped.subarray(0, 32), keystream(ksB.kek, ksB.wrapNonce, 32));
  const keyA = layout.bodyKey(skA);
  const keyB = layout.bodyKey(skB);

  // 2. The nonce, and with it B's payload length.
  const { nonce, lenB, tries } = findNonce(keyA, keyB, layout);

  // 3. B's padded plaintext: event header, whitespace, the signed event, zero padding.
  const json = utf8Encode(signed(input.authorSecret, input.messageIdentity, input.now, lenB - WHITESPACE));
  const pB = new Uint8Array(layout.padded);
  pB[0] = 1;
  pB[1] = lenB >>> 8;
  pB[2] = lenB & 0xff;
  pB.fill(0x09, 3, 3 + WHITESPACE);
  pB.set(json, 3 + WHITESPACE);
  const c = xor(pB, keystream(keyB, nonce, pB.length));
  const mailbox = hexToBytes(input.mailbox, 32);
  const aad = envelopeAad(layout.version, 1067, mailbox, E);
  const bodyFree: FreeBit[] = Array.from({ length: WHITESPACE }, (_, i) => ({ byte: 3 + i, mask: 0x04 }));
  const body = collide(keyA, nonce, keyB, nonce, aad, c, bodyFree);

  const extra = layout.extra(input.extraFor === 'cover' ? skA : skB, nonce, aad);
  const envelope = concatBytes(Uint8Array.of(layout.version), wrapped, nonce, extra, body);
  const createdAt = input.now - 100;
  const unsigned = {
    pubkey: bytesToHex(E),
    created_at: createdAt,
    kind: 1067,
    tags: [
      ['p', input.mailbox],
      ['expiration', String(createdAt + 30 * 86_400)]
    ],
    content: base64Encode(envelope)
  };
  const id = eventId(unsigned);
  const sig = bytesToHex(schnorr.sign(hexToBytes(id, 32), e, new Uint8Array(32)));
  return { event: { id, ...unsigned, sig }, coverSessionKey: skA, messageSessionKey: skB, tries };
}
