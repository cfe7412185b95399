/**
 * Sending a text message (or a kind 15 file message, its file already uploaded): by envelope when a device of the contact is known (their record may be
 * looked up first), else NIP-17 to their DM relays. The message and its outbox entries are stored
 * together before anything goes out; the outbox queue publishes them.
 */
import { VeilError } from '../shared/errors';
import { MAX_BODY_CHARS } from '../store/db';
import type { SyncContext } from './context';
import type { Cover } from './cover';
import { settleContact } from './contact-state';
import { saveOutgoing, type Outgoing } from './outbox-queue';
import type { OwnRecord } from './own-record';
import type { PeerLookup } from './peer-lookup';
import type { Peers } from './peers';
import { prepareEnvelopeSend } from './send-envelope';
import { prepareNip17Send } from './send-nip17';
import type { Disappearing } from './disappearing-timer';
import type { SendExtras } from './disappearing';
import type { Nip17File } from './nip17';

export interface SendDeps {
  peers: Peers;
  own: OwnRecord;
  lookup: Pick<PeerLookup, 'refreshRecord' | 'peerDmRelays'>;
  relays(): readonly string[];
  dmRelays(): readonly string[];
  /** Cover follows the size classes of what is really sent (cover.ts). */
  cover?: Pick<Cover, 'recordReal'>;
  /** The chat's disappearing timer, and the sweeper told of a message that will disappear. */
  timer?: Pick<Disappearing, 'seconds' | 'due'>;
}

/** Stores the message (status 'sending') and its outbox entries; returns the message id. */
export async function sendText(ctx: SyncContext, deps: SendDeps, conversationId: string, text: string, opts: { replyTo?: string; control?: SendExtras['control']; file?: Nip17File }): Promise<string> {
  if (typeof text !== 'string' || (text.trim() === '' && !opts.file)) throw new VeilError('INVALID_INPUT', 'message is empty');
  if (text.length > MAX_BODY_CHARS) throw new VeilError('TOO_LARGE', 'message too long');
  const conv = await ctx.store.getConversation(conversationId);
  if (!conv) throw new VeilError('NOT_FOUND', 'no such conversation');
  const peer = conv.peers.find((p) => p !== ctx.me);
  if (!peer) throw new VeilError('INVALID_INPUT', 'conversation has no peer');
  if ((await deps.peers.get(peer)).devices.length === 0) await deps.lookup.refreshRecord(peer);
  const routing = await deps.peers.get(peer);
  // A control message never disappears; any other message follows the chat's timer as it is now.
  const extras: SendExtras = opts.control !== undefined ? { control: opts.control } : { timer: (await deps.timer?.seconds(conversationId)) ?? 0 };
  const base = { conversationId, lastActivity: conv.lastActivity, text, extras, ...(opts.replyTo ? { replyTo: opts.replyTo } : {}), ...(opts.file ? { file: opts.file } : {}) };
  const byEnvelope = routing.devices.length > 0;
  const out: Outgoing & { cardSentAt?: number } = byEnvelope
    ? await prepareEnvelopeSend(ctx, { own: deps.own, relays: deps.relays() }, { ...base, peer: routing })
    : await prepareNip17Send(ctx, { ...base, peer, peerDmRelays: await deps.lookup.peerDmRelays(peer), myDmRelays: deps.dmRelays() });
  await settleContact(ctx.store, peer, byEnvelope ? { outgoing: true, protocol: 'veil' } : { outgoing: true, protocol: 'nip17', switchProtocol: true });
  await saveOutgoing(ctx.store, out);
  if (out.message.expiresAt !== undefined) deps.timer?.due(out.message.expiresAt);
  if (byEnvelope) await deps.cover?.recordReal(out.entries.flatMap((e) => e.items.map((i) => i.event)), out.message.content.outer?.tag === 'intro').catch((e) => ctx.fail(e));
  if (out.cardSentAt !== undefined) await deps.peers.update(peer, { cardSentAt: out.cardSentAt });
  return out.message.id;
}
