/**
 * The typed IndexedDB schema of Veil's local store (docs/design.md §1 "the local disk", §6 store layer).
 *
 * Every field below is either PLAIN (readable by whoever holds the disk) or inside a `Sealed` blob
 * (AES-256-GCM under the vault key, AAD = store ‖ record key ‖ field; see vault.ts). The rule:
 * only what an index, a counter updated inside a transaction, or the locked service worker needs is
 * plain; ids that name people (pubkeys) or that appear on relays (envelope ids) are blinded with an
 * HMAC under a vault-derived key. docs/storage.md lists every field and what a stolen disk reveals.
 *
 * This file describes the LATEST version. migrations/ builds it one version at a time (one file per version).
 */
import type { NostrEventJson } from '../shared/nostr';
import type { DBSchema, StoreNames } from 'idb';

/** Default database name. Tests and multi-profile setups pass their own. */
export const DB_NAME = 'veil';
/** Latest schema version; `MIGRATIONS.length` in migrations.ts must equal it. */
export const LATEST_VERSION = 7;

/**
 * A sealed field: `0x01 ‖ nonce(12) ‖ AES-256-GCM ciphertext ‖ tag(16)`. Produced and opened only by
 * vault.ts; the AAD binds it to its store, record key and field name, so a blob moved to another
 * record or field fails to open.
 */
export type Sealed = Uint8Array;

// ---------------------------------------------------------------- plain enums (indexed or counted)

/** Where a contact stands. PLAIN: the contacts list is paged by it (index `by-state`). */
export type ContactState = 'accepted' | 'request' | 'blocked';
/** Who wrote a message. PLAIN: implied by `status` anyway. */
export type Direction = 'in' | 'out';
/** Delivery state of a message. PLAIN: the outbox view (v2 index `by-status`) pages by it. */
export type MessageStatus = 'sending' | 'sent' | 'failed' | 'received';
/** Which relays a relay entry serves: Veil envelopes, NIP-17 DMs, or both. */
export type RelayRole = 'envelope' | 'dm' | 'both';
/** Per-relay state of one queued event in the outbox. */
export type OutboxItemStatus = 'pending' | 'ok' | 'failed' | 'rejected';

/** One relay's answer to one publish (NIP-01 OK message). PLAIN, no user data. */
export interface RelayResult {
  relay: string;
  ok: boolean;
  /** The relay's OK/NOTICE reason, truncated; relays write it, not users. */
  message?: string;
  at: number;
}

/** NIP-11 `limitation` fields Veil uses to size envelopes and subscriptions. PLAIN. */
export interface RelayLimits {
  max_message_length?: number;
  max_subscriptions?: number;
  max_filters?: number;
  max_limit?: number;
  max_event_tags?: number;
  max_content_length?: number;
  auth_required?: boolean;
  payment_required?: boolean;
}

/** A signed Nostr event as queued for sending (already encrypted and signed); sealed in the outbox since v5. */
export type SignedEventJson = NostrEventJson;

// ---------------------------------------------------------------- raw records (what is on disk)

/** `meta`: schema/app bookkeeping. PLAIN. Keys: 'schema' (version), 'created' (first open). */
export interface MetaRecord {
  key: string;
  value: string | number | boolean | null;
  updatedAt: number;
}

/** `vault` 'passphrase': the vault key wrapped under a PBKDF2-SHA256 key. */
export interface VaultPassphraseRecord {
  id: 'passphrase';
  kdf: 'PBKDF2-SHA256';
  iterations: number;
  salt: Uint8Array;
  nonce: Uint8Array;
  /** AES-256-GCM(kek, nonce, vault key) = 32 + 16 bytes. */
  wrapped: Uint8Array;
  createdAt: number;
  updatedAt: number;
}

/**
 * `vault` 'device': the vault key wrapped under a non-extractable WebCrypto AES key that lives in
 * IndexedDB itself ("remember on this device"). Opt-in: the browser stores that key's bytes in its
 * profile, so with this record a stolen disk CAN open the vault (docs/storage.md).
 */
