/**
 * The Veil envelope, kind 1067 (docs/proposals/0001-envelope.md; DESIGN.md §3).
 *
 * Hybrid encryption: the inner plaintext (a signed Nostr event, or cover) is encrypted with
 * AES-256-GCM under a fresh random session key; the session key is wrapped with AES-256-GCM under a
 * key derived (HKDF-SHA256) from secp256k1 ECDH between a fresh ephemeral key E and the recipient's
 * envelope key EK. The outer event is signed by E, so it names neither end; its only tags are the
 * mailbox `p` and a NIP-40 `expiration`.
 *
 * Opening validates in one fixed order and every failure throws the same VeilError
 * ('ENVELOPE_OPEN_FAILED', OPEN_FAILED_MESSAGE) with no cause attached.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { schnorr } from '@noble/curves/secp256k1.js';
import { getEventHash, verifiedSymbol, type EventTemplate, type NostrEvent, type VerifiedEvent } from 'nostr-tools/pure';
import {
  abytes,
  base64Decode,
  base64Encode,
  bytesToHex,
  concatBytes,
  hexToBytes,
  randomBytes,
  randomInt,
  utf8Decode,
  utf8Encode,
  wipe
} from '../shared/bytes';
import { VeilError } from '../shared/errors';
import { aesGcmDecrypt, aesGcmEncrypt, aesGcmOpenSync } from './aes';
import { assertSecretKey, ecdh, generateSecretKey, getXOnlyPublicKey, parsePublicKey, type SecretKey, type XOnlyPublicKey } from './keys';
import {
  ENVELOPE_CLASS_BYTES,
  MAX_PAYLOAD_BYTES,
  pad,
  PAYLOAD_TYPE_COVER,
  PAYLOAD_TYPE_EVENT,
  unpad
} from './padding';

export const ENVELOPE_KIND = 1067;
export const ENVELOPE_VERSION = 0x01;
export const SESSION_KEY_BYTES = 32;
export const WRAPPED_KEY_BYTES = 48; // 32-byte session key + 16-byte GCM tag
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;
/** Offset of the body ciphertext in the binary envelope: version ‖ wrapped key ‖ nonce. */
export const HEADER_BYTES = 1 + WRAPPED_KEY_BYTES + NONCE_BYTES;
/** Base64 characters that cover the header: 84 chars = 63 bytes ≥ HEADER_BYTES. */
const HEADER_B64_CHARS = 84;
/** created_at = send time − uniform[0, CREATED_AT_SPREAD] seconds (CSPRNG). */
export const CREATED_AT_SPREAD = 48 * 3600;
/** Senders set expiration = created_at + EXPIRATION_AFTER_CREATED (30 days). */
export const EXPIRATION_AFTER_CREATED = 30 * 86_400;
/** Openers accept 0 < expiration − created_at ≤ MAX_EXPIRATION_AFTER_CREATED (90 days). */
export const MAX_EXPIRATION_AFTER_CREATED = 90 * 86_400;
/** Allowed lengths of the base64 `content` (one per size class): 1368, 2732, 5464, 8192. */
export const CONTENT_LENGTHS: readonly number[] = ENVELOPE_CLASS_BYTES.map((n) => Math.ceil(n / 3) * 4);
export const MAX_CONTENT_CHARS = CONTENT_LENGTHS[CONTENT_LENGTHS.length - 1]!;
/** Inner event kinds an envelope may carry: 14 (chat message), 15 (file message), as NIP-17. */
export const INNER_KINDS: readonly number[] = [14, 15];
export const MAX_INNER_TAGS = 128;
/** The single message of every open failure. */
export const OPEN_FAILED_MESSAGE = 'envelope could not be opened';

const LABEL_KEM = utf8Encode('veil/env1/kem');
const LABEL_WRAP = utf8Encode('veil/env1/wrap');
const LABEL_AAD = utf8Encode('veil/env1/aad');
const HEX64 = /^[0-9a-f]{64}$/;
const HEX128 = /^[0-9a-f]{128}$/;
const DECIMAL = /^(0|[1-9][0-9]{0,15})$/;
const OUTER_KEYS = ['content', 'created_at', 'id', 'kind', 'pubkey', 'sig', 'tags'];

