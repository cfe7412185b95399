import { isVeilError, type VeilErrorCode } from '../shared/errors';

/**
 * Words for the person in front of the screen. A VeilError's `user` sentence is shown when the code that
 * threw wrote one (shared/errors.ts `userError`); otherwise the sentence for its code below. The developer
 * `message` ("invalid tag value") is never shown, and neither is any other exception's text.
 */
export const ERROR_SENTENCES: Readonly<Record<VeilErrorCode, string>> = Object.freeze({
  INVALID_INPUT: 'That input is not something Veil can use. Check it and try again.',
  INVALID_KEY: 'That key is not valid. Check that it was copied whole.',
  INVALID_NPUB: 'That is not a valid npub. Check that it was copied whole.',
  NSEC_WHERE_CONTACT_EXPECTED: 'That is a secret key, not a contact. Never share it. Paste their npub or contact card instead.',
  INVALID_CONTACT_CARD: 'That contact card is damaged or incomplete. Ask for the link again.',
  INVALID_EVENT: 'Veil received something malformed and ignored it. Nothing was lost.',
  INVALID_SIGNATURE: 'Veil received something with a bad signature and ignored it. Nothing was lost.',
  TOO_LARGE: 'That is too large for Veil to handle.',
  QR_NOT_CONTACT: 'That QR code is not a Nostr contact. Scan their contact card, npub or nprofile.',
  QR_NOT_FOUND: 'No QR code was found in that image. Try a sharper photo or a screenshot of the whole code.',
  CAMERA_DENIED: 'Veil may not use the camera. Allow it in your browser’s site settings, or scan from an image instead.',
  CAMERA_UNAVAILABLE: 'No camera could be started on this device. Scan from an image instead.',
  DECRYPT_FAILED: 'This could not be decrypted.',
  ENVELOPE_OPEN_FAILED: 'This could not be decrypted.',
  WRONG_PASSPHRASE: 'That passphrase is not right. Try again: nothing changes until it is.',
  KDF_TOO_COSTLY:
    'This ncryptsec asks for more memory than a browser tab can safely give. Re-export it with a lower cost (log_n 16–18).',
  SIGNER_UNAVAILABLE: 'Your signer is not available. Check that it is running and try again.',
  SIGNER_REJECTED: 'Your signer declined the request.',
  SIGNER_TIMEOUT: 'Your signer did not answer in time. Check that it is running and try again.',
  RELAY_URL_INVALID: 'That is not a relay address. Relay addresses start with wss:// (or ws:// on this machine).',
  RELAY_UNREACHABLE: 'The relay could not be reached. Your message waits in the outbox and is retried.',
  RELAY_REJECTED: 'The relay refused this. Your message waits in the outbox for another relay.',
  RELAY_CLOSED: 'The relay closed the connection. Veil reconnects by itself.',
  RELAY_TIMEOUT: 'The relay did not answer in time. Veil retries by itself.',
  RELAY_PROTOCOL: 'The relay answered in a way Veil does not understand. Veil retries by itself.',
  NO_DM_RELAYS: 'This contact has not said where to receive messages (no DM relays), so nothing can be sent to them yet.',
  FILE_UNAVAILABLE: 'The file could not be downloaded. Try again later.',
  STORAGE_QUOTA: 'This device is out of storage space for Veil, so this was not saved. Free some space and try again; everything saved before is kept.',
  STORAGE_FAILED: 'Veil could not save this on this device. Nothing was lost; please try again.',
  VAULT_LOCKED: 'Veil is locked. Enter your passphrase.',
  NOT_FOUND: 'That is no longer here.',
  INTERNAL: 'Something went wrong inside Veil. Nothing was lost; please try again.'
});

/** Sentences for background failures nobody clicked for (a full disk while messages arrive; problems.svelte.ts). */
export const BACKGROUND_SENTENCES: Partial<Record<VeilErrorCode, string>> = Object.freeze({
  STORAGE_QUOTA:
    'This device is out of storage space for Veil, so new messages cannot be saved here. They are not lost: they stay on the relays, and Veil reads them again once there is room. Free some space on this device.',
  STORAGE_FAILED:
    'Veil could not save new messages on this device. They are not lost: they stay on the relays, and Veil reads them again later.'
});

const GENERIC = 'Something went wrong. Nothing was lost; please try again.';

export function describeError(e: unknown): string {
  if (isVeilError(e)) return e.user ?? ERROR_SENTENCES[e.code] ?? GENERIC;
  if (e instanceof DOMException && e.name === 'QuotaExceededError') return ERROR_SENTENCES.STORAGE_QUOTA;
  return GENERIC;
}
