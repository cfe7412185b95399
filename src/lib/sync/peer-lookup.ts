/**
 * Contacts found and followed on the PUBLIC pool (sockets.ts): inbox records (kind 11067) and
 * profiles (kind 0) by author, live and one-off, and a contact's NIP-17 DM relays (kind 10050).
 * A newer record of a contact replaces its devices; a NIP-17 contact whose record appears is
 * upgraded to the envelope (with a system line in the chat).
 */
import type { TrustedEvent } from '../shared/trusted-event';
import { userError } from '../shared/errors';
import { parseInboxRecord, type InboxRecord } from '../crypto/inbox';
import { parseContactInput } from '../crypto/nip19';
import { MAX_DM_RELAYS } from '../crypto/dm-relays';
import type { PoolSubscription, RelayPool } from '../relay/pool';
import { emitChanged, type SyncContext } from './context';
import { fetchDmRelays, NO_DM_RELAYS_MESSAGE } from './nip17';
import type { OwnRecord, SignedRecord } from './own-record';
import type { Peers } from './peers';
import { cleanRelayList } from './plan';
import { parseProfileContent } from './profile';
import { upgradeLine } from './stored-content';

/** A peer's 10050 list is looked up again after this long (ms). */
const DM_RELAYS_TTL_MS = 6 * 3_600_000;
/** A NIP-17 contact's record is looked for again at most this often when the chat opens (ms). */
const RECHECK_MS = 60_000;
/** Authors per public filter. */
const MAX_AUTHORS = 256;
/** Relays asked in one lookup, and kept per contact. */
const MAX_LOOKUP_RELAYS = 16;

export interface LookupDeps {
  peers: Peers;
  own: OwnRecord;
  relays(): readonly string[];
  publicPool(): RelayPool;
}

export class PeerLookup {
  readonly #ctx: SyncContext;
  readonly #d: LookupDeps;
  readonly #checkedAt = new Map<string, number>();
  #sub: { signature: string; sub: PoolSubscription } | null = null;

  constructor(ctx: SyncContext, deps: LookupDeps) {
    this.#ctx = ctx;
    this.#d = deps;
  }

