/**
 * Repository of `messages`: key = blind(inner event id) (atrest.ts), never the id itself. Delivery
 * state, times and sort key plain (indexes `by-conversation`, `by-status`); the id, body, sender,
 * kind, reply-to, subject, tags sealed, and the per-relay results (relay URLs) sealed apart.
 * Adding messages also updates their conversations (activity, preview, unread) in the same
 * transaction. Every lookup by id blinds the id first.
 */
import { VeilError } from '../../shared/errors';
import { openEach, settle, type AnyTxStore, type StoreContext } from '../context';
import { makeSortKey, type ConversationRecord, type MessageRecord, type MessageStatus, type RelayResult } from '../schema';
import { messageKey, openMessage, sealMessage, sealRelays, sortCursor, sameBytes } from './atrest';
import type { ChangeEvent, Message, MessageContent, MessageInput, MessagePage, OutboxInput, Preview } from '../types';
import { outboxRecord, sealOutbox } from './outbox';
import {
  MAX_BATCH,
  MAX_OUTGOING_ENTRIES,
  MAX_PAGE,
  MAX_PREVIEW_CHARS,
  MESSAGE_STATUSES,
  STATUS_FOR,
  bad,
  hex64,
  limit,
  localId,
  mergeRelayResults,
  msTime,
  timestamp,
  validContent,
  validRelayResults
} from '../validate';

/** Messages validated and sealed, ready to be written inside a transaction. */
export interface PreparedMessages {
  recs: MessageRecord[];
  /** The inner event ids of `recs`, in order (change events carry them). */
  ids: string[];
  /** Per conversation: the sealed preview of its newest message in the batch. */
  previews: Map<string, { at: number; sealed: Uint8Array }>;
}


/** The sealed chat-list preview of a message (field `preview` of its conversation). */
export function sealPreview(c: StoreContext, conversationId: string, id: string, content: MessageContent, createdAt: number): Promise<Uint8Array> {
  const p: Preview = { text: content.body.slice(0, MAX_PREVIEW_CHARS), sender: content.sender, messageId: id, createdAt };
  return c.vault.seal('conversations', conversationId, 'preview', p);
}

export class MessagesRepo {
  readonly #c: StoreContext;

  constructor(c: StoreContext) {
    this.#c = c;
  }

