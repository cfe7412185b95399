/**
 * Contacts found and followed on the PUBLIC pool (sockets.ts): inbox records (kind 11067) and
 * profiles (kind 0) by author, live and one-off, and a contact's NIP-17 DM relays (kind 10050).
 * A newer record of a contact replaces its devices; a NIP-17 contact whose record appears is
 * upgraded to the envelope (with a system line in the chat).
 */
import type { TrustedEvent } from '../shared/trusted-event';
import { randomInt } from '../shared/bytes';
import { userError } from '../shared/errors';
import { parseInboxRecord, type InboxRecord } from '../crypto/inbox';
import { parseContactInput } from '../crypto/nip19';
import { MAX_DM_RELAYS } from '../crypto/dm-relays';
import type { PoolSubscription, RelayPool } from '../relay/pool';
import type { Filter } from '../relay/types';
import { emitChanged, type SyncContext } from './context';
import { fetchDmRelays } from './nip17';
import type { OwnRecord, SignedRecord } from './own-record';
import type { Peers } from './peers';
import { cleanRelayList } from './plan';
import { lookupName, throughGate } from './name-lookup';
import { parseProfileContent } from './profile';
import { upgradeLine } from './stored-content';
import { jitterMs, Timer } from './timing';
import { m } from '../paraglide/messages';

/** A peer's 10050 list is looked up again after this long (ms). */
const DM_RELAYS_TTL_MS = 6 * 3_600_000;
/** A NIP-17 contact's record is looked for again at most this often when the chat opens (ms). */
const RECHECK_MS = 60_000;
/** Authors per public filter. */
const MAX_AUTHORS = 256;
/** Inbox records asked for at once (every Veil user's; a relay's max_limit may clamp it). */
const MAX_RECORDS = 5000;

/** A CSPRNG shuffle (Fisher–Yates). */
function shuffled<T>(xs: readonly T[]): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}
/** Relays asked in one lookup, and kept per contact. */
const MAX_LOOKUP_RELAYS = 16;

export interface LookupDeps {
  peers: Peers;
  own: OwnRecord;
  /** The lookup relays (spec 0005 §Roles; by default not the envelope relays). */
  relays(): readonly string[];
  /** Contacts' lookups. */
  publicPool(): RelayPool;
  /** My own record, on sockets of its own. */
  ownPool(): RelayPool;
}


export class PeerLookup {
  readonly #ctx: SyncContext;
  readonly #d: LookupDeps;
  readonly #checkedAt = new Map<string, number>();
  readonly #later = new Set<string>();
  readonly #laterTimer: Timer;
  #sub: { signature: string; sub: PoolSubscription } | null = null;
  #ownSub: PoolSubscription | null = null;
  /** Authors of every inbox record seen (Veil users): profiles are read for all of them, not for contacts alone. */
  readonly #veilUsers = new Set<string>();
  /**
   * The live records' first EOSE came: until then #veilUsers holds nothing (a fresh page), and a
   * profile filter would list exactly my contacts. So profiles are asked for only after it.
   */
  #recordsLoaded = false;
  #decoys: { day: number; keys: Set<string> } = { day: -1, keys: new Set() };
  /**
   * The newest profile of each Veil user who is not a contact (yet), at most MAX_AUTHORS, oldest
   * forgotten first: the live subscription delivers a kind 0 once, and it must not be lost when its
   * author becomes a contact afterwards (memory only, never stored).
   */
  readonly #strangerProfiles = new Map<string, TrustedEvent>();

  constructor(ctx: SyncContext, deps: LookupDeps) {
    this.#ctx = ctx;
    this.#d = deps;
    this.#laterTimer = new Timer(ctx.timers);
  }

