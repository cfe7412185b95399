/**
 * Repository of `conversations`: key = blind(sorted peers). Counters and flags plain (badge while
 * locked, index `by-activity`); peers, protocol and title sealed, preview and draft sealed apart.
 */
import { VeilError } from '../../shared/errors';
import { nowS, openEach, type StoreContext } from '../context';
import type { ConversationRecord } from '../schema';
import type { Conversation, Preview, Protocol } from '../types';
import { MAX_DRAFT_CHARS, localId, optText, protocol, text, validPeers } from '../validate';

/** Sealed in `conversations.sealed` (preview and draft are sealed in their own fields). */
interface ConversationSecret {
  peers: string[];
  protocol: Protocol;
  title?: string;
}

export class ConversationsRepo {
  readonly #c: StoreContext;

  constructor(c: StoreContext) {
    this.#c = c;
  }

  idFor(peers: string[]): Promise<string> {
    return this.#c.vault.blind('conversation', validPeers(peers).join(','));
  }

  async ensure(peers: string[], opts: { protocol?: Protocol; title?: string }): Promise<string> {
    const sorted = validPeers(peers);
    if (opts.protocol !== undefined) protocol(opts.protocol);
    const id = await this.#c.vault.blind('conversation', sorted.join(','));
    const secret: ConversationSecret = { peers: sorted, protocol: opts.protocol ?? 'veil' };
    const title = optText(opts.title, 256, 'title');
    if (title !== undefined) secret.title = title;
    const sealed = await this.#c.vault.seal('conversations', id, 'data', secret);
    const now = nowS();
    await this.#c.one('conversations', 'readwrite', async (store, changes) => {
      if ((await store.getKey(id)) !== undefined) return;
      await store.add({ id, createdAt: now, lastActivity: now, unread: 0, muted: false, archived: false, sealed });
      changes.push({ store: 'conversations', key: id });
    });
    return id;
  }

  async #view(r: ConversationRecord): Promise<Conversation> {
    const s = await this.#c.vault.open<ConversationSecret>('conversations', r.id, 'data', r.sealed);
    const c: Conversation = {
      id: r.id,
      peers: s.peers,
      protocol: s.protocol,
      lastActivity: r.lastActivity,
      unread: r.unread,
      muted: r.muted,
      archived: r.archived,
      hasDraft: r.draft !== undefined,
      createdAt: r.createdAt
    };
    if (s.title !== undefined) c.title = s.title;
    if (r.preview) c.preview = await this.#c.vault.open<Preview>('conversations', r.id, 'preview', r.preview);
    return c;
  }

  async get(id: string): Promise<Conversation | undefined> {
    localId(id, 'conversation id');
    this.#c.requireUnlocked();
    const r = await this.#c.get('conversations', id);
    return r ? this.#view(r) : undefined;
  }

  async list(opts: { archived?: boolean }): Promise<Conversation[]> {
    this.#c.requireUnlocked();
    const wantArchived = opts.archived ?? false;
    const recs = await this.#c.one('conversations', 'readonly', async (store) => {
      const out: ConversationRecord[] = [];
      let cur = await store.index('by-activity').openCursor(null, 'prev');
      while (cur) {
        if (cur.value.archived === wantArchived) out.push(cur.value);
        cur = await cur.continue();
      }
      return out;
    });
    return (await openEach(recs, (r) => this.#view(r))).ok;
  }

  /** Changes one conversation record in place; NOT_FOUND if absent unless `ifAbsent` is 'skip'. */
  async #update(id: string, change: (r: ConversationRecord) => boolean, ifAbsent: 'fail' | 'skip' = 'fail'): Promise<void> {
    await this.#c.one('conversations', 'readwrite', async (store, changes) => {
      const r = await store.get(id);
      if (!r) {
        if (ifAbsent === 'fail') throw new VeilError('NOT_FOUND', 'no such conversation');
        return;
      }
      if (!change(r)) return;
      await store.put(r);
      changes.push({ store: 'conversations', key: id });
    });
  }


  async markRead(id: string): Promise<void> {
    localId(id, 'conversation id');
    await this.#update(
      id,
      (r) => {
        if (r.unread === 0) return false;
        r.unread = 0;
        return true;
      },
      'skip'
    );
  }

  async totalUnread(): Promise<number> {
    const recs = await this.#c.one('conversations', 'readonly', async (store) => store.getAll());
    return recs.reduce((n, r) => n + (r.muted || r.archived ? 0 : r.unread), 0);
  }

  async setDraft(id: string, draft: string | null): Promise<void> {
    localId(id, 'conversation id');
    const d = draft === null || draft === '' ? undefined : text(draft, MAX_DRAFT_CHARS, 'draft');
    const sealed = d === undefined ? undefined : await this.#c.vault.seal('conversations', id, 'draft', d);
    await this.#update(id, (r) => {
      if (sealed) r.draft = sealed;
      else delete r.draft;
      return true;
    });
  }

  async getDraft(id: string): Promise<string | null> {
    localId(id, 'conversation id');
    this.#c.requireUnlocked();
    const r = await this.#c.get('conversations', id);
    if (!r?.draft) return null;
    return this.#c.vault.open<string>('conversations', id, 'draft', r.draft);
  }

  /** Deletes a conversation, all its messages and their outbox entries, in one transaction. */
  async delete(id: string): Promise<void> {
    localId(id, 'conversation id');
    const range = this.#c.keyRange.bound([id, ''], [id, '\uffff']);
    await this.#c.tx(['conversations', 'messages', 'outbox'], 'readwrite', async (tx, changes) => {
      const outbox = tx.objectStore('outbox').index('by-message');
      let cur = await tx.objectStore('messages').index('by-conversation').openCursor(range);
      while (cur) {
        for (const key of await outbox.getAllKeys(cur.primaryKey)) await tx.objectStore('outbox').delete(key);
        await cur.delete();
        cur = await cur.continue();
      }
      await tx.objectStore('conversations').delete(id);
      changes.push({ store: 'conversations', key: id });
    });
  }
}
