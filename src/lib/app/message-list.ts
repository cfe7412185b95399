/**
 * Pure bookkeeping of a conversation's message list (oldest first) and its wording; the view model
 * in conversation.svelte.ts holds the state.
 */
import type { ChatMessage } from '$lib/sync/types';
import { m as t } from '../paraglide/messages';

function byTime(a: ChatMessage, b: ChatMessage): number {
  return a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * Merges a fresh newest page into what is shown (oldest first): new messages join, known ones are
 * replaced by their fresh copy (status, deliveries, reactions), older pages already loaded stay.
 */
export function mergeNewest(shown: readonly ChatMessage[], newest: readonly ChatMessage[]): ChatMessage[] {
  const fresh = new Map(newest.map((m) => [m.id, m]));
  const merged = shown.map((m) => fresh.get(m.id) ?? m);
  const known = new Set(shown.map((m) => m.id));
  for (const m of fresh.values()) if (!known.has(m.id)) merged.push(m);
  return merged.sort(byTime);
}

/** Drops disappearing messages past their deadline (the sweeper has deleted them; the screen follows). */
export function dropExpired(shown: readonly ChatMessage[], nowMs: number): ChatMessage[] {
  return shown.filter((m) => m.expiresAt === undefined || m.expiresAt > nowMs);
}

/** Puts an older page (newest first, as read) before what is shown, skipping messages already there. */
export function prependOlder(shown: readonly ChatMessage[], older: readonly ChatMessage[]): ChatMessage[] {
  const known = new Set(shown.map((m) => m.id));
  return [...older.filter((m) => !known.has(m.id)).reverse(), ...shown];
}

/**
 * Relay answers that will not change on a retry (NIP-01 `OK` prefixes the outbox does not retry,
 * sync/outbox.ts classifyOutcome): a message refused only for these reasons is not sent.
 */
const PERMANENT_REASON = /^(invalid|blocked|pow|restricted|auth-required|mute):/;

type Delivery = Pick<ChatMessage, 'direction' | 'status' | 'deliveries'>;

/** Why no relay took the message yet: the first reason a relay gave, if any. */
export function failureReason(m: Pick<ChatMessage, 'deliveries'>): string | undefined {
  return m.deliveries.find((d) => !d.ok && d.message)?.message;
}

/**
 * True while an outgoing message waits in the outbox to be tried again: no relay took it yet, and
 * at least one relay failed for a reason that may pass (unreachable, no answer, rate limited).
 */
export function isQueued(m: Delivery): boolean {
  if (m.direction !== 'out' || m.status === 'sent') return false;
  const failed = m.deliveries.filter((d) => !d.ok);
  if (m.status === 'sending') return failed.some((d) => d.message);
  return !failed.every((d) => d.message && PERMANENT_REASON.test(d.message)) || failed.length === 0;
}

/** The delivery line under an outgoing message; '' for incoming ones. */
export function deliveryText(m: Delivery): string {
  if (m.direction === 'in') return '';
  if (m.status === 'sent') return t.dl_sent({ ok: m.deliveries.filter((d) => d.ok).length, total: m.deliveries.length });
  if (isQueued(m)) return t.dl_queued();
  if (m.status === 'sending') return t.dl_sending();
  const reason = failureReason(m);
  return reason ? t.dl_not_sent_reason({ reason }) : t.dl_not_sent();
}
