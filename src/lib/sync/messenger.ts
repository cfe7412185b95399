/**
 * The messenger (DESIGN.md §2–4, §6; issues 4 and 5): the facade the app talks to. It wires the
 * parts of sync/ and keeps none of their state itself:
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
import { bytesToHex } from '../shared/bytes';
import { VeilError, isVeilError } from '../shared/errors';
import type { EnvelopeKey } from '../crypto/envelope';
import type { Signer } from '../crypto/signer';
import type { Contact, VeilStore } from '../store';
import { MAX_BODY_CHARS } from '../store/db';
import { HEX64, emitChanged, type SyncContext } from './context';
import { settleContact } from './contact-state';
import { InboundPipeline } from './inbound';
import { newNip17Stats, type Nip17Stats } from './nip17';
import { OutboxQueue, saveOutgoing, type Outgoing } from './outbox-queue';
import { OwnRecord } from './own-record';
import { PeerLookup } from './peer-lookup';
import { Peers, settingsPeerRepo } from './peers';
import { listChats, pageMessages } from './read-models';
import { envelopeReceiver } from './receive-envelope';
import { nip17Receiver } from './receive-nip17';
import { deleteReactions } from './reactions';
import { DmRelayList, checkRelayUrl, loadEnvelopeRelays, relayStatusView, withRelay } from './relays';
import type { ScanCrypto } from './scan';
import { prepareEnvelopeSend } from './send-envelope';
import { prepareNip17Send } from './send-nip17';
import { Sockets } from './sockets';
import { downloadFile } from './stored-content';
import { Subscriptions } from './subscriptions';
import type { ChatMessage, ChatSummary, ContactState, MessengerEvent, OwnDevice, RelayStatus } from './types';

export { CARD_TAG, EK_TAG } from './receive-envelope';
export { SYSTEM_KIND, UPGRADED_NOTE } from './stored-content';

/** Platform objects and the unlocked session (see the module comment). */
export interface MessengerDeps {
  /** Already opened AND unlocked by the caller. */
  store: VeilStore;
  /** The identity signer (local / NIP-07 / NIP-46). */
  signer: Signer;
  /** My identity pubkey, 64 hex. */
  identity: string;
  /** This device's local id (store `devices`). */
  deviceId: string;
  /** This device's envelope key. */
  ek: EnvelopeKey;
  /** WebSocket constructor (browser global or `ws` in Node). */
  WebSocket: unknown;
  /** For NIP-11 relay information and file downloads. */
  fetch?: typeof fetch;
  /** Envelope relays to use while the store has none. */
  relays: string[];
  nowMs?: () => number;
  /** Shown to my other devices in the inbox record (at most 32 bytes). */
  deviceLabel?: string;
  /** App origin for contact card links (`https://…/#c=…`); else a `web+veil:c=…` link. */
  origin?: string;
  /** How long a one-off public query (an inbox record) waits for EOSE. Default 5000 ms. */
  queryTimeoutMs?: number;
  /** Scan crypto (sync/scan.ts `loadScanCrypto`): envelope verification and trial-open ECDH. Default: JavaScript. */
  scan?: Pick<ScanCrypto, 'ecdh' | 'verifyEvent'>;
}

/** See the module comment. */
export class Messenger {
  readonly #d: MessengerDeps;
  readonly #ctx: SyncContext;
  readonly #listeners = new Set<(e: MessengerEvent) => void>();
  readonly #nip17Stats: Nip17Stats = newNip17Stats();
  readonly #sockets: Sockets;
  readonly #peers: Peers;
  readonly #own: OwnRecord;
  readonly #lookup: PeerLookup;
  readonly #inbound: InboundPipeline;
  readonly #subs: Subscriptions;
  readonly #outbox: OutboxQueue;
  readonly #dm: DmRelayList;
  #relays: string[] = [];
  #running = false;
  #offStatus: (() => void) | null = null;

