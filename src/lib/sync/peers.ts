/**
 * Peer routing state: what we keep about a contact beyond the store's Contact — the devices (with
 * their relays) their inbox record certifies, which of their EKs already read pair mailboxes from
 * us, when they last got my card, their NIP-17 DM relays.
 *
 * All persistence goes through one small `PeerRepo`; `storePeerRepo` is the only adapter, and the
 * store validates the shape on write and on read.
 */
import type { PeerRouting, VeilStore } from '../store';

/** The routing state of one contact, as the store keeps it (sealed, behind the contacts' blind index). */
export type { PeerRouting };

/** Where peer routing state lives. */
export interface PeerRepo {
  get(pubkey: string): Promise<PeerRouting | undefined>;
  put(peer: PeerRouting): Promise<void>;
  delete(pubkey: string): Promise<void>;
}

/** Pair-ready EKs kept per contact (their record certifies at most 8 devices, some replaced). */
const MAX_PAIR_READY = 16;

export const emptyPeer = (pubkey: string): PeerRouting => ({
  pubkey,
  devices: [],
  recordAt: 0,
  pairReady: [],
  cardSentAt: 0,
  profileAt: 0,
  dmRelays: [],
  dmRelaysAt: 0
});

/** The PeerRepo over the store's typed, sealed `peers` records (store/repos/peers.ts validates them). */
export function storePeerRepo(store: VeilStore): PeerRepo {
  return {
    get: (pubkey) => store.getPeer(pubkey),
    put: (peer) => store.putPeer(peer),
    delete: (pubkey) => store.deletePeer(pubkey)
  };
}

/** The routing state of the contacts in play, cached over a PeerRepo. */
export class Peers {
  readonly #repo: PeerRepo;
  readonly #cache = new Map<string, PeerRouting>();

  constructor(repo: PeerRepo) {
    this.#repo = repo;
  }

  /** The state of `pubkey` (empty when none), now cached: its mailboxes and record are followed. */
  async get(pubkey: string): Promise<PeerRouting> {
    const cached = this.#cache.get(pubkey);
    if (cached) return cached;
    const peer = (await this.#repo.get(pubkey)) ?? emptyPeer(pubkey);
    this.#cache.set(pubkey, peer);
    return peer;
  }

  /** Applies `patch` to the current state and stores the result. */
  async update(pubkey: string, patch: Partial<Omit<PeerRouting, 'pubkey'>>): Promise<PeerRouting> {
    const next = { ...(await this.get(pubkey)), ...patch, pubkey };
    this.#cache.set(pubkey, next);
    await this.#repo.put(next);
    return next;
  }

  async markPairReady(pubkey: string, ek: string): Promise<void> {
    const peer = await this.get(pubkey);
    if (!peer.pairReady.includes(ek)) await this.update(pubkey, { pairReady: [...peer.pairReady, ek].slice(-MAX_PAIR_READY) });
  }

  /** Stops following `pubkey` (blocked); the stored state stays. */
  unfollow(pubkey: string): void {
    this.#cache.delete(pubkey);
  }

  /** Forgets `pubkey` entirely (declined): cache and stored state. */
  async delete(pubkey: string): Promise<void> {
    this.#cache.delete(pubkey);
    await this.#repo.delete(pubkey);
  }

  /** Pubkeys followed (contacts not blocked, in the order they were loaded). */
  followed(): string[] {
    return [...this.#cache.keys()];
  }

  /** The followed contact whose record lists device EK `ek` (hex), if any. */
  ownerOf(ek: string): string | undefined {
    for (const [pubkey, p] of this.#cache) if (p.devices.some((d) => d.ek === ek)) return pubkey;
    return undefined;
  }

  /** Every device EK of every followed contact (they may write to pair mailboxes of mine). */
  deviceEks(): string[] {
    return [...this.#cache.values()].flatMap((p) => p.devices.map((d) => d.ek));
  }
}
