/**
 * NIP-17 orchestration helpers for the Messenger (issue 5; docs/design.md §1: NIP-17 reaches every other
 * Nostr client but shows the recipient's npub to relays — a clearly marked, less private mode).
 *
 * Pure planning and opening, plus thin helpers over a RelayPool. Socket rule (docs/design.md §4): the
 * gift-wrap filter `{kinds:[1059], '#p':[me]}` names the identity, so it runs ONLY on a separate
 * DM-relay pool (which may authenticate with NIP-42 as the user, `createDmRelayPool`) — never on the
 * envelope pool, whose filters hold only mailbox points.
 */
import type { TrustedEvent } from '../shared/trusted-event';
import { VeilError, isVeilError, type VeilErrorCode, userError } from '../shared/errors';
import { buildDmRelayList, cleanDmRelays, newerDmRelayList, parseDmRelayList, DM_RELAYS_KIND, type DmRelayList } from '../crypto/dm-relays';
import { LEGACY_DM_KIND, nip04DecryptWith, parseNip04Content } from '../crypto/nip04';
import {
  asFileMessage, GIFT_WRAP_KIND, MAX_TEXT_CHARS, TIMESTAMP_JITTER_SECONDS,
  nip17ChatTemplate,
  parseNip17Rumor,
  unwrapFailureOf,
  unwrapGiftWrap,
  wrapNip17Message,
  type Nip17File,
  type RumorTemplate,
  type UnwrapFailure
} from '../crypto/nip17';
import { verifyEvent, type UnsignedNostrEvent } from '../crypto/nostr-event';
import type { Signer } from '../crypto/signer';
import { RelayPool, type PoolOptions, type PoolSubscription } from '../relay/pool';
import type { Filter, NostrEvent, PublishResult } from '../relay/types';
import { m } from '../paraglide/messages';

export { DM_RELAYS_KIND, GIFT_WRAP_KIND, LEGACY_DM_KIND };
export type { DmRelayList, Nip17File };

const HEX64 = /^[0-9a-f]{64}$/;

/** The NO_DM_RELAYS sentence in English (thrown in the app's language: messages/*.json err_no_dm_relays). */
export const NO_DM_RELAYS_MESSAGE = 'This contact has not published a list of relays for private messages (NIP-17 "DM relays", kind 10050), so a message could not reach them. Ask them to set DM relays in their Nostr app, or to install Veil and share a contact card; then try again.';

// ------------------------------------------------------------------------------------- sending

/** One event to publish to one relay (the Messenger's outbox item shape, plus whose copy it is). */
export interface Nip17Publish {
  relay: string;
  event: TrustedEvent;
  to: 'peer' | 'self';
}

export interface Nip17SendPlan {
  /** The rumor id: the message id, the same in every copy. */
  rumorId: string;
  rumor: UnsignedNostrEvent;
  /** Peer copies to each of the peer's DM relays; the self copy to each of mine (none when I have none). */
  publishes: Nip17Publish[];
}

interface PlanBase {
  /** My identity pubkey (must be the signer's). */
  me: string;
  /** The contact. */
  peer: string;
  /** The peer's kind 10050 relays; null/empty → NO_DM_RELAYS. */
  peerDmRelays: readonly string[] | null | undefined;
  /** My kind 10050 relays, for the self copy (read by my other devices and other clients). */
  myDmRelays: readonly string[];
  signer: Signer;
  nowSeconds: number;
  /** Disappearing message: NIP-40 expiration of the wraps (unix seconds). */
  expiresAt?: number;
}

async function plan(opts: PlanBase, template: RumorTemplate): Promise<Nip17SendPlan> {
  if (!HEX64.test(opts.peer) || !HEX64.test(opts.me)) throw new VeilError('INVALID_INPUT', 'pubkeys must be 64 hex');
  if (opts.peer === opts.me) throw new VeilError('INVALID_INPUT', 'cannot send a NIP-17 message to oneself');
  const peerRelays = opts.peerDmRelays ? cleanRelaysLenient(opts.peerDmRelays) : [];
  if (peerRelays.length === 0) throw userError('NO_DM_RELAYS', m.err_no_dm_relays());
  const myRelays = cleanRelaysLenient(opts.myDmRelays);
  if ((await opts.signer.getPublicKey()) !== opts.me) throw new VeilError('INVALID_INPUT', 'signer is not this identity');
  const wrapped = await wrapNip17Message({ rumor: template, recipients: [opts.peer], signer: opts.signer, nowSeconds: opts.nowSeconds, selfCopy: myRelays.length > 0, ...(opts.expiresAt !== undefined ? { expiresAt: opts.expiresAt } : {}) });
  const publishes: Nip17Publish[] = [];
  for (const c of wrapped.copies) {
    for (const relay of c.self ? myRelays : peerRelays) publishes.push({ relay, event: c.wrap, to: c.self ? 'self' : 'peer' });
  }
  return { rumorId: wrapped.rumor.id, rumor: wrapped.rumor, publishes };
}

