/**
 * NIP-17 kind 7 reactions: kept in one sealed setting per conversation (`sync.reactions.<id>`:
 * `{ [targetId]: [{ id, emoji, sender }] }`, bounded) and shown under the message they name.
 */
import type { JsonValue, VeilStore } from '../store';

/** Reactions of one conversation by target message id. */
export type ReactionMap = Record<string, { id: string; emoji: string; sender: string }[]>;

export interface Reaction {
  /** The reaction's own id (rumor id). */
  id: string;
  sender: string;
  targetId: string;
  emoji: string;
}

/** Targets kept per conversation, and reactions per message. */
const MAX_REACTION_TARGETS = 2_000;
const MAX_REACTIONS_PER_MESSAGE = 32;

const reactionsKey = (conversationId: string) => `sync.reactions.${conversationId}`;

export async function readReactions(store: VeilStore, conversationId: string): Promise<ReactionMap> {
  const raw = await store.getSetting<JsonValue>(reactionsKey(conversationId)).catch(() => undefined);
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return {};
  return raw as unknown as ReactionMap;
}

/** Stores a reaction; one per person and message (a newer one replaces the older). */
export async function addReaction(store: VeilStore, conversationId: string, r: Reaction): Promise<'added' | 'duplicate'> {
  const map = await readReactions(store, conversationId);
  const list = map[r.targetId] ?? [];
  if (list.some((x) => x.id === r.id)) return 'duplicate';
  const next = [...list.filter((x) => x.sender !== r.sender), { id: r.id, emoji: r.emoji, sender: r.sender }].slice(-MAX_REACTIONS_PER_MESSAGE);
  const keys = Object.keys(map);
  if (!map[r.targetId] && keys.length >= MAX_REACTION_TARGETS) delete map[keys[0]!];
  map[r.targetId] = next;
  await store.setSetting(reactionsKey(conversationId), map as unknown as JsonValue);
  return 'added';
}

export async function deleteReactions(store: VeilStore, conversationId: string): Promise<void> {
  await store.deleteSetting(reactionsKey(conversationId));
}

/** Drops the reactions to messages that are gone (disappearing messages: disappearing-timer.ts). */
export async function deleteReactionsFor(store: VeilStore, conversationId: string, messageIds: readonly string[]): Promise<void> {
  const map = await readReactions(store, conversationId);
  const hit = messageIds.filter((id) => map[id]);
  if (hit.length === 0) return;
  for (const id of hit) delete map[id];
  await store.setSetting(reactionsKey(conversationId), map as unknown as JsonValue);
}
