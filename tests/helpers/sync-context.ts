/**
 * A SyncContext for tests that drive sync modules without a Messenger (the inbound pipeline and its
 * receivers): real timers, default timing, Live mode, failures thrown, a clock of the caller's choice.
 */
import { bytesToHex } from '../../src/lib/shared/bytes';
import { jsCurve, type Curve } from '../../src/lib/crypto/curve';
import type { EnvelopeKey } from '../../src/lib/crypto/envelope';
import type { Signer } from '../../src/lib/crypto/signer';
import type { VeilStore } from '../../src/lib/store/db';
import type { SyncContext } from '../../src/lib/sync/context';
import { IdentityGate } from '../../src/lib/sync/identity-gate';
import { PairKeys } from '../../src/lib/sync/pair-keys';
import { DEFAULT_TIMING, realTimers } from '../../src/lib/sync/timing';
import type { MessengerEvent } from '../../src/lib/sync/types';

export function testSyncContext(opts: { store: VeilStore; signer: Signer; me: string; ek: EnvelopeKey; nowMs?: () => number; emit?: (e: MessengerEvent) => void; curve?: Curve }): SyncContext {
  const now = opts.nowMs ?? Date.now;
  return {
    store: opts.store,
    signer: opts.signer,
    me: opts.me,
    ek: opts.ek,
    ekHex: bytesToHex(opts.ek.publicKey),
    counters: { notMine: 0, openFailures: 0, invalidEvents: 0, duplicates: 0 },
    curve: opts.curve ?? jsCurve,
    pairKeys: new PairKeys(opts.ek),
    timers: realTimers,
    timing: DEFAULT_TIMING,
    identityGate: new IdentityGate(now, realTimers, DEFAULT_TIMING),
    privacy: { mode: 'live', publishRecord: true, coverRate: 'default' },
    now,
    nowS: () => Math.floor(now() / 1000),
    emit: opts.emit ?? (() => {}),
    fail: (e) => {
      throw e;
    },
    running: () => true,
    resubscribe: () => {}
  };
}
