/**
 * My relays: the envelope relays (store `relays`, role 'envelope'; listed in my inbox record) with
 * their live state and NIP-11 limits for the relay screen, and my NIP-17 DM relays (kind 10050,
 * sealed setting `sync.dm-relays`: `{ relays, publishedAt }`).
 */
import { userError } from '../shared/errors';
import { MAX_DM_RELAYS } from '../crypto/dm-relays';
import { MAX_RELAYS_PER_DEVICE } from '../crypto/inbox';
import type { RelayPool, RelayStatus as PoolRelayStatus } from '../relay/pool';
import type { JsonValue, VeilStore } from '../store';
import type { SyncContext } from './context';
import { fetchDmRelays, publishDmRelayList } from './nip17';
import { cleanRelayList } from './plan';
import type { RelayStatus } from './types';
import { m } from '../paraglide/messages';

/** Relays asked when looking for my own 10050 list. */
const MAX_LOOKUP_RELAYS = 16;
const SETTING_DM_RELAYS = 'sync.dm-relays';

/** One relay address normalized; RELAY_URL_INVALID when it is not a ws:// or wss:// URL. */
export function checkRelayUrl(url: string): string {
  const [n] = cleanRelayList([url]);
  if (!n) throw userError('RELAY_URL_INVALID', m.err_relay_address());
  return n;
}

/** My envelope relays (store `relays`, role 'envelope'), in order. */
export class EnvelopeRelays {
  readonly #store: VeilStore;
  #list: string[] = [];

  constructor(store: VeilStore) {
    this.#store = store;
  }

