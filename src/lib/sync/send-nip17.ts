/**
 * The NIP-17 sender (issue 5): one rumor (its id is the message id in every copy), a seal and wrap
 * for the peer (each of their 10050 relays) and for me (each of mine). The outbox publishes the
 * wraps through the NIP-17 publish pool (sockets.ts), never authenticating.
 */
import { userError } from '../shared/errors';
import { sendCreatedAt, type SyncContext } from './context';
import { planNip17Send } from './nip17';
import { entryId } from './outbox';
import { outerEvent } from './outer';
import type { Outgoing } from './outbox-queue';
import { applyExtras, type SendExtras } from './disappearing';
import type { Nip17File } from './nip17';
import { storedBody } from './stored-content';
import { m } from '../paraglide/messages';

export interface Nip17Send {
  conversationId: string;
  lastActivity: number;
  peer: string;
  peerDmRelays: readonly string[];
  myDmRelays: readonly string[];
  text: string;
  replyTo?: string;
  /** A kind 15 file message instead of text (its URL is the content; `text` is ignored). */
  file?: Nip17File;
  /** A control message, or the chat's timer (disappearing.ts). */
  extras?: SendExtras;
}

/** The message and one entry per side. Errors: NO_DM_RELAYS, and planNip17Send's. */
export async function prepareNip17Send(ctx: SyncContext, s: Nip17Send): Promise<Outgoing> {
  if (s.peerDmRelays.length === 0) throw userError('NO_DM_RELAYS', m.err_no_dm_relays());
  const nowS = ctx.nowS();
  const createdAt = sendCreatedAt(s.lastActivity, nowS);
  const tags: string[][] = [];
  const ext = applyExtras(tags, createdAt, nowS, s.extras);
  const plan = await planNip17Send({
    me: ctx.me,
    peer: s.peer,
    peerDmRelays: s.peerDmRelays,
    myDmRelays: s.myDmRelays,
    signer: ctx.signer,
    nowSeconds: nowS,
    text: s.text,
    ...(s.file ? { file: s.file } : {}),
    createdAt,
    tags,
    ...(ext.relayExpiration !== undefined ? { expiresAt: ext.relayExpiration } : {}),
    ...(s.replyTo ? { replyTo: s.replyTo } : {})
  });
  const entries = (['peer', 'self'] as const)
    .map((to) => ({ id: entryId(plan.rumorId, to, 0), messageId: plan.rumorId, items: plan.publishes.filter((p) => p.to === to).map((p) => ({ relay: p.relay, event: p.event })), nextAttemptAt: 0 }))
    .filter((e) => e.items.length > 0);
  // Every relay sees the recipient in the wrap's `p` tag.
  const toPeer = plan.publishes.filter((p) => p.to === 'peer');
  const first = toPeer[0] ?? plan.publishes[0];
  const outer = first ? { outer: outerEvent(first.event, 'recipient', plan.rumor.created_at, plan.publishes.map((p) => p.relay)) } : {};
  return {
    message: {
      id: plan.rumorId,
      conversationId: s.conversationId,
      createdAt: plan.rumor.created_at,
      direction: 'out',
      status: 'sending',
      ...(ext.expiresAtMs !== undefined ? { expiresAt: ext.expiresAtMs } : {}),
      content: { ...storedBody(s, ext.stored), sender: ctx.me, ...(s.replyTo ? { replyTo: s.replyTo } : {}), ...outer }
    },
    entries
  };
}
