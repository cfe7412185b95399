/**
 * The store's public (decrypted) types: what callers pass in and get back. Raw on-disk records are
 * in schema.ts; each repository (repos/) declares the shape it seals.
 */
import type {
  ContactState,
  Direction,
  MessageRecord,
  MessageStatus,
  OutboxItemStatus,
  RelayLimits,
  RelayResult,
  RelayRole,
  SignedEventJson,
  VeilStoreName
} from './schema';

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

/**
 * A contact marked verified (spec docs/proposals/0006-safety-numbers.md §Verified): the key-set id of
 * their identity and EKs when the safety number was compared, and when (ms). Sealed.
 */
export interface VerifiedKeys {
  keys: string;
  at: number;
}

export interface ContactInput {
  pubkey: string;
  eks?: string[];
  relays?: string[];
  /** A local nickname (sealed, never published); null clears it; undefined keeps it. */
  petname?: string | null;
  profile?: Profile;
  state?: ContactState;
  protocol?: Protocol;
  /** Sets the verified mark; null clears it; undefined keeps it. */
  verified?: VerifiedKeys | null;
}
export interface Contact {
  pubkey: string;
  eks: string[];
  relays: string[];
  petname?: string;
  profile?: Profile;
  state: ContactState;
  protocol: Protocol;
  verified?: VerifiedKeys;
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

/** What the outer `p` tag of a stored message named: a shared bucket, an intro bucket, or (NIP-17) the recipient. */
export type OuterTag = 'bucket' | 'intro' | 'recipient';

/**
 * What relays stored of a message: its outer event (a kind 1067 envelope, a kind 1059 gift wrap,
 * a kind 4 legacy DM), as the sync layer saw it when sending or receiving. Display only.
 */
export interface OuterEvent {
  kind: number;
  tag: OuterTag;
  /** Length of the outer event's content (envelopes come in four fixed size classes). */
  bytes: number;
  /** Real (inner) created_at minus the outer created_at, seconds: how far the outer time was set back. */
  createdAtOffset: number;
  /** The relays it went to (sent) or came from (received). */
  relays: string[];
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
  /** What relays stored (absent in records written before it existed). */
  outer?: OuterEvent;
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
  /** A disappearing message: deleted at this time (ms) by the sweeper (repos/expiry.ts). */
  expiresAt?: number;
}
/**
 * A stored message: its record fields (schema.ts MessageRecord) with the sealed parts opened: `id` is the inner
 * event id (the record key is its blind id), `relays` the per-relay results. `sortKey` is an opaque paging cursor.
 */
export type Message = Omit<MessageRecord, 'sealed' | 'sealedRelays'> & { relays: RelayResult[]; content: MessageContent };
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

// ---------------------------------------------------------------- peer routing (store `peers`)

/** One device of a contact, as its inbox record (or contact card) lists it. */
export interface PeerDevice {
  /** 16 lowercase hex. */
  id: string;
  /** The device's envelope key, x-only, 64 lowercase hex. */
  ek: string;
  /** Unix seconds. */
  addedAt: number;
  label: string;
  /** ws/wss URLs where this device reads envelopes. */
  relays: string[];
}

/**
 * What the sync layer keeps about a contact to reach them: their devices and relays, and who has
 * what. Sealed at rest, keyed by the contact's blind index.
 */
export interface PeerRouting {
  /** 64 lowercase hex. */
  pubkey: string;
  /** At most 16. */
  devices: PeerDevice[];
  /** created_at of the inbox record (or card) the devices came from; 0 when none. */
  recordAt: number;
  /** Their device EKs that have sent to us, so they read pair mailboxes from our EK. */
  pairReady: string[];
  /** created_at of my own record when I last sent them my card. */
  cardSentAt: number;
  /** created_at of the cached kind 0. */
  profileAt: number;
  /** The contact's NIP-17 DM relays (kind 10050). */
  dmRelays: string[];
  /** When dmRelays were looked up (ms; 0 = never). */
  dmRelaysAt: number;
}
