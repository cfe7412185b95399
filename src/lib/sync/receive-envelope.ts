/**
 * The envelope receiver (docs/design.md §4 "Reading"; spec 0005 §Receiving): a kind 1067 event from a
 * bucket I read, verified by the envelope pool; from a shared bucket only when its pair tag names a
 * sender I know, from my intro bucket by trial open; then unwrapped with this device's EK, finished
 * (inner event verified, addressed to me) and turned into an IncomingMessage for the inbound pipeline.
 */
import { trustEvent, type IdCheckedEvent, type TrustedEvent } from '../shared/trusted-event';
import type { PrefilterVerdict } from '../relay/pool';
import { decodeContactCard, type ContactCard } from '../crypto/card';
import { hexToBytes } from '../shared/bytes';
import type { NostrEvent } from '../relay/types';
import { envelopePairTag, finishOpen, trialOpen } from '../crypto/envelope';
import { HEX64, tagValue, type SyncContext } from './context';
import type { IncomingMessage, InboundPipeline, Opened } from './inbound';
import { outerEvent } from './outer';
import { markIncoming } from './disappearing';
import { FILE_KIND, parseFile, type Nip17File } from '../crypto/nip17';
import { fileMessage } from './stored-content';
import type { PlanEntry } from './plan';
import type { ScanCrypto } from './scan';

/** Inner-event tag carrying the sender's contact card (docs/design.md §4: "the first envelope … carries the sender's contact card"). */
export const CARD_TAG = 'veil-card';
/** Inner-event tag naming the sending device's EK, so the receiver knows which EK reads pair mailboxes from it. */
export const EK_TAG = 'veil-ek';
/** Inner-event tag of a contact list for my other devices (contact-sync.ts; value: format version). */
export const CONTACTS_TAG = 'veil-contacts';
/** Seen ids are kept this long when the event names no expiration of its own (ms). */
export const SEEN_FALLBACK_MS = 31 * 86_400_000;
/** A relay-given expiration is believed at most this far ahead (ms). */
const MAX_SEEN_MS = 100 * 86_400_000;
/** Not for me (another EK, a forged author) or garbage: only ever in the pipeline's memory LRU, never in the store. */
const JUNK: Opened = { ok: false, code: 'DECRYPT_FAILED' };
/** A deferred envelope whose signature failed: dropped, and not remembered by its id. */
const FORGED: Opened = { ok: false, code: 'FORGED' };

export interface EnvelopeReceiverDeps {
  pipeline: InboundPipeline;
  /** The scan's ECDH and (for deferred intro envelopes) its event verifier, as the pool uses it. */
  scan?: Pick<ScanCrypto, 'ecdh'> & Partial<Pick<ScanCrypto, 'verifyEvent'>>;
  /** What the `p` tag is on `relay` (a bucket or my intro bucket of the read plan); undefined if neither. */
  classify(relay: string, tag: string): PlanEntry | undefined;
  /** EKs (hex) that may write to me: contacts' devices and my other devices. */
  senders(): readonly string[];
  /** The identity a sender EK belongs to (a contact, or me for my other devices); undefined if unknown. */
  ownerOf?(ek: string): string | undefined;
  /** A contact list from a device of mine (contact-sync.ts). */
  onContactList?(inner: TrustedEvent): Promise<void>;
}

/** The inner event as an IncomingMessage; undefined for a note to self (not a conversation yet). */
function envelopeMessage(inner: TrustedEvent, me: string, pairFrom: string | undefined): IncomingMessage | undefined {
  const sender = inner.pubkey;
  const outgoing = sender === me;
  const named = inner.tags.filter((t) => t[0] === 'p' && HEX64.test(t[1] ?? '')).map((t) => t[1]!);
  const peer = outgoing ? named.find((p) => p !== me) : sender;
  if (!peer) return undefined;
  const m: IncomingMessage = { id: inner.id, protocol: 'veil', sender, peer, direction: outgoing ? 'out' : 'in', kind: inner.kind, createdAt: inner.created_at, body: inner.content };
  if (inner.kind === FILE_KIND) {
    // A file message: its metadata kept as one stored tag, a label as its text (as NIP-17's kind 15).
    let file: Nip17File;
    try {
      file = parseFile(inner);
    } catch {
      return undefined; // signed but malformed: nothing to show or fetch
    }
    Object.assign(m, fileMessage(file));
  }
  const replyTo = tagValue(inner.tags, 'e');
  if (replyTo) m.replyTo = replyTo;
  markIncoming(m, inner.tags);
  if (!outgoing) {
    const card = tagValue(inner.tags, CARD_TAG);
    let c: ContactCard | undefined;
    try {
      c = card ? decodeContactCard(card) : undefined;
    } catch {
      c = undefined; // a bad card does not make the (signed) message invalid
    }
    if (c) m.card = c;
    const ek = tagValue(inner.tags, EK_TAG) ?? pairFrom;
    if (ek) m.senderEk = ek;
  }
  return m;
}

