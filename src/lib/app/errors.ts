import { isVeilError } from '$lib/shared/errors';

/**
 * Words for the person in front of the screen. Typed codes decide; the leaf's own message is used
 * where it was written for people (bech32 problems, nsec warnings), never raw exception text.
 */
export function describeError(e: unknown): string {
  if (!isVeilError(e)) {
    if (e instanceof DOMException && e.name === 'QuotaExceededError')
      return 'This device is out of storage space for Veil. Free some space; nothing was lost.';
    return 'Something went wrong. Nothing was lost; please try again.';
  }
  switch (e.code) {
    case 'WRONG_PASSPHRASE':
      return 'That passphrase is not right. Try again: nothing changes until it is.';
    case 'NSEC_WHERE_CONTACT_EXPECTED':
      return `${e.message} Paste their npub or contact card instead.`;
    case 'INVALID_NPUB':
    case 'INVALID_CONTACT_CARD':
    case 'INVALID_INPUT':
    case 'INVALID_KEY':
    case 'RELAY_URL_INVALID':
    case 'SIGNER_UNAVAILABLE':
      return e.message.charAt(0).toUpperCase() + e.message.slice(1);
    case 'KDF_TOO_COSTLY':
      return 'This ncryptsec asks for more memory than a browser tab can safely give. Re-export it with a lower cost (log_n 16–18).';
    case 'SIGNER_REJECTED':
      return 'Your signer declined the request.';
    case 'SIGNER_TIMEOUT':
      return 'Your signer did not answer in time. Check that it is running and try again.';
    case 'STORAGE_QUOTA':
      return 'This device is out of storage space for Veil. Free some space; nothing was lost.';
    case 'VAULT_LOCKED':
      return 'Veil is locked. Enter your passphrase.';
    case 'RELAY_UNREACHABLE':
      return 'The relay could not be reached. Your message waits in the outbox and is retried.';
    case 'NOT_FOUND':
      return e.message;
    default:
      return e.message ? e.message.charAt(0).toUpperCase() + e.message.slice(1) : 'Something went wrong.';
  }
}
