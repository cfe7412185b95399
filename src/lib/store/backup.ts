/**
 * A whole profile as backup records (docs/proposals/0007-backup.md §Payload), and back again:
 * - `backupRecords` reads an unlocked store out, record by record, messages a page at a time (memory stays
 *   bounded by one page);
 * - `BackupImporter` writes records into a FRESH store through the repositories (so every record is validated
 *   and sealed as any other write), mapping the old conversation ids (blind indexes of the old vault) to new ones;
 * - `copyProfile` moves that restored profile into the real database in ONE transaction that refuses a database
 *   already holding a vault or an account: an import lands whole or not at all, and never over an identity.
 * Never imports crypto/ or relay/; the sync layer (sync/backup.ts) frames, seals and opens the file.
 */
import { bytesToHex, hexToBytes, wipe } from '../shared/bytes';
import { VeilError, userError } from '../shared/errors';
import type { VeilStore } from './db';
import { toStoreError } from './idb-errors';
import { openVeilDB, type IdbPlatform } from './migrations';
import { STORE_NAMES, type ConversationRecord, type Direction, type JsonValue, type MessageStatus, type RelayRecord } from './schema';
import type { Contact, MessageContent, MessageInput, PeerRouting, Profile, Protocol, SignerInfo } from './types';
import { MAX_PAGE } from './validate';

/** One line of the payload, as the store reads and writes it (the account's signer as stored: see sync/backup.ts). */
export type BackupRecord =
  | { t: 'account'; id: string; pubkey: string; signer: SignerInfo; profile?: Profile }
  | { t: 'device'; id: string; label: string; /** hex */ secretKey: string; accountId?: string }
  | { t: 'relay'; url: string; role: RelayRecord['role']; enabled: boolean; limits?: RelayRecord['limits'] }
  | { t: 'setting'; key: string; value: JsonValue; plain: boolean }
  | ({ t: 'contact' } & Omit<Contact, 'addedAt' | 'updatedAt'>)
  | { t: 'peer'; peer: PeerRouting }
  | {
      t: 'conversation';
      id: string;
      peers: string[];
      protocol: Protocol;
      title?: string;
      draft?: string;
      unread: number;
      muted: boolean;
      archived: boolean;
      createdAt: number;
      lastActivity: number;
    }
  | {
      t: 'message';
      /** The conversation record's `id` in this file. */
      conversation: string;
      id: string;
      createdAt: number;
      receivedAt: number;
      direction: Direction;
      status: MessageStatus;
      content: MessageContent;
      /** A disappearing message's deadline (ms): kept, so the restored copy still disappears (swept once past). */
      expiresAt?: number;
      relays: MessageInput['relays'];
    };

export interface BackupCounts {
  accounts: number;
  devices: number;
  relays: number;
  settings: number;
  contacts: number;
  conversations: number;
  messages: number;
  /** Records that could not be read (export: damaged on disk) or were not understood (import: skipped). */
  skipped: number;
}

export const emptyCounts = (): BackupCounts => ({ accounts: 0, devices: 0, relays: 0, settings: 0, contacts: 0, conversations: 0, messages: 0, skipped: 0 });

const PROFILE_IN_USE = 'This device already has a Veil identity. A backup is restored only into an empty Veil: sign out and wipe this one first (Settings → Account).';

/**
 * Every record of an unlocked store, in the order an import needs (conversations before their messages).
 * `skipSetting` leaves settings out (the remembered identity key: the account record carries it). `counts` is
 * filled as records are read; damaged records are skipped and counted in `skipped`, never fatal.
 */
