/**
 * VeilStore: the local storage API the sync layer and the UI use (DESIGN.md §1 local disk, §6 store).
 *
 * - One IndexedDB transaction per logical write, so a failure (disk full: STORAGE_QUOTA; anything
 *   else: STORAGE_FAILED) leaves nothing half-written.
 * - All encryption happens BEFORE a transaction opens, all decryption AFTER it completes: a
 *   transaction never waits on WebCrypto (it would auto-commit).
 * - Sealed fields need the unlocked vault (VAULT_LOCKED otherwise); plain counters (unread, outbox,
 *   relays, public settings) work while locked, so the service worker can badge and retry.
 * - Writes notify `onChange` listeners after commit with `{ store, key }` (keys are ids or blind
 *   ids, never plaintext), so the app can tell other tabs over BroadcastChannel.
 *
 * docs/storage.md records, field by field, what is plain and what a stolen disk reveals.
 */
import type { IDBPDatabase, IDBPObjectStore, IDBPTransaction } from 'idb';
import { abytes, bytesToHex, hexToBytes, randomBytes, wipe } from '../shared/bytes';
import { VeilError, isVeilError } from '../shared/errors';
import { toStoreError } from './idb-errors';
import { openVeilDB, type IdbPlatform, type OpenOptions } from './migrations';
import {
  DB_NAME,
  MAX_TIMESTAMP_S,
  makeSortKey,
  type ContactRecord,
  type ContactState,
  type ConversationRecord,
  type Direction,
  type JsonValue,
  type MessageRecord,
  type MessageStatus,
  type OutboxItemStatus,
  type OutboxRecord,
  type RelayLimits,
  type RelayRecord,
  type RelayResult,
  type RelayRole,
  type SignedEventJson,
  type VaultDeviceRecord,
  type VaultPassphraseRecord,
  type VeilDB,
  type VeilStoreName
} from './schema';
import {
  DEFAULT_KDF_ITERATIONS,
  Vault,
  newMasterKey,
  unwrapWithDevice,
  unwrapWithPassphrase,
  wrapWithDevice,
  wrapWithPassphrase
} from './vault';

export type { IdbPlatform } from './migrations';

// ---------------------------------------------------------------- bounds (untrusted input)

export const MAX_BODY_CHARS = 100_000;
export const MAX_DRAFT_CHARS = 100_000;
export const MAX_PREVIEW_CHARS = 200;
export const MAX_PEERS = 32;
export const MAX_EKS = 16;
export const MAX_CONTACT_RELAYS = 16;
export const MAX_SHORT_TEXT = 4096;
export const MAX_TAGS = 256;
export const MAX_OUTBOX_ITEMS = 32;
export const MAX_EVENT_JSON = 256 * 1024;
export const MAX_PAGE = 500;
export const MAX_BATCH = 5000;

const HEX64 = /^[0-9a-f]{64}$/;
const HEX128 = /^[0-9a-f]{128}$/;
const LOCAL_ID = /^[0-9a-zA-Z_-]{1,128}$/;
const SETTING_KEY = /^[0-9a-zA-Z_.:-]{1,128}$/;

function bad(what: string): never {
  throw new VeilError('INVALID_INPUT', `invalid ${what}`);
}
function hex64(v: unknown, what: string): string {
  if (typeof v !== 'string' || !HEX64.test(v)) bad(what);
  return v;
}
function text(v: unknown, max: number, what: string): string {
  if (typeof v !== 'string') bad(what);
  if (v.length > max) throw new VeilError('TOO_LARGE', `${what} too long`);
  return v;
}
function optText(v: unknown, max: number, what: string): string | undefined {
  return v === undefined ? undefined : text(v, max, what);
}
function timestamp(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > MAX_TIMESTAMP_S) bad(what);
  return v;
}
function msTime(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) bad(what);
  return v;
}
function localId(v: unknown, what: string): string {
  if (typeof v !== 'string' || !LOCAL_ID.test(v)) bad(what);
  return v;
}
function relayUrl(v: unknown): string {
  if (typeof v !== 'string' || v.length > 512) bad('relay url');
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    bad('relay url');
  }
  if (u.protocol !== 'wss:' && u.protocol !== 'ws:') bad('relay url');
  return v;
}
function limit(v: unknown, max: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1 || v > max) bad('limit');
  return v;
}
function randomId(): string {
  return bytesToHex(randomBytes(16));
}
function nowS(): number {
  return Math.floor(Date.now() / 1000);
}

/** Marks a request promise as handled now, so an abort never surfaces as an unhandled rejection. */
function settle<T>(p: Promise<T>): Promise<T> {
  p.catch(() => {});
  return p;
}

// ---------------------------------------------------------------- public (decrypted) types

export type SignerInfo =
  | { type: 'local'; ncryptsec: string }
  | { type: 'nip07' }
  | { type: 'nip46'; bunkerUrl: string; clientSecretKey?: string; relays?: string[] };

/** Cached kind-0 profile fields. Display only; all sealed. */
export interface Profile {
  name?: string;
  displayName?: string;
  picture?: string;
  about?: string;
  nip05?: string;
  fetchedAt?: number;
}

export interface AccountInput {
  id?: string;
  pubkey: string;
  signer: SignerInfo;
  profile?: Profile;
}
export interface Account {
  id: string;
  pubkey: string;
  signer: SignerInfo;
  profile?: Profile;
  createdAt: number;
  updatedAt: number;
}

export interface DeviceInput {
  id?: string;
  label: string;
  /** The device's envelope key (EK) secret, 32 bytes. */
  secretKey: Uint8Array;
  accountId?: string;
}
export interface Device {
  id: string;
  label: string;
  secretKey: Uint8Array;
  accountId?: string;
  createdAt: number;
  updatedAt: number;
}

export type Protocol = 'veil' | 'nip17';

export interface ContactInput {
  pubkey: string;
  eks?: string[];
  relays?: string[];
  petname?: string;
  profile?: Profile;
  state?: ContactState;
  protocol?: Protocol;
}
export interface Contact {
  pubkey: string;
  eks: string[];
  relays: string[];
  petname?: string;
  profile?: Profile;
  state: ContactState;
  protocol: Protocol;
  addedAt: number;
  updatedAt: number;
}

export interface Preview {
  text: string;
  sender: string;
  messageId: string;
  createdAt: number;
}
export interface Conversation {
  id: string;
  peers: string[];
  protocol: Protocol;
  title?: string;
  preview?: Preview;
  lastActivity: number;
  unread: number;
  muted: boolean;
  archived: boolean;
  hasDraft: boolean;
  createdAt: number;
}

/** The sealed part of a message: everything about its content and author. */
export interface MessageContent {
  body: string;
  /** Author identity pubkey (hex), verified by the sync layer before storing. */
  sender: string;
  kind: number;
  replyTo?: string;
  subject?: string;
  tags?: string[][];
}
export interface MessageInput {
  /** Inner event id (hex). */
  id: string;
  conversationId: string;
  /** Inner event created_at (seconds). */
  createdAt: number;
  direction: Direction;
  status: MessageStatus;
  content: MessageContent;
  relays?: RelayResult[];
  receivedAt?: number;
}
export interface Message {
  id: string;
  conversationId: string;
  sortKey: string;
  createdAt: number;
  receivedAt: number;
  direction: Direction;
  status: MessageStatus;
  relays: RelayResult[];
  content: MessageContent;
}
export interface MessagePage {
  /** Newest first. */
  messages: Message[];
  /** Pass as `before` to get the next (older) page; undefined when this page was the last. */
  nextBefore?: string;
  /** Records that failed to decrypt (damaged); skipped, never fatal for the page. */
  corrupted: number;
}

