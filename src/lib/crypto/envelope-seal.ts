/**
 * Sealing a Veil envelope (spec 0001 §Sealing, as changed by 0004 and 0009). The inner plaintext
 * (a signed Nostr event, or cover) is encrypted with AES-256-GCM under a key derived from a fresh
 * random session key, which the envelope commits to (./envelope-commit.ts); the session key is
 * wrapped with AES-256-GCM under a key derived (./envelope-kdf.ts) from secp256k1 ECDH between a
 * fresh ephemeral key E and the recipient's envelope key EK. The outer event is signed by E, so it
 * names neither end; its only tags are the mailbox `p` and a NIP-40 `expiration`.
 */
import type { EventTemplate } from 'nostr-tools/pure';
import { abytes, base64Encode, bytesToHex, concatBytes, hexToBytes, randomBytes, randomInt, utf8Encode, wipe } from '../shared/bytes';
import { VeilError } from '../shared/errors';
import { checkEventShape } from '../shared/event-shape';
import type { NostrEventJson } from '../shared/nostr';
import { eventId } from '../shared/trusted-event';
import { aesGcmEncrypt } from './aes';
import {
  CREATED_AT_SPREAD,
  ENVELOPE_KIND,
  ENVELOPE_VERSION,
  envelopeAad,
  EXPIRATION_AFTER_CREATED,
  HEX64,
  INNER_KINDS,
  INNER_RULES,
  NONCE_BYTES,
  SESSION_KEY_BYTES
} from './envelope-format';
import { pairTag } from './bucket';
import { sessionKeys } from './envelope-commit';
import { keySchedule, type KeySchedule } from './envelope-kdf';
import { jsCurve, type Curve } from './curve';
import { assertSecretKey, generateSecretKey, parsePublicKey, type SecretKey, type XOnlyPublicKey } from './keys';
import { MAX_PAYLOAD_BYTES, pad, PAYLOAD_TYPE_COVER, PAYLOAD_TYPE_EVENT } from './padding';

/** What to put inside: a signed Nostr event (type 1) or cover bytes (type 0). */
export type SealPayload = { type: 'event'; event: Readonly<NostrEventJson> } | { type: 'cover'; bytes: Uint8Array };

export interface SealInput {
  /** Recipient device's envelope key (x-only, validated). */
  recipientEk: XOnlyPublicKey;
  /** Mailbox M for the `p` tag: 64 lowercase hex (see mailbox.ts). */
  mailbox: string;
  payload: SealPayload;
  /** Real send time in unix seconds; defaults to the clock. */
  nowSeconds?: number;
  /**
   * Pair envelopes (spec 0004 §Pair tag): bucket.ts `pairTagKey` of this direction and day. The body
   * nonce is then the pair tag of the ephemeral key, so the recipient recognises the envelope with
   * one HMAC. Intro and cover envelopes leave it out: their nonce is random, and looks the same.
   */
  pairTagKey?: Uint8Array;
  /**
   * A disappearing message (issue 15 §2): the outer `expiration` is at most this (unix seconds,
   * after `nowSeconds`), instead of created_at + 30 days. The caller rounds it (sync/disappearing.ts).
   */
  expiresAt?: number;
}

/** Every random choice of a seal. Only the vector generator and tests fix these. */
export interface SealRandomness {
  ephemeralSecret: SecretKey;
  sessionKey: Uint8Array;
  nonce: Uint8Array;
  /** Seconds subtracted from the send time, 0…CREATED_AT_SPREAD. */
  createdAtOffset: number;
  /** BIP-340 auxiliary randomness of the outer signature (32 bytes). */
  signatureAux: Uint8Array;
}

/** Intermediate values of a seal, for the published vectors (tests only). */
export interface SealTrace {
  ephemeralSecret: Uint8Array;
  ephemeralPublic: Uint8Array;
  sharedSecret: Uint8Array;
  prk: Uint8Array;
  kek: Uint8Array;
  wrapNonce: Uint8Array;
  sessionKey: Uint8Array;
  wrappedKey: Uint8Array;
  nonce: Uint8Array;
  aad: Uint8Array;
  /** v3 (spec 0009): the body's AES-GCM key and the commitment, both from the session key. */
  bodyKey: Uint8Array;
  commitment: Uint8Array;
  padded: Uint8Array;
  ciphertext: Uint8Array;
  envelope: Uint8Array;
}

function innerEventJson(ev: NostrEventJson): string {
  // Fixed field order; the opener does not depend on it but the vectors do.
  return JSON.stringify({
    id: ev.id,
    pubkey: ev.pubkey,
    created_at: ev.created_at,
    kind: ev.kind,
    tags: ev.tags,
    content: ev.content,
    sig: ev.sig
  });
}

