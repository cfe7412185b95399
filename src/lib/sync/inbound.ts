/**
 * The one inbound pipeline. Both receivers (receive-envelope.ts, receive-nip17.ts) hand in a
 * relay event the pool has ALREADY verified (id and signature), with a function that opens it into
 * one `IncomingMessage`; this module
 * 1. queues it (inbound-queue.ts): envelopes one at a time, gift wraps a few at once (their opening
 *    waits on the signer, which must not hold envelopes up), one bounded lane per relay each;
 * 2. dedupes it: a memory LRU of ids already done, then the store's persistent seen set;
 * 3. records it as seen in the store only once it OPENED (issue 11): junk, and everything not for
 *    me, goes to the memory LRU and never writes IndexedDB; a wrap a remote signer could not
 *    decrypt is remembered in the store (it cost a prompt; it must not cost one at every start);
 *    one the signer could not open NOW (refused, timed out, locked) is not recorded at all;
 * 4. stores it with `storeIncoming`, the one function that owns contact state (requests, blocks,
 *    accept), routing hints carried in the message, the created_at clamp and the change events.
 *    Storing runs one at a time (a lock over both queues), so contact creation and unread counts
 *    stay consistent without other locks.
 */
import type { ContactCard } from '../crypto/card';
import { LruSet } from '../shared/lru';
import { MAX_BODY_CHARS, type OuterEvent } from '../store/db';
import { clampCreatedAt, emitChanged, HEX64, type SyncContext } from './context';
import { settleContact } from './contact-state';
import type { PeerLookup } from './peer-lookup';
import type { Peers } from './peers';
import { addReaction } from './reactions';
import type { Protocol } from './types';
import { FairQueue, type QueueStats, type QueuedTask } from './inbound-queue';
import type { TimerSeconds } from './disappearing';
import type { Disappearing } from './disappearing-timer';

/** Ids of events done with (junk, not mine, or known seen) kept in memory: a few `since` windows of a busy relay. */
export const DONE_LRU_SIZE = 16_384;
/** Envelopes waiting per relay; beyond, they are dropped (and counted) until the lane drains. */
export const ENVELOPE_LANE = 1_000;
/** Gift wraps waiting per DM relay. */
export const DM_LANE = 500;
/** Gift wraps opened at once (each may wait on a NIP-07/NIP-46 signer). */
export const DM_CONCURRENCY = 4;
/** At most this many failed wraps are remembered in the store per session; the rest in memory only. */
export const MAX_REMEMBERED_FAILURES = 1_000;

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
  /** A disappearing message: when it is deleted (ms, the sender's timer from its created_at). */
  expiresAt?: number;
  /** A control message: the chat's new timer (seconds; disappearing.ts). */
  timer?: TimerSeconds;
}

/** What a receiver's opener gives back. */
export type Opened =
  /** Without `message` (cover, a note to self): nothing to store, kept in the memory LRU only. */
  | { ok: true; message?: IncomingMessage }
  /** Could not open NOW (the signer refused, timed out or is locked): not marked seen, a later read retries it. */
  | { ok: false; code: 'SIGNER_UNAVAILABLE' }
  /** A deferred envelope whose signature failed: dropped, not remembered (the real one may follow under its id). */
  | { ok: false; code: 'FORGED' }
  /**
   * Opened as not for me, or as garbage: never opened again. `remember`: in the store's seen set
   * (a failure that cost a signer prompt); otherwise in the memory LRU only.
   */
  | { ok: false; code: 'DECRYPT_FAILED'; remember?: boolean };

/** What the queues hold and did (relay/debug screen, tests). */
export interface InboundStats {
  envelopes: QueueStats;
  dms: QueueStats;
  /** Ids held in the memory LRU. */
  done: number;
  /** Failed wraps remembered in the store this session. */
  rememberedFailures: number;
}

export interface InboundDeps {
  peers: Peers;
  lookup: Pick<PeerLookup, 'applyRecord' | 'refreshLater'>;
  disappearing?: Pick<Disappearing, 'adopt' | 'due'>;
}

export class InboundPipeline {
  readonly #ctx: SyncContext;
  readonly #d: InboundDeps;
  readonly #envelopes: FairQueue;
  readonly #dms: FairQueue;
  readonly #done = new LruSet<string>(DONE_LRU_SIZE);
  /** Ids being opened now (gift wraps open concurrently; a resubscribe may deliver one again meanwhile). */
  readonly #opening = new Set<string>();
  /** The store lock: claims and storeIncoming run one at a time. */
  #storing: Promise<void> = Promise.resolve();
  #remembered = 0;

  constructor(ctx: SyncContext, deps: InboundDeps) {
    this.#ctx = ctx;
    this.#d = deps;
    const onError = (e: unknown): void => ctx.fail(e);
    this.#envelopes = new FairQueue({ perSource: ENVELOPE_LANE, concurrency: 1, onError });
    this.#dms = new FairQueue({ perSource: DM_LANE, concurrency: DM_CONCURRENCY, onError });
  }

