/**
 * Pure outbox logic (issue 4 §3 "Sending"): entry ids, how a relay's answer classifies, when to try
 * again, and what the UI shows ("sent to n of m relays", failed with a retry).
 *
 * One message becomes one outbox entry per recipient device EK (the contact's devices, then my own
 * other devices); each entry holds one FINAL signed envelope per relay. A retry resends the very
 * same event, so a relay that already has it answers "duplicate" and nothing goes out twice as a
 * different message.
 */
import { randomFloat } from '../shared/bytes';
import type { OutboxItem, OutboxItemStatus, OutboxRecord } from '../store/schema';
import type { MessageStatus, RelayDelivery } from './types';

/** First retry delay; doubles per attempt up to MAX_BACKOFF_MS. */
export const BASE_BACKOFF_MS = 1_000;
export const MAX_BACKOFF_MS = 60_000;
/** After this many automatic attempts an entry is parked until retry() or the next start(). */
export const MAX_ATTEMPTS = 12;
/** Relay reasons are kept short (relay text, shown in a tooltip). */
export const MAX_REASON_CHARS = 160;
/** Entries per side and message: the inbox record certifies at most 8 devices. */
export const MAX_ENTRIES_PER_SIDE = 8;

export type EntrySide = 'peer' | 'self';

/** Outbox id of the n-th entry of a message: `<inner id>-p<n>` (contact) or `-s<n>` (own device). */
export function entryId(messageId: string, side: EntrySide, n: number): string {
  return `${messageId}-${side === 'peer' ? 'p' : 's'}${n}`;
}

/** Which side an entry id is for; undefined for ids this module did not make. */
export function entrySide(id: string): EntrySide | undefined {
  const m = /-([ps])\d+$/.exec(id);
  return m ? (m[1] === 'p' ? 'peer' : 'self') : undefined;
}

/** One relay's answer as the relay layer reports it (relay/types PublishResult, structurally). */
export type PublishOutcome =
  | { status: 'ok' }
  | { status: 'rejected'; reason: string; message: string }
  | { status: 'timeout' }
  | { status: 'unreachable'; message: string };

const PERMANENT = new Set(['invalid', 'blocked', 'pow', 'restricted', 'auth-required', 'mute']);

/**
 * How an answer classifies (NIP-01 `OK` prefixes): accepted or duplicate → ok; `invalid:`,
 * `blocked:`, `pow:`, `restricted:`, `mute:`, `auth-required:` → rejected, not retried (the envelope
 * socket never authenticates, docs/design.md §4); rate-limited, error, timeout, unreachable → failed,
 * retried with backoff. Returns the status and a short reason for the UI.
 */
export function classifyOutcome(r: PublishOutcome): { status: OutboxItemStatus; error?: string } {
  switch (r.status) {
    case 'ok':
      return { status: 'ok' };
    case 'rejected': {
      const error = `${r.reason}: ${r.message}`.slice(0, MAX_REASON_CHARS);
      return { status: PERMANENT.has(r.reason) ? 'rejected' : 'failed', error };
    }
    case 'timeout':
      return { status: 'failed', error: 'no answer from the relay' };
    case 'unreachable':
      return { status: 'failed', error: `unreachable: ${r.message}`.slice(0, MAX_REASON_CHARS) };
  }
}

/** Backoff before attempt n+1 after n attempts (n ≥ 1): base·2^(n−1), capped, 50–100 % jitter (CSPRNG). */
export function backoffMs(attempts: number): number {
  const n = Math.max(1, Math.min(attempts, 30));
  const raw = Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** (n - 1));
  return Math.round(raw * (0.5 + 0.5 * randomFloat()));
}

/** When to try an entry again after its `attempts`-th attempt; null parks it (retry() re-arms). */
export function nextAttemptAt(attempts: number, nowMs: number): number | null {
  return attempts >= MAX_ATTEMPTS ? null : nowMs + backoffMs(attempts);
}

/** Items that still need a publish (pending or failed). */
export function openItems(items: readonly OutboxItem[]): OutboxItem[] {
  return items.filter((it) => it.status === 'pending' || it.status === 'failed');
}

/** True when no item of the entry needs another publish. */
export function isSettled(rec: Pick<OutboxRecord, 'items'>): boolean {
  return openItems(rec.items).length === 0;
}

/**
 * What the UI shows for a message (issue 4 §3), from all of its outbox entries: per relay that
 * carries the contact's copies, ok when every envelope for that relay was accepted; 'sent' when at
 * least one relay took all of its envelopes; 'failed' when every contact item was tried and none
 * landed; 'sending' before that. Copies to my own devices count only when there is no contact entry.
 */
export function deliveryView(entries: readonly Pick<OutboxRecord, 'id' | 'items'>[]): {
  status: Extract<MessageStatus, 'sending' | 'sent' | 'failed'>;
  deliveries: RelayDelivery[];
} {
  const peer = entries.filter((e) => entrySide(e.id) !== 'self');
  const counted = (peer.length > 0 ? peer : entries).flatMap((e) => e.items);
  const byRelay = new Map<string, OutboxItem[]>();
  for (const it of counted) {
    const list = byRelay.get(it.relay) ?? [];
    list.push(it);
    byRelay.set(it.relay, list);
  }
  const deliveries: RelayDelivery[] = [];
  let anyOk = false;
  let allTried = true;
  for (const [relay, list] of byRelay) {
    const ok = list.every((it) => it.status === 'ok');
    if (ok) anyOk = true;
    if (list.some((it) => it.status === 'pending')) allTried = false;
    const d: RelayDelivery = { relay, ok };
    const err = list.find((it) => it.status !== 'ok' && it.lastError)?.lastError;
    if (!ok && err) d.message = err;
    deliveries.push(d);
  }
  const status = anyOk ? 'sent' : allTried && counted.length > 0 ? 'failed' : 'sending';
  return { status, deliveries };
}