  /** The stored relays, else `defaults` (then stored). */
  async load(defaults: readonly string[]): Promise<void> {
    const stored = (await this.#store.listRelays()).filter((r) => r.enabled && r.role !== 'dm').map((r) => r.url);
    this.#list = cleanRelayList(stored, MAX_RELAYS_PER_DEVICE);
    if (this.#list.length > 0) return;
    this.#list = cleanRelayList(defaults, MAX_RELAYS_PER_DEVICE);
    for (const url of this.#list) await this.#store.putRelay({ url, role: 'envelope' });
  }

  list(): string[] {
    return this.#list;
  }

  /** Stores a new relay; returns its normalized URL, or null when it is there already. Errors: RELAY_URL_INVALID, TOO_LARGE. */
  async add(url: string): Promise<string | null> {
    const n = checkRelayUrl(url);
    if (this.#list.includes(n)) return null;
    if (this.#list.length >= MAX_RELAYS_PER_DEVICE) throw userError('TOO_LARGE', m.err_max_relays({ max: MAX_RELAYS_PER_DEVICE }));
    await this.#store.putRelay({ url: n, role: 'envelope' });
    this.#list = [...this.#list, n];
    return n;
  }

  /** Removes a relay; returns its normalized URL, or null when it is not one of mine. Errors: INVALID_INPUT (the last one). */
  async remove(url: string): Promise<string | null> {
    const [n] = cleanRelayList([url]);
    if (!n || !this.#list.includes(n)) return null;
    if (this.#list.length === 1) throw userError('INVALID_INPUT', m.err_keep_one_relay());
    await this.#store.deleteRelay(n);
    this.#list = this.#list.filter((r) => r !== n);
    return n;
  }
}

/** The relay screen's view of one envelope relay: connection state and NIP-11 name and limits. */
export function relayStatusView(relays: readonly string[], live: readonly PoolRelayStatus[], incomplete: ReadonlySet<string> = new Set()): RelayStatus[] {
  const byUrl = new Map(live.map((s) => [s.url, s]));
  return relays.map((url) => {
    const s = byUrl.get(url);
    const state = s?.state === 'open' ? 'connected' : s?.state === 'connecting' ? 'connecting' : s?.state === 'error' ? 'error' : 'disconnected';
    const out: RelayStatus = { url, state };
    if (s?.error && s.state !== 'open') out.error = s.error;
    const lim = s?.info?.limitation;
    if (lim) {
      out.limits = {};
      if (lim.max_message_length !== undefined) out.limits.maxMessageLength = lim.max_message_length;
      if (lim.auth_required !== undefined) out.limits.authRequired = lim.auth_required;
      if (lim.payment_required !== undefined) out.limits.paymentRequired = lim.payment_required;
    }
    if (s?.info?.name) out.name = s.info.name;
    if (incomplete.has(url)) out.incomplete = true;
    return out;
  });
}

export interface DmRelayDeps {
  /** The lookup relays (spec 0005 §Roles): where my 10050 list is published and read, and my default DM relays. */
  lookupRelays(): readonly string[];
  /** The ownRecord pool: identity-linked, never an envelope socket. */
  ownPool(): RelayPool;
  /** The DM-read pool when open, to follow the new list. */
  dmReadPool(): RelayPool | null;
  /** The list changed: read gift wraps from the new set. */
  changed(): void;
}

/** My kind 10050 list: loaded, published when none is, adopted from another client, set. */
export class DmRelayList {
  readonly #ctx: SyncContext;
  readonly #d: DmRelayDeps;
  #relays: string[] = [];
  #publishedAt = 0;

  constructor(ctx: SyncContext, deps: DmRelayDeps) {
    this.#ctx = ctx;
    this.#d = deps;
  }

  async load(): Promise<void> {
    const dm = await this.#ctx.store.getSetting<JsonValue>(SETTING_DM_RELAYS);
    const o = dm && typeof dm === 'object' && !Array.isArray(dm) ? (dm as { relays?: unknown; publishedAt?: unknown }) : {};
    this.#relays = Array.isArray(o.relays) ? cleanRelayList(o.relays.filter((x): x is string => typeof x === 'string'), MAX_DM_RELAYS) : [];
    this.#publishedAt = typeof o.publishedAt === 'number' && Number.isSafeInteger(o.publishedAt) ? o.publishedAt : 0;
    // Default DM relays = my lookup relays, not the envelope relays: the DM-read pool names me and
    // answers AUTH as me (spec 0005 §Roles). Kept unsaved until start() publishes them.
    if (this.#relays.length === 0) this.#relays = this.#d.lookupRelays().slice(0, MAX_DM_RELAYS);
  }

  list(): string[] {
    return [...this.#relays];
  }

  /** Publishes my list when none is published yet; a list another client published wins over the default. */
  async ensurePublished(): Promise<void> {
    const relays = cleanRelayList([...this.#d.lookupRelays(), ...this.#relays], MAX_LOOKUP_RELAYS);
    const found = (await fetchDmRelays(this.#d.ownPool(), [this.#ctx.me], { relays })).get(this.#ctx.me);
    if (found && found.createdAt >= this.#publishedAt) {
      const theirs = cleanRelayList(found.relays, MAX_DM_RELAYS);
      if (theirs.length > 0 && JSON.stringify(theirs) !== JSON.stringify(this.#relays)) await this.#adopt(theirs, found.createdAt);
      return;
    }
    await this.set(this.#relays);
  }

  /** Sets, stores and publishes my list. Errors: RELAY_URL_INVALID, INVALID_INPUT (empty), TOO_LARGE. */
  async set(relays: readonly string[]): Promise<void> {
    const clean: string[] = [];
    for (const r of relays) {
      const n = checkRelayUrl(r);
      if (!clean.includes(n)) clean.push(n);
    }
    if (clean.length === 0) throw userError('INVALID_INPUT', m.err_keep_one_dm_relay());
    if (clean.length > MAX_DM_RELAYS) throw userError('TOO_LARGE', m.err_max_dm_relays({ max: MAX_DM_RELAYS }));
    // Replaceable event: strictly newer than the list it replaces, even within one second.
    const nowSeconds = Math.max(this.#ctx.nowS(), this.#publishedAt + 1);
    const { event } = await publishDmRelayList(this.#d.ownPool(), this.#ctx.signer, clean, { nowSeconds, publishTo: [...this.#d.lookupRelays()] });
    await this.#adopt(clean, event.created_at);
  }

  async #adopt(relays: string[], publishedAt: number): Promise<void> {
    const old = this.#relays;
    this.#relays = relays;
    this.#publishedAt = publishedAt;
    await this.#ctx.store.setSetting(SETTING_DM_RELAYS, { relays, publishedAt });
    const pool = this.#d.dmReadPool();
    if (pool) {
      for (const r of old) if (!relays.includes(r)) pool.removeRelay(r);
      for (const r of relays) pool.addRelay(r);
    }
    this.#d.changed();
    this.#ctx.emit({ type: 'relays' });
  }
}
