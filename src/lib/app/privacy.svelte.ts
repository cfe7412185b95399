/**
 * The traffic-privacy choices as state for the components (docs/proposals/0005-traffic.md): Live or
 * Private mode, and whether my inbox record is published. The messenger holds, stores and applies them;
 * this mirrors what it holds and tells the other tabs, because only the tab that holds the sockets
 * runs the traffic and a change made in another tab must reach it. Runs (and is tested) in Node.
 */
import { VeilError } from '../shared/errors';
import type { PrivacyChoices, PrivacyMode } from '$lib/sync/privacy-settings';

export type { PrivacyChoices, PrivacyMode };

/** What the messenger offers (sync/messenger.ts). */
export interface PrivacyCommands {
  privacy(): PrivacyChoices;
  setPrivacyMode(mode: PrivacyMode): Promise<void>;
  setPublishRecord(on: boolean): Promise<void>;
}

export class PrivacyState {
  /** Live (default): instant. Private: random polls and send slots, minutes of delay. */
  mode = $state<PrivacyMode>('live');
  /** False: no inbox record is published; reachable by contact card only. */
  publishRecord = $state(true);

  readonly #source: () => PrivacyCommands | null;
  readonly #announce: (choices: PrivacyChoices) => void;

  /** `source`: the messenger when unlocked; `announce`: tells the other tabs of a change made here. */
  constructor(source: () => PrivacyCommands | null, announce: (choices: PrivacyChoices) => void = () => {}) {
    this.#source = source;
    this.#announce = announce;
  }

  /** Reads what the messenger holds (after unlocking, and after every change). */
  refresh(): void {
    const c = this.#source()?.privacy();
    if (!c) return;
    this.mode = c.mode;
    this.publishRecord = c.publishRecord;
  }

  /** Switches Live/Private mode: stored and applied at once. Throws a VeilError (errors.ts words it). */
  setPrivacyMode(mode: PrivacyMode): Promise<void> {
    return this.#change((s) => s.setPrivacyMode(mode));
  }

  /** Publishes my inbox record or not. Throws a VeilError (errors.ts words it). */
  setPublishRecord(on: boolean): Promise<void> {
    return this.#change((s) => s.setPublishRecord(on));
  }

  /** Another tab changed the choices: apply them here too (this tab may hold the sockets). Never throws. */
  async adopt(choices: PrivacyChoices): Promise<void> {
    const s = this.#source();
    if (!s) return;
    try {
      if (choices.mode !== s.privacy().mode) await s.setPrivacyMode(choices.mode);
      if (choices.publishRecord !== s.privacy().publishRecord) await s.setPublishRecord(choices.publishRecord);
    } catch {
      // the tab that made the change showed its error; here the state shows what holds
    } finally {
      this.refresh();
    }
  }

  async #change(task: (s: PrivacyCommands) => Promise<void>): Promise<void> {
    const s = this.#source();
    if (!s) throw new VeilError('VAULT_LOCKED', 'no messenger: locked');
    try {
      await task(s);
    } finally {
      this.refresh(); // also after a failure: the state shows what the messenger holds
    }
    this.#announce(s.privacy());
  }
}
