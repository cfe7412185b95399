/**
 * What the New chat box shows under the Contact input before the chat starts (issue 14 §5): whose
 * key it names (the fingerprint the chat list and the conversation show), the name a contact card
 * suggests, and a secret key recognised at once so it does not stay on the screen.
 */
import { encodeNpub, parseContactInput } from '../crypto/nip19';
import { isVeilError, type VeilError } from '../shared/errors';
import { npubFingerprint } from '../sync/profile';

export interface ContactPreview {
  pubkey: string;
  npub: string;
  /** As shown beside every chat (sync/profile.ts npubFingerprint). */
  fingerprint: string;
  /** The name the contact card suggests; '' when none. Outside the card's signature: a suggestion. */
  cardName: string;
  /** Relay hints (nprofile, card), for a lookup. */
  relays: string[];
  from: 'card' | 'nprofile' | 'npub' | 'hex';
}

export type ContactBox =
  | { kind: 'empty' }
  /** Not (yet) a contact: the reason is given when Start chat is pressed, not while typing. */
  | { kind: 'incomplete' }
  /** A secret key (nsec, ncryptsec): clear the box and say why. */
  | { kind: 'secret'; error: VeilError }
  | { kind: 'contact'; preview: ContactPreview };

/** Reads the Contact box as it is typed, pasted or scanned. Never throws. */
export function readContactBox(text: string): ContactBox {
  if (text.trim() === '') return { kind: 'empty' };
  try {
    const c = parseContactInput(text);
    const npub = encodeNpub(c.pubkey);
    const cardName = c.type === 'card' ? c.card.name : '';
    return { kind: 'contact', preview: { pubkey: c.pubkey, npub, fingerprint: npubFingerprint(npub), cardName, relays: [...c.relays], from: c.type } };
  } catch (e) {
    if (isVeilError(e, 'NSEC_WHERE_CONTACT_EXPECTED')) return { kind: 'secret', error: e };
    return { kind: 'incomplete' };
  }
}