  #lookupRelays(hints: readonly string[]): string[] {
    return cleanRelayList([...this.#d.relays(), ...hints], MAX_LOOKUP_RELAYS);
  }

  /** A one-off read of someone's newest inbox record (and profile). */
  async queryRecord(pubkey: string, hints: readonly string[] = []): Promise<SignedRecord | null> {
    let best: SignedRecord | null = null;
    await new Promise<void>((resolve) => {
      const sub = this.#d.publicPool().subscribe(
        [{ kinds: [11067, 0], authors: [pubkey] }],
        {
          onevent: (ev) => {
            if (ev.kind === 0) return void this.#onProfile(ev).catch((e) => this.#ctx.fail(e));
            try {
              const rec = parseInboxRecord(ev);
              if (rec.pubkey === pubkey && (!best || rec.createdAt > best.createdAt)) best = rec;
            } catch {
              this.#ctx.counters.invalidEvents++;
            }
          },
          oneose: () => {
            sub.close();
            resolve();
          }
        },
        { relays: this.#lookupRelays(hints) }
      );
    });
    return best;
  }

  /** Adopts a newer inbox record (or card) of a contact: its devices and relays. True if it changed. */
  async applyRecord(pubkey: string, rec: InboxRecord): Promise<boolean> {
    const ctx = this.#ctx;
    if (rec.pubkey !== pubkey) return false;
    const peer = await this.#d.peers.get(pubkey);
    if (rec.createdAt <= peer.recordAt) return false;
    const devices = rec.devices.map((d) => ({ ...d, relays: [...d.relays] }));
    await this.#d.peers.update(pubkey, { devices, recordAt: rec.createdAt });
    const relays = cleanRelayList(devices.flatMap((d) => d.relays), MAX_LOOKUP_RELAYS);
    const contact = await ctx.store.getContact(pubkey);
    const upgrade = contact?.protocol === 'nip17' && devices.length > 0;
    if (contact) await ctx.store.upsertContact({ pubkey, eks: devices.map((d) => d.ek).slice(0, 16), relays, ...(upgrade ? { protocol: 'veil' as const } : {}) });
    if (upgrade) {
      const conversationId = await ctx.store.ensureConversation([pubkey]);
      await ctx.store.addMessage(upgradeLine(ctx.me, pubkey, rec.createdAt, conversationId, ctx.nowS()));
      emitChanged(ctx, conversationId);
    }
    ctx.resubscribe();
    return true;
  }

  /** Fetches a contact's record and applies it; true when we now know at least one device. */
  async refreshRecord(pubkey: string, hints: readonly string[] = []): Promise<boolean> {
    const rec = await this.queryRecord(pubkey, hints);
    if (rec) await this.applyRecord(pubkey, rec);
    return (await this.#d.peers.get(pubkey)).devices.length > 0;
  }

  async #onProfile(ev: TrustedEvent): Promise<void> {
    const profile = parseProfileContent(ev.content);
    if (!profile || ev.pubkey === this.#ctx.me) return;
    if (!(await this.#ctx.store.getContact(ev.pubkey))) return;
    if (ev.created_at <= (await this.#d.peers.get(ev.pubkey)).profileAt) return;
    await this.#d.peers.update(ev.pubkey, { profileAt: ev.created_at });
    await this.#ctx.store.upsertContact({ pubkey: ev.pubkey, profile: { ...profile, fetchedAt: this.#ctx.now() } });
    this.#ctx.emit({ type: 'chats' });
  }

  /** Live: my own record (other devices' merges) and followed contacts' records and profiles. */
  subscribe(): void {
    if (!this.#ctx.running()) return;
    const contacts = this.#d.peers.followed().filter((k) => k !== this.#ctx.me).sort();
    const recordAuthors = [this.#ctx.me, ...contacts].slice(0, MAX_AUTHORS);
    const signature = recordAuthors.join(',');
    if (this.#sub?.signature === signature) return;
    const filters = [{ kinds: [11067], authors: recordAuthors }];
    if (contacts.length > 0) filters.push({ kinds: [0], authors: contacts.slice(0, MAX_AUTHORS) });
    const sub = this.#d.publicPool().subscribe(filters, { onevent: (ev) => void this.#onPublicEvent(ev).catch((e) => this.#ctx.fail(e)) }, { relays: [...this.#d.relays()] });
    this.#sub?.sub.close();
    this.#sub = { signature, sub };
  }

  /** Closes the live subscription (relays changed, or stop); subscribe() opens it again. */
  close(): void {
    this.#sub?.sub.close();
    this.#sub = null;
  }

  async #onPublicEvent(ev: TrustedEvent): Promise<void> {
    if (ev.kind === 0) return this.#onProfile(ev);
    let rec: SignedRecord;
    try {
      rec = parseInboxRecord(ev);
    } catch {
      this.#ctx.counters.invalidEvents++;
      return;
    }
    if (rec.pubkey === this.#ctx.me) return this.#d.own.seen(rec);
    if (this.#d.peers.followed().includes(rec.pubkey) && (await this.applyRecord(rec.pubkey, rec))) this.#ctx.emit({ type: 'chats' });
  }

  /** A contact's 10050 relays: cached in their routing state, looked up again when stale. */
  async peerDmRelays(pubkey: string, hints: readonly string[] = [], force = false): Promise<string[]> {
    const peer = await this.#d.peers.get(pubkey);
    if (!force && peer.dmRelays.length > 0 && this.#ctx.now() - peer.dmRelaysAt < DM_RELAYS_TTL_MS) return peer.dmRelays;
    const found = (await fetchDmRelays(this.#d.publicPool(), [pubkey], { relays: this.#lookupRelays(hints) })).get(pubkey);
    const dmRelays = found ? cleanRelayList(found.relays, MAX_DM_RELAYS) : peer.dmRelays;
    await this.#d.peers.update(pubkey, { dmRelays, dmRelaysAt: this.#ctx.now() });
    return dmRelays;
  }

  /**
   * Starts (or reopens) a chat from an npub, nprofile, hex pubkey or contact card link: the card's
   * record, else one read from the public pool; without one, NIP-17 if they published DM relays.
   * Errors: the parse errors of parseContactInput, INVALID_INPUT (own key), NO_DM_RELAYS.
   */
  async startChat(input: string): Promise<string> {
    const ctx = this.#ctx;
    const parsed = parseContactInput(input);
    const pubkey = parsed.pubkey;
    if (pubkey === ctx.me) throw userError('INVALID_INPUT', 'That is your own key.');
    const existing = await ctx.store.getContact(pubkey);
    if (parsed.type === 'card') await this.applyRecord(pubkey, parsed.card);
    let known = (await this.#d.peers.get(pubkey)).devices.length > 0;
    if (!known) known = await this.refreshRecord(pubkey, parsed.relays);
    const keepState = existing?.state === 'blocked' ? {} : { state: 'accepted' as const };
    let id: string;
    if (known) {
      const { devices } = await this.#d.peers.get(pubkey);
      const relays = cleanRelayList(devices.flatMap((d) => d.relays), MAX_LOOKUP_RELAYS);
      await ctx.store.upsertContact({ pubkey, eks: devices.map((d) => d.ek), relays, protocol: 'veil', ...keepState });
      id = await ctx.store.ensureConversation([pubkey]);
    } else {
      // Not a Veil user (yet): NIP-17 if they published DM relays (issue 5 §2).
      if ((await this.peerDmRelays(pubkey, parsed.relays, true)).length === 0) throw userError('NO_DM_RELAYS', NO_DM_RELAYS_MESSAGE);
      await ctx.store.upsertContact({ pubkey, protocol: 'nip17', ...keepState });
      id = await ctx.store.ensureConversation([pubkey], { protocol: 'nip17' });
    }
    ctx.resubscribe();
    ctx.emit({ type: 'chats' });
    return id;
  }

  /** A NIP-17 chat was opened: look for an inbox record again (at most once a minute) to upgrade it. */
  async checkContact(peer: string): Promise<void> {
    const contact = await this.#ctx.store.getContact(peer);
    if (contact?.protocol !== 'nip17') return;
    if (this.#ctx.now() - (this.#checkedAt.get(peer) ?? 0) < RECHECK_MS) return;
    this.#checkedAt.set(peer, this.#ctx.now());
    if (await this.refreshRecord(peer)) this.#ctx.emit({ type: 'chats' });
  }

  /** Forgets what this lookup keeps about `peer` (declined). */
  forget(peer: string): void {
    this.#checkedAt.delete(peer);
  }
}