export async function* backupRecords(store: VeilStore, counts: BackupCounts, skipSetting: (key: string) => boolean = () => false): AsyncGenerator<BackupRecord> {
  if (store.isLocked()) throw new VeilError('VAULT_LOCKED', 'vault is locked');
  for (const a of await store.listAccounts()) {
    counts.accounts++;
    yield { t: 'account', id: a.id, pubkey: a.pubkey, signer: a.signer, ...(a.profile ? { profile: a.profile } : {}) };
  }
  for (const d of await store.listDevices()) {
    counts.devices++;
    yield { t: 'device', id: d.id, label: d.label, secretKey: bytesToHex(d.secretKey), ...(d.accountId ? { accountId: d.accountId } : {}) };
    wipe(d.secretKey);
  }
  for (const r of await store.listRelays()) {
    counts.relays++;
    yield { t: 'relay', url: r.url, role: r.role, enabled: r.enabled, ...(r.limits ? { limits: r.limits } : {}) };
  }
  const { settings, corrupted } = await store.listSettings();
  counts.skipped += corrupted;
  for (const s of settings)
    if (!skipSetting(s.key)) {
      counts.settings++;
      yield { t: 'setting', ...s };
    }
  for (const c of await store.listContacts()) {
    counts.contacts++;
    const { addedAt: _a, updatedAt: _u, ...rest } = c;
    yield { t: 'contact', ...rest };
    const peer = await store.getPeer(c.pubkey);
    if (peer) yield { t: 'peer', peer };
  }
  const conversations = [...(await store.listConversations({ archived: false })), ...(await store.listConversations({ archived: true }))];
  for (const c of conversations) {
    counts.conversations++;
    const draft = c.hasDraft ? await store.getDraft(c.id) : null;
    yield {
      t: 'conversation', id: c.id, peers: c.peers, protocol: c.protocol, ...(c.title ? { title: c.title } : {}), ...(draft ? { draft } : {}),
      unread: c.unread, muted: c.muted, archived: c.archived, createdAt: c.createdAt, lastActivity: c.lastActivity
    };
    let before: string | undefined;
    do {
      const page = await store.pageMessages(c.id, { limit: MAX_PAGE, ...(before ? { before } : {}) });
      counts.skipped += page.corrupted;
      for (const m of page.messages) {
        counts.messages++;
        yield { t: 'message', conversation: c.id, id: m.id, createdAt: m.createdAt, receivedAt: m.receivedAt, direction: m.direction, status: m.status, content: m.content, relays: m.relays, ...(m.expiresAt !== undefined ? { expiresAt: m.expiresAt } : {}) };
      }
      before = page.nextBefore;
    } while (before);
  }
}

/** The plain counters of restored conversations (keyed by their NEW id), set by `copyProfile`. */
export type ConversationCounters = Map<string, Pick<ConversationRecord, 'unread' | 'muted' | 'archived' | 'createdAt' | 'lastActivity'>>;

/**
 * Writes backup records into a fresh, unlocked store (never the one in use: `copyProfile` moves the result).
 * Messages go in batches (one transaction each); settings last, their keys' old conversation ids replaced.
 * A message of a conversation not in the file, or a record the store refuses, is INVALID_INPUT: the import stops.
 */
export class BackupImporter {
  readonly counts = emptyCounts();
  readonly #store: VeilStore;
  readonly #batchSize: number;
  readonly #ids = new Map<string, string>();
  readonly #counters: ConversationCounters = new Map();
  #batch: MessageInput[] = [];
  #settings: { key: string; value: JsonValue; plain: boolean }[] = [];

  constructor(store: VeilStore, batchSize = MAX_PAGE) {
    this.#store = store;
    this.#batchSize = batchSize;
  }

