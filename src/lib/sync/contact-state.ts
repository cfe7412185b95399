/**
 * The one place a message moves a contact's state (docs/design.md §7 "Requests"): a stranger's first
 * message makes a request; a message of mine (sent here, or a copy from another device) means I
 * chose to talk to them, so it creates or accepts the contact; a blocked contact's messages are
 * dropped. Both inbound receivers and both senders go through here.
 */
import type { VeilStore } from '../store';
import type { Protocol } from './types';

export type ContactOutcome = 'blocked' | 'created' | 'known';

export async function settleContact(
  store: VeilStore,
  peer: string,
  m: {
    outgoing: boolean;
    /** The protocol the message came or goes by: a new contact gets it. */
    protocol: Protocol;
    /** Also switch an existing contact to `protocol` (a send that fell back to NIP-17). */
    switchProtocol?: boolean;
  }
): Promise<ContactOutcome> {
  const contact = await store.getContact(peer);
  if (!contact) {
    await store.upsertContact({ pubkey: peer, state: m.outgoing ? 'accepted' : 'request', protocol: m.protocol });
    return 'created';
  }
  if (contact.state === 'blocked' && !m.outgoing) return 'blocked';
  if (m.outgoing && contact.state === 'request') await store.setContactState(peer, 'accepted');
  if (m.switchProtocol && contact.protocol !== m.protocol) await store.upsertContact({ pubkey: peer, protocol: m.protocol });
  return 'known';
}
