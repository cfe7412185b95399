/**
 * The open conversation as a view model: message pages, the composer's draft, read marking and
 * delivery wording. It knows nothing of the DOM or of the app object; every effect goes through an
 * injected function, so it runs (and is tested) in Node. Conversation.svelte renders it and keeps
 * only what needs the page (scrolling, focus, event listeners).
 */
import type { TimerSeconds } from '$lib/shared/timer-choices';
import type { ChatMessage } from '$lib/sync/types';
import type { Nip17File } from '$lib/crypto/nip17';
import type { SafetySource } from './safety';
import { dropExpired, mergeNewest, prependOlder } from './message-list';
import { firstUnreadId } from './timeline';

export { deliveryText, isQueued, mergeNewest, prependOlder } from './message-list';

/** Messages read per page. */
export const PAGE_SIZE = 50;
/** A draft is saved once typing has paused this long (and at once when the page is hidden). */
export const DRAFT_DELAY_MS = 250;
/** Older pages read at most when opening a chat, to reach its first unread message. */
export const MAX_UNREAD_PAGES = 4;

/** What a conversation reads and does, provided by the app layer (the route wires it to VeilApp). */
export interface ConversationSource {
  /** A page of a chat's messages, newest first; with `before`, the page just older than that message. */
  pageMessages(conversationId: string, opts: { before?: ChatMessage; limit: number }): Promise<ChatMessage[]>;
  getDraft(conversationId: string): Promise<string>;
  setDraft(conversationId: string, text: string): Promise<void>;
  markRead(conversationId: string): Promise<void>;
  /** Resolves once the message is in the outbox. */
  send(conversationId: string, text: string, replyTo?: string): Promise<void>;
  retry(messageId: string): Promise<void>;
  /** Downloads a file message and hands it to the browser; `watch` follows and cancels it. */
  downloadFile(messageId: string, watch: TransferWatch): Promise<void>;
  /** An image message, downloaded and decrypted, as a URL to show in the page (absent: images are downloaded like any file). */
  images?: { open(messageId: string, watch: TransferWatch): Promise<string>; release(url: string): void };
  /** A chat was opened: a NIP-17 contact may have started using Veil since. */
  checkContact(conversationId: string): void;
  /** Calls `listener(conversationId)` when messages of a conversation change; returns an unsubscribe. */
  onMessages(listener: (conversationId: string) => void): () => void;
  /** Safety numbers of the contact (app/safety.ts); absent: no "Verify safety number". */
  safety?: SafetySource;
  /** Sets ('' clears) a contact's local nickname (app/names.svelte.ts); absent: no "Nickname" button. */
  setNickname?: (peer: string, name: string) => Promise<void>;
  /** The chat's disappearing-messages timer; absent: no timer button. */
  disappearing?: DisappearingSource;
  /** The host's file server ('' = none) and sending an uploaded file (app/attach.ts); absent or '': no attach button. */
  files?: { server(): string; send(conversationId: string, file: Nip17File, replyTo?: string): Promise<void> };
}

/** How a download is followed (bytes so far, of `total` when known) and stopped (the signal). */
export interface TransferWatch {
  signal: AbortSignal;
  onProgress(received: number, total: number | undefined): void;
}

/** A download under way: bytes received, of `total` when known. */
export interface Transfer {
  received: number;
  total?: number;
}

/** Reads and sets a chat's disappearing-messages timer (setting it sends a control message into the chat). */
export interface DisappearingSource {
  get(conversationId: string): Promise<{ seconds: TimerSeconds; by?: string }>;
  set(conversationId: string, seconds: TimerSeconds): Promise<void>;
}

/** The commands the model runs (the source without the subscription, which the view owns). */
export type ConversationCommands = Omit<ConversationSource, 'onMessages'>;

/** What the page knows. */
export interface ConversationPage {
  /** Whether the page is on screen: read means seen, so a background tab leaves messages unread. */
  isVisible(): boolean;
  /** Words for the person in front of the screen. */
  describeError(e: unknown): string;
}