export interface OutboxInput {
  id: string;
  messageId?: string;
  items: { relay: string; event: SignedEventJson }[];
  nextAttemptAt?: number;
}
export interface OutboxAttempt {
  relay: string;
  status: OutboxItemStatus;
  error?: string;
}

export interface RelayInput {
  url: string;
  role: RelayRole;
  enabled?: boolean;
  limits?: RelayLimits;
}

/** What `onChange` listeners receive after a committed write. */
export interface ChangeEvent {
  store: VeilStoreName;
  key: string;
}
export type ChangeListener = (change: ChangeEvent) => void;

export interface VaultOptions {
  /** PBKDF2 iterations for the new wrap (default 600 000). */
  iterations?: number;
  /** Also keep a device-wrapped copy ("remember on this device"). Opt-in: see docs/storage.md. */
  rememberDevice?: boolean;
}

// ---------------------------------------------------------------- validation of composite input

function validProfile(p: unknown): Profile | undefined {
  if (p === undefined) return undefined;
  if (typeof p !== 'object' || p === null) bad('profile');
  const src = p as Record<string, unknown>;
  const out: Profile = {};
  for (const k of ['name', 'displayName', 'picture', 'about', 'nip05'] as const) {
    const v = optText(src[k], MAX_SHORT_TEXT, 'profile field');
    if (v !== undefined) out[k] = v;
  }
  if (src.fetchedAt !== undefined) out.fetchedAt = msTime(src.fetchedAt, 'profile fetchedAt');
  return out;
}

function validSigner(s: unknown): SignerInfo {
  if (typeof s !== 'object' || s === null) bad('signer');
  const v = s as Record<string, unknown>;
  switch (v.type) {
    case 'local': {
      const n = text(v.ncryptsec, 1024, 'ncryptsec');
      if (!n.startsWith('ncryptsec1')) bad('ncryptsec');
      return { type: 'local', ncryptsec: n };
    }
    case 'nip07':
      return { type: 'nip07' };
    case 'nip46': {
      const url = text(v.bunkerUrl, MAX_SHORT_TEXT, 'bunker url');
      if (!url.startsWith('bunker://') && !url.startsWith('nostrconnect://')) bad('bunker url');
      const out: SignerInfo = { type: 'nip46', bunkerUrl: url };
      if (v.clientSecretKey !== undefined) out.clientSecretKey = hex64(v.clientSecretKey, 'client secret key');
      if (v.relays !== undefined) {
        if (!Array.isArray(v.relays) || v.relays.length > MAX_CONTACT_RELAYS) bad('signer relays');
        out.relays = v.relays.map(relayUrl);
      }
      return out;
    }
    default:
      bad('signer');
  }
}

function validContent(c: unknown): MessageContent {
  if (typeof c !== 'object' || c === null) bad('message content');
  const v = c as Record<string, unknown>;
  const out: MessageContent = {
    body: text(v.body, MAX_BODY_CHARS, 'body'),
    sender: hex64(v.sender, 'sender'),
    kind: typeof v.kind === 'number' && Number.isInteger(v.kind) && v.kind >= 0 && v.kind <= 65535 ? v.kind : bad('kind')
  };
  if (v.replyTo !== undefined) out.replyTo = hex64(v.replyTo, 'reply-to');
  const subject = optText(v.subject, MAX_SHORT_TEXT, 'subject');
  if (subject !== undefined) out.subject = subject;
  if (v.tags !== undefined) out.tags = validTags(v.tags);
  return out;
}

function validTags(t: unknown): string[][] {
  if (!Array.isArray(t) || t.length > MAX_TAGS) bad('tags');
  return t.map((tag) => {
    if (!Array.isArray(tag) || tag.length > 16) bad('tag');
    return tag.map((x) => text(x, MAX_SHORT_TEXT, 'tag value'));
  });
}

function validRelayResults(r: unknown): RelayResult[] {
  if (r === undefined) return [];
  if (!Array.isArray(r) || r.length > MAX_OUTBOX_ITEMS) bad('relay results');
  return r.map((x: unknown) => {
    if (typeof x !== 'object' || x === null) bad('relay result');
    const v = x as Record<string, unknown>;
    if (typeof v.ok !== 'boolean') bad('relay result');
    const out: RelayResult = { relay: relayUrl(v.relay), ok: v.ok, at: msTime(v.at, 'relay result time') };
    if (v.message !== undefined) out.message = text(v.message, 512, 'relay message');
    return out;
  });
}

function mergeRelayResults(old: RelayResult[], fresh: RelayResult[]): RelayResult[] {
  const byUrl = new Map(old.map((r) => [r.relay, r]));
  for (const r of fresh) byUrl.set(r.relay, r);
  return [...byUrl.values()];
}

function validEvent(e: unknown): SignedEventJson {
  if (typeof e !== 'object' || e === null) bad('event');
  const v = e as Record<string, unknown>;
  if (typeof v.sig !== 'string' || !HEX128.test(v.sig)) bad('event sig');
  if (typeof v.kind !== 'number' || !Number.isInteger(v.kind) || v.kind < 0 || v.kind > 65535) bad('event kind');
  const ev: SignedEventJson = {
    id: hex64(v.id, 'event id'),
    pubkey: hex64(v.pubkey, 'event pubkey'),
    created_at: timestamp(v.created_at, 'event created_at'),
    kind: v.kind,
    tags: validTags(v.tags),
    content: typeof v.content === 'string' ? v.content : bad('event content'),
    sig: v.sig
  };
  if (JSON.stringify(ev).length > MAX_EVENT_JSON) throw new VeilError('TOO_LARGE', 'event too large');
  return ev;
}

function validPeers(peers: unknown): string[] {
  if (!Array.isArray(peers) || peers.length < 1 || peers.length > MAX_PEERS) bad('peers');
  return [...new Set(peers.map((p) => hex64(p, 'peer')))].sort();
}

const STATUS_FOR: Record<Direction, readonly MessageStatus[]> = {
  in: ['received'],
  out: ['sending', 'sent', 'failed']
};

// ---------------------------------------------------------------- sealed shapes

interface AccountSecret {
  pubkey: string;
  signer: SignerInfo;
  profile?: Profile;
}
interface DeviceSecret {
  label: string;
  secretKey: string;
  accountId?: string;
}
interface ContactSecret {
  pubkey: string;
  eks: string[];
  relays: string[];
  petname?: string;
  profile?: Profile;
  protocol: Protocol;
}
interface ConversationSecret {
  peers: string[];
  protocol: Protocol;
  title?: string;
}

/**
 * The store. Create with `VeilStore.open(platform, name)`; set up or unlock the vault before any
 * call that reads or writes sealed fields.
 */
export class VeilStore {
  readonly #db: IDBPDatabase<VeilDB>;
  readonly #platform: IdbPlatform;
  readonly #vault = new Vault();
  readonly #listeners = new Set<ChangeListener>();

  private constructor(db: IDBPDatabase<VeilDB>, platform: IdbPlatform) {
    this.#db = db;
    this.#platform = platform;
  }

