/**
 * The messenger: send/receive orchestration over the leaves (DESIGN.md §2–4, §6; issue 4 §3–5).
 * Runs unchanged in the page, a service worker and Node: no window/document; the WebSocket
 * constructor, fetch, the signer and the opened store are passed in.
 *
 * Two relay pools on separate sockets:
 * - ENVELOPE pool: reads and writes kind 1067 only, never authenticates, and its filters hold only
 *   mailbox points (`#p`), never an identity pubkey (DESIGN.md §4 "Reading").
 * - PUBLIC pool: inbox records (kind 11067) and profiles (kind 0) by author.
 *
 * Sending: the inner kind-14 event is signed by the identity, sealed once per recipient device EK
 * and relay, and the message plus the FINAL outer events are stored (message 'sending', outbox)
 * before anything goes out. The outbox retries the same events with backoff (outbox.ts).
 * Receiving: every envelope arrives verified from the pool, is claimed once in the store's seen
 * set, opened (trial-open, then finish), and stored idempotently by inner event id.
 *
 * NIP-17 (issue 5; DESIGN.md §1 "recipient visible to relays"), for contacts without a Veil inbox
 * record, on two more pools with their own sockets:
 * - DM pool: my kind 10050 relays; reads gift wraps (and legacy kind 4) whose filter names me, and
 *   may answer NIP-42 AUTH as me. Never used for envelopes.
 * - NIP-17 publish pool: publishes wraps (kind 1059 outbox items) to the peer's 10050 relays and my
 *   self copy to mine; never authenticates, so no relay learns who sent a wrap.
 * A NIP-17 message is stored under its rumor id (the same in every copy) in the same conversations
 * as envelopes; the contact is upgraded to the envelope as soon as an inbox record of theirs is seen.
 */
import type { ScanCrypto } from './scan';
import { bytesToHex, hexToBytes, utf8Encode } from '../shared/bytes';
import { VeilError, isVeilError } from '../shared/errors';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  chatMessageTemplate,
  finishOpen,
  sealEnvelope,
  trialOpen,
  type EnvelopeKey
} from '../crypto/envelope';
import {
  buildInboxRecord,
  checkInboxRecordData,
  checkLabel,
  mergeInboxRecords,
  parseInboxRecord,
  upsertDevice,
  MAX_RELAYS_PER_DEVICE,
  type InboxDevice,
  type InboxRecord,
  type InboxRecordData
} from '../crypto/inbox';
import { decodeContactCard, encodeContactCard, contactCardLink, type ContactCard } from '../crypto/card';
import { encodeNpub, parseContactInput } from '../crypto/nip19';
import type { Signer } from '../crypto/signer';
import type { VerifiedEvent as CryptoVerifiedEvent } from '../crypto/nostr-event';
import { RelayPool, type PoolSubscription, type RelayStatus as PoolRelayStatus } from '../relay/pool';
import type { FetchLike, VerifiedEvent as RelayVerifiedEvent, WebSocketConstructor } from '../relay/types';
import type { Contact, JsonValue, Message, OutboxRecord, VeilStore } from '../store';
import { MAX_BODY_CHARS } from '../store/db';
import {
  allEntryIds,
  classifyOutcome,
  deliveryView,
  entryId,
  isSettled,
  nextAttemptAt,
  openItems
} from './outbox';
import { cleanRelayList, msUntilNextDay, planFilters, planSignature, readPlans, sendTargets, type RelayReadPlan, type SendTarget } from './plan';
import { npubFingerprint, parseProfileContent } from './profile';
import type { ChatMessage, ChatSummary, ContactState, MessengerEvent, OwnDevice, RelayStatus } from './types';
import {
  NO_DM_RELAYS_MESSAGE,
  createDmRelayPool,
  createNip17PublishPool,
  fetchDmRelays,
  giftWrapSince,
  legacyNip04,
  newNip17Stats,
  openIncomingGiftWrap,
  planNip17Send,
  publishDmRelayList,
  subscribeGiftWraps,
  GIFT_WRAP_KIND,
  LEGACY_DM_KIND,
  type Nip17File,
  type Nip17Message,
  type Nip17Stats
} from './nip17';
import { downloadNip17File, type FileFetch } from './file-download';
import { MAX_DM_RELAYS } from '../crypto/dm-relays';

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
  /** For NIP-11 relay information. */
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

/** Inner-event tag carrying the sender's contact card (DESIGN.md §4: "the first envelope … carries the sender's contact card"). */
export const CARD_TAG = 'veil-card';
/** Inner-event tag naming the sending device's EK, so the receiver knows which EK reads pair mailboxes from it. */
export const EK_TAG = 'veil-ek';
const HEX64 = /^[0-9a-f]{64}$/;
const SETTING_OWN_RECORD = 'sync.own-record';
const SETTING_LAST_READ = 'sync.last-read';
const peerSettingKey = (conversationId: string) => `sync.peer.${conversationId}`;
/** My DM relays (kind 10050) as I set them: `{ relays, publishedAt }` (sealed setting). */
const SETTING_DM_RELAYS = 'sync.dm-relays';
/** When the gift-wrap subscription last reached EOSE (seconds). */
const SETTING_DM_LAST = 'sync.dm-last';
/** NIP-17 reactions of a conversation: `{ [targetId]: [{ id, emoji, sender }] }` (sealed setting). */
const reactionsKey = (conversationId: string) => `sync.reactions.${conversationId}`;
/** A peer's 10050 list is looked up again after this long (ms). */
const DM_RELAYS_TTL_MS = 6 * 3_600_000;
/** Reactions kept per conversation (targets) and per message. */
const MAX_REACTION_TARGETS = 2_000;
const MAX_REACTIONS_PER_MESSAGE = 32;
/** Local-only kind of the system lines Veil writes into a chat (never sent). */
export const SYSTEM_KIND = 0;
const SYSTEM_TAG = 'veil-system';
/** Tag carrying a kind 15 file's metadata (JSON) in the stored message. */
const FILE_TAG = 'veil-file';
export const UPGRADED_NOTE = "Upgraded to Veil's private envelope";
/** Seen ids are kept this long after the envelope's own expiration would allow it (ms). */
const SEEN_FALLBACK_MS = 31 * 86_400_000;
const OUTBOX_TICK_MS = 1_000;
/** Authors per public filter. */
const MAX_AUTHORS = 256;

/** What we keep about a contact beyond the store's Contact: devices with their relays, who knows us. */
interface PeerSide {
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

/** An inbox record with the verified event it came from. */
type SignedRecord = InboxRecord & { event: CryptoVerifiedEvent };

const emptySide = (): PeerSide => ({ devices: [], recordAt: 0, pairReady: [], cardSentAt: 0, profileAt: 0, dmRelays: [], dmRelaysAt: 0 });

/**
 * The relay layer's verifier (relay/verify.ts) recomputed the id and checked the signature before
 * the pool handed this event on; only it can make a RelayVerifiedEvent. The crypto layer brands the
 * same fact with its own type. This is the one place the two brands meet.
 */
function asCryptoVerified(e: RelayVerifiedEvent): CryptoVerifiedEvent {
  return e as unknown as CryptoVerifiedEvent;
}

function tagValue(tags: readonly (readonly string[])[], name: string): string | undefined {
  return tags.find((t) => t[0] === name)?.[1];
}

function recordData(r: InboxRecordData): InboxRecordData {
  return { devices: r.devices, removed: r.removed };
}

function sameData(a: InboxRecordData, b: InboxRecordData): boolean {
  return JSON.stringify(checkInboxRecordData(recordData(a))) === JSON.stringify(checkInboxRecordData(recordData(b)));
}

/** The 16-hex device id of the inbox record: the store's id when it has that form, else a hash of it. */
function recordDeviceId(deviceId: string): string {
  if (/^[0-9a-f]{16}$/.test(deviceId)) return deviceId;
  return bytesToHex(sha256(utf8Encode(`veil/device-id\0${deviceId}`))).slice(0, 16);
}

function safeLabel(label: string | undefined): string {
  if (!label) return '';
  let s = label;
  while (s.length > 0) {
    try {
      return checkLabel(s);
    } catch {
      s = s.slice(0, -1);
    }
  }
  return '';
}

/** Reactions of one conversation by target message id. */
type ReactionMap = Record<string, { id: string; emoji: string; sender: string }[]>;

/** The file metadata of a kind 15 message as stored (one tag value, at most 4096 chars), or undefined. */
function fileForStore(f: Nip17File): string | undefined {
  const keep: Nip17File = {
    url: f.url,
    algorithm: f.algorithm,
    keyHex: f.keyHex,
    nonceHex: f.nonceHex,
    fallbacks: f.fallbacks.slice(0, 3),
    ...(f.mimeType ? { mimeType: f.mimeType } : {}),
    ...(f.sha256 ? { sha256: f.sha256 } : {}),
    ...(f.originalSha256 ? { originalSha256: f.originalSha256 } : {}),
    ...(f.size !== undefined ? { size: f.size } : {})
  };
  let json = JSON.stringify(keep);
  if (json.length > 4096) json = JSON.stringify({ ...keep, fallbacks: [] });
  return json.length <= 4096 ? json : undefined;
}

/** Reads back what fileForStore wrote (our own sealed data, still checked). */
function storedFile(tags: readonly (readonly string[])[]): Nip17File | undefined {
  const raw = tags.find((t) => t[0] === FILE_TAG)?.[1];
  if (!raw) return undefined;
  try {
    const f = JSON.parse(raw) as Partial<Nip17File>;
    if (typeof f.url !== 'string' || typeof f.keyHex !== 'string' || typeof f.nonceHex !== 'string' || f.algorithm !== 'aes-gcm') return undefined;
    return { ...f, fallbacks: Array.isArray(f.fallbacks) ? f.fallbacks.filter((x): x is string => typeof x === 'string') : [] } as Nip17File;
  } catch {
    return undefined;
  }
}

/** See the module comment. */
export class Messenger {
  readonly #d: MessengerDeps;
  readonly #store: VeilStore;
  readonly #me: string;
  readonly #ekHex: string;
  readonly #recordDeviceId: string;
  readonly #now: () => number;
  readonly #listeners = new Set<(e: MessengerEvent) => void>();
  readonly #stats = { openFailures: 0, invalidEvents: 0, duplicates: 0 };

