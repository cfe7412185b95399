/**
 * What the user does to a contact from the app (messenger.ts is the facade): decline a request,
 * block, unblock. Each changes the stored state first, then what is read (pair mailboxes, records).
 */
import { deleteReactions } from './reactions';
import type { Parts } from './wiring';

/** Deletes a request, its messages and every per-chat state; a later message from them is a new request. */
export async function declineContact(p: Parts, peer: string): Promise<void> {
  const { store } = p.ctx;
  const cid = await store.conversationIdFor([peer]);
  await Promise.all([deleteReactions(store, cid), p.disappearing.forget(cid)]);
  await store.deleteConversation(cid);
  await store.deleteContact(peer);
  await p.peers.delete(peer);
  p.lookup.forget(peer);
  p.ctx.resubscribe();
}

/** Blocks: their envelopes are dropped and their pair mailboxes no longer read. */
export async function blockContact(p: Parts, peer: string): Promise<void> {
  await p.ctx.store.blockContact(peer);
  p.peers.unfollow(peer);
  p.ctx.resubscribe();
}

/**
 * Unblocks (issue 14 §4): back to Chats; their mailboxes are read again, and while running their
 * record is read again (records of blocked contacts are not applied, so it may have changed).
 * False when they were not blocked.
 */
export async function unblockContact(p: Parts, peer: string, running: boolean): Promise<boolean> {
  const contact = await p.ctx.store.getContact(peer);
  if (contact?.state !== 'blocked') return false;
  await p.ctx.store.setContactState(peer, 'accepted');
  await p.peers.get(peer);
  p.ctx.resubscribe();
  if (running) void p.lookup.refreshRecord(peer).catch(p.ctx.fail);
  return true;
}
