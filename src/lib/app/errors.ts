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

type Values = Readonly<Record<string, string | number>>;
const str = (v: Values, k: string): string => String(v[k] ?? '');

/**
 * Sentences written below the app (crypto, store, sync backup) name their key (shared/errors.ts
 * `userKey`); each is listed here by name, so the bundle keeps only these and the layers stay free of
 * any language. A key missing here shows the English `user` sentence.
 */
const KEYED: Readonly<Record<string, (v: Values) => string>> = {
  err_bech32_prefix: (v) => m.err_bech32_prefix({ hrp: str(v, 'hrp') }),
  err_bech32_length: (v) => m.err_bech32_length({ hrp: str(v, 'hrp') }),
  err_bech32_length_exact: (v) => m.err_bech32_length_exact({ hrp: str(v, 'hrp'), n: str(v, 'n'), expected: str(v, 'expected') }),
  err_bech32_character: (v) => m.err_bech32_character({ hrp: str(v, 'hrp') }),
  err_bech32_mixed_case: (v) => m.err_bech32_mixed_case({ hrp: str(v, 'hrp') }),
  err_bech32_checksum: (v) => m.err_bech32_checksum({ hrp: str(v, 'hrp') }),
  err_bech32_payload: (v) => m.err_bech32_payload({ hrp: str(v, 'hrp') }),
  err_nsec_pasted: () => m.err_nsec_pasted(),
  err_ncryptsec_pasted: () => m.err_ncryptsec_pasted(),
  err_hex_length: (v) => m.err_hex_length({ n: str(v, 'n') }),
  err_safety_code_bad: () => m.err_safety_code_bad(),
  err_backup_not_veil: () => m.err_backup_not_veil(),
  err_backup_damaged: () => m.err_backup_damaged(),
  err_backup_too_costly: () => m.err_backup_too_costly(),
  err_backup_version: () => m.err_backup_version(),
  err_backup_enter_passphrase: () => m.err_backup_enter_passphrase(),
  err_backup_wrong_passphrase: () => m.err_backup_wrong_passphrase(),
  err_backup_short_backup: (v) => m.err_backup_short_backup({ min: str(v, 'min') }),
  err_backup_short_device: (v) => m.err_backup_short_device({ min: str(v, 'min') }),
  err_backup_damaged_or_foreign: () => m.err_backup_damaged_or_foreign(),
  err_backup_export_passphrase: () => m.err_backup_export_passphrase(),
  err_backup_too_large: (v) => m.err_backup_too_large({ mib: str(v, 'mib') }),
  err_backup_no_conversation: () => m.err_backup_no_conversation(),
  err_backup_profile_in_use: () => m.err_backup_profile_in_use()
};

/** The sentence of a keyed error in the app's language, if its key is known. */
export function keyedSentence(e: { userKey?: { key: string; values?: Values } }): string | undefined {
  const k = e.userKey;
  const f = k && Object.hasOwn(KEYED, k.key) ? KEYED[k.key] : undefined;
  return f ? f(k!.values ?? {}) : undefined;
}

export function describeError(e: unknown): string {
  if (isVeilError(e)) return keyedSentence(e) ?? e.user ?? ERROR_SENTENCES[e.code] ?? m.err_generic();
  if (e instanceof DOMException && e.name === 'QuotaExceededError') return ERROR_SENTENCES.STORAGE_QUOTA;
  return m.err_generic();
}
