/**
 * The app layer: one object the components read ($state) and call. It owns the platform objects
 * (IndexedDB, WebSocket, window.nostr, BroadcastChannel, Web Locks) and hands them to sync/.
 *
 * Several tabs: every tab reads and writes the same IndexedDB; only the tab holding the Web Lock
 * "veil-sockets" runs relay sockets. Writes are announced on a BroadcastChannel so other tabs re-read,
 * and a tab without the lock that queues a message asks the owner to flush the outbox.
 */
import { loadRuntimeConfig } from './config';
import { describeError } from './errors';
import { BunkerAuth } from './bunker-auth.svelte';
import { PrivacyState, type PrivacyChoices } from './privacy.svelte';
import { Names } from './names.svelte';
import { Notify } from './notify.svelte';
import { Problems } from './problems.svelte';
import { CatchUpLine } from './catch-up.svelte';
import { FileActions } from './file-actions';
import { FileServerChoice } from './file-server.svelte';
import { registerOutboxSync, registerPeriodicRead } from './background-sync';
import { claimSocketsLock } from './sockets-lock';
import { lazySafety } from './lazy-safety';
import type { DisappearingSource } from './conversation.svelte';
import type { Nip07Like } from '$lib/crypto/signer';
import type { Nip17File } from '$lib/crypto/nip17';
import type { VeilStore } from '$lib/store';
import { DB_NAME, makeSortKey } from '$lib/store/schema';
import type { AccountPlatform, Backup, Session } from '$lib/sync/account';
import { AccountControls } from './account.svelte';
import type { Messenger } from '$lib/sync/messenger';
import type { CatchUpView, ChatMessage, ChatSummary, IdentityInfo, MessengerEvent, OwnDevice, RelayStatus } from '$lib/sync/types';

export type Phase = 'loading' | 'onboarding' | 'backup' | 'locked' | 'ready' | 'fatal';
type TabMessage = { type: 'changed'; what: 'chats' | 'relays' | 'messages'; conversationId?: string } | { type: 'flush' } | { type: 'locked' } | { type: 'wiped' } | { type: 'privacy'; choices: PrivacyChoices } | { type: 'catch-up'; progress: CatchUpView | null } | { type: 'file-server' };

