/**
 * Disappearing messages (issue 15 §2): the records of `messages` that carry `expiresAt` (ms, plain,
 * index `by-expiry`, v6). `sweep(now)` deletes every message due by `now` together with what is
 * derived from it, in one transaction:
 * - the message record;
 * - its outbox entries (index `by-message`): an expired message that was never sent is dropped,
 *   never sent late;
 * - its share of the conversation's unread count;
 * - the conversation's preview when it may show that message: removed in the transaction, then
 *   the newest message left gets it (sealed outside, written unless a new message set one meanwhile).
 * `next()` is the earliest deadline still stored, so the sync layer arms one timer, never a poll.
 * Reactions to a deleted message live in a sealed setting of the sync layer, which removes them.
 */
import type { StoreContext } from '../context';
import type { ConversationRecord, MessageRecord } from '../schema';
import { msTime } from '../validate';
import { openMessage } from './atrest';
import { sealPreview } from './messages';

/** Messages deleted by one sweep at most; a longer backlog is finished by the next (armed at once). */
export const MAX_SWEEP = 500;

export interface SweepResult {
  /** Inner ids of the deleted messages (a damaged record, whose id cannot be read, is deleted uncounted). */
  ids: string[];
  /** Conversations that lost messages. */
  conversations: string[];
  /** Outbox entries dropped with them. */
  outbox: number;
}

type PreviewFix = { cid: string; newest: MessageRecord };

export class ExpiryRepo {
  readonly #c: StoreContext;

  constructor(c: StoreContext) {
    this.#c = c;
  }

  /** The earliest `expiresAt` (ms) of a stored message; undefined when none disappears. Works while locked. */
  async next(): Promise<number | undefined> {
    return this.#c.one('messages', 'readonly', async (store) => {
      const cur = await store.index('by-expiry').openKeyCursor();
      return cur ? (cur.key as number) : undefined;
    });
  }

  /** Deletes what is due by `now` (see the module comment). Needs the unlocked vault (ids and previews are sealed). */
  async sweep(now: number): Promise<SweepResult> {
    msTime(now, 'now');
    this.#c.requireUnlocked();
    const due = await this.#c.one('messages', 'readonly', (store) => store.index('by-expiry').getAll(this.#c.keyRange.upperBound(now), MAX_SWEEP));
    if (due.length === 0) return { ids: [], conversations: [], outbox: 0 };
    const opened = await Promise.all(due.map((r) => openMessage(this.#c, r).then((m) => m.id, () => undefined)));
    const result: SweepResult = { ids: [], conversations: [], outbox: 0 };
    const fixes = await this.#c.tx(['messages', 'outbox', 'conversations'], 'readwrite', async (tx, changes) => {
      const msgs = tx.objectStore('messages');
      const box = tx.objectStore('outbox');
      const convs = tx.objectStore('conversations');
      const gone = new Map<string, MessageRecord[]>();
      for (const r of due) {
        if ((await msgs.getKey(r.id)) === undefined) continue; // another tab swept it
        gone.set(r.conversationId, [...(gone.get(r.conversationId) ?? []), r]);
      }
      const fixes: PreviewFix[] = [];
      for (const [cid, recs] of gone) {
        const range = this.#c.keyRange.bound([cid, ''], [cid, '\uffff']);
        const c = await convs.get(cid);
        // Unread = the newest `unread` incoming messages; those among them that go lower the count.
        if (c && c.unread > 0) {
          const keys = new Set(recs.map((r) => r.id));
          let seen = 0;
          let lost = 0;
          let cur = await msgs.index('by-conversation').openCursor(range, 'prev');
          while (cur && seen < c.unread) {
            if (cur.value.direction === 'in') {
              seen++;
              if (keys.has(cur.value.id)) lost++;
            }
            cur = await cur.continue();
          }
          c.unread = Math.max(0, c.unread - lost);
        }
        for (const r of recs) {
          const entries = await box.index('by-message').getAllKeys(r.id);
          for (const key of entries) {
            await box.delete(key);
            changes.push({ store: 'outbox', key });
          }
          result.outbox += entries.length;
          await msgs.delete(r.id);
          const id = opened[due.indexOf(r)];
          if (id) result.ids.push(id);
          changes.push({ store: 'messages', key: id ?? r.id });
        }
        result.conversations.push(cid);
        if (!c) continue;
        // Only a message at least as new as the preview can be the one it shows.
        // Its text goes in this transaction; the newest message left gets the preview just after.
        if (recs.some((r) => r.createdAt >= (c.previewAt ?? 0))) {
          delete c.preview;
          delete c.previewAt;
          const newest = (await msgs.index('by-conversation').openCursor(range, 'prev'))?.value;
          if (newest) fixes.push({ cid, newest });
        }
        await convs.put(c);
        changes.push({ store: 'conversations', key: cid });
      }
      return fixes;
    });
    for (const f of fixes) await this.#fixPreview(f).catch(() => {}); // a damaged newest message leaves the old preview until the next write
    return result;
  }

  async #fixPreview(f: PreviewFix): Promise<void> {
    const { id, content } = await openMessage(this.#c, f.newest);
    const sealed = await sealPreview(this.#c, f.cid, id, content, f.newest.createdAt);
    await this.#c.one('conversations', 'readwrite', async (store, changes) => {
      const c: ConversationRecord | undefined = await store.get(f.cid);
      if (!c || c.preview !== undefined) return; // a newer message wrote its own preview meanwhile
      c.preview = sealed;
      c.previewAt = f.newest.createdAt;
      await store.put(c);
      changes.push({ store: 'conversations', key: f.cid });
    });
  }
}
