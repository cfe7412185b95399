/**
 * Typed errors shared by every layer. Callers branch on `code`, never on message text;
 * messages carry no user data (keys, plaintext, npubs), so they are safe to log.
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
  | 'NOT_FOUND';

export class VeilError extends Error {
  readonly code: VeilErrorCode;
  constructor(code: VeilErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'VeilError';
    this.code = code;
  }
}

/** Type guard: `isVeilError(e, 'WRONG_PASSPHRASE')` narrows to a VeilError with that code. */
export function isVeilError(e: unknown, code?: VeilErrorCode): e is VeilError {
  return e instanceof VeilError && (code === undefined || e.code === code);
}
