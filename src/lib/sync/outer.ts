/**
 * "What the relays saw" (issue 10 item 3): the outer event of a message as relays stored it, kept
 * with the message (store MessageContent.outer) when it is sent or received, and shown beside how
 * the same message would look as NIP-17. Everything here is what any relay could read anyway.
 */
import { isRelayUrl } from '../shared/relay-url';
import { MAX_EVENT_JSON, MAX_OUTBOX_ITEMS, MAX_OUTER_OFFSET_S, type OuterEvent, type OuterTag } from '../store/db';
import type { RelayView } from './types';

/** The parts of an outer event this reads. */
interface OuterLike {
  kind: number;
  created_at: number;
  content: string;
}

/** Relay URLs as the store accepts them, once each, at most MAX_OUTBOX_ITEMS. */
function storableRelays(relays: Iterable<string>): string[] {
  return [...new Set(relays)].filter((r) => r.length <= 512 && isRelayUrl(r)).slice(0, MAX_OUTBOX_ITEMS);
}

/**
 * The stored summary of `ev` (one copy; the others differ only in their random created_at),
 * which went to or came from `relays`. `realCreatedAt`: the inner event's (or rumor's) created_at.
 */
export function outerEvent(ev: OuterLike, tag: OuterTag, realCreatedAt: number, relays: Iterable<string>): OuterEvent {
  const offset = Math.trunc(realCreatedAt - ev.created_at);
  return {
    kind: ev.kind,
    tag,
    bytes: Math.min(new TextEncoder().encode(ev.content).length, MAX_EVENT_JSON),
    // A sender's clock may say anything: clamped to the store's bound (a year either way).
    createdAtOffset: Number.isSafeInteger(offset) ? Math.max(-MAX_OUTER_OFFSET_S, Math.min(MAX_OUTER_OFFSET_S, offset)) : 0,
    relays: storableRelays(relays)
  };
}

/** The read model's view: the stored summary and which socket role carried it (sync/sockets.ts). */
export function relayView(o: OuterEvent, direction: 'in' | 'out'): RelayView {
  const envelope = o.kind === 1067;
  const v: RelayView = { ...o, relays: [...o.relays], socket: envelope ? 'envelopePublish' : 'nip17Publish' };
  if (direction === 'in') v.readBy = envelope ? 'envelopeRead' : 'dmRead';
  return v;
}