function payloadBytes(p: SealPayload, kinds: readonly number[]): { type: typeof PAYLOAD_TYPE_COVER | typeof PAYLOAD_TYPE_EVENT; bytes: Uint8Array } {
  if (p.type === 'cover') {
    abytes(p.bytes, undefined, 'cover bytes');
    return { type: PAYLOAD_TYPE_COVER, bytes: p.bytes };
  }
  const shape = checkEventShape(p.event, INNER_RULES);
  if (!shape.ok || !kinds.includes(shape.event.kind) || eventId(shape.event) !== shape.event.id)
    throw new VeilError('INVALID_EVENT', `inner event is not a signed kind ${kinds.join('/')} event`);
  const bytes = utf8Encode(innerEventJson(shape.event));
  if (bytes.length > MAX_PAYLOAD_BYTES) throw new VeilError('TOO_LARGE', 'message too large for an envelope');
  return { type: PAYLOAD_TYPE_EVENT, bytes };
}

/**
 * Whether an inner event made from `template` will fit in an envelope once signed: id, pubkey and sig
 * have fixed lengths, so their placeholders give its exact size. Lets a sender drop something optional
 * (an inline thumbnail) before asking the signer.
 */
export function innerTemplateFits(template: { created_at: number; kind: number; tags: string[][]; content: string }): boolean {
  const hex = (n: number) => '0'.repeat(n);
  const json = innerEventJson({ ...template, id: hex(64), pubkey: hex(64), sig: hex(128) } as NostrEventJson);
  return utf8Encode(json).length <= MAX_PAYLOAD_BYTES;
}

/** created_at + 30 days, or the message's own expiry when that is sooner; it must lie ahead of the send time. */
function expirationFor(createdAt: number, now: number, expiresAt: number | undefined): number {
  const usual = createdAt + EXPIRATION_AFTER_CREATED;
  if (expiresAt === undefined) return usual;
  if (!Number.isSafeInteger(expiresAt) || expiresAt <= now) throw new VeilError('INVALID_INPUT', 'expiry must lie after the send time');
  return Math.min(usual, expiresAt);
}

/** The input of a seal apart from how the session key is wrapped (the recipient's EK, or a channel key: channel.ts). */
export type SealBody = Omit<SealInput, 'recipientEk'>;

/**
 * How the session key is wrapped, and which inner kinds the envelope may carry: the ECDH of 0001 for
 * a recipient EK, or a channel key's HKDF (spec 0011). `schedule` returns the key schedule of E and
 * the shared secret it came from (for the vectors; wiped by the caller).
 */
export interface Wrapping {
  kinds: readonly number[];
  schedule(ephemeralSecret: SecretKey, ephemeralPublic: Uint8Array): { ss: Uint8Array; ks: KeySchedule };
}

/** The recipient EK's wrapping (spec 0001 §Key schedule): ss = x(e·EK). */
function ekWrapping(ek: XOnlyPublicKey, curve: Curve): Wrapping {
  parsePublicKey(ek, 'recipient EK');
  abytes(ek, 32, 'recipient EK');
  return {
    kinds: INNER_KINDS,
    schedule(e, E) {
      const ss = curve.ecdh(e, ek);
      return { ss, ks: keySchedule(ss, E, ek) };
    }
  };
}

function sealWith(input: SealInput, rnd: SealRandomness, curve: Curve): Promise<{ event: NostrEventJson; trace: SealTrace }> {
  return sealWrapped(input, rnd, curve, ekWrapping(input.recipientEk, curve));
}

/** A seal with every random choice given and the wrapping passed in; returns the event and every intermediate value. */
export async function sealWrapped(input: SealBody, rnd: SealRandomness, curve: Curve, wrapping: Wrapping): Promise<{ event: NostrEventJson; trace: SealTrace }> {
  if (typeof input.mailbox !== 'string' || !HEX64.test(input.mailbox)) throw new VeilError('INVALID_INPUT', 'mailbox must be 64 hex');
  assertSecretKey(rnd.ephemeralSecret, 'ephemeral secret');
  abytes(rnd.sessionKey, SESSION_KEY_BYTES, 'session key');
  abytes(rnd.nonce, NONCE_BYTES, 'nonce');
  abytes(rnd.signatureAux, 32, 'signature aux');
  if (!Number.isSafeInteger(rnd.createdAtOffset) || rnd.createdAtOffset < 0 || rnd.createdAtOffset > CREATED_AT_SPREAD)
    throw new VeilError('INVALID_INPUT', 'created_at offset out of range');
  const now = input.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (!Number.isSafeInteger(now) || now < CREATED_AT_SPREAD) throw new VeilError('INVALID_INPUT', 'bad send time');

  const { type, bytes } = payloadBytes(input.payload, wrapping.kinds);
  const padded = pad(type, bytes);
  const ephemeralPublic = curve.xOnlyPublicKey(rnd.ephemeralSecret);
  const mailbox = hexToBytes(input.mailbox, 32);
  const version = ENVELOPE_VERSION;
  const nonce = input.pairTagKey !== undefined ? pairTag(input.pairTagKey, ephemeralPublic) : rnd.nonce;
  const { ss, ks } = wrapping.schedule(rnd.ephemeralSecret, ephemeralPublic);
  const { prk, kek, wrapNonce } = ks;
  const wrappedKey = await aesGcmEncrypt(kek, wrapNonce, rnd.sessionKey);
  const aad = envelopeAad(version, ENVELOPE_KIND, mailbox, ephemeralPublic);
  const { bodyKey, commitment } = sessionKeys(rnd.sessionKey, nonce, aad);
  const ciphertext = await aesGcmEncrypt(bodyKey, nonce, padded, aad);
  const envelope = concatBytes(Uint8Array.of(version), wrappedKey, nonce, commitment, ciphertext);

  const createdAt = now - rnd.createdAtOffset;
  const expiration = expirationFor(createdAt, now, input.expiresAt);
  const unsigned = {
    pubkey: bytesToHex(ephemeralPublic),
    created_at: createdAt,
    kind: ENVELOPE_KIND,
    tags: [
      ['p', input.mailbox],
      ['expiration', String(expiration)]
    ],
    content: base64Encode(envelope)
  };
  const id = eventId(unsigned);
  const sig = bytesToHex(curve.signSchnorr(hexToBytes(id, 32), rnd.ephemeralSecret, rnd.signatureAux));
  const event: NostrEventJson = { id, ...unsigned, sig };
  const trace: SealTrace = {
    ephemeralSecret: rnd.ephemeralSecret,
    ephemeralPublic,
    sharedSecret: ss,
    prk,
    kek,
    wrapNonce,
    sessionKey: rnd.sessionKey,
    wrappedKey,
    nonce,
    aad,
    bodyKey,
    commitment,
    padded,
    ciphertext,
    envelope
  };
  return { event, trace };
}