export interface VaultDeviceRecord {
  id: 'device';
  deviceKey: CryptoKey;
  nonce: Uint8Array;
  wrapped: Uint8Array;
  createdAt: number;
}

export type VaultRecord = VaultPassphraseRecord | VaultDeviceRecord;

/** `accounts`: key = random local id. Pubkey, signer details and profile are sealed. */
export interface AccountRecord {
  id: string;
  createdAt: number;
  updatedAt: number;
  sealed: Sealed;
}

/** `devices`: key = random device id. The envelope key (EK) and label are sealed. */
export interface DeviceRecord {
  id: string;
  createdAt: number;
  updatedAt: number;
  sealed: Sealed;
}

/** `contacts`: key = blind(pubkey). Everything naming the person is sealed. */
export interface ContactRecord {
  id: string;
  state: ContactState;
  addedAt: number;
  updatedAt: number;
  sealed: Sealed;
}

/** `conversations`: key = blind(sorted peers). Peers, preview and draft are sealed separately. */
export interface ConversationRecord {
  id: string;
  createdAt: number;
  /** created_at of the newest message (seconds); index `by-activity`. */
  lastActivity: number;
  unread: number;
  muted: boolean;
  archived: boolean;
  /** peers, protocol, title */
  sealed: Sealed;
  /** text preview of the newest message */
  preview?: Sealed;
  /** created_at of the message the preview shows (so an older message never replaces it). */
  previewAt?: number;
  draft?: Sealed;
}

/**
 * `messages` (v5 shape): key = blind(inner event id), a 32-hex HMAC under the vault's blind-index
 * key, so a record cannot be matched to an event (or to a derivable id) seen on a relay. The event
 * id itself is inside `sealed`; the per-relay delivery results (relay URLs) are sealed too.
 */
export interface MessageRecord {
  id: string;
  conversationId: string;
  /** makeSortKey(createdAt, blind id): fixed-width created_at then the blind id, so ties still order. */
  sortKey: string;
  createdAt: number;
  receivedAt: number;
  direction: Direction;
  status: MessageStatus;
  /** RelayResult[] */
  sealedRelays: Sealed;
  /** { id, content }: the inner event id and body, sender, kind, reply-to, subject, tags */
  sealed: Sealed;
  /**
   * A disappearing message (v6): when it is deleted (ms). PLAIN, index `by-expiry`, so the sweeper
   * finds what is due without opening anything; a stolen disk learns that a message will disappear
   * and when, never what it said (docs/storage.md).
   */
  expiresAt?: number;
}

/** A `messages` record as v1–v4 wrote it (key = event id, relays plain); atrest.ts moves it to the v5 shape. */
export interface LegacyMessageRecord extends Omit<MessageRecord, 'sealedRelays'> {
  relays: RelayResult[];
}

/** One relay's copy of a queued event. */
export interface OutboxItem {
  relay: string;
  event: SignedEventJson;
  status: OutboxItemStatus;
  attempts: number;
  lastAttemptAt?: number;
  lastError?: string;
}

/**
 * An outbox entry as the store API hands it out (opened): the persistent send queue. The events are
 * final (encrypted + signed), so a retry resends the SAME event id and relays dedupe it: nothing
 * goes out twice as a different message.
 */
export interface OutboxRecord {
  id: string;
  /** The message this entry delivers. */
  messageId?: string;
  createdAt: number;
  attempts: number;
  /** ms since epoch. Number.MAX_SAFE_INTEGER parks an entry. */
  nextAttemptAt: number;
  items: OutboxItem[];
}

/**
 * `outbox` on disk (v5): key = blind(entry id). The entry id and message id, the relay URLs and the
 * signed events (gift wraps carry `p` tags naming the recipient) are sealed; only what the queue
 * and the purge need to find entries is plain.
 */
export interface OutboxDiskRecord {
  id: string;
  /** blind(message id) = the message's record key; index `by-message` (v3). */
  messageId?: string;
  createdAt: number;
  /** Last attempt or change (ms); the purge measures staleness from it. */
  updatedAt: number;
  attempts: number;
  /** ms since epoch; index `by-due`. Number.MAX_SAFE_INTEGER parks an entry. */
  nextAttemptAt: number;
  /** Nothing left to publish: every copy accepted or refused for good. */
  settled: boolean;
  /** { id, messageId?, items } */
  sealed: Sealed;
}

