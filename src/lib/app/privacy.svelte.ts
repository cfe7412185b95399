/**
 * The traffic-privacy choices as state for the components (docs/proposals/0005-traffic.md): Live or
 * Private mode, whether my inbox record is published, and Live mode's cover rate. The messenger holds, stores and applies them;
 * this mirrors what it holds and tells the other tabs, because only the tab that holds the sockets
 * runs the traffic and a change made in another tab must reach it. Runs (and is tested) in Node.
 */
import { VeilError } from '../shared/errors';
import { COVER_RATES, type CoverRate } from '../camouflage/schedule';
import { m } from '../paraglide/messages';
import type { PrivacyChoices, PrivacyMode } from '$lib/sync/privacy-settings';

export type { CoverRate, PrivacyChoices, PrivacyMode };

/** The cover rates in the order the settings offer them. */
export const COVER_RATE_ORDER: readonly CoverRate[] = ['off', 'low', 'default', 'high'];

/**
 * Bytes of JSON in one cover event: a class-1 v2 envelope (`node --import tsx scripts/bandwidth.ts`
 * measures it; tests/unit/privacy-state.test.ts seals one and checks this figure).
 */
export const COVER_EVENT_BYTES = 1813;

/** The most cover uploads per day at `rate` (bytes): the daily budget times one envelope. */
export function coverBytesPerDay(rate: CoverRate): number {
  return COVER_RATES[rate].perDay * COVER_EVENT_BYTES;
}

/** "up to 236 KB a day" (decimal units, as a network counter shows them); "nothing" when off. */
export function coverBudgetText(rate: CoverRate): string {
  const b = coverBytesPerDay(rate);
  if (b === 0) return m.budget_nothing();
  const size = b >= 1e6 ? `${(b / 1e6).toFixed(2)} MB` : `${Math.round(b / 1e3)} KB`;
  return m.budget_per_day({ size });
}

/** What the messenger offers (sync/messenger.ts). */
export interface PrivacyCommands {
  privacy(): PrivacyChoices;
  setPrivacyMode(mode: PrivacyMode): Promise<void>;
  setPublishRecord(on: boolean): Promise<void>;
  setCoverRate(rate: CoverRate): Promise<void>;
}

export class PrivacyState {
  /** Live (default): instant. Private: random polls and send slots, minutes of delay. */
  mode = $state<PrivacyMode>('live');
  /** False: no inbox record is published; reachable by contact card only. */
  publishRecord = $state(true);
  /** Live mode's cover traffic (camouflage/schedule.ts COVER_RATES). */
  coverRate = $state<CoverRate>('default');

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
    this.coverRate = c.coverRate;
  }

  /** Switches Live/Private mode: stored and applied at once. Throws a VeilError (errors.ts words it). */
  setPrivacyMode(mode: PrivacyMode): Promise<void> {
    return this.#change((s) => s.setPrivacyMode(mode));
  }

  /** Publishes my inbox record or not. Throws a VeilError (errors.ts words it). */
  setPublishRecord(on: boolean): Promise<void> {
    return this.#change((s) => s.setPublishRecord(on));
  }

  /** Sets Live mode's cover rate: stored and applied at once. Throws a VeilError (errors.ts words it). */
  setCoverRate(rate: CoverRate): Promise<void> {
    return this.#change((s) => s.setCoverRate(rate));
  }

  /** Another tab changed the choices: apply them here too (this tab may hold the sockets). Never throws. */
  async adopt(choices: PrivacyChoices): Promise<void> {
    const s = this.#source();
    if (!s) return;
    try {
      if (choices.mode !== s.privacy().mode) await s.setPrivacyMode(choices.mode);
      if (choices.publishRecord !== s.privacy().publishRecord) await s.setPublishRecord(choices.publishRecord);
      if (choices.coverRate !== s.privacy().coverRate) await s.setCoverRate(choices.coverRate);
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
