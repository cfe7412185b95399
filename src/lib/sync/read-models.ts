/**
 * Read models: what the UI shows of the store (types.ts view models), built from a few batched
 * reads — the chat list from the conversations and ALL contacts in two reads, a message page with
 * its quotes and reactions.
 */
import { encodeNpub } from '../crypto/nip19';
import type { Contact, Message, VeilStore } from '../store';
import { LEGACY_DM_KIND } from './nip17';
import { relayView } from './outer';
import { npubFingerprint } from './profile';
import { readReactions, type ReactionMap } from './reactions';
import { isSystemLine, storedFile, SYSTEM_TAG } from './stored-content';
import { storedTimer, timerLine } from './disappearing';
import type { ChatMessage, ChatSummary, ContactState } from './types';
import { verificationState } from './verification';

/** Conversations with their contact's state, newest activity first. */
export async function listChats(store: VeilStore, me: string, filter?: ContactState): Promise<ChatSummary[]> {
  const [conversations, contacts] = await Promise.all([store.listConversations(), store.listContacts()]);
  const byKey = new Map<string, Contact>(contacts.map((c) => [c.pubkey, c]));
  const out: ChatSummary[] = [];
  for (const c of conversations) {
    const peer = c.peers.find((p) => p !== me) ?? c.peers[0]!;
    const contact = byKey.get(peer);
    const state: ContactState = contact?.state ?? 'accepted';
    if (filter && state !== filter) continue;
    const npub = encodeNpub(peer);
    const name = contact?.petname ?? contact?.profile?.displayName ?? contact?.profile?.name;
    const s: ChatSummary = {
      id: c.id,
      peer,
      peerNpub: npub,
      fingerprint: npubFingerprint(npub),
      state,
      // The contact's protocol wins: it changes when a NIP-17 contact is upgraded to the envelope.
      protocol: contact?.protocol ?? c.protocol,
      lastActivity: c.lastActivity,
      unread: c.unread,
      hasDraft: c.hasDraft
    };
    if (name) s.name = name;
    if (contact?.petname) s.nickname = contact.petname;
    if (c.preview) s.preview = c.preview.text;
    const verification = contact ? verificationState(contact) : undefined;
    if (verification) s.verification = verification;
    out.push(s);
  }
  return out;
}

function messageView(m: Message, me: string, quote: Message | undefined, reactions: ReactionMap, peerName: string): ChatMessage {
  const v: ChatMessage = {
    id: m.id,
    conversationId: m.conversationId,
    direction: m.direction,
    author: m.content.sender,
    text: m.content.body,
    createdAt: m.createdAt,
    status: m.status,
    deliveries: m.relays.map((r) => ({ relay: r.relay, ok: r.ok, ...(r.message ? { message: r.message } : {}) }))
  };
  const tags = m.content.tags ?? [];
  if (isSystemLine(m.content.kind, tags)) {
    v.system = true;
    const timer = storedTimer(tags);
    if (timer !== undefined) {
      v.text = timerLine(m.content.sender === me ? 'You' : peerName, timer);
      v.systemLine = { kind: 'timer', seconds: timer, byMe: m.content.sender === me };
    } else if (tags.some((t) => t[0] === SYSTEM_TAG && t[1] === 'upgrade')) v.systemLine = { kind: 'upgrade' };
  }
  if (m.expiresAt !== undefined) v.expiresAt = m.expiresAt;
  if (m.content.kind === LEGACY_DM_KIND) v.legacy = true;
  if (m.content.kind === 15) {
    const f = storedFile(tags);
    v.file = f
      ? {
          url: f.url,
          ...(f.mimeType ? { mimeType: f.mimeType } : {}),
          ...(f.size !== undefined ? { size: f.size } : {}),
          ...(f.inlineThumb ? { thumb: f.inlineThumb } : {}),
          ...(f.dim ? { dim: f.dim } : {})
        }
      : { url: '' };
  }
  const rs = reactions[m.id];
  if (rs && rs.length > 0) v.reactions = rs.map((r) => ({ emoji: r.emoji, mine: r.sender === me }));
  if (m.content.outer) v.relayView = relayView(m.content.outer, m.direction);
  const rt = m.content.replyTo;
  if (rt) v.replyTo = quote?.conversationId === m.conversationId ? { id: rt, text: quote.content.body.slice(0, 200), author: quote.content.sender } : { id: rt };
  return v;
}

/** One page of a conversation, newest first; `before` is a sort key (store makeSortKey). */
export async function pageMessages(
  store: VeilStore,
  me: string,
  conversationId: string,
  opts: { before?: string; limit?: number } = {},
  nowMs = Date.now()
): Promise<ChatMessage[]> {
  const [all, reactions] = await Promise.all([
    store.pageMessages(conversationId, { limit: opts.limit ?? 50, ...(opts.before ? { before: opts.before } : {}) }),
    readReactions(store, conversationId)
  ]);
  // A message past its deadline is never shown, even in the moment before the sweeper deletes it.
  const page = { messages: all.messages.filter((m) => m.expiresAt === undefined || m.expiresAt > nowMs) };
  const peerName = page.messages.some((m) => storedTimer(m.content.tags ?? []) !== undefined) ? await contactName(store, me, conversationId) : '';
  const inPage = new Map(page.messages.map((m) => [m.id, m]));
  const missing = [...new Set(page.messages.map((m) => m.content.replyTo).filter((id): id is string => !!id && !inPage.has(id)))];
  const fetched = await Promise.all(missing.map((id) => store.getMessage(id).catch(() => undefined)));
  const quotes = new Map<string, Message | undefined>([...inPage, ...missing.map((id, i) => [id, fetched[i]] as const)]);
  return page.messages.map((m) => messageView(m, me, m.content.replyTo ? quotes.get(m.content.replyTo) : undefined, reactions, peerName));
}

/** The name a system line gives the contact: their nickname, their profile name, else "Your contact". */
async function contactName(store: VeilStore, me: string, conversationId: string): Promise<string> {
  const peer = (await store.getConversation(conversationId).catch(() => undefined))?.peers.find((p) => p !== me);
  const c = peer ? await store.getContact(peer).catch(() => undefined) : undefined;
  return c?.petname ?? c?.profile?.displayName ?? c?.profile?.name ?? 'Your contact';
}
