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
  fingerprint: string;
  state: ContactState;
  protocol: Protocol;
  lastActivity: number;
  preview?: string;
  unread: number;
  /** An unsent draft is saved for this chat (shown as "Draft" in the list). */
  hasDraft?: boolean;
}

export interface RelayDelivery {
  relay: string;
  ok: boolean;
  /** Reason text when a relay refused or could not be reached. */
  message?: string;
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
  /** Legacy NIP-04 (kind 4): unauthenticated encryption, read only. */
  legacy?: boolean;
  /** A NIP-17 kind 15 file (encrypted elsewhere); `url` is '' when it cannot be downloaded. */
  file?: { url: string; mimeType?: string; size?: number };
  /** NIP-17 kind 7 reactions to this message. */
  reactions?: { emoji: string; mine: boolean }[];
}

export type RelayConnState = 'connecting' | 'connected' | 'disconnected' | 'error';

export interface RelayStatus {
  url: string;
  state: RelayConnState;
  error?: string;
  /** NIP-11 limits when fetched. */
  limits?: { maxMessageLength?: number; authRequired?: boolean; paymentRequired?: boolean };
  name?: string;
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
}

export type MessengerEvent =
  | { type: 'chats' }
  | { type: 'devices' }
  | { type: 'messages'; conversationId: string }
  | { type: 'relays' }
  /** A background failure: `message` is developer text (shared/errors.ts); the app words it by `code`. */
  | { type: 'error'; code: VeilErrorCode; message: string };