/** An `outbox` record as v1–v4 wrote it: the opened shape, in plain. */
export type LegacyOutboxRecord = OutboxRecord;

/** `seen`: key = blind(event id). Dedupe across relays and restarts; pruned by `expiresAt` (ms). */
export interface SeenRecord {
  id: string;
  expiresAt: number;
}

/**
 * `peers` (v4): key = blind(pubkey), the same blind index as `contacts`. The sync layer's routing
 * state for one contact (devices, relays, what was sent), sealed whole: a PeerRouting (types.ts).
 */
export interface PeerRecord {
  id: string;
  updatedAt: number;
  sealed: Sealed;
}

/** `relays`: key = normalized URL. PLAIN (the locked service worker needs it). */
export interface RelayRecord {
  url: string;
  role: RelayRole;
  enabled: boolean;
  lastStatus?: { ok: boolean; at: number; message?: string };
  limits?: RelayLimits;
  updatedAt: number;
}

/** `settings`: key/value; `sealed` for ordinary settings, `plain` only for pre-unlock ones (theme). */
export interface SettingRecord {
  key: string;
  plain?: JsonValue;
  sealed?: Sealed;
  updatedAt: number;
}

/**
 * `locked-inbox` (v7): an envelope the service worker read while the vault was locked. PLAIN, as it
 * came from the relay (public ciphertext: the relay holds the same bytes); opened and deleted at unlock.
 */
export interface LockedEnvelopeRecord {
  /** The event id. */
  id: string;
  event: NostrEventJson;
  /** Normalized URL of the relay it came from. */
  relay: string;
  /** ms */
  storedAt: number;
}

export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

// ---------------------------------------------------------------- the schema

/** The latest schema for idb's typed API. */
export interface VeilDB extends DBSchema {
  meta: { key: string; value: MetaRecord };
  vault: { key: string; value: VaultRecord };
  accounts: { key: string; value: AccountRecord };
  devices: { key: string; value: DeviceRecord };
  contacts: { key: string; value: ContactRecord; indexes: { 'by-state': ContactState } };
  conversations: { key: string; value: ConversationRecord; indexes: { 'by-activity': number } };
  messages: {
    key: string;
    value: MessageRecord;
    indexes: {
      'by-conversation': [string, string];
      /** v2 */
      'by-status': [MessageStatus, string];
      /** v6: only disappearing messages (records without `expiresAt` are not in it). */
      'by-expiry': number;
    };
  };
  outbox: {
    key: string;
    value: OutboxDiskRecord;
    indexes: {
      'by-due': number;
      /** v3 */
      'by-message': string;
    };
  };
  seen: { key: string; value: SeenRecord; indexes: { 'by-expiry': number } };
  relays: { key: string; value: RelayRecord };
  settings: { key: string; value: SettingRecord };
  /** v4 */
  peers: { key: string; value: PeerRecord };
  /** v7 */
  'locked-inbox': { key: string; value: LockedEnvelopeRecord };
}

export type VeilStoreName = StoreNames<VeilDB>;

/** Every store of the latest schema, for tests and raw scans. */
export const STORE_NAMES: readonly VeilStoreName[] = [
  'meta',
  'vault',
  'accounts',
  'devices',
  'contacts',
  'conversations',
  'messages',
  'outbox',
  'seen',
  'relays',
  'settings',
  'peers',
  'locked-inbox'
];

/** Largest created_at accepted in a sort key (year ~5138); keeps the fixed width honest. */
export const MAX_TIMESTAMP_S = 99_999_999_999;

/**
 * Sort key for paging: created_at as 11 zero-padded digits, then ':' and the event id. String order
 * equals (created_at, id) order, so messages with equal created_at keep a stable total order.
 */
export function makeSortKey(createdAt: number, id: string): string {
  return `${String(createdAt).padStart(11, '0')}:${id}`;
}