/** A device's envelope key pair; `publicKey` is x-only. Build with `envelopeKey`. */
export interface EnvelopeKey {
  readonly secret: SecretKey;
  readonly publicKey: XOnlyPublicKey;
}

/** Validates an EK secret and caches its x-only public key (scanning then needs one ECDH only). */
export function envelopeKey(secret: SecretKey): EnvelopeKey {
  assertSecretKey(secret, 'EK secret');
  return { secret, publicKey: getXOnlyPublicKey(secret) };
}

/** What to put inside: a signed Nostr event (type 1) or cover bytes (type 0). */
export type SealPayload = { type: 'event'; event: NostrEvent } | { type: 'cover'; bytes: Uint8Array };

export interface SealInput {
  /** Recipient device's envelope key (x-only, validated). */
  recipientEk: XOnlyPublicKey;
  /** Mailbox M for the `p` tag: 64 lowercase hex (see mailbox.ts). */
  mailbox: string;
  payload: SealPayload;
  /** Real send time in unix seconds; defaults to the clock. */
  nowSeconds?: number;
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
  padded: Uint8Array;
  ciphertext: Uint8Array;
  envelope: Uint8Array;
}

/**
 * AAD of the body (spec 0001 §AAD): "veil/env1/aad" ‖ version (1 B) ‖ be32(kind) ‖ M (32 B) ‖ E (32 B).
 * Binding M and E means content cannot be moved to another mailbox or re-sent under another key.
 */
export function envelopeAad(version: number, kind: number, mailbox: Uint8Array, ephemeral: Uint8Array): Uint8Array {
  abytes(mailbox, 32, 'mailbox');
  abytes(ephemeral, 32, 'ephemeral key');
  const tail = new Uint8Array(5);
  tail[0] = version;
  new DataView(tail.buffer).setUint32(1, kind);
  return concatBytes(LABEL_AAD, tail, mailbox, ephemeral);
}

type Sha256State = ReturnType<typeof sha256.create>;
/** A SHA-256 state never updated: cloning it into a used state resets that state. */
const SHA256_FRESH = sha256.create();
/** Scratch states and pad block of the key schedule (synchronous, so never used concurrently; wiped after each use). */
const KS_PAD = new Uint8Array(64);
const KS_INNER = sha256.create();
const KS_OUTER = sha256.create();
const KS_WORK = sha256.create();

/** `into` := SHA-256 state after absorbing (key ‖ zeros) ⊕ byte, the HMAC inner or outer pad (RFC 2104; key ≤ 64 bytes). */
function hmacPad(key: Uint8Array, byte: number, into: Sha256State = sha256.create()): Sha256State {
  KS_PAD.fill(byte);
  for (let i = 0; i < key.length; i++) KS_PAD[i]! ^= key[i]!;
  SHA256_FRESH._cloneInto(into).update(KS_PAD);
  KS_PAD.fill(0);
  return into;
}

/** out[0..32) := HMAC from the prepared pads over the concatenation of `parts`, through the scratch state. */
function hmacWith(inner: Sha256State, outer: Sha256State, out: Uint8Array, ...parts: Uint8Array[]): void {
  inner._cloneInto(KS_WORK);
  for (const p of parts) KS_WORK.update(p);
  KS_WORK.digestInto(out);
  outer._cloneInto(KS_WORK).update(out.subarray(0, 32)).digestInto(out);
}

/** HMAC-SHA256 pads of the extract salt "veil/env1/kem", computed once. */
const EXTRACT_INNER = hmacPad(LABEL_KEM, 0x36);
const EXTRACT_OUTER = hmacPad(LABEL_KEM, 0x5c);
const COUNTER_1 = Uint8Array.of(1);
const COUNTER_2 = Uint8Array.of(2);

/**
 * Key schedule (spec 0001 §Key schedule): ss = x(e·EK); prk = HKDF-Extract(salt "veil/env1/kem",
 * ss ‖ E ‖ EK); kek ‖ wrapNonce = HKDF-Expand(prk, "veil/env1/wrap", 44).
 *
 * RFC 5869 / RFC 2104 written out for this one length, because it runs once per scanned
 * envelope (nine SHA-256 compressions, the minimum for HMAC): the salt's pads are absorbed once at
 * load, the IKM is fed in three pieces instead of being concatenated, hash states are reused
 * scratch objects, and the expand blocks T(1) = HMAC(prk, info ‖ 01) and
 * T(2) = HMAC(prk, T(1) ‖ info ‖ 02) are written into one 64-byte buffer whose first 44 bytes are
 * the OKM. `kek` and `wrapNonce` are views of it: wiping them wipes it (the unused tail is wiped
 * here), and the scratch states are wiped before returning. Same bytes as @noble/hashes hkdf:
 * the published vectors check prk, kek and the wrap nonce.
 */
