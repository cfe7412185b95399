/**
 * Safety numbers for the components (spec docs/proposals/0006-safety-numbers.md): the code and QR
 * payload of a contact, comparing what came from their screen, and the verified mark. The work is in
 * sync/verification.ts; this picks my keys from the session (my record's EKs, or this device's EK
 * before my first record) and tells the app when a mark changed so the chat list re-reads it.
 */
import { bytesToHex } from '$lib/shared/bytes';
import type { KeySet, VerifyResult } from '$lib/crypto/safety-number';
import type { VeilStore } from '$lib/store';
import type { Session } from '$lib/sync/account';
import type { OwnDevice } from '$lib/sync/types';
import { clearVerified, compareAndMark, markVerified, safetyView, type SafetyView } from '$lib/sync/verification';
import { m } from '../paraglide/messages';

export type { SafetyView, VerifyResult };

/** What the "Verify safety number" dialog reads and does. */
export interface SafetySource {
  view(peer: string): Promise<SafetyView>;
  /** Compares a pasted code or scanned payload; a match marks the contact verified. INVALID_INPUT if it is neither. */
  compare(view: SafetyView, text: string): Promise<VerifyResult>;
  mark(view: SafetyView): Promise<void>;
  clear(peer: string): Promise<void>;
}

/** The sentence for each comparison result (`name`: the contact as the chat shows them). */
export function verifyResultText(result: VerifyResult, name: string): string {
  switch (result) {
    case 'match':
      return m.sn_match({ name });
    case 'digits-differ':
      return m.sn_digits_differ({ name });
    case 'other-person':
      return m.sn_other_person({ name });
    case 'not-for-me':
      return m.sn_not_for_me({ name });
    case 'their-keys-differ':
      return m.sn_their_keys({ name });
    case 'my-keys-differ':
      return m.sn_my_keys({ name });
  }
}

/** My key set: the EKs my record certifies, or this device's alone before the record exists. */
export function myKeySet(session: Session, devices: readonly OwnDevice[]): KeySet {
  const eks = devices.map((d) => d.ek);
  return { identity: session.account.pubkey, eks: eks.length > 0 ? eks : [bytesToHex(session.ek.publicKey)] };
}

export class SafetyNumbers implements SafetySource {
  readonly #store: () => VeilStore | null;
  readonly #me: () => KeySet | null;
  readonly #changed: () => void;

  constructor(store: () => VeilStore | null, me: () => KeySet | null, changed: () => void) {
    this.#store = store;
    this.#me = me;
    this.#changed = changed;
  }

  #ready(): { store: VeilStore; me: KeySet } {
    const store = this.#store();
    const me = this.#me();
    if (!store || !me) throw new Error('Veil is locked');
    return { store, me };
  }

  view(peer: string): Promise<SafetyView> {
    const { store, me } = this.#ready();
    return safetyView(store, me, peer);
  }

  async compare(view: SafetyView, text: string): Promise<VerifyResult> {
    const result = await compareAndMark(this.#ready().store, view, text, Date.now());
    if (result === 'match') this.#changed();
    return result;
  }

  async mark(view: SafetyView): Promise<void> {
    await markVerified(this.#ready().store, view.peer, view.theirKeys, Date.now());
    this.#changed();
  }

  async clear(peer: string): Promise<void> {
    await clearVerified(this.#ready().store, peer);
    this.#changed();
  }
}
