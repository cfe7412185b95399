/**
 * The one inbound pipeline. Both receivers (receive-envelope.ts, receive-nip17.ts) hand in a
 * relay event the pool has ALREADY verified (id and signature), with a function that opens it into
 * one `IncomingMessage`; this module
 * 1. dedupes it in the store's persistent seen set (one mechanism for both protocols), and
 * 2. stores it with `storeIncoming`, the one function that owns contact state (requests, blocks,
 *    accept), routing hints carried in the message, the created_at clamp and the change events.
 * Events are processed one at a time, so contact creation and unread counts stay consistent
 * without locks.
 */
import type { ContactCard } from '../crypto/card';
import { MAX_BODY_CHARS, type OuterEvent } from '../store/db';
import { clampCreatedAt, emitChanged, HEX64, type SyncContext } from './context';
import { settleContact } from './contact-state';
import type { PeerLookup } from './peer-lookup';
import type { Peers } from './peers';
import { addReaction } from './reactions';
import type { Protocol } from './types';

/** A message (or reaction) opened from an envelope or a gift wrap, ready to be stored. */
export interface IncomingMessage {
  /** Inner event id (envelope) or rumor id (NIP-17): the same in every copy. */
  id: string;
  protocol: Protocol;
  /** The verified author. */
  sender: string;
  /** The conversation partner (for my own copies, the recipient). */
  peer: string;
  direction: 'in' | 'out';
  kind: number;
  /** Seconds, as the sender's clock says (clamped when stored). */
  createdAt: number;
  body: string;
  replyTo?: string;
  subject?: string;
  tags?: string[][];
  /** A kind 7 reaction: attached to its target instead of stored as a message. */
  reaction?: { targetId: string; emoji: string };
  /** Envelope: the sender's contact card (a newer record of their devices). */
  card?: ContactCard;
  /** Envelope: the EK the sender's device wrote from (it now reads pair mailboxes from ours). */
  senderEk?: string;
  /** What relays saw: the outer event it came in (sync/outer.ts). */
  outer?: OuterEvent;
}

/** What a receiver's opener gives back. */
export type Opened =
  | { ok: true; message?: IncomingMessage }
  /** `retry`: could not open NOW (the signer refused or timed out): not marked seen. */
  | { ok: false; retry: boolean };

export interface InboundDeps {
  peers: Peers;
  lookup: Pick<PeerLookup, 'applyRecord' | 'refreshLater'>;
}

export class InboundPipeline {
  readonly #ctx: SyncContext;
  readonly #d: InboundDeps;
  #queue: Promise<void> = Promise.resolve();

  constructor(ctx: SyncContext, deps: InboundDeps) {
    this.#ctx = ctx;
    this.#d = deps;
  }

  /** Runs `task` after everything queued before it; failures are reported, never thrown. */
  enqueue(task: () => Promise<void>): void {
    this.#queue = this.#queue.then(task).catch((e) => this.#ctx.fail(e));
  }

  /** Resolves when everything queued so far is done. */
  idle(): Promise<void> {
    return this.#queue.catch(() => {});
  }

  /**
   * One verified relay event: skipped if seen, opened, claimed in the seen set (atomic: another
   * tab may have claimed it meanwhile), then stored. A permanent open failure is claimed too, so it
   * is never opened again; a retryable one is not.
   */
  async receive(eventId: string, expiresAt: number, open: () => Promise<Opened>): Promise<void> {
    const { store, counters } = this.#ctx;
    if (await store.hasSeen(eventId)) {
      counters.duplicates++;
      return;
    }
    const r = await open();
    if (!r.ok && r.retry) return;
    if (!(await store.claimSeen(eventId, Math.max(expiresAt, this.#ctx.now())))) {
      counters.duplicates++;
      return;
    }
    if (!r.ok) counters.openFailures++;
    else if (r.message) await this.storeIncoming(r.message);
  }

  /** Stores one incoming message (see the module comment). Idempotent by message id. */
  async storeIncoming(m: IncomingMessage): Promise<void> {
    const ctx = this.#ctx;
    const { peers, lookup } = this.#d;
    if (m.reaction && !HEX64.test(m.reaction.targetId)) return;
    const outgoing = m.direction === 'out';
    const contact = await settleContact(ctx.store, m.peer, { outgoing, protocol: m.protocol });
    if (contact === 'blocked') return;
    await peers.get(m.peer);
    if (!outgoing) {
      if (m.card && m.card.pubkey === m.sender) await lookup.applyRecord(m.sender, m.card);
      if (m.senderEk && HEX64.test(m.senderEk)) await peers.markPairReady(m.sender, m.senderEk);
    }
    // Nothing known about their devices: ask the public pool (a Veil user writing over NIP-17 from
    // another client upgrades the chat), without holding up the next event.
    if ((m.protocol === 'veil' || contact === 'created') && (await peers.get(m.peer)).devices.length === 0) {
      lookup.refreshLater(m.peer);
    }
    if (contact === 'created') ctx.resubscribe();

    const conversationId = await ctx.store.ensureConversation([m.peer], m.protocol === 'nip17' ? { protocol: 'nip17' } : {});
    if (m.reaction) {
      const r = await addReaction(ctx.store, conversationId, { id: m.id, sender: m.sender, ...m.reaction });
      if (r === 'duplicate') ctx.counters.duplicates++;
      else ctx.emit({ type: 'messages', conversationId });
      return;
    }
    const result = await ctx.store.addMessage({
      id: m.id,
      conversationId,
      createdAt: clampCreatedAt(m.createdAt, ctx.nowS()),
      direction: m.direction,
      status: outgoing ? 'sent' : 'received',
      content: {
        body: m.body.slice(0, MAX_BODY_CHARS),
        sender: m.sender,
        kind: m.kind,
        ...(m.replyTo && HEX64.test(m.replyTo) ? { replyTo: m.replyTo } : {}),
        ...(m.subject !== undefined ? { subject: m.subject.slice(0, 4096) } : {}),
        ...(m.tags && m.tags.length > 0 ? { tags: m.tags } : {}),
        ...(m.outer ? { outer: m.outer } : {})
      }
    });
    if (result === 'duplicate') ctx.counters.duplicates++;
    else emitChanged(ctx, conversationId);
  }
}