export class VeilApp {
  phase = $state<Phase>('loading');
  identity = $state<IdentityInfo | null>(null);
  chats = $state<ChatSummary[]>([]);
  requests = $state<ChatSummary[]>([]);
  relays = $state<RelayStatus[]>([]);
  devices = $state<OwnDevice[]>([]);
  /** My NIP-17 DM relays (kind 10050), and those of them whose last read reached the page bound. */
  dmRelays = $state<string[]>([]);
  dmIncomplete = $state<string[]>([]);
  backup = $state<Backup | null>(null);
  fatal = $state('');
  /** True in the tab that holds the relay sockets. */
  socketOwner = $state(false);
  readonly fileServer = new FileServerChoice(() => this.#store, undefined, () => this.#channel?.postMessage({ type: 'file-server' } satisfies TabMessage)); // where attachments go (file-server.svelte.ts)
  /** Live/Private mode and the inbox-record choice: `privacy.mode`, `privacy.setPrivacyMode(…)` (privacy.svelte.ts). */
  readonly privacy = new PrivacyState(() => this.#messenger, (choices) => this.#channel?.postMessage({ type: 'privacy', choices } satisfies TabMessage));
  readonly safety = lazySafety(({ SafetyNumbers, myKeySet }) => new SafetyNumbers(() => this.#store, () => (this.#session ? myKeySet(this.#session, this.#messenger?.ownDevices() ?? []) : null), () => this.#onMessengerEvent({ type: 'chats' })));
  /** My public profile and my nicknames for contacts: `names.own`, `names.save(…)`, `names.setNickname(…)` (names.svelte.ts). */
  readonly names = new Names(() => this.#messenger, () => this.#onMessengerEvent({ type: 'chats' }));
  readonly bunkerAuth = new BunkerAuth(); // a NIP-46 auth_url: shown by host, opened only on a click
  readonly notify = new Notify(() => this.#store, () => this.socketOwner); // unread in title and badge, notifications
  readonly problems = new Problems(); // a background failure (a full disk while messages arrive), as a banner
  readonly catchUp = new CatchUpLine(); // "Catching up… n of m opened" once a catch-up takes over 1 s (catch-up.svelte.ts)
  /** A file message saved as a download, or a picture shown in the chat (file-actions.ts). */
  readonly files = new FileActions(() => this.#requireMessenger());
  /** Identity and Settings → Account: lock, forget device, key, passphrase, blocked, devices, wipe (account.svelte.ts). */
  readonly account = new AccountControls({
    store: () => this.#store,
    messenger: () => this.#messenger,
    platform: () => this.#platform(),
    begin: (session, backup) => ((this.backup = backup ?? null), this.#begin(session, backup ? 'backup' : 'ready')),
    lock: () => this.lock(),
    database: () => ({ indexedDB, name: DB_NAME }),
    close: () => this.#close(),
    restart: () => this.#restart(),
    changed: () => this.#onMessengerEvent({ type: 'chats' })
  });

  #store: VeilStore | null = null;
  #session: Session | null = null;
  #messenger: Messenger | null = null;
  #defaultRelays: string[] = [];
  #lookupRelays: string[] = [];
  #channel: BroadcastChannel | null = null;
  #releaseLock: (() => void) | null = null;
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- listeners, not UI state
  #messageListeners = new Set<(conversationId: string) => void>();
  #unsubscribe: (() => void) | null = null;
  #refreshTimer: ReturnType<typeof setTimeout> | undefined;

  describeError = describeError;

  #platform(): AccountPlatform {
    const nostr = (window as unknown as { nostr?: Nip07Like }).nostr;
    return { WebSocket, ...(nostr ? { nostr } : {}), onBunkerAuth: (url) => this.bunkerAuth.request(url) };
  }

  async init(): Promise<void> {
    try {
      // The first screen loads the store only; account flows, the Messenger and wasm come after sign-in.
      const [store, config] = await Promise.all([
        import('$lib/store').then(({ VeilStore }) => VeilStore.open({ indexedDB, IDBKeyRange })),
        loadRuntimeConfig()
      ]);
      this.#store = store;
      this.#defaultRelays = config.relays;
      this.#lookupRelays = config.lookupRelays;
      this.fileServer.host = config.fileServer;
      this.#channel = new BroadcastChannel('veil');
      this.#channel.onmessage = (e: MessageEvent<TabMessage>) => this.#onTabMessage(e.data);
      if (!(await store.hasVault())) {
        this.phase = 'onboarding';
        return;
      }
      // "Remember on this device": open without asking; otherwise the lock screen.
      if (await store.hasDeviceUnlock()) {
        try {
          const { unlockSession } = await import('./account-flows');
          await this.#begin(await unlockSession(store, this.#platform(), null));
          return;
        } catch {
          /* fall through to the passphrase */
        }
      }
      this.phase = 'locked';
    } catch (e) {
      this.fatal = describeError(e);
      this.phase = 'fatal';
    }
  }

  #requireStore(): VeilStore {
    if (!this.#store) throw new Error('Veil is still opening');
    return this.#store;
  }

  #requireMessenger(): Messenger {
    if (!this.#messenger) throw new Error('Veil is locked');
    return this.#messenger;
  }

  // ------------------------------------------------------------------ identity

  confirmBackup(): void {
    this.backup = null;
    this.phase = 'ready';
  }

  async lock(): Promise<void> {
    await this.#end();
    this.#store?.lock();
    this.#channel?.postMessage({ type: 'locked' } satisfies TabMessage);
    this.phase = 'locked';
  }

  /** Sign out and wipe, before the database is deleted: the messenger and the store close (other tabs close theirs on `versionchange`). */
  async #close(): Promise<void> {
    await this.#end();
    this.#store?.close();
    this.#store = null;
    this.devices = [];
    this.identity = null;
  }

  /** After the database is deleted: the other tabs start over, this one shows onboarding. */
  async #restart(): Promise<void> {
    this.#channel?.postMessage({ type: 'wiped' } satisfies TabMessage);
    this.#channel?.close();
    this.#channel = null;
    await this.init();
  }

  async #begin(session: Session, phase: Phase = 'ready'): Promise<void> {
    const store = this.#requireStore();
    // Loaded after sign-in (issue 12 §6); the wasm itself when the scan crypto loads below.
    const [{ Messenger }, { loadScanCrypto }, { loadSecp256k1Wasm, loadEcdhWasm }, { identityInfo }] = await Promise.all([import('$lib/sync/messenger'), import('$lib/sync/scan'), import('./secp256k1-wasm'), import('./account-flows')]);
    this.#session = session;
    this.identity = identityInfo(session);
    this.#messenger = await Messenger.create({
      store,
      signer: session.signer,
      identity: session.account.pubkey,
      deviceId: session.deviceId,
      ek: session.ek,
      WebSocket,
      fetch: fetch.bind(globalThis),
      relays: this.#defaultRelays,
      // Inbox records, profiles, DM relay lists and my own record: not the envelope relays (spec 0005 §Roles).
      lookupRelays: this.#lookupRelays,
      // No deviceLabel: the public inbox record names no devices ("Chrome on Linux" helps fingerprinting).
      origin: location.origin,
      // libsecp256k1 in WebAssembly for envelope verification and trial-open (constant-time ECDH); JavaScript if it cannot load.
      scan: await loadScanCrypto(loadSecp256k1Wasm, loadEcdhWasm)
    });
    this.#unsubscribe = this.#messenger.on((e) => this.#onMessengerEvent(e));
    this.#syncRelays(this.#messenger);
    this.privacy.refresh();
    await this.fileServer.load();
    void this.account.refresh().catch(() => {});
    this.phase = phase;
    await this.#refreshChats();
    this.#claimSockets();
    void registerPeriodicRead(); // the installed app's worker reads while no page is open
  }

  async #end(): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    await this.#messenger?.stop();
    this.#messenger = null;
    this.#releaseLock?.();
    this.#releaseLock = null;
    this.socketOwner = false;
    await this.#session?.signer.close();
    this.#session = null;
    this.chats = [];
    this.requests = [];
    this.names.own = null;
    this.fileServer.clear();
    this.catchUp.update(null);
    this.notify.pause();
  }

  /** Waits for the Web Lock; the tab that gets it runs the sockets until it closes or locks. */
  #claimSockets(): void {
    const run = async () => {
      const m = this.#messenger;
      if (!m) return;
      this.socketOwner = true;
      await m.start();
      this.#syncRelays(m);
      this.devices = m.ownDevices();
    };
    claimSocketsLock(run, () => this.#messenger !== null, (release) => (this.#releaseLock = release));
  }

  // ------------------------------------------------------------------ events

  #onMessengerEvent(e: MessengerEvent): void {
    if (e.type === 'devices') {
      this.devices = this.#messenger?.ownDevices() ?? [];
      return;
    }
    if (e.type === 'error') return this.problems.report(e.code);
    if (e.type === 'catch-up') return (this.catchUp.update(e.progress), this.#channel?.postMessage({ type: 'catch-up', progress: e.progress } satisfies TabMessage));
    if (e.type === 'chats') this.#scheduleRefresh();
    else if (e.type === 'messages') {
      this.problems.resolved(); // a message was stored: saving works
      for (const l of this.#messageListeners) l(e.conversationId);
      this.#scheduleRefresh();
      this.#channel?.postMessage({ type: 'changed', what: 'messages', conversationId: e.conversationId } satisfies TabMessage);
      return;
    } else if (e.type === 'relays' && this.#messenger) this.#syncRelays(this.#messenger);
    if (e.type === 'chats' || e.type === 'relays') this.#channel?.postMessage({ type: 'changed', what: e.type } satisfies TabMessage);
  }

  #onTabMessage(msg: TabMessage): void {
    if (msg.type === 'locked') {
      if (this.phase === 'ready') void this.lock();
      return;
    }
    if (msg.type === 'wiped') return location.reload(); // the database is gone: start over
    if (msg.type === 'privacy') return void this.privacy.adopt(msg.choices);
    if (msg.type === 'catch-up') return this.catchUp.update(msg.progress);
    if (msg.type === 'file-server') return void this.fileServer.load();
    if (msg.type === 'flush') {
      if (this.socketOwner) void this.#messenger?.flushOutbox();
      return;
    }
    if (msg.what === 'messages' && msg.conversationId) for (const l of this.#messageListeners) l(msg.conversationId);
    this.#scheduleRefresh();
  }

  #scheduleRefresh(): void {
    clearTimeout(this.#refreshTimer);
    this.#refreshTimer = setTimeout(() => void this.#refreshChats(), 50);
  }

  async #refreshChats(): Promise<void> {
    const m = this.#messenger;
    if (!m) return;
    const [accepted, requests] = await Promise.all([m.listChats('accepted'), m.listChats('request')]);
    this.chats = accepted;
    this.requests = requests;
    this.notify.update(accepted, requests);
  }

  /** Calls `listener(conversationId)` when messages of a conversation change. Returns an unsubscribe. */
  onMessages(listener: (conversationId: string) => void): () => void {
    this.#messageListeners.add(listener);
    return () => this.#messageListeners.delete(listener);
  }

  // ------------------------------------------------------------------ chats

  async startChat(input: string): Promise<string> {
    await this.account.refuseBlocked(input);
    const id = await this.#requireMessenger().startChat(input);
    await this.#refreshChats();
    return id;
  }

  /** A name for a key typed in New chat (sync/name-lookup.ts); `ask`: may ask the lookup relays. */
  lookupName(pubkey: string, hints: readonly string[], ask: boolean): Promise<string | null> {
    return this.#requireMessenger().lookupName(pubkey, hints, ask);
  }

  async pageMessages(conversationId: string, opts: { before?: ChatMessage; limit?: number } = {}): Promise<ChatMessage[]> {
    return this.#requireMessenger().pageMessages(conversationId, {
      ...(opts.before ? { before: makeSortKey(opts.before.createdAt, opts.before.id) } : {}),
      limit: opts.limit ?? 50
    });
  }

