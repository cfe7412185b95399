/**
 * NIP-17 private direct messages on NIP-59 gift wraps (docs/design.md §1: Veil speaks NIP-17 to reach
 * every other Nostr client). Sending: `wrapNip17Message` makes ONE rumor and a seal + wrap per
 * recipient and one for the sender. Receiving: `unwrapGiftWrap`, then `parseNip17Rumor`.
 *
 * The parts: nip17-unwrap.ts (opening a gift wrap), nip17-send.ts (rumor, seals and wraps),
 * nip17-rumor.ts (the kinds 14, 15 and 7 inside).
 *
 * Opening: The wrap (kind 1059) is signed by a throwaway key; the seal (kind 13) is
 * signed by the sender and is the only thing that proves authorship, so the rumor inside must claim
 * the seal's pubkey — else anyone could seal a rumor "from" someone else.
 *
 * Checks, in order: wrap shape, size, kind 1059, id and signature; NIP-44 decryption with the
 * recipient key (a secret key, or a Signer's nip44Decrypt for extension/bunker users); seal kind 13,
 * no tags, id and signature; rumor shape and id; rumor.pubkey === seal.pubkey.
 * Errors carry a `reason` for logs and tests; codes: INVALID_EVENT, INVALID_SIGNATURE,
 * DECRYPT_FAILED, TOO_LARGE, SIGNER_*.
 */
export { GIFT_WRAP_KIND, MAX_WRAP_CONTENT_CHARS, SEAL_KIND, unwrapFailureOf, unwrapGiftWrap, type Unwrapped, type UnwrapFailure } from './nip17-unwrap';
export {
  createRumor,
  nip17ChatTemplate,
  nip17ReactionTemplate,
  randomPastTimestamp,
  wrapNip17Message,
  type Nip17Wrapped,
  type RumorTemplate,
  type WrappedCopy
} from './nip17-send';
export {
  asFileMessage,
  CHAT_KIND,
  FILE_KIND,
  fileEventTags,
  fileKeyBytes,
  isInlineThumb,
  MAX_INLINE_THUMB_CHARS,
  MAX_PARTICIPANTS,
  MAX_REACTION_CHARS,
  MAX_RECIPIENTS,
  MAX_RUMOR_BYTES,
  MAX_TEXT_CHARS,
  parseFile,
  parseNip17Rumor,
  REACTION_KIND,
  TIMESTAMP_JITTER_SECONDS,
  type Nip17File,
  type Nip17Payload,
  type ParsedRumor
} from './nip17-rumor';
