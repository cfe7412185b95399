/**
 * The messenger (docs/design.md §2–4, §6; issues 4 and 5): the facade the app talks to, over the parts
 * of sync/ (connected in wiring.ts); it keeps none of their state itself:
 * - sockets.ts: the four socket roles as named policies (envelope, public, DM read, NIP-17 publish);
 * - subscriptions.ts: what is read live; inbound.ts: the one inbound pipeline, fed by
 *   receive-envelope.ts and receive-nip17.ts;
 * - send-envelope.ts / send-nip17.ts: outbound per protocol; outbox-queue.ts: the persistent job
 *   queue that publishes and retries;
 * - peers.ts, peer-lookup.ts, own-record.ts: routing state, contacts' and my inbox records;
 * - read-models.ts: the chat list and message pages; relays.ts: envelope and DM relays.
 * Runs unchanged in the page, a service worker and Node: no window/document; the WebSocket
 * constructor, fetch, the signer and the opened store are passed in.
 */
import { normalizeRelayUrl } from '../relay/url';
import { VeilError } from '../shared/errors';
import type { Contact } from '../store';
import { emitChanged, type SyncContext } from './context';
import type { Nip17File, Nip17Stats } from './nip17';
import { reopenWatcher } from './outbox-queue';
import { jitterMs, withTimeout } from './timing';
import type { CoverRate } from '../camouflage/schedule';
import { setNickname, type OwnProfileInput, type OwnProfileView } from './own-profile';
import { isCoverRate, loadPrivacyChoices, savePrivacyChoices, type PrivacyChoices, type PrivacyMode } from './privacy-settings';
import { listChats, pageMessages } from './read-models';
import { blockContact, declineContact, unblockContact } from './contact-actions';
import { coverFor, readPublicNotes } from './cover';
import { relayStatusView } from './relays';
import { sendText } from './send';
import { downloadFile } from './stored-content';
import type { DownloadOptions } from './file-download';
import type { ChatMessage, ChatSummary, ContactState, MessengerEvent, OwnDevice, RelayStatus } from './types';
import { wireParts, type MessengerDeps, type Parts } from './wiring';
import type { Disappearing } from './disappearing-timer';
import type { LockedInbox } from './locked-read';

export { CARD_TAG, EK_TAG } from './receive-envelope';
export type { MessengerDeps };
export { SYSTEM_KIND, UPGRADED_NOTE } from './stored-content';

/** See the module comment. */
export class Messenger {
  readonly #d: MessengerDeps;
  readonly #ctx: SyncContext;
  readonly #listeners = new Set<(e: MessengerEvent) => void>();
  readonly #p: Parts;
  #running = false;
  #offStatus: (() => void) | null = null;

  private constructor(deps: MessengerDeps) {
    this.#d = deps;
    this.#p = wireParts(deps, { emit: (e) => this.#emit(e), running: () => this.#running });
    this.#ctx = this.#p.ctx;
  }

