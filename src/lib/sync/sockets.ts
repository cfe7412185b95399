/**
 * Socket roles as named policies (docs/design.md §4; spec 0005 §Roles). Six pools, never sharing a
 * socket, so nothing links what one role reveals to another:
 * - `envelope`: kind 1067 reads only; NEVER authenticates (no NIP-42 `auth`); its filters hold only
 *   shared bucket points (`#p`), never an identity pubkey. Fetches NIP-11 for the relay screen.
 * - `envelopePublish`: publishes envelopes and reads nothing, so a publish is never on the socket
 *   that reads (the relay cannot tie a writer's socket to a reader's).
 * - `public`: lookups of contacts by author (inbox records 11067, profiles 0, DM relay lists 10050)
 *   on the lookup relays. Never authenticates. Never names my own key.
 * - `ownRecord`: my own inbox record and 10050 list, read and published on the lookup relays, on
 *   a socket of their own, so my key never appears in a filter beside my contacts'.
 * - `dmRead`: my kind 10050 relays; reads gift wraps (and legacy kind 4) whose filter names me, and
 *   MAY answer NIP-42 AUTH as me (many DM relays serve 1059 only to the authenticated `p`).
 * - `nip17Publish`: publishes wraps to other people's DM relays and my self copy to mine; NEVER
 *   authenticates, so no relay learns who sent a wrap.
 * Identity-linked REQs (`gate`: every REQ on the sockets that name me, those by author on the public
 * ones) are handed to `beforeReq` (the identity gate) right before they are written: the first
 * send, and each re-send after a reconnect or an AUTH, which would otherwise bypass the gate.
 */
import type { Signer } from '../crypto/signer';
import { RelayPool, type PoolOptions, type PrefilterVerdict } from '../relay/pool';
import type { FetchLike, Filter, NostrEvent, WebSocketConstructor } from '../relay/types';
import type { ScanCrypto } from './scan';
import { createDmRelayPool, createNip17PublishPool, GIFT_WRAP_KIND } from './nip17';
import type { PublishOutcome } from './outbox';

export type SocketRole = 'envelope' | 'envelopePublish' | 'public' | 'ownRecord' | 'dmRead' | 'nip17Publish';

/** Which REQs of a role wait for the identity gate: none, those with an `authors` filter, or every one. */
export type ReqGating = 'none' | 'authors' | 'every';

/** What each role may do; the pools below are built from exactly these. */
export const SOCKET_POLICIES: Readonly<Record<SocketRole, { authenticates: boolean; nip11: boolean; gate: ReqGating }>> = {
  envelope: { authenticates: false, nip11: true, gate: 'none' },
  envelopePublish: { authenticates: false, nip11: false, gate: 'none' },
  // Every inbox record (no authors) names nobody; profiles and DM relay lists by author do.
  public: { authenticates: false, nip11: false, gate: 'authors' },
  ownRecord: { authenticates: false, nip11: false, gate: 'every' },
  // NIP-11 for max_limit (catch-up pages): the DM relays already know this user by AUTH.
  dmRead: { authenticates: true, nip11: true, gate: 'every' },
  nip17Publish: { authenticates: false, nip11: false, gate: 'none' }
};

/** Whether a REQ with `filters` on a socket of `gating` waits for the identity gate. */
export function reqIsGated(gating: ReqGating, filters: readonly Filter[]): boolean {
  return gating === 'every' || (gating === 'authors' && filters.some((f) => Array.isArray(f.authors)));
}

export interface SocketPlatform {
  /** WebSocket constructor (browser global or `ws` in Node). */
  WebSocket: unknown;
  /** For NIP-11 relay information (envelope and DM-read roles). */
  fetch?: typeof fetch;
  /** How long a one-off query waits for EOSE. Default 5000 ms. */
  queryTimeoutMs?: number;
  scan?: Pick<ScanCrypto, 'verifyEvent'>;
}

/** Private mode's send slots (slots.ts): envelopes wait there instead of going out at once. */
export interface EnvelopeSlots {
  /** `group`: the copies of one envelope to other relays (slots.ts holds them apart). */
  publish(event: NostrEvent, relay: string, group?: string): Promise<PublishOutcome>;
}

