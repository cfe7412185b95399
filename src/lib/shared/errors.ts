/**
 * Typed errors shared by every layer. Callers branch on `code`, never on message text.
 *
 * Two texts, kept apart: `message` is for developers (logs, tests: "invalid tag value") and never reaches
 * the screen; `user` is a sentence written for the person in front of it, set only by code that wrote one
 * (`userError`). The app shows `user` when present and otherwise its own sentence for the code
 * (src/lib/app/errors.ts). Neither carries user data (keys, plaintext, npubs), so both are safe to log.
 */
export type VeilErrorCode =
  // input and encoding
  | 'INVALID_INPUT'
  | 'INVALID_KEY'
  | 'INVALID_NPUB'
  | 'NSEC_WHERE_CONTACT_EXPECTED'
  | 'INVALID_CONTACT_CARD'
  | 'INVALID_EVENT'
  | 'INVALID_SIGNATURE'
  | 'TOO_LARGE'
  // QR scanning (app/qr-scan.ts): a code that is not a contact, an image without one, the camera
  | 'QR_NOT_CONTACT'
  | 'QR_NOT_FOUND'
  | 'CAMERA_DENIED'
  | 'CAMERA_UNAVAILABLE'
  // crypto
  | 'DECRYPT_FAILED'
  | 'ENVELOPE_OPEN_FAILED'
  | 'WRONG_PASSPHRASE'
  | 'KDF_TOO_COSTLY'
  // signers
  | 'SIGNER_UNAVAILABLE'
  | 'SIGNER_REJECTED'
  | 'SIGNER_TIMEOUT'
  // relays
  | 'RELAY_URL_INVALID'
  | 'RELAY_UNREACHABLE'
  | 'RELAY_REJECTED'
  | 'RELAY_CLOSED'
  | 'RELAY_TIMEOUT'
  | 'RELAY_PROTOCOL'
  // NIP-17: the contact publishes no kind 10050 DM relay list
  | 'NO_DM_RELAYS'
  // a file (NIP-17 kind 15) could not be downloaded
  | 'FILE_UNAVAILABLE'
  // storage
  | 'STORAGE_QUOTA'
  | 'STORAGE_FAILED'
  | 'VAULT_LOCKED'
  | 'NOT_FOUND'
  // a bug: something that should not happen did (the message says what, for developers)
  | 'INTERNAL';

/** Every code, for exhaustive tables and tests. */
export const VEIL_ERROR_CODES: readonly VeilErrorCode[] = [
  'INVALID_INPUT', 'INVALID_KEY', 'INVALID_NPUB', 'NSEC_WHERE_CONTACT_EXPECTED', 'INVALID_CONTACT_CARD', 'INVALID_EVENT',
  'INVALID_SIGNATURE', 'TOO_LARGE', 'DECRYPT_FAILED', 'ENVELOPE_OPEN_FAILED', 'WRONG_PASSPHRASE', 'KDF_TOO_COSTLY',
  'SIGNER_UNAVAILABLE', 'SIGNER_REJECTED', 'SIGNER_TIMEOUT', 'RELAY_URL_INVALID', 'RELAY_UNREACHABLE', 'RELAY_REJECTED',
  'RELAY_CLOSED', 'RELAY_TIMEOUT', 'RELAY_PROTOCOL', 'NO_DM_RELAYS', 'FILE_UNAVAILABLE', 'STORAGE_QUOTA', 'STORAGE_FAILED',
  'VAULT_LOCKED', 'NOT_FOUND', 'INTERNAL', 'QR_NOT_CONTACT', 'QR_NOT_FOUND', 'CAMERA_DENIED', 'CAMERA_UNAVAILABLE'
];

export class VeilError extends Error {
  readonly code: VeilErrorCode;
  /** A sentence for the person at the screen, when the thrower wrote one; otherwise the app's own for `code`. */
  declare readonly user?: string;
  /**
   * The same sentence as a message key of the app's languages (messages/*.json) with its values: the
   * app shows it in the chosen language (app/errors.ts); `user` stays the English text for logs and tests.
   * Layers below the app know no language, so they name the key and the app looks it up.
   */
  declare readonly userKey?: UserKey;
  constructor(code: VeilErrorCode, message: string, options?: { cause?: unknown; user?: string; userKey?: UserKey }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'VeilError';
    this.code = code;
    if (options?.user !== undefined) this.user = options.user;
    if (options?.userKey !== undefined) this.userKey = options.userKey;
  }
}

/** A message key and its values (see VeilError.userKey). */
export interface UserKey {
  key: string;
  values?: Readonly<Record<string, string | number>>;
}

/** An error whose text was written for people: it is both the developer message and the one shown; `key` names it in the app's languages. */
export function userError(code: VeilErrorCode, sentence: string, options?: { cause?: unknown; key?: string; values?: Readonly<Record<string, string | number>> }): VeilError {
  const { key, values, ...rest } = options ?? {};
  return new VeilError(code, sentence, { ...rest, user: sentence, ...(key ? { userKey: values ? { key, values } : { key } } : {}) });
}

/** Type guard: `isVeilError(e, 'WRONG_PASSPHRASE')` narrows to a VeilError with that code. */
export function isVeilError(e: unknown, code?: VeilErrorCode): e is VeilError {
  return e instanceof VeilError && (code === undefined || e.code === code);
}