  /** Queues the opening of one envelope from `relay` (its lane; false if dropped: lane full). */
  enqueueEnvelope(relay: string, task: QueuedTask): boolean {
    return this.#envelopes.push(relay, task);
  }

  /**
   * Asked by the envelope pool before it verifies an event from `relay`: false when that relay's
   * lane is full (counted as a drop), so a flood costs no signature check beyond what the lane holds.
   */
  admitEnvelope(relay: string): boolean {
    return this.#envelopes.admit(relay);
  }

  /** Queues the opening of one gift wrap (or kind 4) from `relay`, apart from the envelopes. */
  enqueueDm(relay: string, task: QueuedTask): boolean {
    return this.#dms.push(relay, task);
  }

  /** Runs `task` once everything queued before it (both queues) is done; failures are reported, never thrown. */
  enqueue(task: () => Promise<void>): void {
    void this.idle()
      .then(task)
      .catch((e: unknown) => this.#ctx.fail(e));
  }

  /** Runs `task` once the envelopes queued before it are done (gift wraps waiting on a signer do not hold it). */
  afterEnvelopes(task: () => Promise<void>): void {
    void this.#envelopes
      .drained()
      .then(() => this.#storing)
      .then(task)
      .catch((e: unknown) => this.#ctx.fail(e));
  }

  /** Resolves when everything queued so far is done. */
  async idle(): Promise<void> {
    await Promise.all([this.#envelopes.drained(), this.#dms.drained()]);
    await this.#storing;
  }

  /** Envelopes of `relay` waiting to be opened. */
  envelopesWaiting(relay: string): number {
    return this.#envelopes.waiting(relay);
  }

  stats(): InboundStats {
    return { envelopes: this.#envelopes.stats(), dms: this.#dms.stats(), done: this.#done.size, rememberedFailures: this.#remembered };
  }

  /**
   * One verified relay event (see the module comment): skipped if done or seen, opened, then, if it
   * opened, stored (idempotent: another tab or the worker may have stored it meanwhile) and claimed
   * in the seen set.
   * With `seenFirst: false` the seen set is not asked before `open` (the opener may ask it itself).
   */
  async receive(eventId: string, expiresAt: number, open: () => Promise<Opened>, opts: { seenFirst?: boolean } = {}): Promise<void> {
    const { store, counters } = this.#ctx;
    if (this.#done.has(eventId) || this.#opening.has(eventId)) {
      counters.duplicates++;
      return;
    }
    // `seenFirst: false` (my intro bucket: mostly other people's first contacts and junk): open first,
    // as a failed trial-open needs no store read; one that opens is deduped by its message id when stored.
    if (opts.seenFirst !== false && (await store.hasSeen(eventId))) {
      this.#done.add(eventId);
      counters.duplicates++;
      return;
    }
    this.#opening.add(eventId);
    try {
      const r = await open();
      if (!r.ok) {
        if (r.code === 'SIGNER_UNAVAILABLE' || r.code === 'FORGED') return;
        counters.openFailures++;
        this.#done.add(eventId);
        if (r.remember && this.#remembered < MAX_REMEMBERED_FAILURES) {
          this.#remembered++;
          await this.#locked(() => store.claimSeen(eventId, Math.max(expiresAt, this.#ctx.now())));
        }
        return;
      }
      // Nothing to store (cover, a note to self): costs one ECDH to see again, so memory only.
      if (!r.message) {
        this.#done.add(eventId);
        return;
      }
      const message = r.message;
      // Stored, THEN claimed as seen: a page killed between the two leaves it unclaimed, so the next
      // read opens it again and storeIncoming (idempotent by message id) finds it there. Claimed
      // first, a kill in between lost the message for good. A store that fails (a full disk) claims
      // nothing, so the next read (re-read, reconnect, start) stores it.
      await this.#locked(async () => {
        await this.storeIncoming(message);
        await store.claimSeen(eventId, Math.max(expiresAt, this.#ctx.now()));
        this.#done.add(eventId);
      });
    } finally {
      this.#opening.delete(eventId);
    }
  }

  /** Runs `fn` under the store lock. */
  #locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#storing.then(fn);
    this.#storing = run.then(
      () => undefined,
      () => undefined
    );
    return run;
  }

  /** Stores one incoming message (see the module comment). Idempotent by message id. */
  async storeIncoming(m: IncomingMessage): Promise<void> {
    const ctx = this.#ctx;
    const { peers, lookup } = this.#d;
    if (m.reaction && !HEX64.test(m.reaction.targetId)) return;
    // Already past its sender's deadline (late, or a relay that ignored NIP-40): it is not shown at all.
    if (m.expiresAt !== undefined && m.expiresAt <= ctx.now()) return;
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
      ...(m.expiresAt !== undefined ? { expiresAt: m.expiresAt } : {}),
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
    if (result === 'duplicate') {
      ctx.counters.duplicates++;
      return;
    }
    if (m.timer !== undefined) await this.#d.disappearing?.adopt(conversationId, m.timer, m.sender, m.createdAt);
    if (m.expiresAt !== undefined) this.#d.disappearing?.due(m.expiresAt);
    emitChanged(ctx, conversationId);
  }
}