  async add(r: BackupRecord): Promise<void> {
    const s = this.#store;
    switch (r.t) {
      case 'account':
        await s.putAccount({ id: r.id, pubkey: r.pubkey, signer: r.signer, ...(r.profile ? { profile: r.profile } : {}) });
        this.counts.accounts++;
        return;
      case 'device': {
        const secretKey = hexToBytes(r.secretKey, 32);
        await s.putDevice({ id: r.id, label: r.label, secretKey, ...(r.accountId ? { accountId: r.accountId } : {}) });
        wipe(secretKey);
        this.counts.devices++;
        return;
      }
      case 'relay':
        await s.putRelay({ url: r.url, role: r.role, enabled: r.enabled, ...(r.limits ? { limits: r.limits } : {}) });
        this.counts.relays++;
        return;
      case 'setting':
        this.#settings.push({ key: r.key, value: r.value, plain: r.plain });
        return;
      case 'contact': {
        const { t: _t, verified, petname, profile, ...c } = r;
        await s.upsertContact({ ...c, ...(petname ? { petname } : {}), ...(profile ? { profile } : {}), ...(verified ? { verified } : {}) });
        this.counts.contacts++;
        return;
      }
      case 'peer':
        await s.putPeer(r.peer);
        return;
      case 'conversation': {
        const id = await s.ensureConversation(r.peers, { protocol: r.protocol, ...(r.title ? { title: r.title } : {}) });
        this.#ids.set(r.id, id);
        this.#counters.set(id, { unread: r.unread, muted: r.muted, archived: r.archived, createdAt: r.createdAt, lastActivity: r.lastActivity });
        if (r.draft) await s.setDraft(id, r.draft);
        this.counts.conversations++;
        return;
      }
      case 'message': {
        const conversationId = this.#ids.get(r.conversation);
        if (!conversationId) throw userError('INVALID_INPUT', 'This backup is damaged: a message names no conversation in it. Nothing was restored.', { key: 'err_backup_no_conversation' });
        // The outbox is not in a backup: a message still sending there is shown as failed, to be sent again.
        const status: MessageStatus = r.status === 'sending' ? 'failed' : r.status;
        this.#batch.push({ id: r.id, conversationId, createdAt: r.createdAt, receivedAt: r.receivedAt, direction: r.direction, status, content: r.content, relays: r.relays ?? [], ...(r.expiresAt !== undefined ? { expiresAt: r.expiresAt } : {}) });
        if (this.#batch.length >= this.#batchSize) await this.#flush();
        return;
      }
      default:
        this.counts.skipped++; // a record type of a later version: left out, counted
    }
  }

  async #flush(): Promise<void> {
    const batch = this.#batch;
    this.#batch = [];
    if (batch.length === 0) return;
    const results = await this.#store.addMessages(batch);
    this.counts.messages += results.filter((x) => x === 'added').length;
  }

  /** Writes what is buffered; returns the counters `copyProfile` sets on the new conversations. */
  async finish(): Promise<ConversationCounters> {
    await this.#flush();
    for (const { key, value, plain } of this.#settings) {
      let k = key;
      for (const [old, id] of this.#ids) k = k.split(old).join(id);
      await (plain ? this.#store.setPublicSetting(k, value) : this.#store.setSetting(k, value));
      this.counts.settings++;
    }
    this.#settings = [];
    return this.#counters;
  }
}

/**
 * Copies every record of database `from` into database `to` in one read-write transaction, setting the given
 * conversation counters; `to` keeps its own `meta`. Refuses (INVALID_INPUT, nothing written) when `to` already
 * holds a vault or an account. Memory: every record of `from` at once (the backup's size bound applies).
 */
export async function copyProfile(platform: IdbPlatform, from: string, to: string, counters: ConversationCounters): Promise<void> {
  const names = STORE_NAMES.filter((n) => n !== 'meta');
  const src = await openVeilDB(platform, from);
  let data: { name: (typeof names)[number]; recs: unknown[] }[];
  try {
    const tx = src.transaction(names, 'readonly');
    data = await Promise.all(names.map(async (name) => ({ name, recs: (await tx.objectStore(name).getAll()) as unknown[] })));
    await tx.done;
  } catch (e) {
    throw toStoreError(e);
  } finally {
    src.close();
  }
  const dst = await openVeilDB(platform, to);
  try {
    const tx = dst.transaction(names, 'readwrite', { durability: 'strict' });
    const done = tx.done;
    done.catch(() => {});
    try {
      if ((await tx.objectStore('vault').count()) > 0 || (await tx.objectStore('accounts').count()) > 0) throw userError('INVALID_INPUT', PROFILE_IN_USE, { key: 'err_backup_profile_in_use' });
      const puts: Promise<unknown>[] = [];
      for (const { name, recs } of data)
        for (const rec of recs) {
          if (name === 'conversations') Object.assign(rec as ConversationRecord, counters.get((rec as ConversationRecord).id) ?? {});
          puts.push(tx.objectStore(name).put(rec as never));
        }
      await Promise.all(puts);
      await done;
    } catch (e) {
      try {
        tx.abort();
      } catch {
        // already finished
      }
      throw e instanceof VeilError ? e : toStoreError(tx.error ?? e);
    }
  } finally {
    dst.close();
  }
}

/** The sentence for a restore into a profile in use (sync/backup.ts checks before any work). */
export function profileInUse(): VeilError {
  return userError('INVALID_INPUT', PROFILE_IN_USE, { key: 'err_backup_profile_in_use' });
}