export class ConversationModel {
  /** Oldest first. */
  messages = $state.raw<ChatMessage[]>([]);
  hasOlder = $state(true);
  loadingOlder = $state(false);
  /** The composer's text. */
  text = $state('');
  replyTo = $state.raw<ChatMessage | null>(null);
  /** The last send or download problem, in words. */
  error = $state('');
  /** The first message that was unread when the chat was opened (the "Unread messages" divider). */
  firstUnread = $state<string | undefined>(undefined);
  /** Images shown full size in this chat: message id → URL (in memory; released when the chat closes). */
  images = $state.raw<Readonly<Record<string, string>>>({});
  /** Downloads under way in this chat (file or picture): message id → progress. */
  transfers = $state.raw<Readonly<Record<string, Transfer>>>({});
  /** The Cancel of each download under way. */
  // Not state: the screen shows `transfers`; these are only aborted.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  readonly #cancels = new Map<string, AbortController>();

  #source: ConversationCommands;
  #page: ConversationPage;
  #id = '';
  /** The chat whose first page was read (that page decides whether older ones exist). */
  #loadedFor = '';
  /** Typed since the chat was opened: a draft that loads late must not overwrite it. */
  #typed = false;
  #pendingDraft: { id: string; value: string } | null = null;
  #draftTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(source: ConversationCommands, page: ConversationPage) {
    this.#source = source;
    this.#page = page;
  }

  /** The open chat's id ('' before the first open). */
  get chatId(): string {
    return this.#id;
  }

  /**
   * Opens a chat (or another one): starts from its newest page and its saved draft; with `unread`
   * (the count the list showed), reads older pages until the first unread message is in (at most
   * MAX_UNREAD_PAGES more) and marks it. Resolves once that is done; false when yet another chat
   * was opened meanwhile.
   */
  async open(id: string, unread = 0): Promise<boolean> {
    this.flushDraft(); // a draft of the previous chat is saved under that chat's id
    this.releaseImages();
    this.#id = id;
    this.messages = [];
    this.hasOlder = true;
    this.#loadedFor = '';
    this.replyTo = null;
    this.error = '';
    this.firstUnread = undefined;
    this.#typed = false;
    this.text = '';
    void this.#source.getDraft(id).then(
      (draft) => {
        // Never overwrite what the person started typing while the draft was loading.
        if (id === this.#id && !this.#typed) this.text = draft;
      },
      () => {} // no saved draft to show; typing still works and saves a new one
    );
    const first = this.refresh();
    this.#source.checkContact(id);
    if (!(await first)) return false;
    const incoming = () => this.messages.filter((m) => m.direction === 'in' && !m.system).length;
    for (let pages = 0; pages < MAX_UNREAD_PAGES && incoming() < unread && this.hasOlder; pages++) {
      const more = await this.loadOlder();
      if (id !== this.#id) return false;
      if (!more) break;
    }
    this.firstUnread = firstUnreadId(this.messages, unread);
    return true;
  }

  /** Re-reads the newest page and merges it in. False when another chat was opened meanwhile. */
  async refresh(): Promise<boolean> {
    const id = this.#id;
    const newest = await this.#source.pageMessages(id, { limit: PAGE_SIZE });
    if (id !== this.#id) return false;
    this.messages = dropExpired(mergeNewest(this.messages, newest), Date.now());
    if (this.#loadedFor !== id) {
      this.#loadedFor = id;
      this.hasOlder = newest.length === PAGE_SIZE;
    }
    this.#markReadIfVisible();
    return true;
  }

  /** Reads the page before the oldest message shown. False when nothing was added. */
  async loadOlder(): Promise<boolean> {
    const first = this.messages[0];
    if (this.loadingOlder || !this.hasOlder || !first) return false;
    const id = this.#id;
    this.loadingOlder = true;
    try {
      const older = await this.#source.pageMessages(id, { before: first, limit: PAGE_SIZE });
      if (id !== this.#id) return false;
      this.hasOlder = older.length === PAGE_SIZE;
      this.messages = prependOlder(this.messages, older);
      return true;
    } finally {
      this.loadingOlder = false;
    }
  }

  /** The person typed: the draft is saved (encrypted) once typing pauses. */
  input(value: string): void {
    this.text = value;
    this.#typed = true;
    clearTimeout(this.#draftTimer);
    this.#pendingDraft = { id: this.#id, value };
    this.#draftTimer = setTimeout(() => this.flushDraft(), DRAFT_DELAY_MS);
  }

  /** Saves a draft still waiting for typing to pause, now. */
  flushDraft(): void {
    clearTimeout(this.#draftTimer);
    const pending = this.#pendingDraft;
    this.#pendingDraft = null;
    if (pending) void this.#source.setDraft(pending.id, pending.value);
  }

  /** The page was hidden, shown or left: the draft is saved at once; a chat on screen is read. */
  visibilityChanged(): void {
    this.flushDraft();
    this.#markReadIfVisible();
  }

  /** Sends the composer's text. True when it is in the outbox (the box is then cleared). */
  async send(): Promise<boolean> {
    const body = this.text;
    if (!body.trim()) return false;
    const id = this.#id;
    this.error = '';
    // A draft save still waiting would land after the send and bring the sent text back.
    if (this.#pendingDraft?.id === id) {
      clearTimeout(this.#draftTimer);
      this.#pendingDraft = null;
    }
    try {
      // The message is in the outbox before this resolves, and its draft is cleared with it (one
      // transaction in the store); clearing the box loses nothing.
      await this.#source.send(id, body, this.replyTo?.id);
      void this.#source.setDraft(id, '');
      if (id !== this.#id) return true; // another chat was opened meanwhile: its box stays as it is
      this.text = '';
      this.replyTo = null;
      await this.refresh();
      return true;
    } catch (err) {
      this.error = this.#page.describeError(err); // the text stays in the box
      return false;
    }
  }

  /** Queues a failed message again. */
  retry(messageId: string): Promise<void> {
    return this.#attempt(() => this.#source.retry(messageId));
  }

  /** Downloads and decrypts a file message, with progress (`transfers`) and Cancel (`cancelDownload`). */
  downloadFile(messageId: string): Promise<void> {
    return this.#transfer(messageId, (watch) => this.#source.downloadFile(messageId, watch));
  }

  /** Downloads and decrypts an image message and shows it full size in the chat. */
  showImage(messageId: string): Promise<void> {
    const images = this.#source.images;
    if (!images) return this.downloadFile(messageId);
    if (this.images[messageId]) return Promise.resolve();
    const chat = this.#id;
    return this.#transfer(messageId, async (watch) => {
      const url = await images.open(messageId, watch);
      if (chat !== this.#id) return images.release(url); // the chat was left meanwhile
      this.images = { ...this.images, [messageId]: url };
    });
  }

  /** Stops a download under way; it ends without a problem shown (the person chose it). */
  cancelDownload(messageId: string): void {
    this.#cancels.get(messageId)?.abort();
  }

  /** Lets go of every image shown in this chat and stops its downloads (opening another chat, closing it). */
  releaseImages(): void {
    for (const url of Object.values(this.images)) this.#source.images?.release(url);
    this.images = {};
    for (const ctl of this.#cancels.values()) ctl.abort();
  }

  /** One download per message at a time: a second click while it runs starts nothing. */
  async #transfer(messageId: string, run: (watch: TransferWatch) => Promise<void>): Promise<void> {
    if (this.#cancels.has(messageId)) return;
    const ctl = new AbortController();
    this.#cancels.set(messageId, ctl);
    this.transfers = { ...this.transfers, [messageId]: { received: 0 } };
    const onProgress = (received: number, total: number | undefined) => {
      if (this.#cancels.get(messageId) === ctl) this.transfers = { ...this.transfers, [messageId]: total === undefined ? { received } : { received, total } };
    };
    this.error = '';
    try {
      await run({ signal: ctl.signal, onProgress });
    } catch (err) {
      if (!ctl.signal.aborted) this.error = this.#page.describeError(err);
    } finally {
      this.#cancels.delete(messageId);
      const { [messageId]: _done, ...rest } = this.transfers;
      this.transfers = rest;
    }
  }

  /** The message a reply quotes, when it is among those shown. */
  quoted(id: string | undefined): ChatMessage | undefined {
    return id ? this.messages.find((m) => m.id === id) : undefined;
  }

  /** Runs a command; its problem, if any, is shown in words. */
  async #attempt(action: () => Promise<void>): Promise<void> {
    this.error = '';
    try {
      await action();
    } catch (err) {
      this.error = this.#page.describeError(err);
    }
  }

  #markReadIfVisible(): void {
    if (this.#id && this.#page.isVisible()) void this.#source.markRead(this.#id);
  }
}