  #relays: string[] = [];
  #own: SignedRecord | null = null;
  #sides = new Map<string, PeerSide>();
  #env: RelayPool | null = null;
  #pub: RelayPool | null = null;
  #subs = new Map<string, { signature: string; plan: RelayReadPlan; sub: PoolSubscription; startedAt: number }>();
  #pubSub: { signature: string; sub: PoolSubscription } | null = null;
  #lastRead = new Map<string, number>();
  #running = false;
  #inbound: Promise<void> = Promise.resolve();
  #flushing: Promise<void> | null = null;
  #flushAgain = false;
  #forceNext = false;
  #timers = new Set<ReturnType<typeof setTimeout>>();
  #tick: ReturnType<typeof setInterval> | undefined;
  #resubTimer: ReturnType<typeof setTimeout> | undefined;
  #offStatus: (() => void) | null = null;
  #publishingOwn: Promise<void> | null = null;
  #dmRelays: string[] = [];
  #dmRelaysPublishedAt = 0;
  #dmPool: RelayPool | null = null;
  #dmPublish: RelayPool | null = null;
  #dmSub: PoolSubscription | null = null;
  #dmLast = 0;
  readonly #nip17Stats: Nip17Stats = newNip17Stats();
  #checkedAt = new Map<string, number>();

  private constructor(deps: MessengerDeps) {
    this.#d = deps;
    this.#store = deps.store;
    if (!HEX64.test(deps.identity)) throw new VeilError('INVALID_KEY', 'identity must be 64 hex');
    this.#me = deps.identity;
    this.#ekHex = bytesToHex(deps.ek.publicKey);
    this.#recordDeviceId = recordDeviceId(deps.deviceId);
    this.#now = deps.nowMs ?? Date.now;
  }

  /** Loads relays, my own inbox record and contacts from the store. Opens no socket. */
  static async create(deps: MessengerDeps): Promise<Messenger> {
    if (typeof deps.WebSocket !== 'function') throw new VeilError('INVALID_INPUT', 'a WebSocket constructor is required');
    const m = new Messenger(deps);
    await m.#load();
    return m;
  }

  async #load(): Promise<void> {
    const stored = (await this.#store.listRelays()).filter((r) => r.enabled && r.role !== 'dm').map((r) => r.url);
    this.#relays = cleanRelayList(stored, MAX_RELAYS_PER_DEVICE);
    if (this.#relays.length === 0) {
      this.#relays = cleanRelayList(this.#d.relays, MAX_RELAYS_PER_DEVICE);
      for (const url of this.#relays) await this.#store.putRelay({ url, role: 'envelope' });
    }
    const own = await this.#store.getSetting<JsonValue>(SETTING_OWN_RECORD);
    if (own) {
      try {
        const rec = parseInboxRecord(own);
        if (rec.pubkey === this.#me) this.#own = rec;
      } catch {
        // a damaged copy: start() fetches and republishes
      }
    }
    const dm = await this.#store.getSetting<JsonValue>(SETTING_DM_RELAYS);
    const dmRelays = dm && typeof dm === 'object' && !Array.isArray(dm) ? (dm as { relays?: unknown }).relays : undefined;
    this.#dmRelays = Array.isArray(dmRelays) ? cleanRelayList(dmRelays.filter((x): x is string => typeof x === 'string'), MAX_DM_RELAYS) : [];
    const publishedAt = dm && typeof dm === 'object' && !Array.isArray(dm) ? (dm as { publishedAt?: unknown }).publishedAt : undefined;
    this.#dmRelaysPublishedAt = typeof publishedAt === 'number' && Number.isSafeInteger(publishedAt) ? publishedAt : 0;
    // Default DM relays = my envelope relays (issue 5): kept unsaved until start() publishes them.
    if (this.#dmRelays.length === 0) this.#dmRelays = this.#relays.slice(0, MAX_DM_RELAYS);
    const dmLast = await this.#store.getSetting<number>(SETTING_DM_LAST);
    if (typeof dmLast === 'number' && Number.isSafeInteger(dmLast)) this.#dmLast = dmLast;
    const last = await this.#store.getSetting<Record<string, number>>(SETTING_LAST_READ);
    if (last && typeof last === 'object') for (const [k, v] of Object.entries(last)) if (Number.isSafeInteger(v)) this.#lastRead.set(k, v);
  }

  // ------------------------------------------------------------------ events

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

  #fail(e: unknown): void {
    const code = isVeilError(e) ? e.code : 'INTERNAL';
    const message = isVeilError(e) ? e.message : 'unexpected error';
    this.#emit({ type: 'error', code, message });
  }

  /** Counters of things that are never shown as messages. */
  stats(): { openFailures: number; invalidEvents: number; duplicates: number } {
    let invalid = this.#stats.invalidEvents;
    for (const s of this.#env?.status() ?? []) invalid += s.invalidEvents;
    return { ...this.#stats, invalidEvents: invalid };
  }

  // ------------------------------------------------------------------ lifecycle

  #nowS(): number {
    return Math.floor(this.#now() / 1000);
  }

  #poolOptions(): ConstructorParameters<typeof RelayPool>[1] {
    return {
      WebSocket: this.#d.WebSocket as WebSocketConstructor,
      ...(this.#d.fetch ? { fetch: this.#d.fetch as unknown as FetchLike } : {}),
      eoseTimeoutMs: this.#d.queryTimeoutMs ?? 5_000,
      connectTimeoutMs: 5_000,
      publishTimeoutMs: 8_000
    };
  }

  #publicPool(): RelayPool {
    if (!this.#pub) {
      // Separate sockets (DESIGN.md §4): nothing links a public read by author to an envelope socket.
      const { fetch: _f, ...opts } = this.#poolOptions();
      void _f;
      this.#pub = new RelayPool(this.#relays, opts);
    }
    return this.#pub;
  }

  /**
   * Connects: the envelope pool (subscriptions to my mailboxes), the public pool (my inbox record
   * fetched, merged with this device and published; contacts' records and profiles), then flushes
   * the outbox. A relay that is down never stops the others.
   */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    // NIP-42 AUTH is never answered on envelope sockets: no `auth` option.
    this.#env = new RelayPool(this.#relays, { ...this.#poolOptions(), ...(this.#d.scan ? { verify: this.#d.scan.verifyEvent } : {}) });
    this.#offStatus = this.#env.onStatus((s) => {
      this.#emit({ type: 'relays' });
      if (s.state === 'open') this.#kickOutbox(true);
    });
    try {
      await this.#store.pruneSeen(this.#now());
    } catch (e) {
      this.#fail(e);
    }
    for (const c of await this.#store.listContacts()) if (c.state !== 'blocked') await this.#side(c.pubkey);
    this.#resubscribe();
    this.#publicSubscribe();
    this.#startDm();
    this.#tick = setInterval(() => this.#kickOutbox(false), OUTBOX_TICK_MS);
    this.#scheduleDayRoll();
    this.#kickOutbox(true);
    try {
      await this.#syncOwnRecord(await this.#queryRecord(this.#me, []));
    } catch (e) {
      this.#fail(e);
    }
    try {
      await this.#ensureDmRelayList();
    } catch (e) {
      this.#fail(e);
    }
  }

  /** Closes every socket and timer. The store stays open (the caller owns it). */
  async stop(): Promise<void> {
    this.#running = false;
    clearInterval(this.#tick);
    clearTimeout(this.#resubTimer);
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.#offStatus?.();
    this.#offStatus = null;
    for (const s of this.#subs.values()) s.sub.close();
    this.#subs.clear();
    this.#pubSub?.sub.close();
    this.#pubSub = null;
    this.#dmSub?.close();
    this.#dmSub = null;
    await this.#flushing?.catch(() => {});
    await this.#inbound.catch(() => {});
    this.#env?.close();
    this.#pub?.close();
    this.#dmPool?.close();
    this.#dmPublish?.close();
    this.#env = null;
    this.#pub = null;
    this.#dmPool = null;
    this.#dmPublish = null;
  }

  #later(fn: () => void, ms: number): void {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      fn();
    }, ms);
    this.#timers.add(t);
  }

  #scheduleDayRoll(): void {
    this.#later(() => {
      if (!this.#running) return;
      this.#resubscribe();
      this.#scheduleDayRoll();
    }, msUntilNextDay(this.#now()));
  }

  // ------------------------------------------------------------------ peers

  async #side(pubkey: string): Promise<PeerSide> {
    const cached = this.#sides.get(pubkey);
    if (cached) return cached;
    const cid = await this.#store.conversationIdFor([pubkey]);
    const raw = await this.#store.getSetting<JsonValue>(peerSettingKey(cid));
    const side = emptySide();
    if (raw && typeof raw === 'object' && !Array.isArray(raw)) {
      const r = raw as unknown as Partial<PeerSide>;
      try {
        if (Array.isArray(r.devices) && r.devices.length > 0) side.devices = checkInboxRecordData({ devices: r.devices, removed: [] }).devices;
      } catch {
        side.devices = [];
      }
      if (Number.isSafeInteger(r.recordAt)) side.recordAt = r.recordAt!;
      if (Array.isArray(r.pairReady)) side.pairReady = r.pairReady.filter((x) => typeof x === 'string' && HEX64.test(x)).slice(0, 16);
      if (Number.isSafeInteger(r.cardSentAt)) side.cardSentAt = r.cardSentAt!;
      if (Number.isSafeInteger(r.profileAt)) side.profileAt = r.profileAt!;
      if (Array.isArray(r.dmRelays)) side.dmRelays = cleanRelayList(r.dmRelays.filter((x) => typeof x === 'string'), MAX_DM_RELAYS);
      if (Number.isSafeInteger(r.dmRelaysAt)) side.dmRelaysAt = r.dmRelaysAt!;
    }
    this.#sides.set(pubkey, side);
    return side;
  }