  #lookupRelays(hints: readonly string[]): string[] {
    return cleanRelayList([...this.#d.relays(), ...hints], MAX_LOOKUP_RELAYS);
  }

  /**
   * A one-off read of a contact's newest inbox record. It asks for EVERY inbox record (no `authors`),
   * the same filter from every reader (spec 0005 §Lookups), so the lookup relays never learn whom
   * I look for; the one wanted is picked here.
   */
  async queryRecord(pubkey: string, hints: readonly string[] = []): Promise<SignedRecord | null> {
    return (await this.#query([pubkey], hints, this.#d.publicPool(), 'all')).get(pubkey) ?? null;
  }

  /** My own newest record, on the ownRecord pool (never in a filter with anyone else). */
  async queryOwnRecord(): Promise<SignedRecord | null> {
    return (await this.#query([this.#ctx.me], [], this.#d.ownPool(), 'authors')).get(this.#ctx.me) ?? null;
  }

  /**
   * A contact's record is wanted because of something that arrived (an envelope from someone new):
   * looked up after a random 2–10 min, together with every other such request (spec 0005 §Timing),
   * so no lookup follows an envelope's arrival.
   */
  refreshLater(pubkey: string): void {
    if (pubkey === this.#ctx.me) return;
    this.#later.add(pubkey);
    this.#armLater();
  }

  #armLater(): void {
    const run = (): void => this.#ctx.identityGate.run(() => this.#runLater(), 0, (e) => this.#ctx.fail(e), { prepare: () => this.openPublic() });
    this.#laterTimer.setIfIdle(run, jitterMs(...this.#ctx.timing.lookupDelayMs));
  }

  /** Opens the public pool's sockets (resolves when open or failed): the gate is checked after it. */
  openPublic(): Promise<void> {
    return this.#d.publicPool().connect();
  }

  /** Opens the own-record pool's sockets, likewise. */
  openOwn(): Promise<void> {
    return this.#d.ownPool().connect();
  }

  async #runLater(): Promise<void> {
    const batch = [...this.#later].slice(0, MAX_AUTHORS);
    for (const k of batch) this.#later.delete(k);
    if (this.#later.size > 0) this.#armLater();
    if (!this.#ctx.running() || batch.length === 0) return;
    const found = await this.#query(batch, [], this.#d.publicPool(), 'all');
    let changed = false;
    for (const [pubkey, rec] of found) changed = (await this.applyRecord(pubkey, rec)) || changed;
    if (changed) this.#ctx.emit({ type: 'chats' });
  }

  /** `all`: every inbox record, no `authors` (contacts); `authors`: by author (my own record only). */
  async #query(authors: readonly string[], hints: readonly string[], pool: RelayPool, how: 'all' | 'authors'): Promise<Map<string, SignedRecord>> {
    const best = new Map<string, SignedRecord>();
    await new Promise<void>((resolve) => {
      const sub = pool.subscribe(
        [how === 'all' ? { kinds: [11067], limit: MAX_RECORDS } : { kinds: [11067], authors: [...authors] }],
        {
          onevent: (ev) => {
            try {
              const rec = parseInboxRecord(ev);
              this.#veilUsers.add(rec.pubkey);
              const old = best.get(rec.pubkey);
              if (authors.includes(rec.pubkey) && (!old || rec.createdAt > old.createdAt)) best.set(rec.pubkey, rec);
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
    // The system line first: whoever sees the chat as an envelope chat sees why.
    const conversationId = upgrade ? await ctx.store.ensureConversation([pubkey]) : undefined;
    if (conversationId) await ctx.store.addMessage(await upgradeLine(ctx.store, ctx.me, pubkey, rec.createdAt, conversationId, ctx.nowS()));
    if (contact) await ctx.store.upsertContact({ pubkey, eks: devices.map((d) => d.ek).slice(0, 16), relays, ...(upgrade ? { protocol: 'veil' as const } : {}) });
    if (conversationId) emitChanged(ctx, conversationId);
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
    if (!(await this.#ctx.store.getContact(ev.pubkey))) {
      const kept = this.#strangerProfiles.get(ev.pubkey);
      if (kept && kept.created_at >= ev.created_at) return;
      this.#strangerProfiles.delete(ev.pubkey);
      if (this.#strangerProfiles.size >= MAX_AUTHORS) this.#strangerProfiles.delete(this.#strangerProfiles.keys().next().value!);
      this.#strangerProfiles.set(ev.pubkey, ev);
      return;
    }
    this.#strangerProfiles.delete(ev.pubkey);
    if (ev.created_at <= (await this.#d.peers.get(ev.pubkey)).profileAt) return;
    await this.#d.peers.update(ev.pubkey, { profileAt: ev.created_at });
    await this.#ctx.store.upsertContact({ pubkey: ev.pubkey, profile: { ...profile, fetchedAt: this.#ctx.now() } });
    this.#ctx.emit({ type: 'chats' });
  }

  /** Profiles that arrived before their authors became contacts, applied now that they are. */
  async #applyKeptProfiles(contacts: readonly string[]): Promise<void> {
    for (const pubkey of contacts) {
      const ev = this.#strangerProfiles.get(pubkey);
      if (ev) await this.#onProfile(ev);
    }
  }

  /**
   * Live, on the public pool: EVERY inbox record (no `authors`: the same filter from every reader,
   * spec 0005 §Lookups), of which I keep my contacts'; and the profiles of every Veil user whose
   * record I have seen (my contacts among them, up to MAX_AUTHORS; beyond that my contacts and a
   * random draw of others, kept per day). Names of contacts are not kept apart from the rest, and
   * are not asked for before the records' first EOSE (a fresh page knows no Veil user yet: the filter
   * would be my contact list). Contacts without a record seen (NIP-17 contacts) are still named.
   */
  subscribe(): void {
    if (!this.#ctx.running()) return;
    this.subscribeOwn();
    const onevent = (ev: TrustedEvent): void => void this.#onPublicEvent(ev).catch((e) => this.#ctx.fail(e));
    const contacts = this.#d.peers.followed().filter((k) => k !== this.#ctx.me);
    void this.#applyKeptProfiles(contacts).catch((e) => this.#ctx.fail(e));
    const loaded = this.#recordsLoaded;
    const profiles = loaded ? this.#profileAuthors(contacts) : [];
    const signature = `${loaded}:${profiles.join(',')}`;
    if (this.#sub?.signature === signature) return;
    const filters: Filter[] = [{ kinds: [11067], limit: MAX_RECORDS }];
    if (profiles.length > 0) filters.push({ kinds: [0], authors: profiles });
    // Records first: their EOSE fills #veilUsers, and the resubscribe (jittered) adds the profiles.
    const oneose = loaded ? undefined : (): void => {
      this.#recordsLoaded = true;
      this.#ctx.resubscribe();
    };
    const sub = this.#d.publicPool().subscribe(filters, { onevent, ...(oneose ? { oneose } : {}) }, { relays: [...this.#d.relays()] });
    this.#sub?.sub.close();
    this.#sub = { signature, sub };
  }

  /** Whose profiles the live subscription reads: every Veil user seen, contacts always among them. */
  #profileAuthors(contacts: readonly string[]): string[] {
    const others = [...this.#veilUsers].filter((k) => k !== this.#ctx.me && !contacts.includes(k));
    const room = Math.max(0, MAX_AUTHORS - contacts.length);
    let pick = others;
    if (others.length > room) {
      const day = Math.floor(this.#ctx.nowS() / 86_400);
      if (this.#decoys.day !== day) this.#decoys = { day, keys: new Set(shuffled(others).slice(0, room)) };
      pick = others.filter((k) => this.#decoys.keys.has(k)).slice(0, room);
    }
    return [...contacts.slice(0, MAX_AUTHORS), ...pick].sort();
  }

  /** Live: my own record on the ownRecord pool (other devices' merges). */
  subscribeOwn(): void {
    if (!this.#ctx.running()) return;
    const onevent = (ev: TrustedEvent): void => void this.#onPublicEvent(ev).catch((e) => this.#ctx.fail(e));
    this.#ownSub ??= this.#d.ownPool().subscribe([{ kinds: [11067], authors: [this.#ctx.me] }], { onevent }, { relays: [...this.#d.relays()] });
  }

  /** Closes the live subscriptions and pending lookups (relays changed, or stop); subscribe() opens them again. */
  close(): void {
    this.#sub?.sub.close();
    this.#sub = null;
    this.#ownSub?.close();
    this.#ownSub = null;
    this.#laterTimer.cancel();
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
    if (!this.#veilUsers.has(rec.pubkey) && rec.pubkey !== this.#ctx.me) {
      this.#veilUsers.add(rec.pubkey);
      this.#ctx.resubscribe(); // the profile set grows after the usual jitter
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
    if (pubkey === ctx.me) throw userError('INVALID_INPUT', m.err_own_key());
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
      if ((await this.peerDmRelays(pubkey, parsed.relays, true)).length === 0) throw userError('NO_DM_RELAYS', m.err_no_dm_relays());
      await ctx.store.upsertContact({ pubkey, protocol: 'nip17', ...keepState });
      id = await ctx.store.ensureConversation([pubkey], { protocol: 'nip17' });
    }
    ctx.resubscribe();
    ctx.emit({ type: 'chats' });
    return id;
  }

  /** A name for a key before its chat starts (name-lookup.ts): what is known here, else (`ask`) one gated lookup by author. */
  lookupName(pubkey: string, hints: readonly string[] = [], ask = true): Promise<string | null> {
    const deps = { getContact: (k: string) => this.#ctx.store.getContact(k), keptProfile: (k: string) => this.#strangerProfiles.get(k) };
    const net = { gated: throughGate(this.#ctx.identityGate, () => this.openPublic()), publicPool: () => this.#d.publicPool(), lookupRelays: (h: readonly string[]) => this.#lookupRelays(h) };
    return lookupName({ ...deps, ...net }, pubkey, hints, ask);
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
