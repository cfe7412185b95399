/**
 * Blind keys and sealed parts of `messages` records (issue 11 "at rest"): what a stolen disk must not
 * link to anything public.
 *
 * - A message's record key is blind(inner event id) (32 hex, HMAC under the vault's blind-index
 *   key), never the id: a legacy kind-4 message's id is its public event id, and a system line's id
 *   was derivable from public data, so a plain key let a thief test every event on a relay against
 *   the disk. Outbox entries are keyed the same way by blind(entry id), and point at their message
 *   by its record key.
 * - The event id and content are sealed together (field 'msg'); the per-relay results, which name
 *   relay URLs, are sealed apart (field 'relays') so a status update reseals only them.
 * - Records written before v5 (key = event id, field 'data', relays plain) are still read here;
 *   upgrade.ts moves them to this shape after the first unlock.
 */
import { VeilError } from '../../shared/errors';
import type { StoreContext } from '../context';
import { makeSortKey, type Direction, type LegacyMessageRecord, type MessageRecord, type RelayResult } from '../schema';
import type { MessageContent } from '../types';
import { hex64, validContent, validRelayResults } from '../validate';

const MESSAGE_DOMAIN = 'messages/id';
const OUTBOX_DOMAIN = 'outbox/id';

/** The record key of the message with inner event id `id`. */
export function messageKey(c: StoreContext, id: string): Promise<string> {
  return c.vault.blind(MESSAGE_DOMAIN, id);
}

/** The record key of the outbox entry with id `id`. */
export function outboxKey(c: StoreContext, id: string): Promise<string> {
  return c.vault.blind(OUTBOX_DOMAIN, id);
}

/**
 * The plain fields a message record is found and counted by, sealed beside its body (issue 16 item 6):
 * on open they must match the plain copies, so a disk writer who flips a received message to "sent by
 * me", or moves it into another chat, makes it unreadable instead of believed.
 */
export interface BoundFields {
  direction: Direction;
  conversationId: string;
}

export function sealMessage(c: StoreContext, key: string, id: string, content: MessageContent, bound: BoundFields): Promise<Uint8Array> {
  return c.vault.seal('messages', key, 'msg', { id, content, dir: bound.direction, conv: bound.conversationId });
}

export function sealRelays(c: StoreContext, key: string, relays: RelayResult[]): Promise<Uint8Array> {
  return c.vault.seal('messages', key, 'relays', relays);
}

/** True for a record in the pre-v5 shape (relays in plain, key = event id). */
export function isLegacyMessage(r: MessageRecord | LegacyMessageRecord): r is LegacyMessageRecord {
  return Array.isArray((r as Partial<LegacyMessageRecord>).relays);
}

/** The id, content and relay results of a record (either shape), validated. */
export async function openMessage(c: StoreContext, r: MessageRecord | LegacyMessageRecord): Promise<{ id: string; content: MessageContent; relays: RelayResult[] }> {
  if (isLegacyMessage(r)) {
    const content = validContent(await c.vault.open<MessageContent>('messages', r.id, 'data', r.sealed));
    return { id: hex64(r.id, 'message id'), content, relays: validRelayResults(r.relays) };
  }
  const [inner, relays] = await Promise.all([
    c.vault.open<{ id: unknown; content: unknown; dir?: unknown; conv?: unknown }>('messages', r.id, 'msg', r.sealed),
    c.vault.open<unknown>('messages', r.id, 'relays', r.sealedRelays)
  ]);
  if (typeof inner !== 'object' || inner === null) throw new VeilError('DECRYPT_FAILED', 'damaged message');
  // Records sealed before the fields were bound have neither (believed as they are).
  if ((inner.dir !== undefined && inner.dir !== r.direction) || (inner.conv !== undefined && inner.conv !== r.conversationId))
    throw new VeilError('DECRYPT_FAILED', 'a message record was changed on disk');
  return { id: hex64(inner.id, 'message id'), content: validContent(inner.content), relays: validRelayResults(relays) };
}

/** A legacy record in the v5 shape: blind key and sort key, everything that names it sealed. */
export async function upgradeMessage(c: StoreContext, r: LegacyMessageRecord): Promise<MessageRecord> {
  const { id, content, relays } = await openMessage(c, r);
  const key = await messageKey(c, id);
  const [sealed, sealedRelays] = await Promise.all([sealMessage(c, key, id, content, r), sealRelays(c, key, relays)]);
  return {
    id: key,
    conversationId: r.conversationId,
    sortKey: makeSortKey(r.createdAt, key),
    createdAt: r.createdAt,
    receivedAt: r.receivedAt,
    direction: r.direction,
    status: r.status,
    sealedRelays,
    sealed
  };
}

const PUBLIC_CURSOR = /^(\d{11}):([0-9a-f]{64})$/;

/**
 * A paging cursor as stored. `before` may be a message's `sortKey` (already blind) or, as callers
 * that know only the message make it, makeSortKey(createdAt, inner id): that one is blinded here.
 */
export async function sortCursor(c: StoreContext, before: string): Promise<string> {
  const m = PUBLIC_CURSOR.exec(before);
  return m ? makeSortKey(Number(m[1]), await messageKey(c, m[2]!)) : before;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