function cleanRelaysLenient(relays: readonly string[]): string[] {
  const out: string[] = [];
  for (const r of relays) {
    try {
      for (const n of cleanDmRelays([r])) if (!out.includes(n)) out.push(n);
    } catch {
      // a bad URL in a stored list is skipped
    }
  }
  return out;
}

/**
 * Plans a NIP-17 text message to `peer`: one kind 14 rumor (created_at = `createdAt` or now),
 * sealed and wrapped for the peer and for me; each wrap listed once per target relay. Nothing is
 * published here: the Messenger stores the plan (message + outbox) first, then publishes.
 * Errors: NO_DM_RELAYS (peer has no 10050 list; message NO_DM_RELAYS_MESSAGE), INVALID_INPUT,
 * TOO_LARGE, SIGNER_*.
 */
export async function planNip17Send(
  opts: PlanBase & { text: string; file?: Nip17File; replyTo?: string; subject?: string; createdAt?: number; tags?: string[][] }
): Promise<Nip17SendPlan> {
  const template = nip17ChatTemplate({
    text: opts.file ? opts.file.url : opts.text,
    recipients: [opts.peer],
    createdAt: opts.createdAt ?? opts.nowSeconds,
    ...(opts.replyTo !== undefined ? { replyTo: opts.replyTo } : {}),
    ...(opts.subject !== undefined ? { subject: opts.subject } : {})
  });
  if (opts.file?.plainSize !== undefined) throw userError('INVALID_INPUT', m.err_file_padded()); // padded for a Veil contact: a NIP-17 client would keep the padding
  if (opts.file) asFileMessage(template, opts.file); // kind 15: the URL is the content
  template.tags.push(...(opts.tags ?? []));
  return plan(opts, template);
}

// ------------------------------------------------------------------------------------- receiving

/** Why a received gift wrap or kind 4 was not shown. Each is counted (Nip17Stats). */
export type Nip17Failure =
  | UnwrapFailure
  /** The wrap's `p` is not me. */
  | 'wrap-recipient'
  /** The rumor's `p` tags do not include me (and I did not send it). */
  | 'not-addressed'
  /** More than one other participant: NIP-17 group chats are not supported yet. */
  | 'group-unsupported'
  /** The signer is unavailable (timed out, locked, closed, cannot decrypt): retry later, do NOT mark the wrap as seen. */
  | 'signer'
  /**
   * The signer answered with a refusal (SIGNER_REJECTED). Extensions and bunkers answer so both when
   * the user says no and when the ciphertext is garbage; the receiver tells them apart (signer-check.ts).
   */
  | 'signer-rejected'
  | 'too-large'
  /** Kind 4: not to/from me, or undecryptable. */
  | 'legacy-malformed'
  | 'legacy-decrypt'
  | 'other';

/** A NIP-17 (or legacy NIP-04) message ready for the store and the UI. */
export interface Nip17Message {
  /** The rumor id (kind 4: the event id). The message id, identical in every copy. */
  id: string;
  /** The verified author (the seal's signer; kind 4: the event's signer). */
  sender: string;
  /** The conversation partner: the other participant (for my own copies, the recipient). */
  peer: string;
  direction: 'in' | 'out';
  /** Kind 14: the text; kind 7: the emoji; kind 15: '' (see `file`). */
  text: string;
  /** Rumor created_at (seconds), the real send time (wraps and seals are backdated). */
  createdAt: number;
  kind: 14 | 15 | 7 | 4;
  replyTo?: string;
  subject?: string;
  file?: Nip17File;
  reaction?: { targetId: string; emoji: string };
  /** Kind 4 only: NIP-04, unauthenticated encryption, mark as legacy. */
  legacy?: true;
  /** The wrap (or kind 4) event id, for the seen set. */
  eventId: string;
  /** The rumor's tags (a NIP-40 expiration, Veil's timer tag: sync/disappearing.ts). */
  tags?: string[][];
}