  private constructor(deps: MessengerDeps) {
    if (!HEX64.test(deps.identity)) throw new VeilError('INVALID_KEY', 'identity must be 64 hex');
    this.#d = deps;
    const now = deps.nowMs ?? Date.now;
    const ctx: SyncContext = (this.#ctx = {
      store: deps.store,
      signer: deps.signer,
      me: deps.identity,
      ek: deps.ek,
      ekHex: bytesToHex(deps.ek.publicKey),
      counters: { openFailures: 0, invalidEvents: 0, duplicates: 0 },
      now,
      nowS: () => Math.floor(now() / 1000),
      emit: (e) => this.#emit(e),
      fail: (e) => this.#emit(isVeilError(e) ? { type: 'error', code: e.code, message: e.message } : { type: 'error', code: 'INTERNAL', message: 'unexpected error' }),
      running: () => this.#running,
      resubscribe: () => this.#subs.schedule()
    });
    const relays = (): string[] => this.#relays;
    const sockets = (this.#sockets = new Sockets(deps, deps.signer));
    const publicPool = () => sockets.public(this.#relays);
    this.#peers = new Peers(settingsPeerRepo(deps.store));
    this.#own = new OwnRecord(ctx, { deviceId: deps.deviceId, ...opt('deviceLabel', deps.deviceLabel), ...opt('origin', deps.origin), relays, publicPool });
    this.#lookup = new PeerLookup(ctx, { peers: this.#peers, own: this.#own, relays, publicPool });
    const inbound = (this.#inbound = new InboundPipeline(ctx, { peers: this.#peers, lookup: this.#lookup }));
    this.#dm = new DmRelayList(ctx, { envelopeRelays: relays, publicPool, dmReadPool: () => sockets.dmReadIfOpen(), changed: () => this.#subs.giftWraps() });
    const onEnvelope = envelopeReceiver(ctx, { pipeline: inbound, ...opt('scan', deps.scan), pairSender: (r, mb) => this.#subs.pairSender(r, mb) });
    const onGiftWrap = nip17Receiver(ctx, { pipeline: inbound, stats: this.#nip17Stats });
    this.#subs = new Subscriptions(ctx, {
      sockets,
      peers: this.#peers,
      own: this.#own,
      relays,
      dmRelays: () => this.#dm.list(),
      onEnvelope: (ev, relay) => inbound.enqueue(() => onEnvelope(ev, relay)),
      onGiftWrap: (ev) => inbound.enqueue(() => onGiftWrap(ev)),
      afterQueued: (task) => inbound.enqueue(task),
      publicSubscribe: () => this.#lookup.subscribe()
    });
    this.#outbox = new OutboxQueue({
      store: deps.store,
      now,
      publish: (event, relay) => sockets.publish(event, relay),
      onDelivery: (conversationId) => this.#emit({ type: 'messages', conversationId }),
      onError: ctx.fail
    });
  }

  /** Loads relays, my own inbox record and contacts from the store. Opens no socket. */
  static async create(deps: MessengerDeps): Promise<Messenger> {
    if (typeof deps.WebSocket !== 'function') throw new VeilError('INVALID_INPUT', 'a WebSocket constructor is required');
    const m = new Messenger(deps);
    m.#relays = await loadEnvelopeRelays(deps.store, deps.relays);
    await m.#own.load();
    await m.#dm.load();
    await m.#subs.load();
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

  /** Counters of things that are never shown as messages. */
  stats(): { openFailures: number; invalidEvents: number; duplicates: number } {
    const c = this.#ctx.counters;
    let invalid = c.invalidEvents;
    for (const s of this.#sockets.envelope()?.status() ?? []) invalid += s.invalidEvents;
    return { ...c, invalidEvents: invalid };
  }

  /** Connects every pool, subscribes, publishes my inbox record and 10050 list, flushes the outbox. */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    const ctx = this.#ctx;
    this.#offStatus = this.#sockets.openEnvelope(this.#relays).onStatus((s) => {
      this.#emit({ type: 'relays' });
      if (s.state === 'open') this.#outbox.kick(true);
    });
    await ctx.store.pruneSeen(ctx.now()).catch(ctx.fail);
    for (const c of await ctx.store.listContacts()) if (c.state !== 'blocked') await this.#peers.get(c.pubkey);
    this.#subs.start();
    this.#outbox.start();
    await this.#own.sync(await this.#lookup.queryRecord(ctx.me)).catch(ctx.fail);
    await this.#dm.ensurePublished().catch(ctx.fail);
  }

  /** Closes every socket and timer. The store stays open (the caller owns it). */
  async stop(): Promise<void> {
    this.#running = false;
    this.#offStatus?.();
    this.#offStatus = null;
    this.#subs.close();
    this.#lookup.close();
    await this.#outbox.stop();
    await this.#inbound.idle();
    this.#sockets.close();
  }

  /** The devices my inbox record certifies (this one marked), for Settings → "Your devices". */
  ownDevices(): OwnDevice[] {
    return this.#own.devices();
  }

  /** My contact card link (npub, my devices' EKs and relays, signed); '' until my record exists. */
  contactCard(): string {
    return this.#own.card();
  }

  /** Conversations with their contact's state, newest activity first. */
  listChats(filter?: ContactState): Promise<ChatSummary[]> {
    return listChats(this.#ctx.store, this.#ctx.me, filter);
  }

  /** One page of a conversation, newest first; `before` is a sort key (store makeSortKey). */
  pageMessages(conversationId: string, opts: { before?: string; limit?: number } = {}): Promise<ChatMessage[]> {
    return pageMessages(this.#ctx.store, this.#ctx.me, conversationId, opts);
  }

  /** Starts (or reopens) a chat from an npub, nprofile, hex pubkey or contact card link (peer-lookup.ts). */
  startChat(input: string): Promise<string> {
    return this.#lookup.startChat(input);
  }

  /**
   * Sends a text message: by envelope when a device of the contact is known, else NIP-17. The
   * message and its outbox entries are stored before anything goes out. Returns the message id.
   */
  async send(conversationId: string, text: string, opts: { replyTo?: string } = {}): Promise<string> {
    const ctx = this.#ctx;
    if (typeof text !== 'string' || text.trim() === '') throw new VeilError('INVALID_INPUT', 'message is empty');
    if (text.length > MAX_BODY_CHARS) throw new VeilError('TOO_LARGE', 'message too long');
    const conv = await ctx.store.getConversation(conversationId);
    if (!conv) throw new VeilError('NOT_FOUND', 'no such conversation');
    const peer = conv.peers.find((p) => p !== ctx.me);
    if (!peer) throw new VeilError('INVALID_INPUT', 'conversation has no peer');
    if ((await this.#peers.get(peer)).devices.length === 0) await this.#lookup.refreshRecord(peer);
    const routing = await this.#peers.get(peer);
    const base = { conversationId, lastActivity: conv.lastActivity, text, ...opt('replyTo', opts.replyTo) };
    const byEnvelope = routing.devices.length > 0;
    const out: Outgoing & { cardSentAt?: number } = byEnvelope
      ? await prepareEnvelopeSend(ctx, { own: this.#own, relays: this.#relays }, { ...base, peer: routing })
      : await prepareNip17Send(ctx, { ...base, peer, peerDmRelays: await this.#lookup.peerDmRelays(peer), myDmRelays: this.#dm.list() });
    await settleContact(ctx.store, peer, byEnvelope ? { outgoing: true, protocol: 'veil' } : { outgoing: true, protocol: 'nip17', switchProtocol: true });
    await saveOutgoing(ctx.store, out);
    if (out.cardSentAt !== undefined) await this.#peers.update(peer, { cardSentAt: out.cardSentAt });
    emitChanged(ctx, conversationId);
    this.#outbox.kick(false);
    return out.message.id;
  }

  /** My DM relays (kind 10050): where other Nostr clients send me NIP-17 messages. */
  dmRelays(): string[] {
    return this.#dm.list();
  }

  /** Sets, stores and publishes my kind 10050 list. Errors: RELAY_URL_INVALID, INVALID_INPUT, TOO_LARGE. */
  setDmRelays(relays: readonly string[]): Promise<void> {
    return this.#dm.set(relays);
  }

  /** Downloads and decrypts the file of a kind 15 message. Errors: NOT_FOUND, FILE_UNAVAILABLE, DECRYPT_FAILED, TOO_LARGE. */
  downloadFile(messageId: string): Promise<{ bytes: Uint8Array; mimeType?: string }> {
    return downloadFile(this.#ctx.store, this.#d.fetch, messageId);
  }

  /** Called when a chat is opened: a NIP-17 contact is looked for on the envelope again (once a minute). */
  async checkContact(conversationId: string): Promise<void> {
    const conv = await this.#ctx.store.getConversation(conversationId);
    const peer = conv?.peers.find((p) => p !== this.#ctx.me);
    if (peer) await this.#lookup.checkContact(peer);
  }

  /** NIP-17 counters: opened wraps and each failure reason (never shown as messages). */
  nip17Stats(): Nip17Stats {
    return { opened: this.#nip17Stats.opened, failures: { ...this.#nip17Stats.failures } };
  }

  /** Publishes every due outbox entry and updates the messages' status. Does nothing until start(). */
  flushOutbox(): Promise<void> {
    return this.#outbox.flush();
  }

  /** Re-arms every relay copy of a message that is not delivered yet and publishes now. */
  retry(messageId: string): Promise<void> {
    return this.#outbox.retry(messageId);
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
    const { store } = this.#ctx;
    const cid = await store.conversationIdFor([peer]);
    await deleteReactions(store, cid);
    await store.deleteConversation(cid);
    await store.deleteContact(peer);
    await this.#peers.delete(peer);
    this.#lookup.forget(peer);
    this.#ctx.resubscribe();
    this.#emit({ type: 'chats' });
  }

  /** Blocks: their envelopes are dropped and their pair mailboxes no longer read. */
  async block(peer: string): Promise<void> {
    await this.#ctx.store.blockContact(peer);
    this.#peers.unfollow(peer);
    this.#ctx.resubscribe();
    this.#emit({ type: 'chats' });
  }

  async getDraft(conversationId: string): Promise<string> {
    return (await this.#ctx.store.getDraft(conversationId)) ?? '';
  }

  async setDraft(conversationId: string, text: string): Promise<void> {
    await this.#ctx.store.setDraft(conversationId, text === '' ? null : text);
  }

  /** Envelope relays with their connection state and NIP-11 limits. */
  relayStatus(): RelayStatus[] {
    return relayStatusView(this.#relays, this.#sockets.envelope()?.status() ?? []);
  }

  /** Adds an envelope relay: stored, connected, in my inbox record, subscribed. */
  async addRelay(url: string): Promise<void> {
    const next = withRelay(this.#relays, url);
    if (next.length === this.#relays.length) return;
    const n = next[next.length - 1]!;
    await this.#ctx.store.putRelay({ url: n, role: 'envelope' });
    this.#relays = next;
    this.#sockets.addRelay(n);
    await this.#afterRelayChange();
  }

  /** Removes an envelope relay (not the last one). */
  async removeRelay(url: string): Promise<void> {
    let n: string;
    try {
      n = checkRelayUrl(url);
    } catch {
      return;
    }
    if (!this.#relays.includes(n)) return;
    if (this.#relays.length === 1) throw new VeilError('INVALID_INPUT', 'Keep at least one relay.');
    await this.#ctx.store.deleteRelay(n);
    this.#relays = this.#relays.filter((r) => r !== n);
    this.#subs.drop(n);
    this.#sockets.removeRelay(n);
    await this.#afterRelayChange();
  }

  async #afterRelayChange(): Promise<void> {
    this.#emit({ type: 'relays' });
    if (!this.#running) return;
    this.#subs.envelopes();
    this.#lookup.close();
    this.#lookup.subscribe();
    await this.#own.sync(null).catch(this.#ctx.fail);
  }

  /** The contact record of a peer as stored (for tests and the app's contact view). */
  async contact(peer: string): Promise<Contact | undefined> {
    return this.#ctx.store.getContact(peer);
  }
}

/** `{ [key]: value }` when value is defined, else `{}` (exactOptionalPropertyTypes). */
function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