  async #saveSide(pubkey: string, side: PeerSide): Promise<void> {
    this.#sides.set(pubkey, side);
    const cid = await this.#store.conversationIdFor([pubkey]);
    await this.#store.setSetting(peerSettingKey(cid), side as unknown as JsonValue);
  }

  /** Adopts a newer inbox record (or card) of a contact: its devices and relays. True if it changed. */
  async #applyRecord(pubkey: string, rec: InboxRecord): Promise<boolean> {
    if (rec.pubkey !== pubkey) return false;
    const side = await this.#side(pubkey);
    if (rec.createdAt <= side.recordAt) return false;
    const devices = rec.devices.map((d) => ({ ...d, relays: [...d.relays] }));
    await this.#saveSide(pubkey, { ...side, devices, recordAt: rec.createdAt });
    const relays = cleanRelayList(devices.flatMap((d) => d.relays), 16);
    const contact = await this.#store.getContact(pubkey);
    const upgrade = contact?.protocol === 'nip17' && devices.length > 0;
    if (contact) await this.#store.upsertContact({ pubkey, eks: devices.map((d) => d.ek).slice(0, 16), relays, ...(upgrade ? { protocol: 'veil' as const } : {}) });
    if (upgrade) await this.#noteUpgrade(pubkey, rec.createdAt);
    this.#scheduleResubscribe();
    return true;
  }

  /** Writes the system line "Upgraded to Veil's private envelope" into the chat with `pubkey`. */
  async #noteUpgrade(pubkey: string, recordAt: number): Promise<void> {
    const conversationId = await this.#store.ensureConversation([pubkey]);
    await this.#store.addMessage({
      id: bytesToHex(sha256(utf8Encode(`veil/system/upgrade\0${pubkey}\0${recordAt}`))),
      conversationId,
      createdAt: this.#nowS(),
      direction: 'out',
      status: 'sent',
      content: { body: UPGRADED_NOTE, sender: this.#me, kind: SYSTEM_KIND, tags: [[SYSTEM_TAG, 'upgrade']] }
    });
    this.#emit({ type: 'messages', conversationId });
    this.#emit({ type: 'chats' });
  }

  async #markPairReady(pubkey: string, ek: string): Promise<void> {
    const side = await this.#side(pubkey);
    if (side.pairReady.includes(ek)) return;
    await this.#saveSide(pubkey, { ...side, pairReady: [...side.pairReady, ek].slice(-16) });
  }

  /** A one-off read of someone's newest inbox record (and profile) on the public pool. */
  async #queryRecord(pubkey: string, hints: readonly string[]): Promise<SignedRecord | null> {
    const pool = this.#publicPool();
    const relays = cleanRelayList([...this.#relays, ...hints], 16);
    let best: SignedRecord | null = null;
    await new Promise<void>((resolve) => {
      const sub = pool.subscribe(
        [{ kinds: [11067, 0], authors: [pubkey] }],
        {
          onevent: (ev) => {
            if (ev.kind === 0) {
              void this.#onProfile(ev).catch((e) => this.#fail(e));
              return;
            }
            try {
              const rec = parseInboxRecord(ev);
              if (rec.pubkey === pubkey && (!best || rec.createdAt > best.createdAt)) best = rec;
            } catch {
              this.#stats.invalidEvents++;
            }
          },
          oneose: () => {
            sub.close();
            resolve();
          }
        },
        { relays }
      );
    });
    return best;
  }

  /** Fetches a contact's record and applies it; true when we now know at least one device. */
  async #refreshRecord(pubkey: string, hints: readonly string[] = []): Promise<boolean> {
    const rec = await this.#queryRecord(pubkey, hints);
    if (rec) await this.#applyRecord(pubkey, rec);
    return (await this.#side(pubkey)).devices.length > 0;
  }

  async #onProfile(ev: RelayVerifiedEvent): Promise<void> {
    const profile = parseProfileContent(ev.content);
    if (!profile || ev.pubkey === this.#me) return;
    const contact = await this.#store.getContact(ev.pubkey);
    if (!contact) return;
    const side = await this.#side(ev.pubkey);
    if (ev.created_at <= side.profileAt) return;
    await this.#saveSide(ev.pubkey, { ...side, profileAt: ev.created_at });
    await this.#store.upsertContact({ pubkey: ev.pubkey, profile: { ...profile, fetchedAt: this.#now() } });
    this.#emit({ type: 'chats' });
  }

  // ------------------------------------------------------------------ own inbox record

  #myDevice(addedAt: number): InboxDevice {
    return { id: this.#recordDeviceId, ek: this.#ekHex, addedAt, label: safeLabel(this.#d.deviceLabel), relays: [...this.#relays] };
  }

  /**
   * DESIGN.md §2: every device publishes the merge of what it saw. Merges the relay's newest
   * record, my stored copy and this device's current entry; publishes when the result differs
   * from what the relay has.
   */
  async #syncOwnRecord(fromRelay: SignedRecord | null): Promise<void> {
    const run = async (): Promise<void> => {
      let data: InboxRecordData = fromRelay ? recordData(fromRelay) : { devices: [], removed: [] };
      if (this.#own) data = mergeInboxRecords(data, recordData(this.#own));
      const cur = data.devices.find((d) => d.id === this.#recordDeviceId);
      const want = this.#myDevice(Math.max(this.#nowS(), (cur?.addedAt ?? 0) + 1));
      if (!cur || cur.ek !== want.ek || cur.label !== want.label || JSON.stringify(cur.relays) !== JSON.stringify(want.relays)) {
        data = upsertDevice(data, want);
      }
      const newestAt = Math.max(fromRelay?.createdAt ?? 0, this.#own?.createdAt ?? 0);
      if (fromRelay && sameData(data, fromRelay)) {
        if (!this.#own || fromRelay.createdAt > this.#own.createdAt) await this.#adoptOwn(fromRelay);
        return;
      }
      const template = buildInboxRecord(data, Math.max(this.#nowS(), newestAt + 1));
      const signed = await this.#d.signer.signEvent(template);
      const rec = parseInboxRecord(signed);
      await this.#adoptOwn(rec);
      const results = await this.#publicPool().publish(rec.event, { relays: this.#relays });
      if (!results.some((r) => r.status === 'ok')) this.#emit({ type: 'error', code: 'RELAY_UNREACHABLE', message: 'inbox record not published yet' });
    };
    const prev = this.#publishingOwn ?? Promise.resolve();
    const next = prev.then(run, run);
    this.#publishingOwn = next.catch(() => {});
    await next;
  }

  async #adoptOwn(rec: SignedRecord): Promise<void> {
    const changed = !this.#own || !sameData(rec, this.#own);
    this.#own = rec;
    await this.#store.setSetting(SETTING_OWN_RECORD, JSON.parse(JSON.stringify(rec.event)) as JsonValue);
    if (changed) {
      this.#scheduleResubscribe();
      this.#emit({ type: 'devices' });
    }
  }

  /** The devices my inbox record certifies (this one marked), for Settings → "Your devices". */
  ownDevices(): OwnDevice[] {
    return (this.#own?.devices ?? []).map((d) => ({ id: d.id, label: d.label, addedAt: d.addedAt, current: d.ek === this.#ekHex }));
  }

  #ownOtherDevices(): InboxDevice[] {
    return (this.#own?.devices ?? []).filter((d) => d.ek !== this.#ekHex);
  }

  /** My contact card link (npub, my devices' EKs and relays, signed); '' until my record exists. */
  contactCard(): string {
    if (!this.#own) return '';
    const payload = encodeContactCard(this.#own.event);
    return this.#d.origin ? contactCardLink(this.#d.origin, payload) : `web+veil:c=${payload}`;
  }

  // ------------------------------------------------------------------ subscriptions

  #scheduleResubscribe(): void {
    if (!this.#running) return;
    clearTimeout(this.#resubTimer);
    this.#resubTimer = setTimeout(() => {
      this.#resubscribe();
      this.#publicSubscribe();
    }, 20);
  }

  /** (Re)subscribes each envelope relay to its mailboxes when its plan changed. */
  #resubscribe(): void {
    const env = this.#env;
    if (!this.#running || !env) return;
    const fromEks: string[] = [];
    for (const d of this.#ownOtherDevices()) fromEks.push(d.ek);
    for (const side of this.#sides.values()) for (const d of side.devices) fromEks.push(d.ek);
    const nowS = this.#nowS();
    const plans = readPlans({ ek: this.#d.ek, fromEks, relays: this.#relays, nowSeconds: nowS, lastReadAt: this.#lastRead });
    const live = new Set(plans.map((p) => p.relay));
    for (const [relay, s] of this.#subs)
      if (!live.has(relay)) {
        s.sub.close();
        this.#subs.delete(relay);
      }
    for (const plan of plans) {
      const signature = planSignature(plan);
      const old = this.#subs.get(plan.relay);
      if (old && old.signature === signature) continue;
      const startedAt = nowS;
      const sub = env.subscribe(
        planFilters(plan),
        {
          onevent: (ev, relays) => this.#enqueueInbound(ev, [...relays][0] ?? plan.relay),
          onrelayeose: (relay) => void this.#markRead(relay, startedAt),
          onclosed: () => this.#emit({ type: 'relays' })
        },
        { relays: [plan.relay] }
      );
      // Subscribe the new one first, then close the old: no gap in between.
      old?.sub.close();
      this.#subs.set(plan.relay, { signature, plan, sub, startedAt });
    }
  }

  async #markRead(relay: string, at: number): Promise<void> {
    if ((this.#lastRead.get(relay) ?? 0) >= at) return;
    this.#lastRead.set(relay, at);
    try {
      await this.#store.setSetting(SETTING_LAST_READ, Object.fromEntries(this.#lastRead));
    } catch (e) {
      this.#fail(e);
    }
  }

  /** Public pool: my own record (other devices' merges) and contacts' records and profiles, live. */
  #publicSubscribe(): void {
    if (!this.#running) return;
    const contacts = [...this.#sides.keys()].filter((k) => k !== this.#me).sort();
    const recordAuthors = [this.#me, ...contacts].slice(0, MAX_AUTHORS);
    const signature = recordAuthors.join(',');
    if (this.#pubSub?.signature === signature) return;
    const filters = [{ kinds: [11067], authors: recordAuthors }];
    if (contacts.length > 0) filters.push({ kinds: [0], authors: contacts.slice(0, MAX_AUTHORS) });
    const sub = this.#publicPool().subscribe(filters, {
      onevent: (ev) => void this.#onPublicEvent(ev).catch((e) => this.#fail(e))
    }, { relays: this.#relays });
    this.#pubSub?.sub.close();
    this.#pubSub = { signature, sub };
  }

  async #onPublicEvent(ev: RelayVerifiedEvent): Promise<void> {
    if (ev.kind === 0) return this.#onProfile(ev);
    let rec: SignedRecord;
    try {
      rec = parseInboxRecord(ev);
    } catch {
      this.#stats.invalidEvents++;
      return;
    }
    if (rec.pubkey === this.#me) {
      if (!this.#own || rec.createdAt > this.#own.createdAt || !sameData(rec, this.#own)) await this.#syncOwnRecord(rec);
      return;
    }
    if (this.#sides.has(rec.pubkey) && (await this.#applyRecord(rec.pubkey, rec))) this.#emit({ type: 'chats' });
  }

  // ------------------------------------------------------------------ receiving

  #enqueueInbound(ev: RelayVerifiedEvent, relay: string): void {
    // One at a time: contact creation and unread counts stay consistent without locks.
    this.#inbound = this.#inbound.then(() => this.#receive(ev, relay)).catch((e) => this.#fail(e));
  }

  async #receive(outer: RelayVerifiedEvent, relay: string): Promise<void> {
    const mailbox = tagValue(outer.tags, 'p');
    if (outer.kind !== 1067 || !mailbox) {
      this.#stats.invalidEvents++;
      return;
    }
    const exp = Number(tagValue(outer.tags, 'expiration'));
    const nowMs = this.#now();
    const expiresAt = Number.isSafeInteger(exp) && exp > 0 ? Math.min(exp * 1000, nowMs + 100 * 86_400_000) : nowMs + SEEN_FALLBACK_MS;
    // Claimed after verification (the pool verified it) and before opening: each envelope once.
    if (!(await this.#store.claimSeen(outer.id, Math.max(expiresAt, nowMs)))) {
      this.#stats.duplicates++;
      return;
    }
    const u = await trialOpen(asCryptoVerified(outer), this.#d.ek, this.#d.scan ? { ecdh: this.#d.scan.ecdh } : undefined);
    if (!u) {
      this.#stats.openFailures++;
      return;
    }
    let opened;
    try {
      opened = await finishOpen(u, this.#me);
    } catch {
      this.#stats.openFailures++;
      return;
    }
    if (opened.type === 'cover') return;
    const from = this.#subs.get(relay)?.plan.index.get(mailbox);
    await this.#receiveInner(opened.event, from?.kind === 'pair' ? from.from : undefined);
  }

  async #receiveInner(inner: CryptoVerifiedEvent, pairFrom: string | undefined): Promise<void> {
    const sender = inner.pubkey;
    const named = [...new Set(inner.tags.filter((t) => t[0] === 'p' && HEX64.test(t[1] ?? '')).map((t) => t[1]!))];
    const outgoing = sender === this.#me;
    const peer = outgoing ? named.find((p) => p !== this.#me) : sender;
    if (!peer) return; // a note to self: not a conversation Veil shows yet

    const contact = await this.#store.getContact(peer);
    if (contact?.state === 'blocked' && !outgoing) return;
    let contactsChanged = false;
    if (!contact) {
      // A copy of my own message means I chose to talk to them; a stranger's first message is a request.
      await this.#store.upsertContact({ pubkey: peer, state: outgoing ? 'accepted' : 'request' });
      contactsChanged = true;
    } else if (outgoing && contact.state === 'request') {
      await this.#store.setContactState(peer, 'accepted');
    }
    await this.#side(peer);

    if (!outgoing) {
      const card = tagValue(inner.tags, CARD_TAG);
      if (card) {
        let c: ContactCard | undefined;
        try {
          c = decodeContactCard(card);
        } catch {
          c = undefined; // a bad card does not make the (signed) message invalid
        }
        if (c && c.pubkey === sender) await this.#applyRecord(sender, c);
      }
      const ek = tagValue(inner.tags, EK_TAG) ?? pairFrom;
      if (ek && HEX64.test(ek)) await this.#markPairReady(sender, ek);
    }
    if ((await this.#side(peer)).devices.length === 0) {
      // No card and nothing known: ask the public pool, without holding up the next envelope.
      void this.#refreshRecord(peer).catch((e) => this.#fail(e));
    }
    if (contactsChanged) this.#scheduleResubscribe();

    const conversationId = await this.#store.ensureConversation([peer]);
    const replyTo = tagValue(inner.tags, 'e');
    const createdAt = Math.min(inner.created_at, this.#nowS() + 600);
    const result = await this.#store.addMessage({
      id: inner.id,
      conversationId,
      createdAt,
      direction: outgoing ? 'out' : 'in',
      status: outgoing ? 'sent' : 'received',
      content: {
        body: inner.content.slice(0, MAX_BODY_CHARS),
        sender,
        kind: inner.kind,
        ...(replyTo && HEX64.test(replyTo) ? { replyTo } : {})
      }
    });
    if (result === 'duplicate') {
      this.#stats.duplicates++;
      return;
    }
    this.#emit({ type: 'messages', conversationId });
    this.#emit({ type: 'chats' });
  }

  // ------------------------------------------------------------------ chats

  /** Conversations with their contact's state, newest activity first. */
  async listChats(filter?: ContactState): Promise<ChatSummary[]> {
    const out: ChatSummary[] = [];
    for (const c of await this.#store.listConversations()) {
      const peer = c.peers.find((p) => p !== this.#me) ?? c.peers[0]!;
      const contact = await this.#store.getContact(peer);
      const state: ContactState = contact?.state ?? 'accepted';
      if (filter && state !== filter) continue;
      const npub = encodeNpub(peer);
      const name = contact?.petname ?? contact?.profile?.displayName ?? contact?.profile?.name;
      const s: ChatSummary = {
        id: c.id,
        peer,
        peerNpub: npub,
        fingerprint: npubFingerprint(npub),
        state,
        // The contact's protocol wins: it changes when a NIP-17 contact is upgraded to the envelope.
        protocol: contact?.protocol ?? c.protocol,
        lastActivity: c.lastActivity,
        unread: c.unread,
        hasDraft: c.hasDraft
      };
      if (name) s.name = name;
      if (c.preview) s.preview = c.preview.text;
      out.push(s);
    }
    return out;
  }

  async #view(m: Message, quotes: Map<string, Message | undefined>, reactions?: ReactionMap): Promise<ChatMessage> {
    const v: ChatMessage = {
      id: m.id,
      conversationId: m.conversationId,
      direction: m.direction,
      author: m.content.sender,
      text: m.content.body,
      createdAt: m.createdAt,
      status: m.status,
      deliveries: m.relays.map((r) => ({ relay: r.relay, ok: r.ok, ...(r.message ? { message: r.message } : {}) }))
    };
    const tags = m.content.tags ?? [];
    if (m.content.kind === SYSTEM_KIND && tags.some((t) => t[0] === SYSTEM_TAG)) v.system = true;
    if (m.content.kind === LEGACY_DM_KIND) v.legacy = true;
    if (m.content.kind === 15) {
      const f = storedFile(tags);
      v.file = f ? { url: f.url, ...(f.mimeType ? { mimeType: f.mimeType } : {}), ...(f.size !== undefined ? { size: f.size } : {}) } : { url: '' };
    }
    const rs = reactions?.[m.id];
    if (rs && rs.length > 0) v.reactions = rs.map((r) => ({ emoji: r.emoji, mine: r.sender === this.#me }));
    const rt = m.content.replyTo;
    if (rt) {
      if (!quotes.has(rt)) quotes.set(rt, await this.#store.getMessage(rt).catch(() => undefined));
      const q = quotes.get(rt);
      v.replyTo = q?.conversationId === m.conversationId ? { id: rt, text: q.content.body.slice(0, 200), author: q.content.sender } : { id: rt };
    }
    return v;
  }

  /** One page of a conversation, newest first; `before` is a sort key (store makeSortKey). */
  async pageMessages(conversationId: string, opts: { before?: string; limit?: number } = {}): Promise<ChatMessage[]> {
    const page = await this.#store.pageMessages(conversationId, { limit: opts.limit ?? 50, ...(opts.before ? { before: opts.before } : {}) });
    const quotes = new Map<string, Message | undefined>();
    const reactions = await this.#reactions(conversationId);
    const out: ChatMessage[] = [];
    for (const m of page.messages) out.push(await this.#view(m, quotes, reactions));
    return out;
  }

  /**
   * Starts (or reopens) a chat from an npub, nprofile, hex pubkey or contact card link. Without a
   * card, the contact's inbox record is read from the public pool (their relay hints and ours).
   * Errors: the parse errors of parseContactInput, INVALID_INPUT (own key), NOT_FOUND (no record).
   */
  async startChat(input: string): Promise<string> {
    const parsed = parseContactInput(input);
    const pubkey = parsed.pubkey;
    if (pubkey === this.#me) throw new VeilError('INVALID_INPUT', 'That is your own key.');
    const existing = await this.#store.getContact(pubkey);
    if (parsed.type === 'card') await this.#applyRecord(pubkey, parsed.card);
    let known = (await this.#side(pubkey)).devices.length > 0;
    if (!known) known = await this.#refreshRecord(pubkey, parsed.relays);
    if (!known) {
      // Not a Veil user (yet): NIP-17 if they published DM relays (issue 5 §2), else say what to do.
      const dm = await this.#peerDmRelays(pubkey, parsed.relays, true);
      if (dm.length === 0) throw new VeilError('NO_DM_RELAYS', NO_DM_RELAYS_MESSAGE);
      await this.#store.upsertContact({ pubkey, protocol: 'nip17', ...(existing?.state === 'blocked' ? {} : { state: 'accepted' as const }) });
      const id = await this.#store.ensureConversation([pubkey], { protocol: 'nip17' });
      this.#scheduleResubscribe();
      this.#emit({ type: 'chats' });
      return id;
    }
    const side = await this.#side(pubkey);
    const relays = cleanRelayList(side.devices.flatMap((d) => d.relays), 16);
    await this.#store.upsertContact({
      pubkey,
      eks: side.devices.map((d) => d.ek),
      relays,
      protocol: 'veil',
      ...(existing?.state === 'blocked' ? {} : { state: 'accepted' as const })
    });
    const id = await this.#store.ensureConversation([pubkey]);
    this.#scheduleResubscribe();
    this.#emit({ type: 'chats' });
    return id;
  }

  /**
   * Sends a text message: sign the inner kind 14 (with my card while the contact may not know
   * us), seal one envelope per recipient device and relay plus copies for my other devices, store
   * the message ('sending') and the outbox, then publish. Returns the message id (inner event id).
   */
  async send(conversationId: string, text: string, opts: { replyTo?: string } = {}): Promise<string> {
    if (typeof text !== 'string' || text.trim() === '') throw new VeilError('INVALID_INPUT', 'message is empty');
    if (text.length > MAX_BODY_CHARS) throw new VeilError('TOO_LARGE', 'message too long');
    const conv = await this.#store.getConversation(conversationId);
    if (!conv) throw new VeilError('NOT_FOUND', 'no such conversation');
    const peer = conv.peers.find((p) => p !== this.#me);
    if (!peer) throw new VeilError('INVALID_INPUT', 'conversation has no peer');
    let side = await this.#side(peer);
    if (side.devices.length === 0) {
      await this.#refreshRecord(peer);
      side = await this.#side(peer);
    }
    if (side.devices.length === 0) return this.#sendNip17(conversationId, conv.lastActivity, peer, text, opts);

    // Strictly after the newest message of the conversation, so messages typed within one second
    // keep their order (the history sorts by created_at, then id).
    const nowS = this.#nowS();
    const createdAt = Math.max(nowS, Math.min(conv.lastActivity + 1, nowS + 600));
    const targets: SendTarget[] = sendTargets({
      me: this.#d.ek,
      peerDevices: side.devices,
      pairReady: new Set(side.pairReady),
      ownDevices: this.#ownOtherDevices(),
      fallbackRelays: this.#relays,
      nowSeconds: nowS
    });
    const template = chatMessageTemplate({ text, recipients: [peer], createdAt, ...(opts.replyTo ? { replyTo: opts.replyTo } : {}) });
    template.tags.push([EK_TAG, this.#ekHex]);
    const withCard = !!this.#own && (targets.some((t) => t.to === 'peer' && t.via === 'intro') || side.cardSentAt < this.#own.createdAt);
    if (withCard && this.#own) template.tags.push([CARD_TAG, encodeContactCard(this.#own.event)]);
    const inner = await this.#d.signer.signEvent(template);

    // Seal everything first: a message too large for an envelope fails here, before anything is stored.
    const sealed = await Promise.all(
      targets.map(async (t) => ({
        t,
        event: await sealEnvelope({ recipientEk: hexToBytes(t.ek, 32), mailbox: t.mailbox, payload: { type: 'event', event: inner }, nowSeconds: nowS })
      }))
    );
    const byEk = new Map<string, { to: 'peer' | 'self'; items: { relay: string; event: (typeof sealed)[number]['event'] }[] }>();
    for (const s of sealed) {
      const e = byEk.get(s.t.ek) ?? { to: s.t.to, items: [] };
      e.items.push({ relay: s.t.relay, event: s.event });
      byEk.set(s.t.ek, e);
    }

    const contact = await this.#store.getContact(peer);
    if (contact && contact.state === 'request') await this.#store.setContactState(peer, 'accepted');
    await this.#store.addMessage({
      id: inner.id,
      conversationId,
      createdAt: inner.created_at,
      direction: 'out',
      status: 'sending',
      content: { body: text, sender: this.#me, kind: 14, ...(opts.replyTo ? { replyTo: opts.replyTo } : {}) }
    });
    const counters = { peer: 0, self: 0 };
    for (const e of byEk.values()) {
      const id = entryId(inner.id, e.to, counters[e.to]++);
      await this.#store.enqueueOutbox({ id, messageId: inner.id, items: e.items, nextAttemptAt: 0 });
    }
    if (withCard && this.#own) await this.#saveSide(peer, { ...side, cardSentAt: this.#own.createdAt });
    this.#emit({ type: 'messages', conversationId });
    this.#emit({ type: 'chats' });
    this.#kickOutbox(false);
    return inner.id;
  }

  // ------------------------------------------------------------------ NIP-17 (issue 5)

  /** Sockets for publishing wraps only: never authenticate, separate from envelopes and the DM pool. */
  #nip17PublishPool(): RelayPool {
    if (!this.#dmPublish) {
      const { fetch: _f, ...opts } = this.#poolOptions();
      void _f;
      this.#dmPublish = createNip17PublishPool(opts);
    }
    return this.#dmPublish;
  }

  /** The DM pool on my 10050 relays (NIP-42 as me when asked) and the gift-wrap subscription. */
  #startDm(): void {
    if (!this.#running || this.#dmRelays.length === 0) return;
    if (!this.#dmPool) {
      const { fetch: _f, ...opts } = this.#poolOptions();
      void _f;
      this.#dmPool = createDmRelayPool(this.#dmRelays, { ...opts, signer: this.#d.signer });
    }
    this.#dmSub?.close();
    const startedAt = this.#nowS();
    this.#dmSub = subscribeGiftWraps(
      this.#dmPool,
      this.#me,
      {
        onevent: (ev) => {
          this.#inbound = this.#inbound.then(() => this.#receiveDm(ev)).catch((e) => this.#fail(e));
        },
        oneose: () => {
          // After the stored wraps are processed, remember how far we read.
          this.#inbound = this.#inbound.then(() => this.#markDmRead(startedAt)).catch((e) => this.#fail(e));
        }
      },
      { legacy: true, ...(this.#dmLast > 0 ? { since: giftWrapSince(this.#dmLast) } : {}) }
    );
  }

  async #markDmRead(at: number): Promise<void> {
    if (at <= this.#dmLast) return;
    this.#dmLast = at;
    await this.#store.setSetting(SETTING_DM_LAST, at);
  }

  /**
   * One gift wrap (or legacy kind 4) from the DM pool, already verified by the pool. Seen once per
   * wrap id; a wrap the signer could not open now (refused, timed out) is NOT marked seen, so the
   * next subscription retries it. Everything else that fails is counted and dropped.
   */
  async #receiveDm(ev: RelayVerifiedEvent): Promise<void> {
    if (ev.kind !== GIFT_WRAP_KIND && ev.kind !== LEGACY_DM_KIND) {
      this.#stats.invalidEvents++;
      return;
    }
    if (await this.#store.hasSeen(ev.id)) {
      this.#stats.duplicates++;
      return;
    }
    const r =
      ev.kind === GIFT_WRAP_KIND
        ? await openIncomingGiftWrap(ev, this.#d.signer, this.#me, this.#nip17Stats)
        : await legacyNip04(ev, this.#d.signer, this.#me, this.#nip17Stats);
    if (!r.ok && r.reason === 'signer') return;
    await this.#store.markSeen([ev.id], this.#now() + SEEN_FALLBACK_MS);
    if (!r.ok) {
      this.#stats.openFailures++;
      return;
    }
    if (r.message.kind === 7) await this.#storeReaction(r.message);
    else await this.#storeNip17(r.message);
  }

  /** Makes sure a contact (request for strangers) and conversation exist for a NIP-17 peer. */
  async #nip17Conversation(m: Nip17Message): Promise<string | null> {
    const outgoing = m.direction === 'out';
    const contact = await this.#store.getContact(m.peer);
    if (contact?.state === 'blocked' && !outgoing) return null;
    if (!contact) {
      await this.#store.upsertContact({ pubkey: m.peer, state: outgoing ? 'accepted' : 'request', protocol: 'nip17' });
      await this.#side(m.peer);
      this.#scheduleResubscribe();
      // A Veil user who wrote over NIP-17 (another client): their record upgrades the chat.
      void this.#refreshRecord(m.peer).catch((e) => this.#fail(e));
    } else if (outgoing && contact.state === 'request') {
      await this.#store.setContactState(m.peer, 'accepted');
    }
    return this.#store.ensureConversation([m.peer], { protocol: 'nip17' });
  }

  async #storeNip17(m: Nip17Message): Promise<void> {
    const conversationId = await this.#nip17Conversation(m);
    if (!conversationId) return;
    const tags: string[][] = [];
    let body = m.text.slice(0, MAX_BODY_CHARS);
    if (m.kind === 15 && m.file) {
      const f = fileForStore(m.file);
      if (f) tags.push([FILE_TAG, f]);
      body = m.file.mimeType ? `File (${m.file.mimeType.slice(0, 100)})` : 'File';
    }
    const result = await this.#store.addMessage({
      id: m.id,
      conversationId,
      createdAt: Math.min(m.createdAt, this.#nowS() + 600),
      direction: m.direction,
      status: m.direction === 'out' ? 'sent' : 'received',
      content: {
        body,
        sender: m.sender,
        kind: m.kind,
        ...(m.replyTo && HEX64.test(m.replyTo) ? { replyTo: m.replyTo } : {}),
        ...(m.subject !== undefined ? { subject: m.subject.slice(0, 4096) } : {}),
        ...(tags.length > 0 ? { tags } : {})
      }
    });
    if (result === 'duplicate') {
      this.#stats.duplicates++;
      return;
    }
    this.#emit({ type: 'messages', conversationId });
    this.#emit({ type: 'chats' });
  }

  /**
   * A kind 7 reaction attaches to its message: kept in a sealed setting per conversation
   * (`sync.reactions.<id>`, bounded), shown under the message it names.
   */
  async #storeReaction(m: Nip17Message): Promise<void> {
    if (!m.reaction || !HEX64.test(m.reaction.targetId)) return;
    const conversationId = await this.#nip17Conversation(m);
    if (!conversationId) return;
    const map = await this.#reactions(conversationId);
    const list = map[m.reaction.targetId] ?? [];
    if (list.some((r) => r.id === m.id)) {
      this.#stats.duplicates++;
      return;
    }
    // One reaction per person and message: a newer one replaces the older.
    const next = [...list.filter((r) => r.sender !== m.sender), { id: m.id, emoji: m.reaction.emoji, sender: m.sender }].slice(-MAX_REACTIONS_PER_MESSAGE);
    const keys = Object.keys(map);
    if (!map[m.reaction.targetId] && keys.length >= MAX_REACTION_TARGETS) delete map[keys[0]!];
    map[m.reaction.targetId] = next;
    await this.#store.setSetting(reactionsKey(conversationId), map as unknown as JsonValue);
    this.#emit({ type: 'messages', conversationId });
  }

  async #reactions(conversationId: string): Promise<ReactionMap> {
    const raw = await this.#store.getSetting<JsonValue>(reactionsKey(conversationId)).catch(() => undefined);
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return {};
    return raw as unknown as ReactionMap;
  }

  /** A contact's 10050 relays: cached in their side data, looked up on the public pool when stale. */
  async #peerDmRelays(pubkey: string, hints: readonly string[] = [], force = false): Promise<string[]> {
    const side = await this.#side(pubkey);
    if (!force && side.dmRelays.length > 0 && this.#now() - side.dmRelaysAt < DM_RELAYS_TTL_MS) return side.dmRelays;
    const found = await fetchDmRelays(this.#publicPool(), [pubkey], { relays: cleanRelayList([...this.#relays, ...hints], 16) });
    const list = found.get(pubkey);
    const dmRelays = list ? cleanRelayList(list.relays, MAX_DM_RELAYS) : side.dmRelays;
    await this.#saveSide(pubkey, { ...(await this.#side(pubkey)), dmRelays, dmRelaysAt: this.#now() });
    return dmRelays;
  }

  /**
   * NIP-17 send: one rumor (its id is the message id in every copy), a seal and wrap for the peer
   * (each of their 10050 relays) and for me (each of mine); stored with the outbox before anything
   * goes out, then published through the NIP-17 publish pool by the same outbox as envelopes.
   */
  async #sendNip17(conversationId: string, lastActivity: number, peer: string, text: string, opts: { replyTo?: string }): Promise<string> {
    const peerDmRelays = await this.#peerDmRelays(peer);
    if (peerDmRelays.length === 0) throw new VeilError('NO_DM_RELAYS', NO_DM_RELAYS_MESSAGE);
    const nowS = this.#nowS();
    const createdAt = Math.max(nowS, Math.min(lastActivity + 1, nowS + 600));
    const plan = await planNip17Send({
      me: this.#me,
      peer,
      peerDmRelays,
      myDmRelays: this.#dmRelays,
      signer: this.#d.signer,
      nowSeconds: nowS,
      text,
      createdAt,
      ...(opts.replyTo ? { replyTo: opts.replyTo } : {})
    });
    const contact = await this.#store.getContact(peer);
    if (contact && contact.state === 'request') await this.#store.setContactState(peer, 'accepted');
    if (contact && contact.protocol !== 'nip17') await this.#store.upsertContact({ pubkey: peer, protocol: 'nip17' });
    await this.#store.addMessage({
      id: plan.rumorId,
      conversationId,
      createdAt: plan.rumor.created_at,
      direction: 'out',
      status: 'sending',
      content: { body: text, sender: this.#me, kind: 14, ...(opts.replyTo ? { replyTo: opts.replyTo } : {}) }
    });
    for (const to of ['peer', 'self'] as const) {
      const items = plan.publishes.filter((p) => p.to === to).map((p) => ({ relay: p.relay, event: p.event }));
      if (items.length > 0) await this.#store.enqueueOutbox({ id: entryId(plan.rumorId, to, 0), messageId: plan.rumorId, items, nextAttemptAt: 0 });
    }
    this.#emit({ type: 'messages', conversationId });
    this.#emit({ type: 'chats' });
    this.#kickOutbox(false);
    return plan.rumorId;
  }

  /**
   * Publishes my kind 10050 list when none is published yet (issue 5 §1). A list another client
   * published wins over the default (my envelope relays) unless I set mine here.
   */
  async #ensureDmRelayList(): Promise<void> {
    const found = (await fetchDmRelays(this.#publicPool(), [this.#me], { relays: cleanRelayList([...this.#relays, ...this.#dmRelays], 16) })).get(this.#me);
    if (found && found.createdAt >= this.#dmRelaysPublishedAt) {
      const relays = cleanRelayList(found.relays, MAX_DM_RELAYS);
      if (relays.length > 0 && JSON.stringify(relays) !== JSON.stringify(this.#dmRelays)) await this.#adoptDmRelays(relays, found.createdAt);
      return;
    }
    await this.setDmRelays(this.#dmRelays);
  }

  async #adoptDmRelays(relays: string[], publishedAt: number): Promise<void> {
    const old = this.#dmRelays;
    this.#dmRelays = relays;
    this.#dmRelaysPublishedAt = publishedAt;
    await this.#store.setSetting(SETTING_DM_RELAYS, { relays, publishedAt });
    if (this.#dmPool) {
      for (const r of old) if (!relays.includes(r)) this.#dmPool.removeRelay(r);
      for (const r of relays) this.#dmPool.addRelay(r);
    }
    this.#startDm();
    this.#emit({ type: 'relays' });
  }

  /** My DM relays (kind 10050): where other Nostr clients send me NIP-17 messages. */
  dmRelays(): string[] {
    return [...this.#dmRelays];
  }

  /**
   * Sets, stores and publishes my kind 10050 list (on the public pool, to my relays and the DM
   * relays themselves), and reads gift wraps from the new set. Errors: RELAY_URL_INVALID,
   * INVALID_INPUT (empty), TOO_LARGE (more than MAX_DM_RELAYS).
   */
  async setDmRelays(relays: readonly string[]): Promise<void> {
    const clean: string[] = [];
    for (const r of relays) {
      const [n] = cleanRelayList([r]);
      if (!n) throw new VeilError('RELAY_URL_INVALID', 'That is not a ws:// or wss:// relay address.');
      if (!clean.includes(n)) clean.push(n);
    }
    if (clean.length === 0) throw new VeilError('INVALID_INPUT', 'Keep at least one DM relay.');
    if (clean.length > MAX_DM_RELAYS) throw new VeilError('TOO_LARGE', `At most ${MAX_DM_RELAYS} DM relays.`);
    // Replaceable event: strictly newer than the list it replaces, even within one second.
    const nowSeconds = Math.max(this.#nowS(), this.#dmRelaysPublishedAt + 1);
    const { event } = await publishDmRelayList(this.#publicPool(), this.#d.signer, clean, { nowSeconds, publishTo: this.#relays });
    await this.#adoptDmRelays(clean, event.created_at);
  }

  /**
   * Downloads and decrypts the file of a kind 15 message (AES-GCM, crypto/file.ts) through the
   * fetch given to the Messenger. Errors: NOT_FOUND (no such file message), FILE_UNAVAILABLE,
   * DECRYPT_FAILED, TOO_LARGE.
   */
  async downloadFile(messageId: string): Promise<{ bytes: Uint8Array; mimeType?: string }> {
    const m = await this.#store.getMessage(messageId);
    const file = m && m.content.kind === 15 ? storedFile(m.content.tags ?? []) : undefined;
    if (!file) throw new VeilError('NOT_FOUND', 'This message has no file that can be downloaded.');
    if (!this.#d.fetch) throw new VeilError('FILE_UNAVAILABLE', 'downloads are not available here');
    return downloadNip17File(file, this.#d.fetch as unknown as FileFetch);
  }

  /**
   * Called when a chat is opened: for a NIP-17 contact, looks for an inbox record again (at most
   * once a minute), so the chat upgrades to the envelope as soon as they use Veil.
   */
  async checkContact(conversationId: string): Promise<void> {
    const conv = await this.#store.getConversation(conversationId);
    const peer = conv?.peers.find((p) => p !== this.#me);
    if (!peer) return;
    const contact = await this.#store.getContact(peer);
    if (contact?.protocol !== 'nip17') return;
    if (this.#now() - (this.#checkedAt.get(peer) ?? 0) < 60_000) return;
    this.#checkedAt.set(peer, this.#now());
    if (await this.#refreshRecord(peer)) this.#emit({ type: 'chats' });
  }

  /** NIP-17 counters: opened wraps and each failure reason (never shown as messages). */
  nip17Stats(): Nip17Stats {
    return { opened: this.#nip17Stats.opened, failures: { ...this.#nip17Stats.failures } };
  }

  // ------------------------------------------------------------------ outbox

  #kickOutbox(force: boolean): void {
    if (!this.#running) return;
    if (force) this.#forceNext = true;
    void this.flushOutbox().catch((e) => this.#fail(e));
  }

  /**
   * Publishes every due outbox entry (all of them right after start or a reconnect) and updates
   * the messages' status. Does nothing until start(). Safe to call at any time.
   */
  async flushOutbox(): Promise<void> {
    if (!this.#running) return;
    if (this.#flushing) {
      this.#flushAgain = true;
      return this.#flushing;
    }
    const run = async (): Promise<void> => {
      do {
        this.#flushAgain = false;
        const force = this.#forceNext;
        this.#forceNext = false;
        await this.#flushOnce(force);
      } while (this.#flushAgain && this.#running);
    };
    this.#flushing = run().finally(() => (this.#flushing = null));
    return this.#flushing;
  }

  async #flushOnce(force: boolean): Promise<void> {
    const env = this.#env;
    if (!env) return;
    const due = await this.#store.listDueOutbox(force ? Number.MAX_SAFE_INTEGER : this.#now(), 500);
    const touched = new Set<string>();
    await Promise.all(
      due.map(async (rec) => {
        const open = openItems(rec.items);
        if (open.length === 0) {
          if (rec.messageId) touched.add(rec.messageId);
          return;
        }
        const results = await Promise.all(
          open.map(async (it) => {
            // Gift wraps name their recipient: never on envelope sockets (DESIGN.md §4), and never on
            // my authenticating DM sockets (the peer's relay would learn the sender).
            const pool = it.event.kind === GIFT_WRAP_KIND ? this.#nip17PublishPool() : env;
            const [r] = await pool.publish(it.event, { relays: [it.relay] });
            const c = classifyOutcome(r ?? { status: 'timeout' });
            return { relay: it.relay, status: c.status, ...(c.error ? { error: c.error } : {}) };
          })
        );
        if (!this.#running) return;
        await this.#store.markOutboxAttempt(rec.id, results, nextAttemptAt(rec.attempts + 1, this.#now()), this.#now());
        if (rec.messageId) touched.add(rec.messageId);
      })
    );
    for (const mid of touched) await this.#updateDelivery(mid);
  }

  async #entries(messageId: string): Promise<OutboxRecord[]> {
    const recs = await Promise.all(allEntryIds(messageId).map((id) => this.#store.getOutbox(id)));
    return recs.filter((r): r is OutboxRecord => r !== undefined);
  }

  /** Writes the message's status and per-relay results; drops the entries once all delivered. */
  async #updateDelivery(messageId: string): Promise<void> {
    const entries = await this.#entries(messageId);
    if (entries.length === 0) return;
    const v = deliveryView(entries);
    const at = this.#now();
    const msg = await this.#store.getMessage(messageId);
    if (!msg) return;
    await this.#store.updateMessageStatus(
      messageId,
      v.status,
      v.deliveries.map((d) => ({ relay: d.relay, ok: d.ok, at, ...(d.message ? { message: d.message } : {}) }))
    );
    // Failed entries stay (parked) so retry() can re-arm them.
    if (v.status === 'sent' && entries.every(isSettled)) for (const e of entries) await this.#store.removeOutbox(e.id);
    this.#emit({ type: 'messages', conversationId: msg.conversationId });
  }

  /** Re-arms every relay copy of a message that is not delivered yet and publishes now. */
  async retry(messageId: string): Promise<void> {
    const entries = await this.#entries(messageId);
    if (entries.length === 0) throw new VeilError('NOT_FOUND', 'nothing to retry for this message');
    for (const e of entries) {
      const reset = e.items.filter((it) => it.status !== 'ok').map((it) => ({ relay: it.relay, status: 'pending' as const }));
      if (reset.length > 0) await this.#store.markOutboxAttempt(e.id, reset, this.#now(), this.#now());
    }
    const msg = await this.#store.getMessage(messageId);
    if (msg && msg.status === 'failed') {
      await this.#store.updateMessageStatus(messageId, 'sending');
      this.#emit({ type: 'messages', conversationId: msg.conversationId });
    }
    this.#kickOutbox(false);
  }

  // ------------------------------------------------------------------ contact states, drafts

  async markRead(conversationId: string): Promise<void> {
    await this.#store.markRead(conversationId);
    this.#emit({ type: 'chats' });
  }

  /** Moves a request to Chats. */
  async accept(peer: string): Promise<void> {
    await this.#store.setContactState(peer, 'accepted');
    this.#emit({ type: 'chats' });
  }

  /** Deletes a request and its messages; a later message from them is a new request. */
  async decline(peer: string): Promise<void> {
    const cid = await this.#store.conversationIdFor([peer]);
    await this.#store.deleteConversation(cid);
    await this.#store.deleteContact(peer);
    await this.#store.deleteSetting(peerSettingKey(cid));
    this.#sides.delete(peer);
    this.#scheduleResubscribe();
    this.#emit({ type: 'chats' });
  }

  /** Blocks: their envelopes are dropped and their pair mailboxes no longer read. */
  async block(peer: string): Promise<void> {
    await this.#store.blockContact(peer);
    this.#sides.delete(peer);
    this.#scheduleResubscribe();
    this.#emit({ type: 'chats' });
  }

  async getDraft(conversationId: string): Promise<string> {
    return (await this.#store.getDraft(conversationId)) ?? '';
  }

  async setDraft(conversationId: string, text: string): Promise<void> {
    await this.#store.setDraft(conversationId, text === '' ? null : text);
  }

  // ------------------------------------------------------------------ relays

  /** Envelope relays with their connection state and NIP-11 limits. */
  relayStatus(): RelayStatus[] {
    const live = new Map<string, PoolRelayStatus>((this.#env?.status() ?? []).map((s) => [s.url, s]));
    return this.#relays.map((url) => {
      const s = live.get(url);
      const out: RelayStatus = {
        url,
        state: !s ? 'disconnected' : s.state === 'open' ? 'connected' : s.state === 'connecting' ? 'connecting' : s.state === 'error' ? 'error' : 'disconnected'
      };
      if (s?.error && s.state !== 'open') out.error = s.error;
      const lim = s?.info?.limitation;
      if (lim) {
        out.limits = {};
        if (lim.max_message_length !== undefined) out.limits.maxMessageLength = lim.max_message_length;
        if (lim.auth_required !== undefined) out.limits.authRequired = lim.auth_required;
        if (lim.payment_required !== undefined) out.limits.paymentRequired = lim.payment_required;
      }
      if (s?.info?.name) out.name = s.info.name;
      return out;
    });
  }

  /** Adds an envelope relay: stored, connected, in my inbox record, subscribed. */
  async addRelay(url: string): Promise<void> {
    const [n] = cleanRelayList([url]);
    if (!n) throw new VeilError('RELAY_URL_INVALID', 'That is not a ws:// or wss:// relay address.');
    if (this.#relays.includes(n)) return;
    if (this.#relays.length >= MAX_RELAYS_PER_DEVICE) throw new VeilError('TOO_LARGE', `At most ${MAX_RELAYS_PER_DEVICE} relays.`);
    await this.#store.putRelay({ url: n, role: 'envelope' });
    this.#relays = [...this.#relays, n];
    this.#env?.addRelay(n);
    this.#pub?.addRelay(n);
    await this.#afterRelayChange();
  }

  /** Removes an envelope relay (not the last one). */
  async removeRelay(url: string): Promise<void> {
    const [n] = cleanRelayList([url]);
    if (!n || !this.#relays.includes(n)) return;
    if (this.#relays.length === 1) throw new VeilError('INVALID_INPUT', 'Keep at least one relay.');
    await this.#store.deleteRelay(n);
    this.#relays = this.#relays.filter((r) => r !== n);
    this.#subs.get(n)?.sub.close();
    this.#subs.delete(n);
    this.#env?.removeRelay(n);
    this.#pub?.removeRelay(n);
    await this.#afterRelayChange();
  }

  async #afterRelayChange(): Promise<void> {
    this.#emit({ type: 'relays' });
    if (!this.#running) return;
    this.#resubscribe();
    this.#pubSub?.sub.close();
    this.#pubSub = null;
    this.#publicSubscribe();
    try {
      await this.#syncOwnRecord(null);
    } catch (e) {
      this.#fail(e);
    }
  }

  /** The contact record of a peer as stored (for tests and the app's contact view). */
  async contact(peer: string): Promise<Contact | undefined> {
    return this.#store.getContact(peer);
  }
}
