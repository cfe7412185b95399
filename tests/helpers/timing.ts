/**
 * Short traffic delays for integration and e2e tests (src/lib/sync/timing.ts): the rules stay
 * (lookups and author subscriptions still wait a random delay after what triggered them), only
 * the minutes become milliseconds so a test does not wait for them.
 */
import type { TrafficTiming } from '../../src/lib/sync/timing';

export const FAST_TIMING: TrafficTiming = {
  authorResubscribeMs: [20, 120],
  lookupDelayMs: [20, 120],
  pollMeanMs: 300,
  pollMinMs: 50,
  refreshMeanMs: 2000,
  slotMeanMs: 800,
  copyHoldMeanMs: 400,
  identityQuietMs: 30,
  startIdentityDelayMs: [10, 60]
};