  /**
   * Opens (creating or migrating) the database through the given IndexedDB factory. The page
   * passes `{ indexedDB: globalThis.indexedDB, IDBKeyRange: globalThis.IDBKeyRange }`; tests pass
   * fake-indexeddb's. The vault starts locked.
   */
  static async open(platform: IdbPlatform, name: string = DB_NAME, opts: OpenOptions = {}): Promise<VeilStore> {
    const db = await openVeilDB(platform, name, opts);
    return new VeilStore(db, platform);
  }

  /** Closes the connection and locks the vault. */
  close(): void {
    this.#vault.lock();
    this.#db.close();
  }

  /** Registers a write listener; returns its unsubscribe function. */
  onChange(listener: ChangeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(changes: ChangeEvent[]): void {
    for (const c of changes)
      for (const l of this.#listeners) {
        try {
          l(c);
        } catch {
          // A listener's bug must not turn a committed write into a failure.
        }
      }
  }

  /**
   * Runs `fn` in one transaction and waits for the commit. Any failure aborts the whole
   * transaction and is mapped to STORAGE_QUOTA / STORAGE_FAILED (VeilErrors pass through).
   * `fn` must await only IDB requests. Changes pushed into `changes` are emitted after commit.
   */
  async #tx<Names extends ArrayLike<VeilStoreName>, Mode extends IDBTransactionMode, T>(
    names: Names,
    mode: Mode,
    fn: (tx: IDBPTransaction<VeilDB, Names, Mode>, changes: ChangeEvent[]) => Promise<T>
  ): Promise<T> {
    let tx: IDBPTransaction<VeilDB, Names, Mode>;
    try {
      tx = this.#db.transaction(names, mode);
    } catch (e) {
      throw toStoreError(e);
    }
    const done = settle(tx.done);
    const changes: ChangeEvent[] = [];
    try {
      const result = await fn(tx, changes);
      await done;
      this.#emit(changes);
      return result;
    } catch (e) {
      try {
        tx.abort();
      } catch {
        // already finished or aborted
      }
      // A request error is often a bare AbortError; the transaction's own error says why.
      const why = !isVeilError(e) && tx.error && (e as { name?: string })?.name === 'AbortError' ? tx.error : e;
      throw toStoreError(why);
    }
  }

