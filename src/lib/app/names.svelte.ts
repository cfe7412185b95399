/**
 * Names for the components (issue 14 §3): my public profile (kind 0; the messenger reads and
 * publishes it on the lookup relays only, sync/own-profile.ts) and my local nicknames for contacts
 * (sealed with the contact, never published). Runs in Node.
 */
import { VeilError } from '../shared/errors';
import type { OwnProfileInput, OwnProfileView } from '$lib/sync/own-profile';

export type { OwnProfileInput, OwnProfileView };

/** What the messenger offers (sync/messenger.ts). */
export interface NameCommands {
  ownProfile(): Promise<OwnProfileView | null>;
  saveOwnProfile(input: OwnProfileInput): Promise<OwnProfileView>;
  setNickname(peer: string, name: string): Promise<void>;
}

export class Names {
  /** My profile as last read or saved; null when none is known (or not loaded yet). */
  own = $state<OwnProfileView | null>(null);
  /** True while my profile is being looked for on the lookup relays. */
  loading = $state(false);

  readonly #source: () => NameCommands | null;
  readonly #changed: () => void;

  /** `source`: the messenger when unlocked; `changed`: the chat list must be read again (a nickname). */
  constructor(source: () => NameCommands | null, changed: () => void) {
    this.#source = source;
    this.#changed = changed;
  }

  #require(): NameCommands {
    const s = this.#source();
    if (!s) throw new VeilError('VAULT_LOCKED', 'no messenger: locked');
    return s;
  }

  /** Reads my profile (the stored one, else what the lookup relays hold). Throws a VeilError (errors.ts words it). */
  async load(): Promise<void> {
    const s = this.#source();
    if (!s) {
      this.own = null;
      return;
    }
    this.loading = true;
    try {
      this.own = await s.ownProfile();
    } finally {
      this.loading = false;
    }
  }

  /** Publishes my profile; `own` follows once a relay accepted it. */
  async save(input: OwnProfileInput): Promise<void> {
    this.own = await this.#require().saveOwnProfile(input);
  }

  /** Sets ('' clears) a contact's nickname; the chat list is read again. */
  async setNickname(peer: string, name: string): Promise<void> {
    await this.#require().setNickname(peer, name);
    this.#changed();
  }
}