  async send(conversationId: string, text: string, replyTo?: string, file?: Nip17File): Promise<void> {
    await this.#requireMessenger().send(conversationId, text, { ...(replyTo ? { replyTo } : {}), ...(file ? { file } : {}) });
    this.#queued();
    await this.#refreshChats();
  }

  /** Reading while locked (Settings → Messages while locked; sync/locked-read.ts); a chat's disappearing timer, set by a control message (sync/disappearing-timer.ts). */
  readonly lockedRead = { enabled: () => this.#requireMessenger().lockedRead.enabled(), set: (on: boolean) => this.#requireMessenger().lockedRead.set(on) };
  readonly disappearing: DisappearingSource = { get: (id) => this.#requireMessenger().disappearing.get(id), set: (id, s) => this.#requireMessenger().disappearing.set(id, s).then(() => this.#queued()) };

  async retry(messageId: string): Promise<void> {
    await this.#requireMessenger().retry(messageId);
    this.#queued();
  }

  /** Something is in the outbox: should every tab close before it went out, the service worker sends it; the socket tab is told. */
  #queued(): void {
    void registerOutboxSync();
    if (!this.socketOwner) this.#channel?.postMessage({ type: 'flush' } satisfies TabMessage);
  }

  /** Marks a chat read; called while it is on screen (the list may not know of the newest message yet). */
  async markRead(conversationId: string): Promise<void> {
    await this.#requireMessenger().markRead(conversationId);
    await this.#refreshChats();
  }

  async accept(peer: string): Promise<void> {
    await this.#requireMessenger().accept(peer);
    await this.#refreshChats();
  }
  async decline(peer: string): Promise<void> {
    await this.#requireMessenger().decline(peer);
    await this.#refreshChats();
  }
  async block(peer: string): Promise<void> {
    await this.#requireMessenger().block(peer);
    await Promise.all([this.#refreshChats(), this.account.refresh()]);
  }

  getDraft(conversationId: string): Promise<string> {
    return this.#messenger ? this.#messenger.getDraft(conversationId) : Promise.resolve('');
  }
  async setDraft(conversationId: string, text: string): Promise<void> {
    await this.#messenger?.setDraft(conversationId, text);
    this.#scheduleRefresh();
  }

  contactCard(): string {
    return this.#messenger?.contactCard() ?? '';
  }

  // ------------------------------------------------------------------ relays

  async addRelay(url: string): Promise<void> {
    const m = this.#requireMessenger();
    await m.addRelay(url);
    this.relays = m.relayStatus();
  }

  async removeRelay(url: string): Promise<void> {
    const m = this.#requireMessenger();
    await m.removeRelay(url);
    this.relays = m.relayStatus();
  }

  /** Saves and publishes my DM relay list (kind 10050). */
  async setDmRelays(relays: string[]): Promise<void> {
    const m = this.#requireMessenger();
    await m.setDmRelays(relays);
    this.#syncRelays(m);
  }

  /** A chat was opened: a NIP-17 contact may have started using Veil since (upgrade check). */
  checkContact(conversationId: string): void {
    void this.#messenger?.checkContact(conversationId).catch(() => {});
  }

  refreshRelays(): void {
    if (this.#messenger) this.#syncRelays(this.#messenger);
  }

  #syncRelays(m: Messenger): void {
    this.relays = m.relayStatus();
    this.dmRelays = m.dmRelays();
    this.dmIncomplete = m.incompleteDmRelays();
  }
}

/** The one app instance of this tab. */
export const veil = new VeilApp();