  /** `#tx` over a single store, handing `fn` the typed object store. */
  async #one<N extends VeilStoreName, Mode extends IDBTransactionMode, T>(
    name: N,
    mode: Mode,
    fn: (store: IDBPObjectStore<VeilDB, [N], N, Mode>, changes: ChangeEvent[]) => Promise<T>
  ): Promise<T> {
    return this.#tx([name] as [N], mode, (tx, changes) => fn(tx.objectStore(name), changes));
  }

  // ------------------------------------------------------------------------------ vault

  /** True once a passphrase vault exists (setup was done). Works while locked. */
  async hasVault(): Promise<boolean> {
    return this.#one('vault', 'readonly', async (store) => (await store.getKey('passphrase')) !== undefined);
  }

  /** True if a "remember on this device" wrap exists. */
  async hasDeviceUnlock(): Promise<boolean> {
    return this.#one('vault', 'readonly', async (store) => (await store.getKey('device')) !== undefined);
  }

  /** True while the vault key is not in memory. */
  isLocked(): boolean {
    return this.#vault.locked;
  }

  /**
   * First run: makes the vault key, wraps it under the passphrase (and the device key if asked),
   * stores the wraps, and leaves the vault unlocked. Refuses (INVALID_INPUT) if a vault exists.
   */
  async setupVault(passphrase: string, opts: VaultOptions = {}): Promise<void> {
    const master = newMasterKey();
    try {
      const rec = await wrapWithPassphrase(master, passphrase, opts.iterations ?? DEFAULT_KDF_ITERATIONS);
      const dev = opts.rememberDevice ? await wrapWithDevice(master) : undefined;
      await this.#one('vault', 'readwrite', async (store, changes) => {
        if ((await store.getKey('passphrase')) !== undefined)
          throw new VeilError('INVALID_INPUT', 'vault already set up');
        await store.add(rec);
        changes.push({ store: 'vault', key: 'passphrase' });
        if (dev) {
          await store.put(dev);
          changes.push({ store: 'vault', key: 'device' });
        }
      });
      await this.#vault.load(master);
    } finally {
      wipe(master);
    }
  }

  /**
   * Unlocks with the passphrase. Wrong passphrase: WRONG_PASSPHRASE, nothing written, no lockout.
   * With `rememberDevice`, also stores a device wrap so later starts can `unlockWithDevice`.
   */
  async unlock(passphrase: string, opts: { rememberDevice?: boolean } = {}): Promise<void> {
    const rec = await this.#passphraseRecord();
    const master = await unwrapWithPassphrase(rec, passphrase);
    try {
      if (opts.rememberDevice) {
        const dev = await wrapWithDevice(master);
        await this.#one('vault', 'readwrite', async (store, changes) => {
          await store.put(dev);
          changes.push({ store: 'vault', key: 'device' });
        });
      }
      await this.#vault.load(master);
    } finally {
      wipe(master);
    }
  }

  /** Unlocks with the device wrap, if one exists; false when there is none. */
  async unlockWithDevice(): Promise<boolean> {
    const rec = await this.#one('vault', 'readonly', async (store) => store.get('device'));
    if (!rec || rec.id !== 'device') return false;
    const master = await unwrapWithDevice(rec as VaultDeviceRecord);
    await this.#vault.load(master);
    return true;
  }

  /** Deletes the device wrap: from now on only the passphrase opens the vault. */
  async forgetDevice(): Promise<void> {
    await this.#one('vault', 'readwrite', async (store, changes) => {
      await store.delete('device');
      changes.push({ store: 'vault', key: 'device' });
    });
  }

  /**
   * Re-wraps the same vault key under a new passphrase; no record is re-encrypted. The old
   * passphrase is required (WRONG_PASSPHRASE otherwise, nothing changed).
   */
  async changePassphrase(oldPassphrase: string, newPassphrase: string, opts: { iterations?: number } = {}): Promise<void> {
    const rec = await this.#passphraseRecord();
    const master = await unwrapWithPassphrase(rec, oldPassphrase);
    try {
      const fresh = await wrapWithPassphrase(master, newPassphrase, opts.iterations ?? DEFAULT_KDF_ITERATIONS);
      fresh.createdAt = rec.createdAt;
      await this.#one('vault', 'readwrite', async (store, changes) => {
        await store.put(fresh);
        changes.push({ store: 'vault', key: 'passphrase' });
      });
    } finally {
      wipe(master);
    }
  }

  /** Drops the vault key from memory. Sealed reads and writes then fail with VAULT_LOCKED. */
  lock(): void {
    this.#vault.lock();
  }

  async #passphraseRecord(): Promise<VaultPassphraseRecord> {
    const rec = await this.#one('vault', 'readonly', async (store) => store.get('passphrase'));
    if (!rec || rec.id !== 'passphrase') throw new VeilError('NOT_FOUND', 'no vault');
    return rec as VaultPassphraseRecord;
  }

  // ------------------------------------------------------------------------------ accounts

  /** Adds or replaces an account (matched by id, else by pubkey). Returns its local id. */
  async putAccount(input: AccountInput): Promise<string> {
    const secret: AccountSecret = { pubkey: hex64(input.pubkey, 'pubkey'), signer: validSigner(input.signer) };
    const profile = validProfile(input.profile);
    if (profile) secret.profile = profile;
    let id = input.id === undefined ? undefined : localId(input.id, 'account id');
    if (id === undefined) id = (await this.listAccounts()).find((a) => a.pubkey === secret.pubkey)?.id ?? randomId();
    const accountId = id;
    const sealed = await this.#vault.seal('accounts', accountId, 'data', secret);
    const now = Date.now();
    await this.#one('accounts', 'readwrite', async (store, changes) => {
      const old = await store.get(accountId);
      await store.put({ id: accountId, createdAt: old?.createdAt ?? now, updatedAt: now, sealed });
      changes.push({ store: 'accounts', key: accountId });
    });
    return accountId;
  }

  /** One account, decrypted; undefined if absent. */
  async getAccount(id: string): Promise<Account | undefined> {
    localId(id, 'account id');
    this.#requireUnlocked();
    const rec = await this.#one('accounts', 'readonly', async (store) => store.get(id));
    if (!rec) return undefined;
    const s = await this.#vault.open<AccountSecret>('accounts', rec.id, 'data', rec.sealed);
    return { id: rec.id, ...s, createdAt: rec.createdAt, updatedAt: rec.updatedAt };
  }

  /** All accounts, decrypted, oldest first; damaged records are skipped. */
  async listAccounts(): Promise<Account[]> {
    this.#requireUnlocked();
    const recs = await this.#one('accounts', 'readonly', async (store) => store.getAll());
    const out = await Promise.all(
      recs.map(async (rec) => {
        try {
          const s = await this.#vault.open<AccountSecret>('accounts', rec.id, 'data', rec.sealed);
          return { id: rec.id, ...s, createdAt: rec.createdAt, updatedAt: rec.updatedAt } satisfies Account;
        } catch (e) {
          if (isVeilError(e, 'VAULT_LOCKED')) throw e;
          return undefined;
        }
      })
    );
    return out.filter((a): a is Account => a !== undefined).sort((a, b) => a.createdAt - b.createdAt);
  }

  /** Removes an account record. */
  async deleteAccount(id: string): Promise<void> {
    localId(id, 'account id');
    await this.#one('accounts', 'readwrite', async (store, changes) => {
      await store.delete(id);
      changes.push({ store: 'accounts', key: id });
    });
  }

  // ------------------------------------------------------------------------------ devices

  /** Stores this device's envelope key (sealed) under a device id; returns the id. */
  async putDevice(input: DeviceInput): Promise<string> {
    abytes(input.secretKey, 32, 'device secret key');
    const id = input.id === undefined ? randomId() : localId(input.id, 'device id');
    const secret: DeviceSecret = { label: text(input.label, 256, 'device label'), secretKey: bytesToHex(input.secretKey) };
    if (input.accountId !== undefined) secret.accountId = localId(input.accountId, 'account id');
    const sealed = await this.#vault.seal('devices', id, 'data', secret);
    const now = Date.now();
    await this.#one('devices', 'readwrite', async (store, changes) => {
      const old = await store.get(id);
      await store.put({ id, createdAt: old?.createdAt ?? now, updatedAt: now, sealed });
      changes.push({ store: 'devices', key: id });
    });
    return id;
  }

  /** One device with its EK secret decrypted; the caller wipes `secretKey` when done. */
  async getDevice(id: string): Promise<Device | undefined> {
    localId(id, 'device id');
    this.#requireUnlocked();
    const rec = await this.#one('devices', 'readonly', async (store) => store.get(id));
    if (!rec) return undefined;
    return this.#openDevice(rec.id, rec.sealed, rec.createdAt, rec.updatedAt);
  }

  /** All devices stored here (normally one per account). */
  async listDevices(): Promise<Device[]> {
    this.#requireUnlocked();
    const recs = await this.#one('devices', 'readonly', async (store) => store.getAll());
    return Promise.all(recs.map((r) => this.#openDevice(r.id, r.sealed, r.createdAt, r.updatedAt)));
  }

  async #openDevice(id: string, sealed: Uint8Array, createdAt: number, updatedAt: number): Promise<Device> {
    const s = await this.#vault.open<DeviceSecret>('devices', id, 'data', sealed);
    const d: Device = { id, label: s.label, secretKey: hexToBytes(s.secretKey, 32), createdAt, updatedAt };
    if (s.accountId !== undefined) d.accountId = s.accountId;
    return d;
  }

  /** Deletes a device record (its EK is then gone from this disk). */
  async deleteDevice(id: string): Promise<void> {
    localId(id, 'device id');
    await this.#one('devices', 'readwrite', async (store, changes) => {
      await store.delete(id);
      changes.push({ store: 'devices', key: id });
    });
  }

  // ------------------------------------------------------------------------------ contacts

  /**
   * Adds a contact or updates the given fields of an existing one (fields left undefined keep
   * their value). New contacts default to state 'request' and protocol 'veil'.
   */
  async upsertContact(input: ContactInput): Promise<Contact> {
    const pubkey = hex64(input.pubkey, 'pubkey');
    if (input.eks !== undefined && (!Array.isArray(input.eks) || input.eks.length > MAX_EKS)) bad('eks');
    if (input.relays !== undefined && (!Array.isArray(input.relays) || input.relays.length > MAX_CONTACT_RELAYS)) bad('relays');
    const eks = input.eks?.map((k) => hex64(k, 'ek'));
    const relays = input.relays?.map(relayUrl);
    const petname = optText(input.petname, 256, 'petname');
    const profile = validProfile(input.profile);
    if (input.state !== undefined && !['accepted', 'request', 'blocked'].includes(input.state)) bad('contact state');
    if (input.protocol !== undefined && input.protocol !== 'veil' && input.protocol !== 'nip17') bad('protocol');

    const id = await this.#vault.blind('contact', pubkey);
    const old = await this.#one('contacts', 'readonly', async (store) => store.get(id));
    const prev = old ? await this.#vault.open<ContactSecret>('contacts', id, 'data', old.sealed) : undefined;
    const secret: ContactSecret = {
      pubkey,
      eks: eks ?? prev?.eks ?? [],
      relays: relays ?? prev?.relays ?? [],
      protocol: input.protocol ?? prev?.protocol ?? 'veil'
    };
    const pn = petname ?? prev?.petname;
    if (pn !== undefined) secret.petname = pn;
    const pf = profile ?? prev?.profile;
    if (pf !== undefined) secret.profile = pf;
    const sealed = await this.#vault.seal('contacts', id, 'data', secret);
    const now = Date.now();
    const rec: ContactRecord = {
      id,
      state: input.state ?? old?.state ?? 'request',
      addedAt: old?.addedAt ?? now,
      updatedAt: now,
      sealed
    };
    await this.#one('contacts', 'readwrite', async (store, changes) => {
      // Keep a state change another tab made meanwhile unless this call sets the state.
      const cur = await store.get(id);
      if (cur && input.state === undefined) rec.state = cur.state;
      await store.put(rec);
      changes.push({ store: 'contacts', key: id });
    });
    return this.#contactView(rec, secret);
  }

  #contactView(rec: ContactRecord, s: ContactSecret): Contact {
    const c: Contact = {
      pubkey: s.pubkey,
      eks: s.eks,
      relays: s.relays,
      state: rec.state,
      protocol: s.protocol,
      addedAt: rec.addedAt,
      updatedAt: rec.updatedAt
    };
    if (s.petname !== undefined) c.petname = s.petname;
    if (s.profile !== undefined) c.profile = s.profile;
    return c;
  }

  /** One contact by pubkey, decrypted. */
  async getContact(pubkey: string): Promise<Contact | undefined> {
    const id = await this.#vault.blind('contact', hex64(pubkey, 'pubkey'));
    const rec = await this.#one('contacts', 'readonly', async (store) => store.get(id));
    if (!rec) return undefined;
    return this.#contactView(rec, await this.#vault.open<ContactSecret>('contacts', id, 'data', rec.sealed));
  }

  /** Contacts, optionally only one state (index `by-state`); damaged records skipped. */
  async listContacts(state?: ContactState): Promise<Contact[]> {
    this.#requireUnlocked();
    const recs = await this.#one('contacts', 'readonly', async (store) =>
      state === undefined ? store.getAll() : store.index('by-state').getAll(state)
    );
    const out = await Promise.all(
      recs.map(async (r) => {
        try {
          return this.#contactView(r, await this.#vault.open<ContactSecret>('contacts', r.id, 'data', r.sealed));
        } catch (e) {
          if (isVeilError(e, 'VAULT_LOCKED')) throw e;
          return undefined;
        }
      })
    );
    return out.filter((c): c is Contact => c !== undefined);
  }

  /**
   * Sets a contact's state (accept, block, back to request). Blocking an unknown pubkey creates
   * a minimal blocked record, so later messages from it are dropped.
   */
  async setContactState(pubkey: string, state: ContactState): Promise<void> {
    hex64(pubkey, 'pubkey');
    if (!['accepted', 'request', 'blocked'].includes(state)) bad('contact state');
    const id = await this.#vault.blind('contact', pubkey);
    const minimal = await this.#vault.seal('contacts', id, 'data', { pubkey, eks: [], relays: [], protocol: 'veil' } satisfies ContactSecret);
    const now = Date.now();
    await this.#one('contacts', 'readwrite', async (store, changes) => {
      const cur = await store.get(id);
      await store.put(cur ? { ...cur, state, updatedAt: now } : { id, state, addedAt: now, updatedAt: now, sealed: minimal });
      changes.push({ store: 'contacts', key: id });
    });
  }

  /** Shorthand for `setContactState(pubkey, 'blocked')`. */
  async blockContact(pubkey: string): Promise<void> {
    await this.setContactState(pubkey, 'blocked');
  }

  /** True if this pubkey is blocked; a cheap check for the receive path. */
  async isBlocked(pubkey: string): Promise<boolean> {
    const id = await this.#vault.blind('contact', hex64(pubkey, 'pubkey'));
    const rec = await this.#one('contacts', 'readonly', async (store) => store.get(id));
    return rec?.state === 'blocked';
  }

  /** Deletes a contact. */
  async deleteContact(pubkey: string): Promise<void> {
    const id = await this.#vault.blind('contact', hex64(pubkey, 'pubkey'));
    await this.#one('contacts', 'readwrite', async (store, changes) => {
      await store.delete(id);
      changes.push({ store: 'contacts', key: id });
    });
  }

  // ------------------------------------------------------------------------------ conversations

  /** The conversation id for a set of peers: a blind index, stable for this vault. */
  async conversationIdFor(peers: string[]): Promise<string> {
    return this.#vault.blind('conversation', validPeers(peers).join(','));
  }

  /** Returns the conversation for these peers, creating it if needed. */
  async ensureConversation(peers: string[], opts: { protocol?: Protocol; title?: string } = {}): Promise<string> {
    const sorted = validPeers(peers);
    if (opts.protocol !== undefined && opts.protocol !== 'veil' && opts.protocol !== 'nip17') bad('protocol');
    const id = await this.#vault.blind('conversation', sorted.join(','));
    const secret: ConversationSecret = { peers: sorted, protocol: opts.protocol ?? 'veil' };
    const title = optText(opts.title, 256, 'title');
    if (title !== undefined) secret.title = title;
    const sealed = await this.#vault.seal('conversations', id, 'data', secret);
    const now = nowS();
    await this.#one('conversations', 'readwrite', async (store, changes) => {
      if ((await store.getKey(id)) !== undefined) return;
      await store.add({ id, createdAt: now, lastActivity: now, unread: 0, muted: false, archived: false, sealed });
      changes.push({ store: 'conversations', key: id });
    });
    return id;
  }

  async #conversationView(r: ConversationRecord): Promise<Conversation> {
    const s = await this.#vault.open<ConversationSecret>('conversations', r.id, 'data', r.sealed);
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
    if (r.preview) c.preview = await this.#vault.open<Preview>('conversations', r.id, 'preview', r.preview);
    return c;
  }

  /** One conversation, decrypted. */
  async getConversation(id: string): Promise<Conversation | undefined> {
    localId(id, 'conversation id');
    this.#requireUnlocked();
    const r = await this.#one('conversations', 'readonly', async (store) => store.get(id));
    return r ? this.#conversationView(r) : undefined;
  }

  /**
   * Conversations, most recent activity first (index `by-activity`), archived ones only when asked.
   * Damaged records are skipped.
   */
  async listConversations(opts: { archived?: boolean } = {}): Promise<Conversation[]> {
    this.#requireUnlocked();
    const wantArchived = opts.archived ?? false;
    const recs = await this.#one('conversations', 'readonly', async (store) => {
      const out: ConversationRecord[] = [];
      let cur = await store.index('by-activity').openCursor(null, 'prev');
      while (cur) {
        if (cur.value.archived === wantArchived) out.push(cur.value);
        cur = await cur.continue();
      }
      return out;
    });
    const views = await Promise.all(
      recs.map(async (r) => {
        try {
          return await this.#conversationView(r);
        } catch (e) {
          if (isVeilError(e, 'VAULT_LOCKED')) throw e;
          return undefined;
        }
      })
    );
    return views.filter((c): c is Conversation => c !== undefined);
  }

  /** Mutes/unmutes or archives/unarchives a conversation. Plain flags: no vault needed. */
  async setConversationFlags(id: string, flags: { muted?: boolean; archived?: boolean }): Promise<void> {
    localId(id, 'conversation id');
    await this.#one('conversations', 'readwrite', async (store, changes) => {
      const r = await store.get(id);
      if (!r) throw new VeilError('NOT_FOUND', 'no such conversation');
      if (flags.muted !== undefined) r.muted = !!flags.muted;
      if (flags.archived !== undefined) r.archived = !!flags.archived;
      await store.put(r);
      changes.push({ store: 'conversations', key: id });
    });
  }

  /** Marks a conversation read (unread = 0). Works while locked. */
  async markRead(id: string): Promise<void> {
    localId(id, 'conversation id');
    await this.#one('conversations', 'readwrite', async (store, changes) => {
      const r = await store.get(id);
      if (!r || r.unread === 0) return;
      r.unread = 0;
      await store.put(r);
      changes.push({ store: 'conversations', key: id });
    });
  }

  /** Sum of unread counts over unmuted, unarchived conversations (for a badge). Works while locked. */
  async totalUnread(): Promise<number> {
    const recs = await this.#one('conversations', 'readonly', async (store) => store.getAll());
    return recs.reduce((n, r) => n + (r.muted || r.archived ? 0 : r.unread), 0);
  }

  /** Saves (sealed) or clears (null/empty) the draft of a conversation. */
  async setDraft(id: string, draft: string | null): Promise<void> {
    localId(id, 'conversation id');
    const d = draft === null || draft === '' ? undefined : text(draft, MAX_DRAFT_CHARS, 'draft');
    const sealed = d === undefined ? undefined : await this.#vault.seal('conversations', id, 'draft', d);
    await this.#one('conversations', 'readwrite', async (store, changes) => {
      const r = await store.get(id);
      if (!r) throw new VeilError('NOT_FOUND', 'no such conversation');
      if (sealed) r.draft = sealed;
      else delete r.draft;
      await store.put(r);
      changes.push({ store: 'conversations', key: id });
    });
  }

  /** The decrypted draft, or null. */
  async getDraft(id: string): Promise<string | null> {
    localId(id, 'conversation id');
    this.#requireUnlocked();
    const r = await this.#one('conversations', 'readonly', async (store) => store.get(id));
    if (!r?.draft) return null;
    return this.#vault.open<string>('conversations', id, 'draft', r.draft);
  }

  /** Deletes a conversation and all its messages, in one transaction. */
  async deleteConversation(id: string): Promise<void> {
    localId(id, 'conversation id');
    const range = this.#platform.IDBKeyRange.bound([id, ''], [id, '\uffff']);
    await this.#tx(['conversations', 'messages'], 'readwrite', async (tx, changes) => {
      let cur = await tx.objectStore('messages').index('by-conversation').openCursor(range);
      while (cur) {
        await cur.delete();
        cur = await cur.continue();
      }
      await tx.objectStore('conversations').delete(id);
      changes.push({ store: 'conversations', key: id });
    });
  }

  // ------------------------------------------------------------------------------ messages

  /** Stores one message; a second add of the same id changes nothing and returns 'duplicate'. */
  async addMessage(input: MessageInput): Promise<'added' | 'duplicate'> {
    const [r] = await this.addMessages([input]);
    return r!;
  }

  /**
   * Stores a batch of messages in one transaction (history sync, 10 000-message imports). Each
   * result says 'added' or 'duplicate' (already stored, or repeated in the batch). Updates each
   * conversation's last activity, preview and unread count (incoming only) in the same transaction.
   * Every conversation must exist (NOT_FOUND otherwise, nothing written).
   */
  async addMessages(inputs: MessageInput[]): Promise<('added' | 'duplicate')[]> {
    if (!Array.isArray(inputs) || inputs.length > MAX_BATCH) bad('message batch');
    const receivedAt = Date.now();
    const recs: MessageRecord[] = [];
    const contents: MessageContent[] = [];
    for (const m of inputs) {
      const id = hex64(m.id, 'message id');
      const createdAt = timestamp(m.createdAt, 'created_at');
      if (m.direction !== 'in' && m.direction !== 'out') bad('direction');
      if (!STATUS_FOR[m.direction].includes(m.status)) bad('status');
      contents.push(validContent(m.content));
      recs.push({
        id,
        conversationId: localId(m.conversationId, 'conversation id'),
        sortKey: makeSortKey(createdAt, id),
        createdAt,
        receivedAt: m.receivedAt === undefined ? receivedAt : msTime(m.receivedAt, 'receivedAt'),
        direction: m.direction,
        status: m.status,
        relays: validRelayResults(m.relays),
        sealed: new Uint8Array(0)
      });
    }
    // Seal bodies, and one preview per conversation (its newest message in this batch).
    const newest = new Map<string, number>();
    recs.forEach((r, i) => {
      const j = newest.get(r.conversationId);
      if (j === undefined || recs[j]!.sortKey < r.sortKey) newest.set(r.conversationId, i);
    });
    const previews = new Map<string, { at: number; sealed: Uint8Array }>();
    await Promise.all([
      ...recs.map(async (r, i) => {
        r.sealed = await this.#vault.seal('messages', r.id, 'data', contents[i]);
      }),
      ...[...newest].map(async ([cid, i]) => {
        const r = recs[i]!;
        const c = contents[i]!;
        const p: Preview = { text: c.body.slice(0, MAX_PREVIEW_CHARS), sender: c.sender, messageId: r.id, createdAt: r.createdAt };
        previews.set(cid, { at: r.createdAt, sealed: await this.#vault.seal('conversations', cid, 'preview', p) });
      })
    ]);

    return this.#tx(['messages', 'conversations'], 'readwrite', async (tx, changes) => {
      const msgs = tx.objectStore('messages');
      const convs = tx.objectStore('conversations');
      const cids = [...newest.keys()];
      const convRecs = await Promise.all(cids.map((cid) => settle(convs.get(cid))));
      const byId = new Map<string, ConversationRecord>();
      convRecs.forEach((c, i) => {
        if (!c) throw new VeilError('NOT_FOUND', 'no such conversation');
        byId.set(cids[i]!, c);
      });
      const existing = await Promise.all(recs.map((r) => settle(msgs.getKey(r.id))));
      const inBatch = new Set<string>();
      const results: ('added' | 'duplicate')[] = [];
      const puts: Promise<unknown>[] = [];
      const touched = new Set<string>();
      recs.forEach((r, i) => {
        if (existing[i] !== undefined || inBatch.has(r.id)) {
          results.push('duplicate');
          return;
        }
        inBatch.add(r.id);
        results.push('added');
        puts.push(settle(msgs.put(r)));
        changes.push({ store: 'messages', key: r.id });
        const c = byId.get(r.conversationId)!;
        if (r.direction === 'in') c.unread++;
        if (r.createdAt > c.lastActivity) c.lastActivity = r.createdAt;
        touched.add(r.conversationId);
      });
      for (const cid of touched) {
        const c = byId.get(cid)!;
        const p = previews.get(cid)!;
        if (c.previewAt === undefined || p.at >= c.previewAt) {
          c.preview = p.sealed;
          c.previewAt = p.at;
        }
        puts.push(settle(convs.put(c)));
        changes.push({ store: 'conversations', key: cid });
      }
      await Promise.all(puts);
      return results;
    });
  }

  async #messageView(r: MessageRecord): Promise<Message> {
    const content = validContent(await this.#vault.open<MessageContent>('messages', r.id, 'data', r.sealed));
    return {
      id: r.id,
      conversationId: r.conversationId,
      sortKey: r.sortKey,
      createdAt: r.createdAt,
      receivedAt: r.receivedAt,
      direction: r.direction,
      status: r.status,
      relays: r.relays,
      content
    };
  }

  /** One message, decrypted. */
  async getMessage(id: string): Promise<Message | undefined> {
    hex64(id, 'message id');
    this.#requireUnlocked();
    const r = await this.#one('messages', 'readonly', async (store) => store.get(id));
    return r ? this.#messageView(r) : undefined;
  }

  /**
   * Sets a message's delivery status and merges per-relay results (by relay URL). Plain fields
   * only: works while locked. NOT_FOUND if the message is unknown.
   */
  async updateMessageStatus(id: string, status: MessageStatus, relays?: RelayResult[]): Promise<void> {
    hex64(id, 'message id');
    const fresh = validRelayResults(relays);
    await this.#one('messages', 'readwrite', async (store, changes) => {
      const r = await store.get(id);
      if (!r) throw new VeilError('NOT_FOUND', 'no such message');
      if (!STATUS_FOR[r.direction].includes(status)) bad('status');
      r.status = status;
      r.relays = mergeRelayResults(r.relays, fresh);
      await store.put(r);
      changes.push({ store: 'messages', key: id });
    });
  }

  /**
   * One page of a conversation, newest first, strictly older than `before` (a sortKey from a
   * previous page's `nextBefore`). Walks the `by-conversation` index backwards and reads only
   * `limit` records, then decrypts only those: cost is independent of the conversation's length.
   */
  async pageMessages(conversationId: string, opts: { before?: string; limit: number }): Promise<MessagePage> {
    localId(conversationId, 'conversation id');
    const n = limit(opts.limit, MAX_PAGE);
    if (opts.before !== undefined && (typeof opts.before !== 'string' || opts.before.length > 200)) bad('before');
    this.#requireUnlocked();
    const K = this.#platform.IDBKeyRange;
    const range =
      opts.before === undefined
        ? K.bound([conversationId, ''], [conversationId, '\uffff'])
        : K.bound([conversationId, ''], [conversationId, opts.before], false, true);
    const recs = await this.#one('messages', 'readonly', async (store) => {
      const out: MessageRecord[] = [];
      let cur = await store.index('by-conversation').openCursor(range, 'prev');
      while (cur && out.length < n) {
        out.push(cur.value);
        if (out.length < n) cur = await cur.continue();
      }
      return out;
    });
    let corrupted = 0;
    const views = await Promise.all(
      recs.map(async (r) => {
        try {
          return await this.#messageView(r);
        } catch (e) {
          if (isVeilError(e, 'VAULT_LOCKED')) throw e;
          corrupted++;
          return undefined;
        }
      })
    );
    const page: MessagePage = { messages: views.filter((m): m is Message => m !== undefined), corrupted };
    if (recs.length === n) page.nextBefore = recs[recs.length - 1]!.sortKey;
    return page;
  }

  /** Messages with a status (v2 index `by-status`), newest first: the "sending / failed" view. */
  async listMessagesByStatus(status: MessageStatus, opts: { limit: number }): Promise<Message[]> {
    if (!['sending', 'sent', 'failed', 'received'].includes(status)) bad('status');
    const n = limit(opts.limit, MAX_PAGE);
    this.#requireUnlocked();
    const range = this.#platform.IDBKeyRange.bound([status, ''], [status, '\uffff']);
    const recs = await this.#one('messages', 'readonly', async (store) => {
      const out: MessageRecord[] = [];
      let cur = await store.index('by-status').openCursor(range, 'prev');
      while (cur && out.length < n) {
        out.push(cur.value);
        if (out.length < n) cur = await cur.continue();
      }
      return out;
    });
    return Promise.all(recs.map((r) => this.#messageView(r)));
  }

  // ------------------------------------------------------------------------------ outbox

  /**
   * Queues final (encrypted, signed) events for sending, one per relay. Idempotent by id: a second
   * enqueue returns 'duplicate' and keeps the first events, so a retry can never become a
   * different message.
   */
  async enqueueOutbox(input: OutboxInput): Promise<'added' | 'duplicate'> {
    const id = localId(input.id, 'outbox id');
    if (!Array.isArray(input.items) || input.items.length < 1 || input.items.length > MAX_OUTBOX_ITEMS) bad('outbox items');
    const rec: OutboxRecord = {
      id,
      createdAt: Date.now(),
      attempts: 0,
      nextAttemptAt: input.nextAttemptAt === undefined ? 0 : msTime(input.nextAttemptAt, 'nextAttemptAt'),
      items: input.items.map((it) => ({ relay: relayUrl(it.relay), event: validEvent(it.event), status: 'pending', attempts: 0 }))
    };
    if (input.messageId !== undefined) rec.messageId = hex64(input.messageId, 'message id');
    return this.#one('outbox', 'readwrite', async (store, changes) => {
      if ((await store.getKey(id)) !== undefined) return 'duplicate';
      await store.add(rec);
      changes.push({ store: 'outbox', key: id });
      return 'added';
    });
  }

  /** Entries due at `now` (ms), earliest first (index `by-due`). Works while locked. */
  async listDueOutbox(now: number, maxItems = 100): Promise<OutboxRecord[]> {
    msTime(now, 'now');
    const n = limit(maxItems, MAX_PAGE);
    return this.#one('outbox', 'readonly', async (store) =>
      store.index('by-due').getAll(this.#platform.IDBKeyRange.upperBound(now), n)
    );
  }

  /** One outbox entry. */
  async getOutbox(id: string): Promise<OutboxRecord | undefined> {
    localId(id, 'outbox id');
    return this.#one('outbox', 'readonly', async (store) => store.get(id));
  }

  /**
   * Records one send attempt: per-relay status, attempt counters, and when to try again. When every
   * item is 'ok' or 'rejected' (nothing left to retry) the entry is parked (nextAttemptAt =
   * MAX_SAFE_INTEGER) for the caller to remove. Returns the updated entry, or undefined if absent.
   */
  async markOutboxAttempt(
    id: string,
    results: OutboxAttempt[],
    nextAttemptAt: number | null,
    now: number = Date.now()
  ): Promise<OutboxRecord | undefined> {
    localId(id, 'outbox id');
    if (!Array.isArray(results) || results.length > MAX_OUTBOX_ITEMS) bad('outbox results');
    const checked = results.map((r) => {
      if (!['pending', 'ok', 'failed', 'rejected'].includes(r.status)) bad('outbox status');
      const error = optText(r.error, 512, 'outbox error');
      return { relay: relayUrl(r.relay), status: r.status, error };
    });
    const next = nextAttemptAt === null ? null : msTime(nextAttemptAt, 'nextAttemptAt');
    return this.#one('outbox', 'readwrite', async (store, changes) => {
      const rec = await store.get(id);
      if (!rec) return undefined;
      rec.attempts++;
      for (const r of checked) {
        const item = rec.items.find((i) => i.relay === r.relay);
        if (!item) continue;
        item.status = r.status;
        item.attempts++;
        item.lastAttemptAt = now;
        if (r.error !== undefined) item.lastError = r.error;
        else delete item.lastError;
      }
      const open = rec.items.some((i) => i.status === 'pending' || i.status === 'failed');
      rec.nextAttemptAt = !open || next === null ? Number.MAX_SAFE_INTEGER : next;
      await store.put(rec);
      changes.push({ store: 'outbox', key: id });
      return rec;
    });
  }

  /** Removes an outbox entry (delivered, or given up). */
  async removeOutbox(id: string): Promise<void> {
    localId(id, 'outbox id');
    await this.#one('outbox', 'readwrite', async (store, changes) => {
      await store.delete(id);
      changes.push({ store: 'outbox', key: id });
    });
  }

  // ------------------------------------------------------------------------------ seen ids

  /**
   * Atomically records an event id as processed: true the first time, false if it was already
   * seen (another relay, another tab, before a restart). Call it only after verifying the event.
   * Ids are stored blinded: a stolen disk cannot tell which relay events this device read.
   */
  async claimSeen(eventId: string, expiresAt: number): Promise<boolean> {
    const bid = await this.#vault.blind('seen', hex64(eventId, 'event id'));
    const exp = msTime(expiresAt, 'expiresAt');
    return this.#one('seen', 'readwrite', async (store, changes) => {
      if ((await store.getKey(bid)) !== undefined) return false;
      await store.add({ id: bid, expiresAt: exp });
      changes.push({ store: 'seen', key: bid });
      return true;
    });
  }

  /** True if the event id was already recorded. */
  async hasSeen(eventId: string): Promise<boolean> {
    const bid = await this.#vault.blind('seen', hex64(eventId, 'event id'));
    return this.#one('seen', 'readonly', async (store) => (await store.getKey(bid)) !== undefined);
  }

  /** Records many ids at once (existing ones keep the later expiry). */
  async markSeen(eventIds: string[], expiresAt: number): Promise<void> {
    if (!Array.isArray(eventIds) || eventIds.length > MAX_BATCH) bad('seen batch');
    const exp = msTime(expiresAt, 'expiresAt');
    const bids = await Promise.all(eventIds.map((e) => this.#vault.blind('seen', hex64(e, 'event id'))));
    await this.#one('seen', 'readwrite', async (store, changes) => {
      const olds = await Promise.all(bids.map((b) => settle(store.get(b))));
      await Promise.all(
        bids.map((b, i) => settle(store.put({ id: b, expiresAt: Math.max(exp, olds[i]?.expiresAt ?? 0) })))
      );
      for (const b of bids) changes.push({ store: 'seen', key: b });
    });
  }

  /** The ids from `eventIds` not seen yet, in input order. */
  async filterUnseen(eventIds: string[]): Promise<string[]> {
    if (!Array.isArray(eventIds) || eventIds.length > MAX_BATCH) bad('seen batch');
    const bids = await Promise.all(eventIds.map((e) => this.#vault.blind('seen', hex64(e, 'event id'))));
    const keys = await this.#one('seen', 'readonly', async (store) => Promise.all(bids.map((b) => settle(store.getKey(b)))));
    return eventIds.filter((_, i) => keys[i] === undefined);
  }

  /** Deletes seen ids that expired at or before `now` (ms); returns how many. Works while locked. */
  async pruneSeen(now: number): Promise<number> {
    msTime(now, 'now');
    return this.#one('seen', 'readwrite', async (store, changes) => {
      let n = 0;
      let cur = await store.index('by-expiry').openCursor(this.#platform.IDBKeyRange.upperBound(now));
      while (cur) {
        changes.push({ store: 'seen', key: cur.primaryKey });
        await cur.delete();
        n++;
        cur = await cur.continue();
      }
      return n;
    });
  }

  // ------------------------------------------------------------------------------ relays

  /** Adds or updates a relay entry (keeps its last status). */
  async putRelay(input: RelayInput): Promise<void> {
    const url = relayUrl(input.url);
    if (!['envelope', 'dm', 'both'].includes(input.role)) bad('relay role');
    const limits = input.limits === undefined ? undefined : validLimits(input.limits);
    await this.#one('relays', 'readwrite', async (store, changes) => {
      const old = await store.get(url);
      const rec: RelayRecord = { url, role: input.role, enabled: input.enabled ?? old?.enabled ?? true, updatedAt: Date.now() };
      if (old?.lastStatus) rec.lastStatus = old.lastStatus;
      const l = limits ?? old?.limits;
      if (l) rec.limits = l;
      await store.put(rec);
      changes.push({ store: 'relays', key: url });
    });
  }

  /** All relay entries. Works while locked. */
  async listRelays(): Promise<RelayRecord[]> {
    return this.#one('relays', 'readonly', async (store) => store.getAll());
  }

  /** Records the last connection outcome of a relay (no-op if unknown). */
  async setRelayStatus(url: string, status: { ok: boolean; at: number; message?: string }): Promise<void> {
    relayUrl(url);
    const st: NonNullable<RelayRecord['lastStatus']> = { ok: !!status.ok, at: msTime(status.at, 'status time') };
    const m = optText(status.message, 512, 'relay message');
    if (m !== undefined) st.message = m;
    await this.#one('relays', 'readwrite', async (store, changes) => {
      const r = await store.get(url);
      if (!r) return;
      r.lastStatus = st;
      await store.put(r);
      changes.push({ store: 'relays', key: url });
    });
  }

  /** Removes a relay entry. */
  async deleteRelay(url: string): Promise<void> {
    relayUrl(url);
    await this.#one('relays', 'readwrite', async (store, changes) => {
      await store.delete(url);
      changes.push({ store: 'relays', key: url });
    });
  }

  // ------------------------------------------------------------------------------ settings

  /** Stores a setting sealed (the default for anything about the user). */
  async setSetting(key: string, value: JsonValue): Promise<void> {
    const k = settingKey(key);
    const sealed = await this.#vault.seal('settings', k, 'value', value);
    await this.#putSetting({ key: k, sealed, updatedAt: Date.now() });
  }

  /** A sealed setting's value, or undefined. */
  async getSetting<T extends JsonValue>(key: string): Promise<T | undefined> {
    const k = settingKey(key);
    this.#requireUnlocked();
    const r = await this.#one('settings', 'readonly', async (store) => store.get(k));
    if (!r?.sealed) return undefined;
    return this.#vault.open<T>('settings', k, 'value', r.sealed);
  }

  /**
   * Stores a PLAIN setting, readable before unlock (theme, language). Never for anything that
   * says who the user is or talks to.
   */
  async setPublicSetting(key: string, value: JsonValue): Promise<void> {
    const k = settingKey(key);
    if (JSON.stringify(value).length > 16_384) throw new VeilError('TOO_LARGE', 'setting too large');
    await this.#putSetting({ key: k, plain: value, updatedAt: Date.now() });
  }

  /** A plain setting's value, or undefined. Works while locked. */
  async getPublicSetting<T extends JsonValue>(key: string): Promise<T | undefined> {
    const k = settingKey(key);
    const r = await this.#one('settings', 'readonly', async (store) => store.get(k));
    return r?.plain as T | undefined;
  }

  /** Deletes a setting of either kind. */
  async deleteSetting(key: string): Promise<void> {
    const k = settingKey(key);
    await this.#one('settings', 'readwrite', async (store, changes) => {
      await store.delete(k);
      changes.push({ store: 'settings', key: k });
    });
  }

  async #putSetting(rec: VeilDB['settings']['value']): Promise<void> {
    await this.#one('settings', 'readwrite', async (store, changes) => {
      await store.put(rec);
      changes.push({ store: 'settings', key: rec.key });
    });
  }

  #requireUnlocked(): void {
    if (this.#vault.locked) throw new VeilError('VAULT_LOCKED', 'vault is locked');
  }
}

function settingKey(k: unknown): string {
  if (typeof k !== 'string' || !SETTING_KEY.test(k)) bad('setting key');
  return k;
}

function validLimits(l: unknown): RelayLimits {
  if (typeof l !== 'object' || l === null) bad('relay limits');
  const v = l as Record<string, unknown>;
  const out: RelayLimits = {};
  for (const k of ['max_message_length', 'max_subscriptions', 'max_filters', 'max_limit', 'max_event_tags', 'max_content_length'] as const) {
    const x = v[k];
    if (typeof x === 'number' && Number.isSafeInteger(x) && x >= 0) out[k] = x;
  }
  for (const k of ['auth_required', 'payment_required'] as const) if (typeof v[k] === 'boolean') out[k] = v[k];
  return out;
}
