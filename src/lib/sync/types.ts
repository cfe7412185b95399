import type { VeilErrorCode } from '../shared/errors';
/**
 * What the app layer and the UI see of the messenger (src/lib/sync). The UI never talks to relays or
 * IndexedDB directly (docs/design.md §7); it reads these view models and calls these commands.
 * All hex pubkeys are 64 lowercase hex characters.
 */

export type Protocol = 'veil' | 'nip17';
export type ContactState = 'accepted' | 'request' | 'blocked';
export type MessageStatus = 'sending' | 'sent' | 'failed' | 'received';

/** How a local identity signs. */
export type SignerKind = 'local' | 'nip07' | 'nip46';

export interface IdentityInfo {
  pubkey: string;
  npub: string;
  signer: SignerKind;
  /** Short fingerprint shown beside every name (e.g. "3f2a·91c0·…"), from the npub. */
  fingerprint: string;
  deviceId: string;
  deviceLabel: string;
}

export interface ChatSummary {
  /** Conversation id (opaque). */
  id: string;
  /** The other party (one-to-one chats). */
  peer: string;
  peerNpub: string;
  /** Display name from kind 0 or petname; undefined when unknown. Always rendered as text. */
  name?: string;
  /** My local nickname for them (sealed, never published), when I set one; it is `name` then. */
  nickname?: string;
  fingerprint: string;
  state: ContactState;
  protocol: Protocol;
  lastActivity: number;
  preview?: string;
  unread: number;
  /** An unsent draft is saved for this chat (shown as "Draft" in the list). */
  hasDraft?: boolean;
  /** Safety number (spec 0006): compared and still their keys, or compared but their keys changed since; absent when never verified. */
  verification?: 'verified' | 'changed';
}

export interface RelayDelivery {
  relay: string;
  ok: boolean;
  /** Reason text when a relay refused or could not be reached. */
  message?: string;
}

/**
 * What relays stored of a message (sync/outer.ts): the outer event's kind, what its `p` tag named,
 * its content size, how far its created_at was set back from the real time, the relays, and the
 * socket roles that carried it. Absent for messages stored before Veil kept it.
 */
export interface RelayView {
  /** 1067 envelope, 1059 NIP-17 gift wrap, 4 legacy NIP-04. */
  kind: number;
  /** A shared bucket, the intro bucket, or (NIP-17) the recipient's pubkey in the clear. */
  tag: 'bucket' | 'intro' | 'recipient';
  /** Bytes of outer content (envelopes: one of four fixed size classes). */
  bytes: number;
  /** Real created_at minus the outer created_at, seconds. */
  createdAtOffset: number;
  relays: string[];
  /** The role of the socket that publishes it (a sender's Veil publishes envelopes and gift wraps on separate sockets). */
  socket: 'envelopePublish' | 'nip17Publish';
  /** Received: the role of the socket it was read on. */
  readBy?: 'envelopeRead' | 'dmRead';
}

export interface ChatMessage {
  /** Inner event id. */
  id: string;
  conversationId: string;
  direction: 'in' | 'out';
  author: string;
  text: string;
  /** Seconds (the inner event's created_at). */
  createdAt: number;
  status: MessageStatus;
  /** For outgoing messages: per-relay results ("sent to n of m relays"). */
  deliveries: RelayDelivery[];
  replyTo?: { id: string; text?: string; author?: string };
  /** A line Veil wrote itself (e.g. "Upgraded to Veil's private envelope"), not a message. */
  system?: boolean;
  /** What a system line says, for the page to put in its own words (the English is in `text`). */
  systemLine?: { kind: 'timer'; seconds: number; byMe: boolean } | { kind: 'upgrade' };
  /** Legacy NIP-04 (kind 4): unauthenticated encryption, read only. */
  legacy?: boolean;
  /** A NIP-17 kind 15 file (encrypted elsewhere); `url` is '' when it cannot be downloaded. */
  /** `thumb`: the inline thumbnail (a checked data URL); `dim`: WIDTHxHEIGHT of the image, as the sender said. */
  file?: { url: string; mimeType?: string; size?: number; thumb?: string; dim?: string };
  /** NIP-17 kind 7 reactions to this message. */
  reactions?: { emoji: string; mine: boolean }[];
  /** What the relays saw of it ("What relays saw" in the bubble). */
  relayView?: RelayView;
  /** A disappearing message: when it is deleted here (ms). */
  expiresAt?: number;
}

export type RelayConnState = 'connecting' | 'connected' | 'disconnected' | 'error';

export interface RelayStatus {
  url: string;
  state: RelayConnState;
  error?: string;
  /** NIP-11 limits when fetched. */
  limits?: { maxMessageLength?: number; authRequired?: boolean; paymentRequired?: boolean };
  name?: string;
  /** The last catch-up stopped at its page bound: the relay holds more stored events than Veil reads at once. */
  incomplete?: boolean;
}

/** Something that happened which the UI may want to re-read for. Coarse on purpose. */
/** One device certified in my inbox record (kind 11067). */
export interface OwnDevice {
  id: string;
  label: string;
  /** Seconds. */
  addedAt: number;
  /** This device. */
  current: boolean;
  /** Its envelope key (x-only hex), as my record certifies it. */
  ek: string;
}

/** A catch-up of stored envelopes or gift wraps in progress (catch-up-progress.ts): events delivered and opened (or dropped). */
export interface CatchUpView {
  opened: number;
  total: number;
}

export type MessengerEvent =
  | { type: 'chats' }
  | { type: 'devices' }
  | { type: 'messages'; conversationId: string }
  | { type: 'relays' }
  /** A catch-up began, moved on (at most every 250 ms) or ended (`progress` null). */
  | { type: 'catch-up'; progress: CatchUpView | null }
  /** A background failure: `message` is developer text (shared/errors.ts); the app words it by `code`. */
  | { type: 'error'; code: VeilErrorCode; message: string };
