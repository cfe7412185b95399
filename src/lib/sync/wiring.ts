/**
 * How the parts of the messenger are connected (messenger.ts is the facade over them): one
 * SyncContext, the four socket roles, routing state, the inbound pipeline with its two receivers,
 * the subscriptions that feed it, the outbox queue and its publish router, my relays.
 */
import { bytesToHex } from '../shared/bytes';
import { VeilError, isVeilError } from '../shared/errors';
import type { EnvelopeKey } from '../crypto/envelope';
import type { Signer } from '../crypto/signer';
import type { VeilStore } from '../store';
import { HEX64, emitChanged, type SyncContext } from './context';
import { InboundPipeline } from './inbound';
import { newNip17Stats, type Nip17Stats } from './nip17';
import { OutboxQueue } from './outbox-queue';
import { OwnProfile } from './own-profile';
import { OwnRecord } from './own-record';
import { PeerLookup } from './peer-lookup';
import { Peers, storePeerRepo } from './peers';
import { mayBeMine, openEnvelope, sortEnvelope, type EnvelopeCandidate, type EnvelopeReceiverDeps } from './receive-envelope';
import { nip17Receiver } from './receive-nip17';
import { DmRelayList, EnvelopeRelays } from './relays';
import type { ScanCrypto } from './scan';
import { jsCurve } from '../crypto/curve';
import { sendText, type SendDeps } from './send';
import { Disappearing } from './disappearing-timer';
import { timerNotice } from './disappearing';
import { cleanRelayList } from './plan';
import { CoverSchedule, type CoverRate } from '../camouflage/schedule';
import { Cover } from './cover';
import { PublishSlots } from './slots';
import { Sockets } from './sockets';
import { Subscriptions } from './subscriptions';
import { CatchUpProgress } from './catch-up-progress';
import { IdentityGate } from './identity-gate';
import { LockedInbox } from './locked-read';
import { ContactSync } from './contact-sync';
import { PairKeys } from './pair-keys';
import { DEFAULT_PRIVACY, type PrivacyMode } from './privacy-settings';
import { DEFAULT_TIMING, realTimers, type Timers, type TrafficTiming } from './timing';
import type { MessengerEvent } from './types';

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
  /** For NIP-11 relay information and file downloads. */
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
  scan?: Pick<ScanCrypto, 'ecdh' | 'verifyEvent'> & Partial<Pick<ScanCrypto, 'curve'>>;
  /**
   * Relays for identity-linked lookups (inbox records, profiles, DM relay lists) and my own record
   * (spec 0005 §Roles): by default NOT the envelope relays. Empty or absent: the envelope relays.
   */
  lookupRelays?: string[];
  /** Timers in the clock of `nowMs` (the adversary suite runs simulated days). Default: real timers. */
  timers?: Timers;
  /** The delays of the traffic rules (timing.ts DEFAULT_TIMING); tests shorten them. */
  timing?: Partial<TrafficTiming>;
  /** Mode and record choice until the user saves their own (privacy-settings.ts). */
  mode?: PrivacyMode;
  publishRecord?: boolean;
  /** Live mode's cover rate until the user saves their own (default 'default'). */
  coverRate?: CoverRate;
}

export interface Parts {
  ctx: SyncContext;
  sockets: Sockets;
  relays: EnvelopeRelays;
  peers: Peers;
  own: OwnRecord;
  lookup: PeerLookup;
  inbound: InboundPipeline;
  subs: Subscriptions;
  outbox: OutboxQueue;
  dm: DmRelayList;
  /** My public kind 0 (lookup relays, ownRecord sockets, identity gate). */
  profile: OwnProfile;
  sendDeps: SendDeps;
  nip17Stats: Nip17Stats;
  slots: PublishSlots;
  cover: Cover;
  liveCover: CoverSchedule;
  /** Disappearing messages: each chat's timer and the sweeper. */
  disappearing: Disappearing;
  /** What the service worker kept while locked, and its plan (locked-read.ts). */
  lockedInbox: LockedInbox;
  /** How far the running catch-up is (catch-up-progress.ts). */
  progress: CatchUpProgress;
}

