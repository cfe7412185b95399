/**
 * The Veil envelope, kind 1067 (docs/proposals/0001-envelope.md; docs/design.md §3).
 *
 * Hybrid encryption: the inner plaintext (a signed Nostr event, or cover) is encrypted with
 * AES-256-GCM under a key derived from a fresh random session key, to which the envelope commits
 * (v3, spec 0009: GCM alone is not key-committing); the session key is wrapped with AES-256-GCM under a
 * key derived (HKDF-SHA256) from secp256k1 ECDH between a fresh ephemeral key E and the recipient's
 * envelope key EK. The outer event is signed by E, so it names neither end; its only tags are the
 * mailbox `p` and a NIP-40 `expiration`.
 *
 * This module is the public face; the parts live beside it:
 * - envelope-format.ts: constants, the envelope key, the AAD, outer and inner event rules;
 * - envelope-kdf.ts: the key schedule (ECDH secret → prk → kek and wrap nonce);
 * - envelope-commit.ts: body key and key commitment from the session key (v3);
 * - envelope-seal.ts: sealing, and the kind-14 inner message template;
 * - envelope-open.ts: trial open (the scan's fast reject), finishing, and the full open.
 */
export {
  CONTENT_LENGTHS,
  CREATED_AT_SPREAD,
  ENVELOPE_KIND,
  COMMITMENT_BYTES,
  COMMITMENT_OFFSET,
  ENVELOPE_VERSION,
  envelopeAad,
  envelopeKey,
  EXPIRATION_AFTER_CREATED,
  HEADER_BYTES,
  INNER_KINDS,
  MAX_CONTENT_CHARS,
  MAX_EXPIRATION_AFTER_CREATED,
  MAX_INNER_TAGS,
  NONCE_BYTES,
  NONCE_OFFSET,
  OPENABLE_VERSIONS,
  OPEN_FAILED_MESSAGE,
  SESSION_KEY_BYTES,
  TAG_BYTES,
  WRAPPED_KEY_BYTES,
  type EnvelopeKey
} from './envelope-format';
export { committedBodyKey, sessionKeys, type SessionKeys } from './envelope-commit';
export { chatMessageTemplate, innerTemplateFits, sealEnvelope, sealEnvelopeDeterministic, type SealInput, type SealPayload, type SealRandomness, type SealTrace } from './envelope-seal';
export { envelopePairTag, finishOpen, openEnvelope, trialOpen, trialOpenSync, type OpenedEnvelope, type OpenOptions, type UnwrappedEnvelope } from './envelope-open';
