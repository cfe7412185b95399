/**
 * Pure bookkeeping of a conversation's message list (oldest first) and its wording; the view model
 * in conversation.svelte.ts holds the state.
 */
import type { ChatMessage } from '$lib/sync/types';

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

/** Puts an older page (newest first, as read) before what is shown, skipping messages already there. */
export function prependOlder(shown: readonly ChatMessage[], older: readonly ChatMessage[]): ChatMessage[] {
  const known = new Set(shown.map((m) => m.id));
  return [...older.filter((m) => !known.has(m.id)).reverse(), ...shown];
}

/** The delivery line under an outgoing message; '' for incoming ones. */
export function deliveryText(m: Pick<ChatMessage, 'direction' | 'status' | 'deliveries'>): string {
  if (m.direction === 'in') return '';
  if (m.status === 'sending') return 'Sending…';
  if (m.status === 'failed') return 'Not sent';
  return `Sent to ${m.deliveries.filter((d) => d.ok).length} of ${m.deliveries.length} relays`;
}