/** `{ [key]: value }` when value is defined, else `{}` (exactOptionalPropertyTypes). */
function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** Builds every part; nothing is loaded and no socket opened yet. */
export function wireParts(deps: MessengerDeps, hooks: { emit(e: MessengerEvent): void; running(): boolean }): Parts {
  if (!HEX64.test(deps.identity)) throw new VeilError('INVALID_KEY', 'identity must be 64 hex');
  const now = deps.nowMs ?? Date.now;
  // Subscriptions are built last (they need the receivers); the closures below reach them here.
  const late: { subs?: Subscriptions; contactSync?: ContactSync } = {};
  const timers = deps.timers ?? realTimers;
  const timing: TrafficTiming = { ...DEFAULT_TIMING, ...deps.timing };
  const ctx: SyncContext = {
    store: deps.store,
    signer: deps.signer,
    me: deps.identity,
    ek: deps.ek,
    ekHex: bytesToHex(deps.ek.publicKey),
    counters: { notMine: 0, openFailures: 0, invalidEvents: 0, duplicates: 0 },
    curve: deps.scan?.curve ?? jsCurve,
    pairKeys: new PairKeys(deps.ek),
    timers,
    timing,
    identityGate: new IdentityGate(now, timers, timing),
    privacy: { ...DEFAULT_PRIVACY, ...opt('mode', deps.mode), ...opt('publishRecord', deps.publishRecord), ...opt('coverRate', deps.coverRate) },
    now,
    nowS: () => Math.floor(now() / 1000),
    emit: (e) => {
      hooks.emit(e);
      if (e.type === 'devices') void late.contactSync?.devicesChanged(); // a new device of mine learns my contacts
    },
    fail: (e) => hooks.emit(isVeilError(e) ? { type: 'error', code: e.code, message: e.message } : { type: 'error', code: 'INTERNAL', message: 'unexpected error' }),
    running: hooks.running,
    resubscribe: () => late.subs?.schedule()
  };
  // A key held in this page signs on the same curve as the seals (crypto/signer.ts `useCurve`).
  deps.signer.useCurve?.(ctx.curve);
  const relayList = new EnvelopeRelays(deps.store);
  const relays = (): string[] => relayList.list();
  const sockets = new Sockets(deps, deps.signer);
  // Identity-linked REQs (every one on the sockets that name me, by author on the public ones) wait for the gate right before they are written.
  sockets.beforeReq = (send) => ctx.identityGate.beforeReq(send, { reads: ctx.privacy.mode === 'private' });
  // Identity-linked traffic goes to the lookup relays, by default not the envelope relays (spec 0005 §Roles).
  const configuredLookup = cleanRelayList(deps.lookupRelays ?? []);
  const lookupRelays = (): string[] => (configuredLookup.length > 0 ? configuredLookup : relayList.list());
  const publicPool = () => sockets.public(lookupRelays());
  const ownPool = () => sockets.ownRecord(lookupRelays());
  const peers = new Peers(storePeerRepo(deps.store));
  const own = new OwnRecord(ctx, {
    deviceId: deps.deviceId,
    ...opt('deviceLabel', deps.deviceLabel),
    ...opt('origin', deps.origin),
    relays,
    lookupRelays,
    ownPool,
    publish: () => ctx.privacy.publishRecord
  });
  const lookup = new PeerLookup(ctx, { peers, own, relays: lookupRelays, publicPool, ownPool });
  const disappearing: Disappearing = new Disappearing(ctx, {
    sendControl: async (cid, seconds) => {
      const id = await sendText(ctx, sendDeps, cid, timerNotice(seconds), { control: seconds });
      emitChanged(ctx, cid);
      outbox.kick(false);
      return id;
    }
  });
  const inbound = new InboundPipeline(ctx, { peers, lookup, disappearing });
  const dm: DmRelayList = new DmRelayList(ctx, { lookupRelays, ownPool, dmReadPool: () => sockets.dmReadIfOpen(), changed: () => late.subs?.giftWraps() });
  const profile = new OwnProfile(ctx, { lookupRelays, ownPool, openOwn: () => lookup.openOwn() });
  const nip17Stats = newNip17Stats();
  const senders = (): string[] => [...own.otherDevices().map((d) => d.ek), ...peers.deviceEks()];
  const envelopeDeps: EnvelopeReceiverDeps = { pipeline: inbound, ...opt('scan', deps.scan), classify: (r, tag) => late.subs?.classify(r, tag),
    senders,
    ownerOf: (ek) => (own.otherDevices().some((d) => d.ek === ek) ? ctx.me : peers.ownerOf(ek)),
    onContactList: async (inner) => void (await late.contactSync?.receive(inner))
  };
  const onEnvelope = openEnvelope(ctx, envelopeDeps);
  const onGiftWrap = nip17Receiver(ctx, { pipeline: inbound, stats: nip17Stats });
  // A flooding relay's events beyond what its lane holds are refused before their signature check.
  sockets.admitEnvelope = (relay) => inbound.admitEnvelope(relay);
  // Someone else's mail in a shared bucket is dropped before its signature check (issue 12 §3).
  sockets.prefilterEnvelope = (relay, event) => mayBeMine(ctx, envelopeDeps, event, relay);
  const progress = new CatchUpProgress(timers, now, (p) => hooks.emit({ type: 'catch-up', progress: p }));
  const queueEnvelope = (c: EnvelopeCandidate | undefined, relay: string, done: () => void): void => {
    if (!c) return done();
    const release = ctx.identityGate.hold('arrived');
    const over = (): void => (release(), done());
    inbound.enqueueEnvelope(relay, { run: () => onEnvelope(c).finally(over), dropped: over });
  };
  const subs = (late.subs = new Subscriptions(ctx, {
    sockets,
    senders,
    relays,
    dmRelays: () => dm.list(),
    // Until it is classified and opened (or dropped), an arrived envelope holds identity-linked traffic back.
    // Sorted as it arrives (other people's mail never takes a queue slot), opened in the queue.
    onEnvelope: (ev, relay, done = () => {}) => queueEnvelope(sortEnvelope(ctx, envelopeDeps, ev, relay), relay, done),
    onDeferredEnvelope: (ev, relay, done = () => {}) => queueEnvelope(sortEnvelope(ctx, envelopeDeps, ev, relay, false), relay, done),
    // Gift wraps have their own queue: a slow signer never holds an envelope up.
    onGiftWrap: (ev, relay, done = () => {}) => inbound.enqueueDm(relay ?? '', { run: () => onGiftWrap(ev, relay).finally(done), dropped: done }),
    afterQueued: (task) => inbound.enqueue(task),
    afterEnvelopes: (task) => inbound.afterEnvelopes(task),
    waitingFrom: (relay) => inbound.envelopesWaiting(relay),
    // Dropped or failed (not stored): either way that read must be repeated, so its read point stays.
    droppedFrom: (queue, relay) => {
      const q = inbound.stats()[queue];
      return (q.droppedBy[relay] ?? 0) + (q.failedBy[relay] ?? 0);
    },
    publicSubscribe: () => ctx.identityGate.run(() => lookup.subscribe(), 0, ctx.fail, { prepare: () => lookup.openPublic() }),
    progress
  }));
  const outbox = new OutboxQueue({
    store: deps.store,
    now,
    publish: (event, relay, group) => sockets.publish(event, relay, group),
    onDelivery: (conversationId) => hooks.emit({ type: 'messages', conversationId }),
    onError: ctx.fail
  });
  const cover = new Cover(ctx, { readTag: (relay, day, kind) => subs.readTag(relay, day, kind) });
  const liveCover: CoverSchedule = new CoverSchedule({
    timers: ctx.timers,
    now: ctx.now,
    send: async (relay) => {
      const ev = await cover.envelope(relay);
      if (ev) await sockets.publishEnvelopeNow(ev, relay);
    },
    // When in a session this device sends, kept across app starts (cover.ts loads it).
    onLearn: () => void cover.saveSessionShape(liveCover.shape.state()).catch(ctx.fail)
  });
  // Private mode's slots follow the same learned shape of when this device writes (one habit, either mode).
  const slots = new PublishSlots(ctx, {
    publishNow: (event, relay) => sockets.publishEnvelopeNow(event, relay),
    relays,
    cover: (relay) => cover.envelope(relay),
    shape: liveCover.shape,
    onLearn: () => void cover.saveSessionShape(liveCover.shape.state()).catch(ctx.fail)
  });
  const sendDeps: SendDeps = { peers, own, lookup, relays, dmRelays: () => dm.list(), cover, timer: disappearing };
  late.contactSync = new ContactSync(ctx, {
    own,
    relays,
    enqueue: async (entry) => {
      await deps.store.enqueueOutbox(entry);
      outbox.kick(false);
    },
    follow: async (pubkey) => void (await peers.get(pubkey)),
    unfollow: (pubkey) => peers.unfollow(pubkey)
  });
  const lockedInbox = new LockedInbox(deps.store, () => relayList.list(), deps.ek.publicKey, () => ctx.nowS());
  return { ctx, sockets, relays: relayList, peers, own, lookup, inbound, subs, outbox, dm, profile, sendDeps, nip17Stats, slots, cover, liveCover, disappearing, lockedInbox, progress };
}