/**
 * Seals a payload for one recipient device (spec 0001 §Sealing). All randomness comes from the
 * CSPRNG: ephemeral key, session key, nonce, created_at offset, signature aux. Temporaries
 * (ephemeral secret, ss, prk, kek, session key, body key, padded plaintext) are wiped afterwards.
 * Returns the signed outer kind-1067 event. One envelope per recipient EK. `curve` runs the three
 * curve operations (x-only key of E, ECDH, BIP-340 signature; crypto/curve.ts): JavaScript by default,
 * the scan's WebAssembly modules when the caller has them (sync/scan.ts `ScanCrypto.curve`); the
 * event is the same byte for byte either way.
 */
export function sealEnvelope(input: SealInput, curve: Curve = jsCurve): Promise<NostrEventJson> {
  return sealFresh((rnd) => sealWith(input, rnd, curve));
}

/** Runs a seal with fresh CSPRNG randomness and wipes every secret of it and of its trace afterwards. */
export async function sealFresh(seal: (rnd: SealRandomness) => Promise<{ event: NostrEventJson; trace: SealTrace }>): Promise<NostrEventJson> {
  const rnd: SealRandomness = {
    ephemeralSecret: generateSecretKey(),
    sessionKey: randomBytes(SESSION_KEY_BYTES),
    nonce: randomBytes(NONCE_BYTES),
    createdAtOffset: randomInt(CREATED_AT_SPREAD + 1),
    signatureAux: randomBytes(32)
  };
  try {
    const { event, trace } = await seal(rnd);
    wipe(trace.sharedSecret, trace.prk, trace.kek, trace.wrapNonce, trace.bodyKey, trace.padded);
    return event;
  } finally {
    wipe(rnd.ephemeralSecret, rnd.sessionKey, rnd.signatureAux);
  }
}

/**
 * TESTS AND VECTOR GENERATION ONLY: seals with the given randomness and returns every intermediate
 * value. Reusing randomness across envelopes destroys their security; production code calls
 * `sealEnvelope`.
 */
export async function sealEnvelopeDeterministic(
  input: SealInput,
  randomness: SealRandomness,
  curve: Curve = jsCurve
): Promise<{ event: NostrEventJson; trace: SealTrace }> {
  return sealWith(
    input,
    {
    ...randomness,
    ephemeralSecret: randomness.ephemeralSecret.slice(),
    sessionKey: randomness.sessionKey.slice(),
      nonce: randomness.nonce.slice()
    },
    curve
  );
}

/**
 * A NIP-17 kind-14 chat message template for the inner event (spec 0001 §Inner event): `p` for every
 * recipient identity (hex), optional `e` reply and `subject`. Sign it with the sender's identity
 * signer (finalizeEvent, NIP-07, NIP-46), then seal one envelope per recipient EK.
 */
export function chatMessageTemplate(opts: {
  text: string;
  recipients: readonly string[];
  createdAt: number;
  replyTo?: string;
  subject?: string;
}): EventTemplate {
  if (typeof opts.text !== 'string') throw new VeilError('INVALID_INPUT', 'text must be a string');
  if (opts.recipients.length === 0) throw new VeilError('INVALID_INPUT', 'at least one recipient');
  for (const r of opts.recipients) if (!HEX64.test(r)) throw new VeilError('INVALID_INPUT', 'recipient must be 64 hex');
  const tags = opts.recipients.map((r) => ['p', r]);
  if (opts.replyTo !== undefined) {
    if (!HEX64.test(opts.replyTo)) throw new VeilError('INVALID_INPUT', 'reply id must be 64 hex');
    tags.push(['e', opts.replyTo]);
  }
  if (opts.subject !== undefined) tags.push(['subject', opts.subject]);
  return { kind: 14, created_at: opts.createdAt, tags, content: opts.text };
}