/** An envelope that may be mine: sorted at arrival, opened later in the inbound queue. */
/** An envelope that may be mine, verified (`signed`) or deferred by the pool with only its id checked. */
export type EnvelopeCandidate = ({ outer: TrustedEvent; signed: true } | { outer: IdCheckedEvent; signed: false }) & {
  relay: string;
  entry: PlanEntry;
  /** Shared bucket: the sender EK whose pair tag matched. */
  pairFrom?: string;
};

/** Where an outer event belongs, from its own bytes: not one of my mailboxes, someone else's, or mine to open. */
type Sorted = { kind: 'invalid' } | { kind: 'not-mine' } | { kind: 'candidate'; entry: PlanEntry; pairFrom?: string };

function sortOuter(ctx: SyncContext, deps: Pick<EnvelopeReceiverDeps, 'classify' | 'senders'>, outer: Readonly<NostrEvent>, relay: string): Sorted {
  const mailbox = tagValue(outer.tags, 'p');
  const entry = mailbox ? deps.classify(relay, mailbox) : undefined;
  if (outer.kind !== 1067 || !entry) return { kind: 'invalid' };
  if (entry.kind !== 'bucket') return { kind: 'candidate', entry };
  // A shared bucket holds everyone's envelopes: mine are the ones whose nonce is the pair tag of a
  // sender I know (spec 0004 §Recognising), found with one HMAC per sender and no curve operation.
  const nonce = envelopePairTag(outer);
  const pairFrom = nonce && HEX64.test(outer.pubkey) ? ctx.pairKeys.matchSender(deps.senders(), entry.day, hexToBytes(outer.pubkey, 32), nonce) : undefined;
  return pairFrom ? { kind: 'candidate', entry, pairFrom } : { kind: 'not-mine' };
}

/**
 * Before the signature check (issue 12 §3, spec 0005 §Reading): false for an envelope in a shared
 * bucket whose pair tag names no sender I know, which the pool then drops unverified. Level 0 has
 * one bucket that every reader reads, so nearly all of it is other people's mail (and cover), and
 * its BIP-340 check was most of the scan. Only that drop is decided on unverified bytes, each event
 * judged by its own content (nothing is remembered by id, so a forged copy cannot hide the real
 * one); whatever passes is verified by the pool before dedupe, storage or display, and sorted again.
 * A catch-up still counts what was dropped (the pool's `onskipped`), so a bucket fuller than a
 * page is read on, page after page, as before.
 */
export function mayBeMine(ctx: SyncContext, deps: Pick<EnvelopeReceiverDeps, 'classify' | 'senders'>, shaped: Readonly<NostrEvent>, relay: string): PrefilterVerdict {
  const s = sortOuter(ctx, deps, shaped, relay);
  if (s.kind === 'not-mine') {
    ctx.counters.notMine++;
    return false;
  }
  // My intro bucket: trial-opened before its signature is checked (openEnvelope), as most of it is
  // other people's first contacts and junk, which then cost no signature check at all.
  return s.kind === 'candidate' && s.entry.kind === 'intro' ? 'defer' : true;
}

/**
 * The cheap half of receiving, run as the event arrives (no curve operation, no storage): the kind,
 * which mailbox of the read plan it is in, and in a shared bucket whether its pair tag names a
 * sender I know. Only what passes is queued, so other people's mail never takes a queue slot.
 * `outer` is verified, or (`signed` false: my intro bucket, deferred by the pool) id-checked only.
 */