export type Nip17OpenResult =
  | { ok: true; message: Nip17Message }
  | { ok: false; reason: Nip17Failure; code: VeilErrorCode | 'UNKNOWN' };

/** Counters of opened messages and of each failure reason (logs and the relay/debug screen). */
export interface Nip17Stats {
  opened: number;
  failures: Partial<Record<Nip17Failure, number>>;
}

export function newNip17Stats(): Nip17Stats {
  return { opened: 0, failures: {} };
}

function failed(stats: Nip17Stats | undefined, reason: Nip17Failure, code: VeilErrorCode | 'UNKNOWN'): Nip17OpenResult {
  if (stats) stats.failures[reason] = (stats.failures[reason] ?? 0) + 1;
  return { ok: false, reason, code };
}

function fromError(e: unknown, stats: Nip17Stats | undefined): Nip17OpenResult {
  if (!isVeilError(e)) return failed(stats, 'other', 'UNKNOWN');
  if (e.code === 'SIGNER_REJECTED') return failed(stats, 'signer-rejected', e.code);
  if (e.code.startsWith('SIGNER_')) return failed(stats, 'signer', e.code);
  const reason = unwrapFailureOf(e);
  if (reason) return failed(stats, reason, e.code);
  if (e.code === 'TOO_LARGE') return failed(stats, 'too-large', e.code);
  return failed(stats, 'other', e.code);
}

/** Base64 (padded) of a version 2 payload of at least the shortest length (NIP-44: 1 + 32 + 34 + 32 bytes). */
const NIP44_V2_SHAPE = /^A[g-v][A-Za-z0-9+/]{130,}={0,2}$/;

function nip44Shaped(content: unknown): boolean {
  return typeof content === 'string' && content.length % 4 === 0 && NIP44_V2_SHAPE.test(content);
}

/**
 * Opens a kind 1059 gift wrap addressed to `me`: verifies the wrap (id, signature, kind, `p` = me),
 * decrypts with the signer's nip44Decrypt, verifies the seal (kind 13, no tags, signature), checks
 * the rumor (id, rumor.pubkey = seal.pubkey) and parses it (kind 14 text, 15 file, 7 reaction).
 * Never throws: a bad wrap is a counted, typed failure, so one bad wrap never fails a batch.
 * Group rumors (more than one other participant) are refused as 'group-unsupported'.
 */
export async function openIncomingGiftWrap(event: unknown, signer: Signer | Uint8Array, me: string, stats?: Nip17Stats): Promise<Nip17OpenResult> {
  try {
    const w = event as { tags?: unknown };
    const tags = Array.isArray(w?.tags) ? (w.tags as unknown[]) : [];
    if (!tags.some((t) => Array.isArray(t) && t[0] === 'p' && t[1] === me)) return failed(stats, 'wrap-recipient', 'INVALID_EVENT');
    // Not even shaped like a NIP-44 v2 payload: no signer is asked (an extension would prompt for it).
    if (!nip44Shaped((event as { content?: unknown }).content)) return failed(stats, 'wrap-decrypt', 'DECRYPT_FAILED');
    const { wrap, rumor, sender } = await unwrapGiftWrap(event, signer);
    const parsed = parseNip17Rumor(rumor);
    if (sender !== me && !parsed.participants.includes(me)) return failed(stats, 'not-addressed', 'INVALID_EVENT');
    const others = parsed.participants.filter((p) => p !== me);
    if (others.length > 1) return failed(stats, 'group-unsupported', 'INVALID_EVENT');
    const peer = others[0];
    if (!peer) return failed(stats, 'not-addressed', 'INVALID_EVENT'); // a note to self: not a chat
    const p = parsed.payload;
    const message: Nip17Message = {
      id: parsed.id,
      sender,
      peer,
      direction: sender === me ? 'out' : 'in',
      text: p.type === 'text' ? p.text : p.type === 'reaction' ? p.emoji : '',
      createdAt: parsed.createdAt,
      kind: parsed.kind as 14 | 15 | 7,
      eventId: wrap.id,
      tags: rumor.tags,
      ...(p.type !== 'reaction' && p.replyTo ? { replyTo: p.replyTo } : {}),
      ...(p.type !== 'reaction' && p.subject !== undefined ? { subject: p.subject } : {}),
      ...(p.type === 'file' ? { file: p.file } : {}),
      ...(p.type === 'reaction' ? { reaction: { targetId: p.targetId, emoji: p.emoji } } : {})
    };
    if (stats) stats.opened++;
    return { ok: true, message };
  } catch (e) {
    return fromError(e, stats);
  }
}