function keySchedule(ss: Uint8Array, ephemeral: Uint8Array, ek: Uint8Array): { prk: Uint8Array; kek: Uint8Array; wrapNonce: Uint8Array } {
  const prk = new Uint8Array(32);
  const t = new Uint8Array(64);
  try {
    hmacWith(EXTRACT_INNER, EXTRACT_OUTER, prk, ss, ephemeral, ek);
    hmacPad(prk, 0x36, KS_INNER);
    hmacPad(prk, 0x5c, KS_OUTER);
    const t1 = t.subarray(0, 32);
    hmacWith(KS_INNER, KS_OUTER, t1, LABEL_WRAP, COUNTER_1);
    hmacWith(KS_INNER, KS_OUTER, t.subarray(32), t1, LABEL_WRAP, COUNTER_2);
    t.fill(0, 44);
    return { prk, kek: t.subarray(0, 32), wrapNonce: t.subarray(32, 44) };
  } finally {
    KS_INNER.destroy();
    KS_OUTER.destroy();
    KS_WORK.destroy();
  }
}

function innerEventJson(ev: NostrEvent): string {
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

/** Shape of a Nostr event (exact key set, hex fields, integer fields, string tags), bounded. */
function isEventShape(v: unknown, maxTags: number): v is NostrEvent {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const keys = Object.keys(v).sort();
  if (keys.length !== OUTER_KEYS.length || keys.some((k, i) => k !== OUTER_KEYS[i])) return false;
  const e = v as Record<string, unknown>;
  if (typeof e.id !== 'string' || !HEX64.test(e.id)) return false;
  if (typeof e.pubkey !== 'string' || !HEX64.test(e.pubkey)) return false;
  if (typeof e.sig !== 'string' || !HEX128.test(e.sig)) return false;
  if (typeof e.kind !== 'number' || !Number.isInteger(e.kind) || e.kind < 0 || e.kind > 65535) return false;
  if (typeof e.created_at !== 'number' || !Number.isSafeInteger(e.created_at) || e.created_at < 0) return false;
  if (typeof e.content !== 'string') return false;
  if (!Array.isArray(e.tags) || e.tags.length > maxTags) return false;
  for (const t of e.tags) if (!Array.isArray(t) || t.length === 0 || t.some((s) => typeof s !== 'string')) return false;
  return true;
}

/**
 * Recomputes the id and checks the BIP-340 signature (NIP-01). Our own check instead of
 * nostr-tools' verifyEvent, which trusts a cached flag on the object. Marks the event verified.
 */
function verifyNostrEvent(e: NostrEvent): e is VerifiedEvent {
  try {
    if (getEventHash(e) !== e.id) return false;
    if (!schnorr.verify(hexToBytes(e.sig, 64), hexToBytes(e.id, 32), hexToBytes(e.pubkey, 32))) return false;
  } catch {
    return false;
  }
  (e as VerifiedEvent)[verifiedSymbol] = true;
  return true;
}

function payloadBytes(p: SealPayload): { type: typeof PAYLOAD_TYPE_COVER | typeof PAYLOAD_TYPE_EVENT; bytes: Uint8Array } {
  if (p.type === 'cover') {
    abytes(p.bytes, undefined, 'cover bytes');
    return { type: PAYLOAD_TYPE_COVER, bytes: p.bytes };
  }
  const ev = p.event;
  if (!isEventShape(ev, MAX_INNER_TAGS) || !INNER_KINDS.includes(ev.kind) || getEventHash(ev) !== ev.id)
    throw new VeilError('INVALID_EVENT', 'inner event is not a signed kind 14/15 event');
  const bytes = utf8Encode(innerEventJson(ev));
  if (bytes.length > MAX_PAYLOAD_BYTES) throw new VeilError('TOO_LARGE', 'message too large for an envelope');
  return { type: PAYLOAD_TYPE_EVENT, bytes };
}

async function sealWith(input: SealInput, rnd: SealRandomness): Promise<{ event: NostrEvent; trace: SealTrace }> {
  parsePublicKey(input.recipientEk, 'recipient EK');
  abytes(input.recipientEk, 32, 'recipient EK');
  if (typeof input.mailbox !== 'string' || !HEX64.test(input.mailbox)) throw new VeilError('INVALID_INPUT', 'mailbox must be 64 hex');
  assertSecretKey(rnd.ephemeralSecret, 'ephemeral secret');
  abytes(rnd.sessionKey, SESSION_KEY_BYTES, 'session key');
  abytes(rnd.nonce, NONCE_BYTES, 'nonce');
  abytes(rnd.signatureAux, 32, 'signature aux');
  if (!Number.isSafeInteger(rnd.createdAtOffset) || rnd.createdAtOffset < 0 || rnd.createdAtOffset > CREATED_AT_SPREAD)
    throw new VeilError('INVALID_INPUT', 'created_at offset out of range');
  const now = input.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (!Number.isSafeInteger(now) || now < CREATED_AT_SPREAD) throw new VeilError('INVALID_INPUT', 'bad send time');

  const { type, bytes } = payloadBytes(input.payload);
  const padded = pad(type, bytes);
  const ephemeralPublic = getXOnlyPublicKey(rnd.ephemeralSecret);
  const mailbox = hexToBytes(input.mailbox, 32);
  const ss = ecdh(rnd.ephemeralSecret, input.recipientEk);
  const { prk, kek, wrapNonce } = keySchedule(ss, ephemeralPublic, input.recipientEk);
  const wrappedKey = await aesGcmEncrypt(kek, wrapNonce, rnd.sessionKey);
  const aad = envelopeAad(ENVELOPE_VERSION, ENVELOPE_KIND, mailbox, ephemeralPublic);
  const ciphertext = await aesGcmEncrypt(rnd.sessionKey, rnd.nonce, padded, aad);
  const envelope = concatBytes(Uint8Array.of(ENVELOPE_VERSION), wrappedKey, rnd.nonce, ciphertext);

  const createdAt = now - rnd.createdAtOffset;
  const unsigned = {
    kind: ENVELOPE_KIND,
    pubkey: bytesToHex(ephemeralPublic),
    created_at: createdAt,
    tags: [
      ['p', input.mailbox],
      ['expiration', String(createdAt + EXPIRATION_AFTER_CREATED)]
    ],
    content: base64Encode(envelope)
  };
  const id = getEventHash(unsigned);
  const sig = bytesToHex(schnorr.sign(hexToBytes(id, 32), rnd.ephemeralSecret, rnd.signatureAux));
  const event: NostrEvent = {
    id,
    pubkey: unsigned.pubkey,
    created_at: unsigned.created_at,
    kind: unsigned.kind,
    tags: unsigned.tags,
    content: unsigned.content,
    sig
  };
  const trace: SealTrace = {
    ephemeralSecret: rnd.ephemeralSecret,
    ephemeralPublic,
    sharedSecret: ss,
    prk,
    kek,
    wrapNonce,
    sessionKey: rnd.sessionKey,
    wrappedKey,
    nonce: rnd.nonce,
    aad,
    padded,
    ciphertext,
    envelope
  };
  return { event, trace };
}

/**
 * Seals a payload for one recipient device (spec 0001 §Sealing). All randomness comes from the
 * CSPRNG: ephemeral key, session key, nonce, created_at offset, signature aux. Temporaries
 * (ephemeral secret, ss, prk, kek, session key, padded plaintext) are wiped afterwards.
 * Returns the signed outer kind-1067 event. One envelope per recipient EK.
 */
export async function sealEnvelope(input: SealInput): Promise<NostrEvent> {
  const rnd: SealRandomness = {
    ephemeralSecret: generateSecretKey(),
    sessionKey: randomBytes(SESSION_KEY_BYTES),
    nonce: randomBytes(NONCE_BYTES),
    createdAtOffset: randomInt(CREATED_AT_SPREAD + 1),
    signatureAux: randomBytes(32)
  };
  try {
    const { event, trace } = await sealWith(input, rnd);
    wipe(trace.sharedSecret, trace.prk, trace.kek, trace.wrapNonce, trace.padded);
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
export async function sealEnvelopeDeterministic(input: SealInput, randomness: SealRandomness): Promise<{ event: NostrEvent; trace: SealTrace }> {
  return sealWith(input, {
    ...randomness,
    ephemeralSecret: randomness.ephemeralSecret.slice(),
    sessionKey: randomness.sessionKey.slice(),
    nonce: randomness.nonce.slice()
  });
}

/** Result of a successful key unwrap (trialOpen): enough to finish opening. Holds a secret. */
export interface UnwrappedEnvelope {
  readonly outer: VerifiedEvent;
  readonly mailbox: Uint8Array;
  readonly ephemeral: Uint8Array;
  readonly sessionKey: Uint8Array;
  readonly nonce: Uint8Array;
  readonly ciphertext: Uint8Array;
}

/** Outer shape (spec 0001 §Validation step 1): exact key set, kind, exactly the two tags, sizes. */
function outerShapeOk(v: unknown): v is NostrEvent {
  if (!isEventShape(v, 2)) return false;
  if (v.kind !== ENVELOPE_KIND || v.tags.length !== 2) return false;
  const [p, exp] = v.tags;
  if (!p || p.length !== 2 || p[0] !== 'p' || !HEX64.test(p[1]!)) return false;
  if (!exp || exp.length !== 2 || exp[0] !== 'expiration' || !DECIMAL.test(exp[1]!)) return false;
  const ttl = Number(exp[1]) - v.created_at;
  if (!(ttl > 0 && ttl <= MAX_EXPIRATION_AFTER_CREATED)) return false;
  return CONTENT_LENGTHS.includes(v.content.length);
}

/**
 * How the receiver computes ECDH (spec 0001 §Constant time and the WebAssembly path): keys.ts `ecdh`
 * by default; the scan may pass ecdh-wasm.ts's. Any implementation must keep keys.ts's contract
 * (validate the public key, return x(sk·P), throw on invalid input); results are identical.
 */
export interface OpenOptions {
  ecdh?: (sk: SecretKey, pub: Uint8Array) => Uint8Array;
}

/**
 * Steps 3–5: version, sizes, ECDH + HKDF + key unwrap. Null on any failure, never throws.
 * Synchronous: the 48-byte unwrap uses @noble/ciphers GCM (aes.ts `aesGcmOpenSync`, null on a
 * wrong tag; spec 0001 §Constant time and the WebAssembly path), so a scan can trial-open a
 * batch in one loop without a promise or an exception per event.
 */
function unwrap(outer: VerifiedEvent, key: EnvelopeKey, opts?: OpenOptions): UnwrappedEnvelope | null {
  // Only the header (84 base64 chars = 63 bytes ⊇ version ‖ wrapped key ‖ nonce) is decoded before
  // the unwrap, so rejecting a foreign 6 KiB envelope does not pay for decoding all of it.
  let head: Uint8Array;
  try {
    head = base64Decode(outer.content.slice(0, HEADER_B64_CHARS));
  } catch {
    return null;
  }
  if (head[0] !== ENVELOPE_VERSION) return null;
  let ss: Uint8Array | undefined;
  let ks: ReturnType<typeof keySchedule> | undefined;
  let sessionKey: Uint8Array | undefined;
  try {
    const ephemeral = hexToBytes(outer.pubkey, 32);
    ss = (opts?.ecdh ?? ecdh)(key.secret, ephemeral);
    ks = keySchedule(ss, ephemeral, key.publicKey);
    sessionKey = aesGcmOpenSync(ks.kek, ks.wrapNonce, head.subarray(1, 1 + WRAPPED_KEY_BYTES)) ?? undefined;
    if (sessionKey === undefined) return null; // not for us: the common case of a scan
    // Now the whole content: strict base64 and exactly a class size.
    const bin = base64Decode(outer.content);
    if (sessionKey.length !== SESSION_KEY_BYTES || !ENVELOPE_CLASS_BYTES.includes(bin.length as (typeof ENVELOPE_CLASS_BYTES)[number])) {
      wipe(sessionKey);
      return null;
    }
    return {
      outer,
      mailbox: hexToBytes(outer.tags[0]![1]!, 32),
      ephemeral,
      sessionKey,
      nonce: bin.slice(1 + WRAPPED_KEY_BYTES, HEADER_BYTES),
      ciphertext: bin.subarray(HEADER_BYTES)
    };
  } catch {
    wipe(sessionKey);
    return null;
  } finally {
    wipe(ss, ks?.prk, ks?.kek, ks?.wrapNonce);
  }
}

/**
 * Fast reject for intro-mailbox scanning (spec 0001 §Trial open): for an outer event the relay layer
 * already verified, checks shape, version and size, then ECDH + HKDF + unwrap of the 48-byte
 * session key, and stops there. Returns null for a foreign envelope (no exception, no allocation
 * of the body plaintext). Cost ≈ one ECDH. `opts.ecdh` injects a faster ECDH (sync/scan.ts).
 * Synchronous; `trialOpen` is the same behind a promise.
 */
export function trialOpenSync(outer: VerifiedEvent, key: EnvelopeKey, opts?: OpenOptions): UnwrappedEnvelope | null {
  if (!outerShapeOk(outer)) return null;
  return unwrap(outer, key, opts);
}

/** `trialOpenSync` behind a promise (the API callers already use; spec 0001 §Trial open). */
export async function trialOpen(outer: VerifiedEvent, key: EnvelopeKey, opts?: OpenOptions): Promise<UnwrappedEnvelope | null> {
  return trialOpenSync(outer, key, opts);
}

/** A successfully opened envelope. `cover` payloads are to be dropped by the caller. */
export type OpenedEnvelope =
  | { type: 'message'; event: VerifiedEvent; outerId: string; mailbox: string }
  | { type: 'cover'; outerId: string; mailbox: string };

function openFailed(): VeilError {
  return new VeilError('ENVELOPE_OPEN_FAILED', OPEN_FAILED_MESSAGE);
}

/**
 * Steps 6–9 after a successful unwrap: body decrypt with the AAD, unpad, inner event shape + kind +
 * id + signature, recipient identity among the inner `p` tags (or the author, for copies to one's
 * own devices). Wipes the session key. Throws only the generic error.
 */
export async function finishOpen(u: UnwrappedEnvelope, recipientIdentity: string): Promise<OpenedEnvelope> {
  let padded: Uint8Array | undefined;
  try {
    const aad = envelopeAad(ENVELOPE_VERSION, ENVELOPE_KIND, u.mailbox, u.ephemeral);
    padded = await aesGcmDecrypt(u.sessionKey, u.nonce, u.ciphertext, aad);
    const { type, payload } = unpad(padded);
    const base = { outerId: u.outer.id, mailbox: u.outer.tags[0]![1]! };
    if (type === PAYLOAD_TYPE_COVER) return { type: 'cover', ...base };
    const inner: unknown = JSON.parse(utf8Decode(payload));
    if (!isEventShape(inner, MAX_INNER_TAGS) || !INNER_KINDS.includes(inner.kind)) throw openFailed();
    if (!verifyNostrEvent(inner)) throw openFailed();
    const named = inner.tags.some((t) => t[0] === 'p' && t[1] === recipientIdentity);
    if (!named && inner.pubkey !== recipientIdentity) throw openFailed();
    return { type: 'message', event: inner, ...base };
  } catch {
    throw openFailed();
  } finally {
    wipe(padded, u.sessionKey);
  }
}

/**
 * Opens an envelope from a relay (spec 0001 §Validation), in this order: outer shape (kind, exactly
 * [["p", M], ["expiration", t]], sizes), outer id + signature, version, class size, unwrap, body
 * decrypt, unpad, inner event id + signature + kind, recipient. `recipientIdentity` is the reader's
 * identity pubkey (hex). Every failure throws VeilError('ENVELOPE_OPEN_FAILED', OPEN_FAILED_MESSAGE).
 */
export async function openEnvelope(outer: unknown, key: EnvelopeKey, recipientIdentity: string, opts?: OpenOptions): Promise<OpenedEnvelope> {
  if (!outerShapeOk(outer)) throw openFailed();
  // A copy: a caller's later mutation must not change what we verified.
  const copy: NostrEvent = {
    id: outer.id,
    pubkey: outer.pubkey,
    created_at: outer.created_at,
    kind: outer.kind,
    tags: outer.tags.map((t) => t.slice()),
    content: outer.content,
    sig: outer.sig
  };
  if (!verifyNostrEvent(copy)) throw openFailed();
  const u = unwrap(copy, key, opts);
  if (!u) throw openFailed();
  return finishOpen(u, recipientIdentity);
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
