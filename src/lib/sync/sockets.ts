/**
 * Socket roles as named policies (docs/design.md §4). Four pools, never sharing a socket, so nothing
 * links what one role reveals to another:
 * - `envelope`: kind 1067 reads and writes only; NEVER authenticates (no NIP-42 `auth`); its filters
 *   hold only mailbox points (`#p`), never an identity pubkey. Fetches NIP-11 for the relay screen.
 * - `public`: lookups by author (inbox records 11067, profiles 0, DM relay lists 10050) and my own
 *   record and 10050 list published. Never authenticates.
 * - `dmRead`: my kind 10050 relays; reads gift wraps (and legacy kind 4) whose filter names me, and
 *   MAY answer NIP-42 AUTH as me (many DM relays serve 1059 only to the authenticated `p`).
 * - `nip17Publish`: publishes wraps to other people's DM relays and my self copy to mine; NEVER
 *   authenticates, so no relay learns who sent a wrap.
 */
import type { Signer } from '../crypto/signer';
import { RelayPool, type PoolOptions } from '../relay/pool';
import type { FetchLike, NostrEvent, WebSocketConstructor } from '../relay/types';
import type { ScanCrypto } from './scan';
import { createDmRelayPool, createNip17PublishPool, GIFT_WRAP_KIND } from './nip17';
import type { PublishOutcome } from './outbox';

export type SocketRole = 'envelope' | 'public' | 'dmRead' | 'nip17Publish';

/** What each role may do; the pools below are built from exactly these. */
const SOCKET_POLICIES: Readonly<Record<SocketRole, { authenticates: boolean; nip11: boolean }>> = {
  envelope: { authenticates: false, nip11: true },
  public: { authenticates: false, nip11: false },
  dmRead: { authenticates: true, nip11: false },
  nip17Publish: { authenticates: false, nip11: false }
};

export interface SocketPlatform {
  /** WebSocket constructor (browser global or `ws` in Node). */
  WebSocket: unknown;
  /** For NIP-11 relay information (envelope role only). */
  fetch?: typeof fetch;
  /** How long a one-off query waits for EOSE. Default 5000 ms. */
  queryTimeoutMs?: number;
  scan?: Pick<ScanCrypto, 'verifyEvent'>;
}

/** The four pools of one messenger, opened lazily (the envelope pool by open()). */
export class Sockets {
  readonly #p: SocketPlatform;
  readonly #signer: Signer;
  #env: RelayPool | null = null;
  #pub: RelayPool | null = null;
  #dmRead: RelayPool | null = null;
  #dmPublish: RelayPool | null = null;

  constructor(platform: SocketPlatform, signer: Signer) {
    this.#p = platform;
    this.#signer = signer;
  }

  #options(role: SocketRole): Omit<PoolOptions, 'auth'> {
    const base = {
      WebSocket: this.#p.WebSocket as WebSocketConstructor,
      eoseTimeoutMs: this.#p.queryTimeoutMs ?? 5_000,
      connectTimeoutMs: 5_000,
      publishTimeoutMs: 8_000
    };
    return SOCKET_POLICIES[role].nip11 && this.#p.fetch ? { ...base, fetch: this.#p.fetch as unknown as FetchLike } : base;
  }

  /** Opens the envelope pool on `relays` (no `auth` option: AUTH is never answered there). */
  openEnvelope(relays: readonly string[]): RelayPool {
    this.#env ??= new RelayPool([...relays], { ...this.#options('envelope'), ...(this.#p.scan ? { verify: this.#p.scan.verifyEvent } : {}) });
    return this.#env;
  }

  /** The envelope pool, null before open() and after close(). */
  envelope(): RelayPool | null {
    return this.#env;
  }

  public(relays: readonly string[]): RelayPool {
    this.#pub ??= new RelayPool([...relays], this.#options('public'));
    return this.#pub;
  }

  /** The DM-read pool on my 10050 relays, authenticating as me (the one role that may). */
  dmRead(relays: readonly string[]): RelayPool {
    this.#dmRead ??= createDmRelayPool(relays, { ...this.#options('dmRead'), signer: this.#signer, authenticate: SOCKET_POLICIES.dmRead.authenticates });
    return this.#dmRead;
  }

  /** The DM-read pool if open (to follow a changed 10050 list). */
  dmReadIfOpen(): RelayPool | null {
    return this.#dmRead;
  }

  nip17Publish(): RelayPool {
    this.#dmPublish ??= createNip17PublishPool(this.#options('nip17Publish'));
    return this.#dmPublish;
  }

  /** An envelope relay was added or removed: the envelope and public pools follow. */
  addRelay(url: string): void {
    this.#env?.addRelay(url);
    this.#pub?.addRelay(url);
  }

  removeRelay(url: string): void {
    this.#env?.removeRelay(url);
    this.#pub?.removeRelay(url);
  }

  /**
   * The outbox's publish router: gift wraps name their recipient, so they go only through the
   * NIP-17 publish pool — never envelope sockets, never my authenticating DM sockets (the peer's
   * relay would learn the sender). Everything else in the outbox is an envelope.
   */
  async publish(event: NostrEvent, relay: string): Promise<PublishOutcome> {
    const pool = event.kind === GIFT_WRAP_KIND ? this.nip17Publish() : this.#env;
    if (!pool) return { status: 'unreachable', message: 'not started' };
    const [r] = await pool.publish(event, { relays: [relay] });
    return r ?? { status: 'timeout' };
  }

  close(): void {
    for (const p of [this.#env, this.#pub, this.#dmRead, this.#dmPublish]) p?.close();
    this.#env = this.#pub = this.#dmRead = this.#dmPublish = null;
  }
}
