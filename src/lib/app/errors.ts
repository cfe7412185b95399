import { isVeilError, type VeilErrorCode } from '../shared/errors';
import { m } from '../paraglide/messages';

const WORDS: Readonly<Record<VeilErrorCode, () => string>> = {
  INVALID_INPUT: m.err_invalid_input,
  INVALID_KEY: m.err_invalid_key,
  INVALID_NPUB: m.err_invalid_npub,
  NSEC_WHERE_CONTACT_EXPECTED: m.err_nsec_where_contact_expected,
  INVALID_CONTACT_CARD: m.err_invalid_contact_card,
  INVALID_EVENT: m.err_invalid_event,
  INVALID_SIGNATURE: m.err_invalid_signature,
  TOO_LARGE: m.err_too_large,
  QR_NOT_CONTACT: m.err_qr_not_contact,
  QR_NOT_FOUND: m.err_qr_not_found,
  CAMERA_DENIED: m.err_camera_denied,
  CAMERA_UNAVAILABLE: m.err_camera_unavailable,
  DECRYPT_FAILED: m.err_decrypt_failed,
  ENVELOPE_OPEN_FAILED: m.err_envelope_open_failed,
  WRONG_PASSPHRASE: m.err_wrong_passphrase,
  KDF_TOO_COSTLY: m.err_kdf_too_costly,
  SIGNER_UNAVAILABLE: m.err_signer_unavailable,
  SIGNER_REJECTED: m.err_signer_rejected,
  SIGNER_TIMEOUT: m.err_signer_timeout,
  RELAY_URL_INVALID: m.err_relay_url_invalid,
  RELAY_UNREACHABLE: m.err_relay_unreachable,
  RELAY_REJECTED: m.err_relay_rejected,
  RELAY_CLOSED: m.err_relay_closed,
  RELAY_TIMEOUT: m.err_relay_timeout,
  RELAY_PROTOCOL: m.err_relay_protocol,
  NO_DM_RELAYS: m.err_no_dm_relays,
  FILE_UNAVAILABLE: m.err_file_unavailable,
  STORAGE_QUOTA: m.err_storage_quota,
  STORAGE_FAILED: m.err_storage_failed,
  VAULT_LOCKED: m.err_vault_locked,
  NOT_FOUND: m.err_not_found,
  INTERNAL: m.err_internal
};

/** An object whose every property reads its sentence in the app's language at the moment it is read. */
function sentences<K extends string>(words: Partial<Record<K, () => string>>): Readonly<Record<K, string>> {
  const props = Object.fromEntries(Object.entries(words).map(([k, get]) => [k, { get: get as () => string, enumerable: true }]));
  return Object.freeze(Object.defineProperties({}, props)) as Record<K, string>;
}

/**
 * Words for the person in front of the screen (messages/*.json, err_*). A VeilError's `user` sentence is shown
 * when the code that threw wrote one (shared/errors.ts `userError`); otherwise the sentence for its code below.
 * The developer `message` ("invalid tag value") is never shown, and neither is any other exception's text.
 */
export const ERROR_SENTENCES: Readonly<Record<VeilErrorCode, string>> = sentences(WORDS);

/** Sentences for background failures nobody clicked for (a full disk while messages arrive; problems.svelte.ts). */
export const BACKGROUND_SENTENCES: Partial<Record<VeilErrorCode, string>> = sentences<VeilErrorCode>({
  STORAGE_QUOTA: m.err_bg_storage_quota,
  STORAGE_FAILED: m.err_bg_storage_failed
});

export function describeError(e: unknown): string {
  if (isVeilError(e)) return e.user ?? ERROR_SENTENCES[e.code] ?? m.err_generic();
  if (e instanceof DOMException && e.name === 'QuotaExceededError') return ERROR_SENTENCES.STORAGE_QUOTA;
  return m.err_generic();
}
