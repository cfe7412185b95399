/**
 * What every part of the messenger shares: the unlocked session (store, signer, identity, EK), the
 * clock, the change events and the counters. The Messenger facade (messenger.ts) builds one and
 * hands it to each part, so the parts never reach into each other's fields.
 */
import type { Curve } from '../crypto/curve';
import type { EnvelopeKey } from '../crypto/envelope';
import type { Signer } from '../crypto/signer';
import type { VeilStore } from '../store';
import type { IdentityGate } from './identity-gate';
import type { PairKeys } from './pair-keys';
import type { PrivacyChoices } from './privacy-settings';
import type { Timers, TrafficTiming } from './timing';
import type { MessengerEvent } from './types';

export const HEX64 = /^[0-9a-f]{64}$/;

/** How far in the future a message's created_at may claim to be (seconds of clock skew). */
export const MAX_FUTURE_SKEW_S = 600;

/** Counters of things that are never shown as messages. */
export interface Counters {
  /** Envelopes of shared buckets whose pair tag named none of my senders (other people's mail). */
  notMine: number;
  openFailures: number;
  invalidEvents: number;
  duplicates: number;
}

export interface SyncContext {
  readonly store: VeilStore;
  readonly signer: Signer;
  /** My identity pubkey, 64 hex. */
  readonly me: string;
  readonly ek: EnvelopeKey;
  /** This device's EK, x-only hex. */
  readonly ekHex: string;
  readonly counters: Counters;
  /** The curve every seal and open of this session uses (crypto/curve.ts): the scan's WebAssembly modules once loaded, else JavaScript. */
  readonly curve: Curve;
  /** Pair keys and pair-tag keys of this device's EK (pair-keys.ts), shared by sending and reading. */
  readonly pairKeys: PairKeys;
  /** Milliseconds. */
  now(): number;
  /** Seconds. */
  nowS(): number;
  /** Timers in the same clock as now() (timing.ts). */
  readonly timers: Timers;
  /** The delays of the traffic rules (timing.ts). */
  readonly timing: TrafficTiming;
  /** When identity-linked requests may go (identity-gate.ts). */
  readonly identityGate: IdentityGate;
  /** Live or Private mode and the inbox-record choice (privacy-settings.ts); changed only by the facade. */
  readonly privacy: PrivacyChoices;
  emit(e: MessengerEvent): void;
  /** Reports an unexpected failure as an `error` event (never throws). */
  fail(e: unknown): void;
  /** True between start() and stop(). */
  running(): boolean;
  /** Mailbox or author sets changed: resubscribe soon (debounced). */
  resubscribe(): void;
}

/** A message list and the chat list changed for `conversationId`. */
export function emitChanged(ctx: SyncContext, conversationId: string): void {
  ctx.emit({ type: 'messages', conversationId });
  ctx.emit({ type: 'chats' });
}

/** The one created_at clamp: a peer's clock may not push a message far into the future. */
export function clampCreatedAt(createdAt: number, nowS: number): number {
  return Math.min(createdAt, nowS + MAX_FUTURE_SKEW_S);
}

/**
 * created_at of a message I send: now, but strictly after the newest message of the conversation
 * (within the clamp), so messages typed within one second keep their order (history sorts by
 * created_at, then id).
 */
export function sendCreatedAt(lastActivity: number, nowS: number): number {
  return Math.max(nowS, clampCreatedAt(lastActivity + 1, nowS));
}

export function tagValue(tags: readonly (readonly string[])[], name: string): string | undefined {
  return tags.find((t) => t[0] === name)?.[1];
}

