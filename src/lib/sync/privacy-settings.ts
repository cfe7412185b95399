/**
 * The user's traffic-privacy choices (docs/proposals/0005-traffic.md): Live or Private mode, and
 * whether my inbox record is published at all. Kept in sealed settings; read once at create().
 */
import type { CoverRate } from '../camouflage/schedule';
import type { VeilStore } from '../store';

/** Live: instant delivery over open subscriptions. Private: random polls and Poisson send slots. */
export type PrivacyMode = 'live' | 'private';

export interface PrivacyChoices {
  mode: PrivacyMode;
  /** False: no inbox record on any relay; reachable only through my contact card. */
  publishRecord: boolean;
  /** Live mode's cover rate (camouflage/schedule.ts COVER_RATES). */
  coverRate: CoverRate;
}

const RATES: readonly CoverRate[] = ['off', 'low', 'default', 'high'];

const SETTING_MODE = 'sync.privacy-mode';
const SETTING_PUBLISH_RECORD = 'sync.publish-record';
const SETTING_COVER_RATE = 'sync.cover-rate';

export const DEFAULT_PRIVACY: PrivacyChoices = Object.freeze({ mode: 'live', publishRecord: true, coverRate: 'default' });

export function isCoverRate(x: unknown): x is CoverRate {
  return RATES.includes(x as CoverRate);
}

export async function loadPrivacyChoices(store: VeilStore, initial?: Partial<PrivacyChoices>): Promise<PrivacyChoices> {
  const mode = await store.getSetting<string>(SETTING_MODE);
  const publish = await store.getSetting<boolean>(SETTING_PUBLISH_RECORD);
  const rate = await store.getSetting<string>(SETTING_COVER_RATE);
  return {
    coverRate: isCoverRate(rate) ? rate : (initial?.coverRate ?? DEFAULT_PRIVACY.coverRate),
    mode: mode === 'live' || mode === 'private' ? mode : (initial?.mode ?? DEFAULT_PRIVACY.mode),
    publishRecord: typeof publish === 'boolean' ? publish : (initial?.publishRecord ?? DEFAULT_PRIVACY.publishRecord)
  };
}

export async function savePrivacyChoices(store: VeilStore, c: PrivacyChoices): Promise<void> {
  await store.setSetting(SETTING_MODE, c.mode);
  await store.setSetting(SETTING_PUBLISH_RECORD, c.publishRecord);
  await store.setSetting(SETTING_COVER_RATE, c.coverRate);
}