/** The pools of one messenger, opened lazily (the envelope pools by openEnvelope()). */
export class Sockets {
  readonly #p: SocketPlatform;
  readonly #signer: Signer;
  #env: RelayPool | null = null;
  #envPublish: RelayPool | null = null;
  #pub: RelayPool | null = null;
  #ownRecord: RelayPool | null = null;
  /** Set in Private mode: envelopes are published in its slots. */
  slots: EnvelopeSlots | null = null;
  /** Asked before the envelope read pool verifies an event from `relay` (the inbound lane's room). */
  admitEnvelope: ((relay: string) => boolean) | null = null;
  /** Asked before an envelope is verified: false drops it as someone else's, 'defer' checks its signature after the trial-open (receive-envelope.ts `mayBeMine`). */
  prefilterEnvelope: ((relay: string, event: Readonly<NostrEvent>) => PrefilterVerdict) | null = null;
  /** The identity gate's last check before an identity-linked REQ is written (identity-gate.ts `beforeReq`). */
  beforeReq: ((send: () => void) => void) | null = null;
  /** Live mode: a real envelope went to `relay` at once (the cover schedule skips its next slot). */
  onLivePublish: ((relay: string) => void) | null = null;
  /**
   * Set while the messenger stops: the outbox's envelopes are answered `unreachable` and stay queued,
   * so nothing that waited for a Private-mode slot leaves at once (every relay's copy in the same
   * millisecond) when the slots are torn down.
   */
  halted = false;
  #dmRead: RelayPool | null = null;
  #dmPublish: RelayPool | null = null;

  constructor(platform: SocketPlatform, signer: Signer) {
    this.#p = platform;
    this.#signer = signer;
  }

  #options(role: SocketRole): Omit<PoolOptions, 'auth'> {
    const gating = SOCKET_POLICIES[role].gate;
    const base: Omit<PoolOptions, 'auth'> = {
      WebSocket: this.#p.WebSocket as WebSocketConstructor,
      eoseTimeoutMs: this.#p.queryTimeoutMs ?? 5_000,
      connectTimeoutMs: 5_000,
      publishTimeoutMs: 8_000,
      ...(gating === 'none' ? {} : { reqGate: (filters, send) => (this.beforeReq && reqIsGated(gating, filters) ? this.beforeReq(send) : send()) })
    };
    return SOCKET_POLICIES[role].nip11 && this.#p.fetch ? { ...base, fetch: this.#p.fetch as unknown as FetchLike } : base;
  }

  /** Opens the envelope read pool on `relays` (no `auth` option: AUTH is never answered there). */
  openEnvelope(relays: readonly string[]): RelayPool {
    this.#env ??= new RelayPool([...relays], {
      ...this.#options('envelope'),
      ...(this.#p.scan ? { verify: this.#p.scan.verifyEvent } : {}),
      admit: (relay) => this.admitEnvelope?.(relay) ?? true,
      prefilter: (relay, event) => this.prefilterEnvelope?.(relay, event) ?? true
    });
    this.#envPublish ??= new RelayPool([...relays], this.#options('envelopePublish'));
    return this.#env;
  }

  /** Publishes one envelope on the publish-only pool, now (Live mode, and Private mode's slots). */
  async publishEnvelopeNow(event: NostrEvent, relay: string): Promise<PublishOutcome> {
    if (!this.#envPublish) return { status: 'unreachable', message: 'not started' };
    const [r] = await this.#envPublish.publish(event, { relays: [relay] });
    return r ?? { status: 'timeout' };
  }

  /** The envelope pool, null before open() and after close(). */
  envelope(): RelayPool | null {
    return this.#env;
  }

  /** Contacts' lookups on the lookup relays. */
  public(relays: readonly string[]): RelayPool {
    this.#pub ??= new RelayPool([...relays], this.#options('public'));
    return this.#pub;
  }

  /** My own record and 10050 list on the lookup relays, on sockets of their own. */
  ownRecord(relays: readonly string[]): RelayPool {
    this.#ownRecord ??= new RelayPool([...relays], this.#options('ownRecord'));
    return this.#ownRecord;
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

  /** An envelope relay was added or removed: both envelope pools follow (lookups keep their relays). */
  addRelay(url: string): void {
    this.#env?.addRelay(url);
    this.#envPublish?.addRelay(url);
  }

  removeRelay(url: string): void {
    this.#env?.removeRelay(url);
    this.#envPublish?.removeRelay(url);
  }

  /**
   * The outbox's publish router: gift wraps name their recipient, so they go only through the
   * NIP-17 publish pool — never envelope sockets, never my authenticating DM sockets (the peer's
   * relay would learn the sender). Everything else in the outbox is an envelope: on the
   * publish-only pool at once (Live mode) or in the next send slot of that relay (Private mode).
   */
  async publish(event: NostrEvent, relay: string, group?: string): Promise<PublishOutcome> {
    if (event.kind !== GIFT_WRAP_KIND) {
      if (this.halted) return { status: 'unreachable', message: 'stopped' };
      if (this.slots) return this.slots.publish(event, relay, group);
      this.onLivePublish?.(relay);
      return this.publishEnvelopeNow(event, relay);
    }
    const [r] = await this.nip17Publish().publish(event, { relays: [relay] });
    return r ?? { status: 'timeout' };
  }

  close(): void {
    for (const p of [this.#env, this.#envPublish, this.#pub, this.#ownRecord, this.#dmRead, this.#dmPublish]) p?.close();
    this.#env = this.#envPublish = this.#pub = this.#ownRecord = this.#dmRead = this.#dmPublish = null;
  }
}
