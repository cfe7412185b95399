/**
 * Safety numbers in the app (spec docs/proposals/0006-safety-numbers.md): the code and QR payload for
 * a contact from my record's EKs and the EKs of theirs I adopted, the verified mark (stored sealed
 * with the contact) and whether it still holds. The crypto is crypto/safety-number.ts.
 */
import {
  compareVerification,
  encodeVerifyPayload,
  keySetId,
  safetyNumber,
  safetyNumberGroups,
  safetyParty,
  type KeySet,
  type Party,
  type VerifyResult
} from '../crypto/safety-number';
import { userError } from '../shared/errors';
import type { Contact, VeilStore } from '../store';
import { m } from '../paraglide/messages';

export type VerificationState = 'verified' | 'changed' | 'unverified';

/** What the "Verify safety number" screen shows for one contact. */
export interface SafetyView {
  peer: string;
  /** The 60 digits, and as 12 groups of 5. */
  code: string;
  groups: string[];
  /** My QR payload for them (veil-verify:1:…). */
  payload: string;
  state: VerificationState;
  /** Key-set id of their keys as shown: what "Mark as verified" stores. */
  theirKeys: string;
  /** When they were marked verified (ms), if they are. */
  verifiedAt?: number;
  me: Party;
  them: Party;
}

/** Verified while the stored key-set id is that of the contact's current keys; changed when it differs. */
export function verificationState(contact: Pick<Contact, 'pubkey' | 'eks' | 'verified'>): 'verified' | 'changed' | undefined {
  if (!contact.verified) return undefined;
  try {
    return contact.verified.keys === keySetId({ identity: contact.pubkey, eks: contact.eks }) ? 'verified' : 'changed';
  } catch {
    return 'changed'; // keys that do not even parse are not the ones verified
  }
}

async function contactOf(store: VeilStore, peer: string): Promise<Contact> {
  const contact = await store.getContact(peer);
  if (!contact) throw userError('NOT_FOUND', m.err_contact_unknown());
  return contact;
}

/** The safety number with `peer`: me = my identity and my record's EKs. */
export async function safetyView(store: VeilStore, me: KeySet, peer: string): Promise<SafetyView> {
  const contact = await contactOf(store, peer);
  const mine = safetyParty(me);
  const theirs = safetyParty({ identity: contact.pubkey, eks: contact.eks });
  const code = safetyNumber(mine, theirs);
  const view: SafetyView = {
    peer,
    code,
    groups: safetyNumberGroups(code),
    payload: encodeVerifyPayload(mine, theirs),
    state: verificationState(contact) ?? 'unverified',
    theirKeys: keySetId({ identity: contact.pubkey, eks: contact.eks }),
    me: mine,
    them: theirs
  };
  if (contact.verified) view.verifiedAt = contact.verified.at;
  return view;
}

/** Compares pasted or scanned text with a view; a match marks the contact verified (the keys shown). */
export async function compareAndMark(store: VeilStore, view: SafetyView, text: string, now: number): Promise<VerifyResult> {
  const result = compareVerification(text, view.me, view.them);
  if (result === 'match') await markVerified(store, view.peer, view.theirKeys, now);
  return result;
}

/** Marks a contact verified for the key-set id shown (not re-read, so a record arriving meanwhile is not verified unseen). */
export async function markVerified(store: VeilStore, peer: string, theirKeys: string, now: number): Promise<void> {
  await contactOf(store, peer);
  await store.upsertContact({ pubkey: peer, verified: { keys: theirKeys, at: now } });
}

export async function clearVerified(store: VeilStore, peer: string): Promise<void> {
  await contactOf(store, peer);
  await store.upsertContact({ pubkey: peer, verified: null });
}
