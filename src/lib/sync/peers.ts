/**
 * Peer routing state: what we keep about a contact beyond the store's Contact — the devices (with
 * their relays) their inbox record certifies, which of their EKs already read pair mailboxes from
 * us, when they last got my card, their NIP-17 DM relays.
 *
 * All persistence goes through one small `PeerRepo`; `settingsPeerRepo` is the only adapter and the
 * only place the stored shape is parsed.
 */
import { checkInboxRecordData, type InboxDevice } from '../crypto/inbox';
import { MAX_DM_RELAYS } from '../crypto/dm-relays';
import type { JsonValue, VeilStore } from '../store';
import { HEX64 } from './context';
import { cleanRelayList } from './plan';

/** The routing state of one contact (the store's `PeerRouting` shape). */
export interface PeerRouting {
  pubkey: string;
  devices: InboxDevice[];
  /** created_at of the inbox record (or card) the devices came from; 0 when none. */
  recordAt: number;
  /** Their device EKs that have sent to us, so they read pair mailboxes from our EK. */
  pairReady: string[];
  /** created_at of my own record when I last sent them my card. */
  cardSentAt: number;
  /** created_at of the cached kind 0. */
  profileAt: number;
  /** The contact's NIP-17 DM relays (kind 10050), for contacts without an inbox record. */
  dmRelays: string[];
  /** When dmRelays were looked up (ms; 0 = never). */
  dmRelaysAt: number;
}

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

const int = (v: unknown): number => (Number.isSafeInteger(v) ? (v as number) : 0);

/** Reads stored routing state back (our own sealed data, still checked field by field). */
export function parsePeerRouting(pubkey: string, raw: unknown): PeerRouting {
  const peer = emptyPeer(pubkey);
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return peer;
  const r = raw as Record<string, unknown>;
  try {
    if (Array.isArray(r.devices) && r.devices.length > 0) peer.devices = checkInboxRecordData({ devices: r.devices as InboxDevice[], removed: [] }).devices;
  } catch {
    peer.devices = [];
  }
  const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  peer.recordAt = int(r.recordAt);
  peer.pairReady = strings(r.pairReady).filter((x) => HEX64.test(x)).slice(0, MAX_PAIR_READY);
  peer.cardSentAt = int(r.cardSentAt);
  peer.profileAt = int(r.profileAt);
  peer.dmRelays = cleanRelayList(strings(r.dmRelays), MAX_DM_RELAYS);
  peer.dmRelaysAt = int(r.dmRelaysAt);
  return peer;
}

/** The one PeerRepo adapter: sealed settings `sync.peer.<conversation id>`. */
// swap: `({ get: (pk) => store.getPeer(pk), put: (p) => store.putPeer(p), delete: (pk) => store.deletePeer(pk) })`
// once the store has them (its migration moves these settings; parsePeerRouting then goes to the store).
export function settingsPeerRepo(store: VeilStore): PeerRepo {
  const key = async (pubkey: string): Promise<string> => `sync.peer.${await store.conversationIdFor([pubkey])}`;
  return {
    async get(pubkey) {
      const raw = await store.getSetting<JsonValue>(await key(pubkey));
      return raw === undefined ? undefined : parsePeerRouting(pubkey, raw);
    },
    async put(peer) {
      const { pubkey, ...rest } = peer;
      await store.setSetting(await key(pubkey), JSON.parse(JSON.stringify(rest)) as JsonValue);
    },
    async delete(pubkey) {
      await store.deleteSetting(await key(pubkey));
    }
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

  /** Every device EK of every followed contact (they may write to pair mailboxes of mine). */
  deviceEks(): string[] {
    return [...this.#cache.values()].flatMap((p) => p.devices.map((d) => d.ek));
  }
}