export function sortEnvelope(ctx: SyncContext, deps: Pick<EnvelopeReceiverDeps, 'classify' | 'senders'>, outer: TrustedEvent | IdCheckedEvent, relay: string, signed = true): EnvelopeCandidate | undefined {
  const s = sortOuter(ctx, deps, outer, relay);
  if (s.kind === 'invalid') {
    ctx.counters.invalidEvents++;
    return undefined;
  }
  if (s.kind === 'not-mine') {
    ctx.counters.notMine++;
    return undefined;
  }
  const c: EnvelopeCandidate = signed ? { outer: outer as TrustedEvent, signed: true, relay, entry: s.entry } : { outer: outer as IdCheckedEvent, signed: false, relay, entry: s.entry };
  if (s.pairFrom) c.pairFrom = s.pairFrom;
  return c;
}

/** The costly half: the trial open (one ECDH), finishing, and the pipeline. */
export function openEnvelope(ctx: SyncContext, deps: EnvelopeReceiverDeps): (c: EnvelopeCandidate) => Promise<void> {
  return async (c) => {
    const { outer, relay, entry, pairFrom } = c;
    const exp = Number(tagValue(outer.tags, 'expiration'));
    const nowMs = ctx.now();
    const expiresAt = Number.isSafeInteger(exp) && exp > 0 ? Math.min(exp * 1000, nowMs + MAX_SEEN_MS) : nowMs + SEEN_FALLBACK_MS;
    await deps.pipeline.receive(outer.id, expiresAt, async (): Promise<Opened> => {
      const u = await trialOpen(outer, ctx.ek, deps.scan ? { ecdh: deps.scan.ecdh } : undefined);
      if (!u) return JUNK;
      // An intro envelope was not looked up in the seen set before its trial-open (most are not mine):
      // one that unwraps is, before it is opened further or counted as mail for me.
      if (entry.kind === 'intro' && (await ctx.store.hasSeen(outer.id))) {
        ctx.counters.duplicates++;
        return { ok: true };
      }
      // Deferred by the pool: the signature now, before anything of it is opened, deduped or stored.
      // A bad one is not remembered (a copy with the real signature may follow, under the same id).
      let trusted: TrustedEvent;
      if (c.signed) trusted = c.outer;
      else {
        const t = trustEvent(c.outer, deps.scan?.verifyEvent ? { verifier: deps.scan.verifyEvent } : {});
        if (!t.ok) {
          ctx.counters.invalidEvents++;
          return FORGED;
        }
        trusted = t.event;
      }
      try {
        const opened = await finishOpen({ ...u, outer: trusted }, ctx.me, { schnorr: ctx.curve.verifySchnorr });
        if (opened.type === 'cover') return { ok: true };
        // A pair tag proves which EK sealed it: the inner author must own that EK (spec 0004 §Recognising),
        // so a contact's device cannot speak for someone else.
        const owner = pairFrom ? deps.ownerOf?.(pairFrom) : undefined;
        if (owner !== undefined && opened.event.pubkey !== owner) return JUNK;
        if (opened.event.kind === 14 && opened.event.tags.some((t) => t[0] === CONTACTS_TAG)) {
          // Believed only from a device of mine: written by me, with the pair tag of an EK my record lists.
          if (owner === ctx.me) await deps.onContactList?.(opened.event);
          return { ok: true };
        }
        const m = envelopeMessage(opened.event, ctx.me, pairFrom);
        ctx.identityGate.mine(); // no identity lookup may follow this within the quiet period
        if (m) m.outer = outerEvent(trusted, entry.kind, opened.event.created_at, [relay]);
        return m ? { ok: true, message: m } : { ok: true };
      } catch {
        return JUNK;
      }
    }, { seenFirst: entry.kind !== 'intro' });
  };
}

/** Both halves at once (tests, and callers without a queue). */
export function envelopeReceiver(ctx: SyncContext, deps: EnvelopeReceiverDeps): (outer: TrustedEvent, relay: string) => Promise<void> {
  const open = openEnvelope(ctx, deps);
  return async (outer, relay) => {
    const c = sortEnvelope(ctx, deps, outer, relay);
    if (c) await open(c);
  };
}
