/**
 * VeilStore: the local storage API the sync layer and the UI use (docs/design.md §1 local disk, §6 store).
 * A facade over one repository per object store (repos/); it owns the connection and the vault.
 *
 * - One IndexedDB transaction per logical write, so a failure (disk full: STORAGE_QUOTA; anything
 *   else: STORAGE_FAILED) leaves nothing half-written.
 * - Sealed fields need the unlocked vault (VAULT_LOCKED otherwise), and so does every lookup by a
 *   message or outbox id (ids are blinded, issue 11); plain counters (unread, relays, public
 *   settings) and the outbox purge work while locked, so the service worker can badge.
 * - Writes notify `onChange` listeners after commit with `{ store, key }` (keys are ids or blind
 *   ids, never plaintext), so the app can tell other tabs over BroadcastChannel.
 *
 * docs/storage.md records, field by field, what is plain and what a stolen disk reveals.
 */
import { StoreContext } from './context';
import { openVeilDB, type IdbPlatform, type OpenOptions } from './migrations';
import { AccountsRepo } from './repos/accounts';
import { ContactsRepo } from './repos/contacts';
import { ConversationsRepo } from './repos/conversations';
import { DevicesRepo } from './repos/devices';
import { ExpiryRepo } from './repos/expiry';
import { LockedInboxRepo } from './repos/locked-inbox';
import { MessagesRepo } from './repos/messages';
import { OutboxRepo } from './repos/outbox';
import { PeersRepo } from './repos/peers';
import { RelaysRepo } from './repos/relays';
import { SeenRepo } from './repos/seen';
import { SettingsRepo } from './repos/settings';
import { VaultRepo } from './repos/vault';
import { DB_NAME, type ContactState, type JsonValue, type MessageStatus, type OutboxRecord, type RelayRecord, type RelayResult } from './schema';
import type {
  Account, AccountInput, ChangeListener, Contact, ContactInput, Conversation, Device, DeviceInput, Message, MessageInput, MessagePage,
  OutboxAttempt, OutboxInput, PeerRouting, Protocol, RelayInput, VaultOptions
} from './types';
import { Vault } from './vault';

export type { IdbPlatform } from './migrations';
export type * from './types';
export {
  MAX_BODY_CHARS, MAX_DRAFT_CHARS, MAX_PREVIEW_CHARS, MAX_PEERS, MAX_EKS, MAX_CONTACT_RELAYS, MAX_SHORT_TEXT,
  MAX_TAGS, MAX_OUTBOX_ITEMS, MAX_EVENT_JSON, MAX_PAGE, MAX_BATCH, MAX_OUTGOING_ENTRIES, MAX_PEER_DEVICES, MAX_PEER_DEVICE_RELAYS,
  MAX_PEER_PAIR_READY, MAX_PEER_DM_RELAYS, MAX_PEER_LABEL_CHARS, MAX_OUTER_OFFSET_S
} from './validate';

/**
 * The store. Create with `VeilStore.open(platform, name)`; set up or unlock the vault before any
 * call that reads or writes sealed fields.
 */
export class VeilStore {
  readonly #c: StoreContext;
  readonly #vault: VaultRepo;
  readonly #accounts: AccountsRepo;
  readonly #devices: DevicesRepo;
  readonly #contacts: ContactsRepo;
  readonly #conversations: ConversationsRepo;
  readonly #messages: MessagesRepo;
  readonly #outbox: OutboxRepo;
  readonly #seen: SeenRepo;
  readonly #relays: RelaysRepo;
  readonly #settings: SettingsRepo;
  readonly #peers: PeersRepo;
  /** Disappearing messages (repos/expiry.ts): `next()` (earliest deadline), `sweep(now)`. */
  readonly expiring: ExpiryRepo;
  /** What the service worker read while locked, and its plan (repos/locked-inbox.ts); works while locked. */
  readonly lockedInbox: LockedInboxRepo;

  private constructor(c: StoreContext) {
    this.#c = c;
    this.#vault = new VaultRepo(c);
    this.#accounts = new AccountsRepo(c);
    this.#devices = new DevicesRepo(c);
    this.#contacts = new ContactsRepo(c);
    this.#conversations = new ConversationsRepo(c);
    this.#messages = new MessagesRepo(c);
    this.#outbox = new OutboxRepo(c);
    this.#seen = new SeenRepo(c);
    this.#relays = new RelaysRepo(c);
    this.#settings = new SettingsRepo(c);
    this.#peers = new PeersRepo(c, this.#conversations);
    this.expiring = new ExpiryRepo(c);
    this.lockedInbox = new LockedInboxRepo(c);
  }