  /** Validates and seals a batch (before any transaction opens: WebCrypto must not run inside one). */
  async prepare(inputs: MessageInput[]): Promise<PreparedMessages> {
    if (!Array.isArray(inputs) || inputs.length > MAX_BATCH) bad('message batch');
    const receivedAt = Date.now();
    const recs: MessageRecord[] = [];
    const ids: string[] = [];
    const contents: MessageContent[] = [];
    const relays: RelayResult[][] = [];
    for (const m of inputs) {
      ids.push(hex64(m.id, 'message id'));
      timestamp(m.createdAt, 'created_at');
      if (m.direction !== 'in' && m.direction !== 'out') bad('direction');
      if (!STATUS_FOR[m.direction].includes(m.status)) bad('status');
      contents.push(validContent(m.content));
      relays.push(validRelayResults(m.relays));
      localId(m.conversationId, 'conversation id');
      if (m.receivedAt !== undefined) msTime(m.receivedAt, 'receivedAt');
      if (m.expiresAt !== undefined) msTime(m.expiresAt, 'expiresAt');
    }
    const keys = await Promise.all(ids.map((id) => messageKey(this.#c, id)));
    inputs.forEach((m, i) => {
      const key = keys[i]!;
      recs.push({
        id: key,
        conversationId: m.conversationId,
        sortKey: makeSortKey(m.createdAt, key),
        createdAt: m.createdAt,
        receivedAt: m.receivedAt ?? receivedAt,
        direction: m.direction,
        status: m.status,
        sealedRelays: new Uint8Array(0),
        sealed: new Uint8Array(0),
        ...(m.expiresAt !== undefined ? { expiresAt: m.expiresAt } : {})
      });
    });
    // Seal bodies and relay results, and one preview per conversation (its newest message in this batch).
    const newest = new Map<string, number>();
    recs.forEach((r, i) => {
      const j = newest.get(r.conversationId);
      if (j === undefined || recs[j]!.sortKey < r.sortKey) newest.set(r.conversationId, i);
    });
    const previews = new Map<string, { at: number; sealed: Uint8Array }>();
    await Promise.all([
      ...recs.map(async (r, i) => {
        [r.sealed, r.sealedRelays] = await Promise.all([sealMessage(this.#c, r.id, ids[i]!, contents[i]!, r), sealRelays(this.#c, r.id, relays[i]!)]);
      }),
      ...[...newest].map(async ([cid, i]) => {
        const r = recs[i]!;
        previews.set(cid, { at: r.createdAt, sealed: await sealPreview(this.#c, cid, ids[i]!, contents[i]!, r.createdAt) });
      })
    ]);
    return { recs, ids, previews };
  }

  /**
   * Writes prepared messages through the stores of an open transaction: each is
   * 'added' or 'duplicate' (already stored, or repeated in the batch). Every conversation must exist
   * (NOT_FOUND, which aborts the transaction).
   */
  async write(
    msgs: AnyTxStore<'messages'>,
    convs: AnyTxStore<'conversations'>,
    p: PreparedMessages,
    changes: ChangeEvent[],
    opts: { clearDraft?: boolean } = {}
  ): Promise<('added' | 'duplicate')[]> {
    const cids = [...p.previews.keys()];
    const convRecs = await Promise.all(cids.map((cid) => settle(convs.get(cid))));
    const byId = new Map<string, ConversationRecord>();
    convRecs.forEach((c, i) => {
      if (!c) throw new VeilError('NOT_FOUND', 'no such conversation');
      byId.set(cids[i]!, c);
    });
    const existing = await Promise.all(p.recs.map((r) => settle(msgs.getKey(r.id))));
    const inBatch = new Set<string>();
    const results: ('added' | 'duplicate')[] = [];
    const puts: Promise<unknown>[] = [];
    const touched = new Set<string>();
    p.recs.forEach((r, i) => {
      if (existing[i] !== undefined || inBatch.has(r.id)) {
        results.push('duplicate');
        return;
      }
      inBatch.add(r.id);
      results.push('added');
      puts.push(settle(msgs.put(r)));
      changes.push({ store: 'messages', key: p.ids[i]! });
      const c = byId.get(r.conversationId)!;
      if (r.direction === 'in') c.unread++;
      if (r.createdAt > c.lastActivity) c.lastActivity = r.createdAt;
      touched.add(r.conversationId);
    });
    for (const cid of touched) {
      const c = byId.get(cid)!;
      // A message I sent from the composer: its draft goes in the same transaction, so a crash
      // right after the send cannot bring the sent text back into the box (to be sent twice).
      if (opts.clearDraft) delete c.draft;
      const pv = p.previews.get(cid)!;
      if (c.previewAt === undefined || pv.at >= c.previewAt) {
        c.preview = pv.sealed;
        c.previewAt = pv.at;
      }
      puts.push(settle(convs.put(c)));
      changes.push({ store: 'conversations', key: cid });
    }
    await Promise.all(puts);
    return results;
  }

  async addMany(inputs: MessageInput[]): Promise<('added' | 'duplicate')[]> {
    const prepared = await this.prepare(inputs);
    return this.#c.tx(['messages', 'conversations'], 'readwrite', (tx, changes) =>
      this.write(tx.objectStore('messages'), tx.objectStore('conversations'), prepared, changes)
    );
  }

  /**
   * An outgoing message and every outbox entry that delivers it, in ONE transaction (the job and
   * the row it serves: a crash can no longer strand a message in 'sending' with nothing queued).
   * 'duplicate' when the message is already stored: then nothing is written. Any failure (an entry
   * id already queued, a full disk) aborts the whole transaction: neither the message nor any entry.
   */
  async addOutgoing(message: MessageInput, outbox: OutboxInput[]): Promise<'added' | 'duplicate'> {
    if (message?.direction !== 'out') bad('direction');
    if (!Array.isArray(outbox) || outbox.length > MAX_OUTGOING_ENTRIES) bad('outbox entries');
    const now = Date.now();
    const entries = outbox.map((e) => {
      if (e.messageId !== undefined && e.messageId !== message.id) bad('outbox message id');
      return outboxRecord({ ...e, messageId: message.id }, now);
    });
    if (new Set(entries.map((e) => e.id)).size !== entries.length) bad('outbox ids');
    const [prepared, disks] = await Promise.all([this.prepare([message]), Promise.all(entries.map((e) => sealOutbox(this.#c, e, now)))]);
    return this.#c.tx(['messages', 'conversations', 'outbox'], 'readwrite', async (tx, changes) => {
      const [result] = await this.write(tx.objectStore('messages'), tx.objectStore('conversations'), prepared, changes, { clearDraft: true });
      if (result === 'duplicate') return 'duplicate';
      const box = tx.objectStore('outbox');
      // `add`, not `put`: an id already queued is a ConstraintError that aborts everything.
      await Promise.all(disks.map((e) => settle(box.add(e))));
      for (const e of entries) changes.push({ store: 'outbox', key: e.id });
      return 'added';
    });
  }

  async #view(r: MessageRecord): Promise<Message> {
    const { id, content, relays } = await openMessage(this.#c, r);
    return {
      id,
      conversationId: r.conversationId,
      sortKey: r.sortKey,
      createdAt: r.createdAt,
      receivedAt: r.receivedAt,
      direction: r.direction,
      status: r.status,
      relays,
      content,
      ...(r.expiresAt !== undefined ? { expiresAt: r.expiresAt } : {})
    };
  }

  async get(id: string): Promise<Message | undefined> {
    hex64(id, 'message id');
    const r = await this.#c.get('messages', await messageKey(this.#c, id));
    return r ? this.#view(r) : undefined;
  }

  /**
   * Sets the status and merges relay results. The results are sealed, so the merge happens outside
   * the transaction; the write then checks that nobody changed them meanwhile and starts over if so.
   */
  async updateStatus(id: string, status: MessageStatus, relays?: RelayResult[]): Promise<void> {
    hex64(id, 'message id');
    const fresh = validRelayResults(relays);
    const key = await messageKey(this.#c, id);
    for (let attempt = 0; attempt < 8; attempt++) {
      const before = fresh.length === 0 ? undefined : await this.#c.get('messages', key);
      if (fresh.length > 0 && !before) throw new VeilError('NOT_FOUND', 'no such message');
      const sealed = before ? await sealRelays(this.#c, key, mergeRelayResults((await openMessage(this.#c, before)).relays, fresh)) : undefined;
      const done = await this.#c.one('messages', 'readwrite', async (store, changes) => {
        const r = await store.get(key);
        if (!r) throw new VeilError('NOT_FOUND', 'no such message');
        if (!STATUS_FOR[r.direction].includes(status)) bad('status');
        if (before && sealed) {
          if (!sameBytes(r.sealedRelays, before.sealedRelays)) return false;
          r.sealedRelays = sealed;
        }
        r.status = status;
        await store.put(r);
        changes.push({ store: 'messages', key: id });
        return true;
      });
      if (done) return;
    }
    throw new VeilError('STORAGE_FAILED', 'message status kept changing');
  }

  /** Up to `n` records of an index range, walking backwards (newest first). */
  async #newestFirst(index: 'by-conversation' | 'by-status', range: IDBKeyRange, n: number): Promise<MessageRecord[]> {
    return this.#c.one('messages', 'readonly', async (store) => {
      const out: MessageRecord[] = [];
      let cur = await store.index(index).openCursor(range, 'prev');
      while (cur && out.length < n) {
        out.push(cur.value);
        if (out.length < n) cur = await cur.continue();
      }
      return out;
    });
  }

  async page(conversationId: string, opts: { before?: string; limit: number }): Promise<MessagePage> {
    localId(conversationId, 'conversation id');
    const n = limit(opts.limit, MAX_PAGE);
    if (opts.before !== undefined && (typeof opts.before !== 'string' || opts.before.length > 200)) bad('before');
    this.#c.requireUnlocked();
    const before = opts.before === undefined ? undefined : await sortCursor(this.#c, opts.before);
    const K = this.#c.keyRange;
    const range =
      before === undefined
        ? K.bound([conversationId, ''], [conversationId, '\uffff'])
        : K.bound([conversationId, ''], [conversationId, before], false, true);
    const recs = await this.#newestFirst('by-conversation', range, n);
    const { ok, corrupted } = await openEach(recs, (r) => this.#view(r));
    const page: MessagePage = { messages: ok, corrupted };
    if (recs.length === n) page.nextBefore = recs[recs.length - 1]!.sortKey;
    return page;
  }

  async listByStatus(status: MessageStatus, opts: { limit: number }): Promise<Message[]> {
    if (!MESSAGE_STATUSES.includes(status)) bad('status');
    const n = limit(opts.limit, MAX_PAGE);
    this.#c.requireUnlocked();
    const recs = await this.#newestFirst('by-status', this.#c.keyRange.bound([status, ''], [status, '\uffff']), n);
    return Promise.all(recs.map((r) => this.#view(r)));
  }
}