  /** Loads relays, my own inbox record and contacts from the store. Opens no socket. */
  static async create(deps: MessengerDeps): Promise<Messenger> {
    if (typeof deps.WebSocket !== 'function') throw new VeilError('INVALID_INPUT', 'a WebSocket constructor is required');
    const m = new Messenger(deps);
    await m.#p.relays.load(deps.relays);
    await m.#p.own.load();
    await m.#p.dm.load();
    await m.#p.profile.load();
    await m.#p.subs.load();
    Object.assign(m.#ctx.privacy, await loadPrivacyChoices(deps.store, m.#ctx.privacy));
    await m.#p.cover.load();
    m.#p.liveCover.shape.restore(m.#p.cover.savedSessionShape);
    return m;
  }

  /** Registers a listener for coarse change events; returns its unsubscribe function. */
  on(listener: (e: MessengerEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(e: MessengerEvent): void {
    for (const l of [...this.#listeners]) {
      try {
        l(e);
      } catch {
        // a listener's bug must not stop delivery
      }
    }
  }

  /** Live or Private mode, and whether my inbox record is published (privacy-settings.ts). */
  privacy(): PrivacyChoices {
    return { ...this.#ctx.privacy };
  }

  /**
   * Switches Live/Private mode (spec 0005): stored, and applied at once when running: Private mode
   * polls at random moments and publishes only in send slots (with cover in the empty ones).
   */
  async setPrivacyMode(mode: PrivacyMode): Promise<void> {
    if (mode !== 'live' && mode !== 'private') throw new VeilError('INVALID_INPUT', 'unknown privacy mode');
    // Stored first: a failed save leaves the running choice and the stored one the same.
    await savePrivacyChoices(this.#ctx.store, { ...this.#ctx.privacy, mode });
    this.#ctx.privacy.mode = mode;
    if (!this.#running) return;
    this.#applyMode();
    this.#p.subs.envelopes();
    this.#p.outbox.kick(true);
  }

  /** Publish my inbox record or not (off: reachable only by my contact card). Applied at the next record sync. */
  async setPublishRecord(on: boolean): Promise<void> {
    await savePrivacyChoices(this.#ctx.store, { ...this.#ctx.privacy, publishRecord: on });
    this.#ctx.privacy.publishRecord = on;
    if (on && this.#running) await this.#p.own.sync(null).catch(this.#ctx.fail);
  }

  /** Live mode's cover rate (off, low, default, high; camouflage/schedule.ts). Stored, applied at once. */
  async setCoverRate(rate: CoverRate): Promise<void> {
    if (!isCoverRate(rate)) throw new VeilError('INVALID_INPUT', 'unknown cover rate');
    await savePrivacyChoices(this.#ctx.store, { ...this.#ctx.privacy, coverRate: rate });
    this.#ctx.privacy.coverRate = rate;
    if (this.#running) this.#applyMode();
  }

  /** Private mode: send slots (cover in the empty ones). Live mode: the cover schedule, skipping after each real envelope. */
  #applyMode(): void {
    const { slots, sockets, liveCover } = this.#p;
    if (this.#ctx.privacy.mode === 'private') {
      liveCover.stop();
      sockets.onLivePublish = null;
      sockets.slots = slots;
      slots.start();
    } else {
      sockets.slots = null;
      slots.stop();
      liveCover.start(this.#p.relays.list(), this.#ctx.privacy.coverRate);
      sockets.onLivePublish = (relay) => liveCover.realSent(relay);
    }
  }

  /** Counters of things that are never shown as messages. */
  /** `skipped`: envelopes the pool dropped unverified as someone else's (receive-envelope.ts `mayBeMine`; counted in notMine too). */
  stats(): { notMine: number; openFailures: number; invalidEvents: number; duplicates: number; skipped: number } {
    const pools = this.#p.sockets.envelope()?.status() ?? [];
    const sum = (k: 'invalidEvents' | 'skippedEvents') => pools.reduce((n, s) => n + s[k], 0);
    return { ...this.#ctx.counters, invalidEvents: this.#ctx.counters.invalidEvents + sum('invalidEvents'), skipped: sum('skippedEvents') };
  }

  /** Connects every pool, subscribes, publishes my inbox record and 10050 list, flushes the outbox. */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    const ctx = this.#ctx;
    this.#p.sockets.halted = false;
    this.#applyMode();
    // Only a real reconnect lets the outbox retry that relay's copies early (never a NOTICE; issue 11).
    const reopened = reopenWatcher((relay) => this.#p.outbox.relayOpened(relay));
    this.#offStatus = this.#p.sockets.openEnvelope(this.#p.relays.list()).onStatus((s) => {
      this.#emit({ type: 'relays' });
      reopened(s);
    });
    await ctx.store.pruneSeen(ctx.now()).catch(ctx.fail);
    // Settled and stale outbox entries go (repos/outbox.ts): a failed gift wrap is not kept forever (issue 11).
    await ctx.store.pruneOutbox(ctx.now()).catch(ctx.fail);
    await this.#p.disappearing.start(); // what expired while the app was closed goes before anything is shown or sent
    await this.#followContacts();
    this.#p.subs.start();
    void this.#p.lockedInbox.open((kept) => this.#p.subs.feed(kept)).catch(ctx.fail); // what the worker kept while locked
    readPublicNotes(this.#p.sockets, this.#p.cover);
    this.#p.outbox.start();
    // Identity-linked work (my record, my 10050 list) on its own sockets. A device with no record yet
    // publishes at once (its contact card needs it); otherwise it waits a random 1–3 min after the
    // envelope sockets opened and never within a minute of an envelope for me (identity-gate.ts).
    const identity = async (): Promise<void> => {
      this.#p.lookup.subscribeOwn();
      await this.#p.own.sync(await this.#p.lookup.queryOwnRecord()).catch(ctx.fail);
      // A separate step through the gate: an envelope may have arrived while the record was read.
      ctx.identityGate.run(() => this.#p.dm.ensurePublished(), 0, ctx.fail, { prepare: () => this.#p.lookup.openOwn() });
    };
    if (!this.#p.own.current()) await identity();
    else ctx.identityGate.run(identity, jitterMs(...ctx.timing.startIdentityDelayMs), ctx.fail, { prepare: () => this.#p.lookup.openOwn() });
  }

  async #followContacts(): Promise<void> {
    for (const c of await this.#ctx.store.listContacts()) if (c.state !== 'blocked') await this.#p.peers.get(c.pubkey);
  }

  /**
   * One read of the envelope relays, nothing else (the worker's periodic sync, issue 13): no live
   * subscription, lookup, outbox or gift wraps (they need the signer). Resolves once each relay's
   * stored envelopes are processed, or after `timeoutMs` (complete 0), then `afterRead`, then `coverMs` of Live cover.
   */
  async readOnce(timeoutMs = 20_000, coverMs = 0, afterRead?: (r: { relays: number; complete: number }) => Promise<void>): Promise<{ relays: number; complete: number }> {
    if (this.#running) throw new VeilError('INVALID_INPUT', 'the messenger is already running');
    this.#running = true;
    this.#p.sockets.halted = false;
    this.#p.sockets.openEnvelope(this.#p.relays.list());
    try {
      await this.#p.disappearing.start(); // nothing past its deadline is counted as new or notified
      await this.#followContacts();
      const read = await withTimeout(this.#ctx.timers, timeoutMs, this.#p.subs.readOnce(), () => ({ relays: this.#p.relays.list().length, complete: 0 }));
      await afterRead?.(read);
      await coverFor(this.#p, coverMs); // then Live cover for `coverMs`, as at the start of a session
      return read;
    } finally {
      await this.stop();
    }
  }

  /** Closes every socket and timer. The store stays open (the caller owns it). */
  async stop(): Promise<void> {
    this.#running = false;
    this.#offStatus?.();
    this.#offStatus = null;
    this.#p.subs.close();
    this.#ctx.identityGate.cancel();
    this.#p.sockets.halted = true; // before the slots hand their waiting envelopes back
    this.#p.slots.stop();
    this.#p.liveCover.stop();
    this.#p.sockets.slots = null;
    this.#p.sockets.onLivePublish = null;
    this.#p.lookup.close();
    this.#p.disappearing.stop();
    await this.#p.outbox.stop();
    await this.#p.inbound.idle();
    this.#p.sockets.close();
  }

  /** Disappearing messages: `get(chat)`, `set(chat, seconds)` (a control message in the chat; disappearing-timer.ts). */
  get disappearing(): Pick<Disappearing, 'get' | 'set'> { return this.#p.disappearing; }

  /** The devices my inbox record certifies (this one marked), for Settings → "Your devices". */
  ownDevices = (): OwnDevice[] => this.#p.own.devices();
  /** My contact card link (npub, my devices' EKs and relays, signed); '' until my record exists. */
  contactCard = (): string => this.#p.own.card();
  /** Reading while locked (locked-read.ts): `enabled()`, `set(on)`; what was kept is opened at start(). */
  get lockedRead(): Pick<LockedInbox, 'enabled' | 'set'> { return this.#p.lockedInbox; }

  /** Conversations with their contact's state, newest activity first. */
  listChats(filter?: ContactState): Promise<ChatSummary[]> {
    return listChats(this.#ctx.store, this.#ctx.me, filter);
  }

  /** One page of a conversation, newest first; `before` is a sort key (store makeSortKey). */
  pageMessages(conversationId: string, opts: { before?: string; limit?: number } = {}): Promise<ChatMessage[]> {
    return pageMessages(this.#ctx.store, this.#ctx.me, conversationId, opts, this.#ctx.now());
  }

  /** Starts (or reopens) a chat from an npub, nprofile, hex pubkey or contact card link (peer-lookup.ts). */
  startChat(input: string): Promise<string> {
    return this.#p.lookup.startChat(input);
  }

  /** A name for a key typed in New chat (name-lookup.ts): known here, else with `ask` one lookup by author. */
  lookupName(pubkey: string, hints: readonly string[] = [], ask = true): Promise<string | null> {
    return this.#p.lookup.lookupName(pubkey, hints, ask);
  }

  /**
   * Sends a text message (or, with `file` from send-file.ts uploadFile, a kind 15 file message): by envelope
   * when a device of the contact is known, else NIP-17. Stored with its outbox entries before anything goes out.
   */
  async send(conversationId: string, text: string, opts: { replyTo?: string; file?: Nip17File } = {}): Promise<string> {
    const id = await sendText(this.#ctx, this.#p.sendDeps, conversationId, text, opts);
    emitChanged(this.#ctx, conversationId);
    this.#p.outbox.kick(false);
    return id;
  }

  /** My DM relays (kind 10050): where other Nostr clients send me NIP-17 messages. */
  dmRelays(): string[] {
    return this.#p.dm.list();
  }

  /** My DM relays whose last read reached the page bound: older messages there may be unread. */
  incompleteDmRelays(): string[] {
    const incomplete = this.#p.subs.incomplete('dms');
    return this.#p.dm.list().filter((url) => incomplete.has(normalizeRelayUrl(url)));
  }

  /** Sets, stores and publishes my kind 10050 list. Errors: RELAY_URL_INVALID, INVALID_INPUT, TOO_LARGE. */
  setDmRelays(relays: readonly string[]): Promise<void> {
    return this.#p.dm.set(relays);
  }

  /** My public profile (kind 0): the stored one, else read once from the lookup relays (own-profile.ts). */
  ownProfile(): Promise<OwnProfileView | null> {
    return this.#p.profile.fetch();
  }

  /** Signs and publishes my kind 0 to the lookup relays only. Errors: INVALID_INPUT, TOO_LARGE, RELAY_UNREACHABLE, the signer's. */
  saveOwnProfile(input: OwnProfileInput): Promise<OwnProfileView> {
    return this.#p.profile.save(input);
  }

  /** A contact's local nickname (sealed, never published); '' clears it. Errors: NOT_FOUND, INVALID_INPUT, TOO_LARGE. */
  setNickname(peer: string, name: string): Promise<void> {
    return setNickname(this.#ctx, peer, name);
  }

  /** Downloads and decrypts the file of a kind 15 message (progress, cancel). Errors: NOT_FOUND, FILE_UNAVAILABLE, DECRYPT_FAILED, TOO_LARGE. */
  downloadFile(messageId: string, opts: Pick<DownloadOptions, 'signal' | 'onProgress'> = {}): Promise<{ bytes: Uint8Array; mimeType?: string }> {
    return downloadFile(this.#ctx.store, this.#d.fetch, messageId, opts);
  }

  /** Called when a chat is opened: a NIP-17 contact is looked for on the envelope again (once a minute). */
  async checkContact(conversationId: string): Promise<void> {
    const conv = await this.#ctx.store.getConversation(conversationId);
    const peer = conv?.peers.find((p) => p !== this.#ctx.me);
    if (peer) await this.#p.lookup.checkContact(peer);
  }

  /** NIP-17 counters: opened wraps and each failure reason (never shown as messages). */
  nip17Stats(): Nip17Stats {
    return { opened: this.#p.nip17Stats.opened, failures: { ...this.#p.nip17Stats.failures } };
  }

  /** Publishes every due outbox entry and updates the messages' status. Does nothing until start(). */
  flushOutbox(): Promise<void> {
    return this.#p.outbox.flush();
  }

  /** Re-arms every relay copy of a message that is not delivered yet and publishes now. */
  retry(messageId: string): Promise<void> {
    return this.#p.outbox.retry(messageId);
  }

  async markRead(conversationId: string): Promise<void> {
    await this.#ctx.store.markRead(conversationId);
    this.#emit({ type: 'chats' });
  }

  /** Moves a request to Chats. */
  async accept(peer: string): Promise<void> {
    await this.#ctx.store.setContactState(peer, 'accepted');
    this.#emit({ type: 'chats' });
  }

  /** Deletes a request, its messages and every per-chat state; a later message from them is a new request. */
  async decline(peer: string): Promise<void> {
    await declineContact(this.#p, peer);
    this.#emit({ type: 'chats' });
  }

  /** Blocks: their envelopes are dropped and their pair mailboxes no longer read. */
  async block(peer: string): Promise<void> {
    await blockContact(this.#p, peer);
    this.#emit({ type: 'chats' });
  }

  /** Unblocks (issue 14 §4): back to Chats, their mailboxes and record read again. */
  async unblock(peer: string): Promise<void> {
    if (await unblockContact(this.#p, peer, this.#running)) this.#emit({ type: 'chats' });
  }

  /** Removes another device of mine from my inbox record and republishes it (own-record.ts). */
  async removeDevice(id: string): Promise<void> {
    const ek = this.#p.own.devices().find((d) => d.id === id)?.ek;
    await this.#p.own.remove(id);
    if (ek) this.#ctx.pairKeys.forget(ek);
  }

  /** A chat's unsent text ('' when none); setDraft('') clears it. */
  getDraft = async (conversationId: string): Promise<string> => (await this.#ctx.store.getDraft(conversationId)) ?? '';
  setDraft = (conversationId: string, text: string): Promise<void> => this.#ctx.store.setDraft(conversationId, text === '' ? null : text);

  /** Envelope relays with their connection state and NIP-11 limits. */
  relayStatus(): RelayStatus[] {
    return relayStatusView(this.#p.relays.list(), this.#p.sockets.envelope()?.status() ?? [], this.#p.subs.incomplete());
  }

  /** Adds an envelope relay: stored, connected, in my inbox record, subscribed. */
  async addRelay(url: string): Promise<void> {
    const n = await this.#p.relays.add(url);
    if (!n) return;
    this.#p.sockets.addRelay(n);
    await this.#afterRelayChange();
  }

  /** Removes an envelope relay (not the last one). */
  async removeRelay(url: string): Promise<void> {
    const n = await this.#p.relays.remove(url);
    if (!n) return;
    this.#p.subs.drop(n);
    this.#p.sockets.removeRelay(n);
    await this.#afterRelayChange();
  }

  async #afterRelayChange(): Promise<void> {
    this.#emit({ type: 'relays' });
    await this.#p.lockedInbox.follow().catch(this.#ctx.fail);
    if (!this.#running) return;
    this.#p.subs.envelopes();
    this.#p.lookup.close();
    this.#p.lookup.subscribeOwn();
    this.#ctx.resubscribe();
    await this.#p.own.sync(null).catch(this.#ctx.fail);
  }

  /** The contact record of a peer as stored (for tests and the app's contact view). */
  async contact(peer: string): Promise<Contact | undefined> {
    return this.#ctx.store.getContact(peer);
  }
}