/**
 * Reads a legacy NIP-04 kind 4 DM to or from `me` (issue 5 §5: read, never sent; shown as legacy).
 * Verifies the event, requires exactly one `p`; incoming: p = me, peer = author; my own: peer = p.
 * Decrypts with the signer's nip04Decrypt (or a secret key). Never throws (counted failures).
 */
export async function legacyNip04(event: unknown, signer: Signer | Uint8Array, me: string, stats?: Nip17Stats): Promise<Nip17OpenResult> {
  try {
    const ev = verifyEvent(event);
    if (ev.kind !== LEGACY_DM_KIND) return failed(stats, 'legacy-malformed', 'INVALID_EVENT');
    const ps = ev.tags.filter((t) => t[0] === 'p');
    const p = ps[0]?.[1];
    if (ps.length !== 1 || !p || !HEX64.test(p)) return failed(stats, 'legacy-malformed', 'INVALID_EVENT');
    const out = ev.pubkey === me;
    if (!out && p !== me) return failed(stats, 'legacy-malformed', 'INVALID_EVENT');
    const peer = out ? p : ev.pubkey;
    if (peer === me) return failed(stats, 'legacy-malformed', 'INVALID_EVENT');
    let text: string;
    try {
      parseNip04Content(ev.content); // not even "b64?iv=b64": no signer is asked
      text = await nip04DecryptWith(signer, peer, ev.content);
    } catch (e) {
      if (isVeilError(e) && (e.code.startsWith('SIGNER_') || e.code === 'TOO_LARGE')) throw e;
      return failed(stats, 'legacy-decrypt', isVeilError(e) ? e.code : 'UNKNOWN');
    }
    if (text.length > MAX_TEXT_CHARS) return failed(stats, 'too-large', 'TOO_LARGE');
    const reply = ev.tags.find((t) => t[0] === 'e' && typeof t[1] === 'string' && HEX64.test(t[1]))?.[1];
    if (stats) stats.opened++;
    return {
      ok: true,
      message: { id: ev.id, sender: ev.pubkey, peer, direction: out ? 'out' : 'in', text, createdAt: ev.created_at, kind: 4, legacy: true, eventId: ev.id, ...(reply ? { replyTo: reply } : {}) }
    };
  } catch (e) {
    return fromError(e, stats);
  }
}

// ------------------------------------------------------------------------------------- relays

/**
 * NIP-42 for the DM-relay pool only: signs kind 22242 (`relay`, `challenge`) with the identity.
 * Many DM relays serve kind 1059 only to the authenticated `p`. Never give this to the envelope pool.
 */
export function nip42Auth(signer: Signer, nowSeconds: () => number = () => Math.floor(Date.now() / 1000)): (challenge: string, relayUrl: string) => Promise<NostrEvent> {
  return async (challenge, relayUrl) => {
    const ev = await signer.signEvent({ kind: 22242, created_at: nowSeconds(), tags: [['relay', relayUrl], ['challenge', challenge]], content: '' });
    return { id: ev.id, pubkey: ev.pubkey, created_at: ev.created_at, kind: ev.kind, tags: ev.tags, content: ev.content, sig: ev.sig };
  };
}

/**
 * The DM-relay pool: its own sockets to my kind 10050 relays, authenticating with NIP-42 as me when
 * a relay asks (unless `authenticate: false`). Gift-wrap subscriptions run here and nowhere else.
 */
export function createDmRelayPool(relays: readonly string[], opts: Omit<PoolOptions, 'auth'> & { signer: Signer; authenticate?: boolean }): RelayPool {
  const { signer, authenticate, ...poolOpts } = opts;
  return new RelayPool(cleanRelaysLenient(relays), { ...poolOpts, ...(authenticate === false ? {} : { auth: nip42Auth(signer) }) });
}

/**
 * A pool for PUBLISHING wraps to other people's DM relays: never authenticates, so the peer's
 * relay is not told who the sender is (the wrap's throwaway key hides it; a NIP-42 AUTH as me on
 * that socket would give it back). Separate from the envelope pool too: a wrap names the peer.
 */