  /** Opens (creating or migrating) the database through the given IndexedDB factory (the page's, or fake-indexeddb's); the vault starts locked. */
  static async open(platform: IdbPlatform, name: string = DB_NAME, opts: OpenOptions = {}): Promise<VeilStore> {
    const db = await openVeilDB(platform, name, opts);
    return new VeilStore(new StoreContext(db, platform, new Vault()));
  }

  /** Closes the connection and locks the vault. */
  close(): void {
    this.#c.vault.lock();
    this.#c.db.close();
  }

  /** Registers a write listener; returns its unsubscribe function. */
  onChange(listener: ChangeListener): () => void {
    return this.#c.onChange(listener);
  }

  // ------------------------------------------------------------------------------ vault

  /** True once a passphrase vault exists (setup was done). Works while locked. */
  hasVault = (): Promise<boolean> => this.#vault.hasVault();
  /** True if a "remember on this device" wrap exists. */
  hasDeviceUnlock = (): Promise<boolean> => this.#vault.hasDeviceUnlock();
  /** True while the vault key is not in memory. */
  isLocked(): boolean {
    return this.#c.vault.locked;
  }
  /** First run: makes the vault key, wraps it under the passphrase (and a device key if asked), leaves it unlocked. INVALID_INPUT if a vault exists. */
  setupVault(passphrase: string, opts: VaultOptions = {}): Promise<void> {
    return this.#vault.setup(passphrase, opts);
  }
  /** Unlocks with the passphrase (WRONG_PASSPHRASE: nothing written, no lockout); `rememberDevice` also stores a device wrap. */
  unlock(passphrase: string, opts: { rememberDevice?: boolean } = {}): Promise<void> {
    return this.#vault.unlock(passphrase, opts);
  }
  /** Unlocks with the device wrap, if one exists; false when there is none. */
  unlockWithDevice(): Promise<boolean> {
    return this.#vault.unlockWithDevice();
  }
  /** Deletes the device wrap: from now on only the passphrase opens the vault. */
  forgetDevice(): Promise<void> {
    return this.#vault.forgetDevice();
  }
  /**
   * Re-wraps the same vault key under a new passphrase (the old one required; no message is re-encrypted). `accounts`
   * are rewritten in the same transaction (an identity key re-encrypted under the new passphrase): all or nothing.
   */
  changePassphrase(oldPassphrase: string, newPassphrase: string, opts: { iterations?: number; accounts?: (AccountInput & { id: string })[] } = {}): Promise<void> {
    const { accounts, ...rest } = opts;
    const sealed = accounts ? { accounts: () => Promise.all(accounts.map((a) => this.#accounts.sealed(a))) } : {};
    return this.#vault.changePassphrase(oldPassphrase, newPassphrase, { ...rest, ...sealed });
  }
  /** Drops the vault key from memory. Sealed reads and writes then fail with VAULT_LOCKED. */
  lock(): void {
    this.#c.vault.lock();
  }

  // ------------------------------------------------------------------------------ accounts, devices

  /** Adds or replaces an account (matched by id, else by pubkey). Returns its local id. */
  putAccount(input: AccountInput): Promise<string> {
    return this.#accounts.put(input);
  }
  /** One account, decrypted; undefined if absent. */
  getAccount(id: string): Promise<Account | undefined> {
    return this.#accounts.get(id);
  }
  /** All accounts, decrypted, oldest first; damaged records are skipped. */
  listAccounts(): Promise<Account[]> {
    return this.#accounts.list();
  }
  /** Stores this device's envelope key (sealed) under a device id; returns the id. */
  putDevice(input: DeviceInput): Promise<string> {
    return this.#devices.put(input);
  }
  /** One device with its EK secret decrypted; the caller wipes `secretKey` when done. */
  getDevice(id: string): Promise<Device | undefined> {
    return this.#devices.get(id);
  }
  /** All devices stored here (normally one per account). */
  listDevices(): Promise<Device[]> {
    return this.#devices.list();
  }

  // ------------------------------------------------------------------------------ contacts

  /** Adds a contact or updates the fields given (undefined ones keep their value); new ones are 'request' and 'veil'. */
  upsertContact(input: ContactInput): Promise<Contact> {
    return this.#contacts.upsert(input);
  }
  /** One contact by pubkey, decrypted. */
  getContact(pubkey: string): Promise<Contact | undefined> {
    return this.#contacts.get(pubkey);
  }
  /** Contacts, optionally only one state (index `by-state`); damaged records skipped. */
  listContacts(state?: ContactState): Promise<Contact[]> {
    return this.#contacts.list(state);
  }
  /** Sets a contact's state; blocking an unknown pubkey creates a minimal blocked record, so its later messages are dropped. */
  setContactState(pubkey: string, state: ContactState): Promise<void> {
    return this.#contacts.setState(pubkey, state);
  }
  /** Shorthand for `setContactState(pubkey, 'blocked')`. */
  blockContact(pubkey: string): Promise<void> {
    return this.#contacts.setState(pubkey, 'blocked');
  }
  /** Deletes a contact. */
  deleteContact(pubkey: string): Promise<void> {
    return this.#contacts.delete(pubkey);
  }

  // ------------------------------------------------------------------------------ peer routing

  /** A contact's routing state, or undefined; a pre-v4 `sync.peer.<conversationId>` setting is moved over on the first miss. */
  getPeer(pubkey: string): Promise<PeerRouting | undefined> {
    return this.#peers.get(pubkey);
  }
  /** Validates (INVALID_INPUT / TOO_LARGE) and stores a contact's routing state, replacing the old one. */
  putPeer(peer: PeerRouting): Promise<void> {
    return this.#peers.put(peer);
  }
  /** Deletes a contact's routing state (and any pre-v4 setting copy of it). */
  deletePeer(pubkey: string): Promise<void> {
    return this.#peers.delete(pubkey);
  }

  // ------------------------------------------------------------------------------ conversations

  /** The conversation id for a set of peers: a blind index, stable for this vault. */
  conversationIdFor(peers: string[]): Promise<string> {
    return this.#conversations.idFor(peers);
  }
  /** Returns the conversation for these peers, creating it if needed. */
  ensureConversation(peers: string[], opts: { protocol?: Protocol; title?: string } = {}): Promise<string> {
    return this.#conversations.ensure(peers, opts);
  }
  /** One conversation, decrypted. */
  getConversation(id: string): Promise<Conversation | undefined> {
    return this.#conversations.get(id);
  }
  /** Conversations, most recent activity first (index `by-activity`), archived ones only when asked; damaged ones skipped. */
  listConversations(opts: { archived?: boolean } = {}): Promise<Conversation[]> {
    return this.#conversations.list(opts);
  }
  /** Marks a conversation read (unread = 0). Works while locked. */
  markRead(id: string): Promise<void> {
    return this.#conversations.markRead(id);
  }
  /** Sum of unread counts over unmuted, unarchived conversations (for a badge). Works while locked. */
  totalUnread(): Promise<number> {
    return this.#conversations.totalUnread();
  }
  /** Saves (sealed) or clears (null/empty) the draft of a conversation. */
  setDraft(id: string, draft: string | null): Promise<void> {
    return this.#conversations.setDraft(id, draft);
  }
  /** The decrypted draft, or null. */
  getDraft(id: string): Promise<string | null> {
    return this.#conversations.getDraft(id);
  }
  /** Deletes a conversation and all its messages, in one transaction. */
  deleteConversation(id: string): Promise<void> {
    return this.#conversations.delete(id);
  }

  // ------------------------------------------------------------------------------ messages

  /**
   * A 64-hex message id only this vault can make, for lines Veil writes itself (a system line): stable for the same
   * `domain` and `value`, underivable from public data.
   */
  localMessageId(domain: string, value: string): Promise<string> {
    return this.#c.vault.localId(domain, value);
  }
  /** Stores one message; a second add of the same id changes nothing and returns 'duplicate'. */
  async addMessage(input: MessageInput): Promise<'added' | 'duplicate'> {
    const [r] = await this.#messages.addMany([input]);
    return r!;
  }
  /**
   * A batch of messages in one transaction (history sync, imports), each 'added' or 'duplicate', with their conversations'
   * activity, preview and unread count. Every conversation must exist (NOT_FOUND otherwise, nothing written).
   */
  addMessages(inputs: MessageInput[]): Promise<('added' | 'duplicate')[]> {
    return this.#messages.addMany(inputs);
  }
  /**
   * An outgoing message and all its outbox entries (given the message's id as `messageId`) in ONE transaction: all or
   * nothing (an entry id in use, a full disk). 'duplicate', nothing written, if the message is already stored.
   */
  addOutgoing(message: MessageInput, outbox: OutboxInput[]): Promise<'added' | 'duplicate'> {
    return this.#messages.addOutgoing(message, outbox);
  }
  /** One message, decrypted. */
  getMessage(id: string): Promise<Message | undefined> {
    return this.#messages.get(id);
  }
  /** Sets a message's delivery status and merges per-relay results (by URL, sealed). NOT_FOUND if unknown. */
  updateMessageStatus(id: string, status: MessageStatus, relays?: RelayResult[]): Promise<void> {
    return this.#messages.updateStatus(id, status, relays);
  }
  /** A page of a conversation, newest first, older than `before` (a page's `nextBefore`); cost independent of its length. */
  pageMessages(conversationId: string, opts: { before?: string; limit: number }): Promise<MessagePage> {
    return this.#messages.page(conversationId, opts);
  }
  /** Messages with a status (index `by-status`), newest first: the "sending / failed" view. */
  listMessagesByStatus(status: MessageStatus, opts: { limit: number }): Promise<Message[]> {
    return this.#messages.listByStatus(status, opts);
  }

  // ------------------------------------------------------------------------------ outbox

  /** Queues final (signed) events, one per relay, sealed. Idempotent by id: a repeat is 'duplicate' and keeps the first events. */
  enqueueOutbox(input: OutboxInput): Promise<'added' | 'duplicate'> {
    return this.#outbox.enqueue(input);
  }
  /** Entries due at `now` (ms), earliest first (index `by-due`); damaged ones skipped. */
  listDueOutbox(now: number, maxItems = 100): Promise<OutboxRecord[]> {
    return this.#outbox.listDue(now, maxItems);
  }
  /** Every outbox entry of one message (index `by-message`), oldest first. */
  listOutboxByMessage(messageId: string): Promise<OutboxRecord[]> {
    return this.#outbox.listByMessage(messageId);
  }
  /** One outbox entry. */
  getOutbox(id: string): Promise<OutboxRecord | undefined> {
    return this.#outbox.get(id);
  }
  /**
   * Records one send attempt (per-relay status, counters, next try). With nothing left to retry the entry is parked
   * (nextAttemptAt = MAX_SAFE_INTEGER) for the caller to remove. Returns the updated entry, or undefined if absent.
   */
  markOutboxAttempt(id: string, results: OutboxAttempt[], nextAttemptAt: number | null, now: number = Date.now()): Promise<OutboxRecord | undefined> {
    return this.#outbox.markAttempt(id, results, nextAttemptAt, now);
  }
  /** Removes an outbox entry (delivered, or given up). */
  removeOutbox(id: string): Promise<void> {
    return this.#outbox.remove(id);
  }
  /**
   * Purges settled entries a day after their last attempt and stale ones (parked for 7 days, or queued 30 days ago;
   * repos/outbox.ts); returns how many. Works while locked.
   */
  pruneOutbox(now: number = Date.now()): Promise<number> {
    return this.#outbox.prune(now);
  }

  // ------------------------------------------------------------------------------ seen ids

  /** Atomically records a verified event id as processed: true the first time, false if seen before (any relay, tab, restart). */
  claimSeen(eventId: string, expiresAt: number): Promise<boolean> {
    return this.#seen.claim(eventId, expiresAt);
  }
  /** Undoes `claimSeen` for an event whose message could not be stored, so a later read stores it. */
  releaseSeen(eventId: string): Promise<void> {
    return this.#seen.release(eventId);
  }
  /** True if the event id was already recorded. */
  hasSeen(eventId: string): Promise<boolean> {
    return this.#seen.has(eventId);
  }
  /** Records many ids at once (existing ones keep the later expiry). */
  markSeen(eventIds: string[], expiresAt: number): Promise<void> {
    return this.#seen.mark(eventIds, expiresAt);
  }
  /** The ids from `eventIds` not seen yet, in input order. */
  filterUnseen(eventIds: string[]): Promise<string[]> {
    return this.#seen.filterUnseen(eventIds);
  }
  /** Deletes seen ids that expired at or before `now` (ms); returns how many. Works while locked. */
  pruneSeen(now: number): Promise<number> {
    return this.#seen.prune(now);
  }

  // ------------------------------------------------------------------------------ relays

  /** Adds or updates a relay entry (keeps its last status). */
  putRelay(input: RelayInput): Promise<void> {
    return this.#relays.put(input);
  }
  /** All relay entries. Works while locked. */
  listRelays(): Promise<RelayRecord[]> {
    return this.#relays.list();
  }
  /** Removes a relay entry. */
  deleteRelay(url: string): Promise<void> {
    return this.#relays.delete(url);
  }

  // ------------------------------------------------------------------------------ settings

  /** Stores a setting sealed (the default for anything about the user). */
  setSetting(key: string, value: JsonValue): Promise<void> {
    return this.#settings.set(key, value);
  }
  /** A sealed setting's value, or undefined. */
  getSetting<T extends JsonValue>(key: string): Promise<T | undefined> {
    return this.#settings.get<T>(key);
  }
  /** Stores a PLAIN setting, readable before unlock (theme, language). Never for anything that says who the user is or talks to. */
  setPublicSetting(key: string, value: JsonValue): Promise<void> {
    return this.#settings.setPublic(key, value);
  }
  /** A plain setting's value, or undefined. Works while locked. */
  getPublicSetting<T extends JsonValue>(key: string): Promise<T | undefined> {
    return this.#settings.getPublic<T>(key);
  }
  /** Every setting, sealed ones opened (damaged ones skipped, counted): for a backup (store/backup.ts). */
  listSettings(): Promise<{ settings: { key: string; value: JsonValue; plain: boolean }[]; corrupted: number }> {
    return this.#settings.list();
  }
  /** Deletes a setting of either kind. */
  deleteSetting(key: string): Promise<void> {
    return this.#settings.delete(key);
  }
}