export function createNip17PublishPool(opts: Omit<PoolOptions, 'auth'>): RelayPool {
  const { ...poolOpts } = opts as PoolOptions;
  delete poolOpts.auth;
  return new RelayPool([], poolOpts);
}

/**
 * The `since` for a gift-wrap catch-up after the newest wrap seen at `lastSeen` (seconds): wraps are
 * backdated up to two days (NIP-59), so look that far back plus an hour of clock skew.
 */
export function giftWrapSince(lastSeen: number): number {
  return Math.max(0, lastSeen - TIMESTAMP_JITTER_SECONDS - 3600);
}

/** Filters for my gift wraps (and, with `legacy`, kind 4 DMs to and from me). DM-relay pool only. */
export function giftWrapFilters(me: string, opts: { since?: number; legacy?: boolean; limit?: number } = {}): Filter[] {
  if (!HEX64.test(me)) throw new VeilError('INVALID_INPUT', 'pubkey must be 64 hex');
  const extra = { ...(opts.since !== undefined ? { since: opts.since } : {}), ...(opts.limit !== undefined ? { limit: opts.limit } : {}) };
  const filters: Filter[] = [{ kinds: [GIFT_WRAP_KIND], '#p': [me], ...extra }];
  if (opts.legacy) filters.push({ kinds: [LEGACY_DM_KIND], '#p': [me], ...extra }, { kinds: [LEGACY_DM_KIND], authors: [me], ...extra });
  return filters;
}

/**
 * Subscribes to my gift wraps on the DM-relay pool. Events arrive verified by the pool (id and
 * signature) and once each; open them with openIncomingGiftWrap (kind 1059) or legacyNip04 (kind 4).
 */
export function subscribeGiftWraps(
  dmPool: RelayPool,
  me: string,
  handlers: { onevent(event: TrustedEvent, relays: ReadonlySet<string>): void; oneose?(): void },
  opts: { since?: number; legacy?: boolean; limit?: number; relays?: string[] } = {}
): PoolSubscription {
  return dmPool.subscribe(giftWrapFilters(me, opts), handlers, opts.relays ? { relays: opts.relays } : {});
}

/**
 * Reads the newest kind 10050 list of each of `pubkeys` (at most 256) from `pool` (a public pool:
 * this reveals interest in those authors, as any profile lookup does). Resolves after EOSE of every
 * relay (or the pool's EOSE timeout). Authors without a list are absent from the map.
 */
export async function fetchDmRelays(pool: RelayPool, pubkeys: readonly string[], opts: { relays?: string[] } = {}): Promise<Map<string, DmRelayList>> {
  const authors = [...new Set(pubkeys)];
  for (const a of authors) if (!HEX64.test(a)) throw new VeilError('INVALID_INPUT', 'pubkey must be 64 hex');
  if (authors.length > 256) throw new VeilError('TOO_LARGE', 'too many authors');
  const out = new Map<string, DmRelayList>();
  if (authors.length === 0) return out;
  await new Promise<void>((resolve) => {
    const sub = pool.subscribe(
      [{ kinds: [DM_RELAYS_KIND], authors }],
      {
        onevent: (ev) => {
          if (!authors.includes(ev.pubkey)) return;
          try {
            const list = parseDmRelayList(ev);
            out.set(list.pubkey, newerDmRelayList(out.get(list.pubkey), list));
          } catch {
            // not a list: ignored
          }
        },
        oneose: () => {
          sub.close();
          resolve();
        }
      },
      opts.relays ? { relays: opts.relays } : {}
    );
  });
  return out;
}

/**
 * Signs and publishes my kind 10050 list (NIP-17: to my outbox/public relays and to the DM relays
 * themselves, so senders find it). Returns the event and the per-relay results.
 */
export async function publishDmRelayList(
  pool: RelayPool,
  signer: Signer,
  dmRelays: readonly string[],
  opts: { nowSeconds: number; publishTo?: string[] }
): Promise<{ event: TrustedEvent; results: PublishResult[] }> {
  const event = await signer.signEvent(buildDmRelayList(dmRelays, opts.nowSeconds));
  const list = parseDmRelayList(event);
  const targets = [...new Set([...(opts.publishTo ?? pool.relays), ...list.relays])];
  const results = await pool.publish(event, { relays: targets });
  return { event, results };
}
