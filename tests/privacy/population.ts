/**
 * The simulated population (DESIGN.md §8): N people, each the project's own `Messenger` (own
 * fake-indexeddb store, LocalSigner, EK, and its own loopback IP), living the world of world.ts
 * through the observing proxy (observer.ts) in front of real local relays (scripts/relay.mjs):
 * two envelope relays and one lookup relay. Event-driven: the virtual clock (clock.ts) jumps to the
 * next human action or due timer, the action runs, and the network is left to settle at real speed.
 *
 * protocol 'veil': Veil users find each other by inbox record and talk by envelope.
 * protocol 'nip17': the same Messenger, but the proxy refuses inbox records (kind 11067), so every
 * contact is reached through its kind 10050 list by NIP-17 (peer-lookup.ts startChat, send.ts).
 *
 * Ground truth (who sent which message to whom, when, and the outer event ids from the outbox
 * entries the sender's Messenger writes to its store) is kept apart from the log.
 */
import { bytesToHex, randomBytes } from '../../src/lib/shared/bytes';
import { envelopeKey } from '../../src/lib/crypto/envelope';
import { generateSecretKey, getXOnlyPublicKey } from '../../src/lib/crypto/keys';
import { LocalSigner } from '../../src/lib/crypto/signer';
import { VeilStore } from '../../src/lib/store/db';
import type { OutboxInput } from '../../src/lib/store/types';
import type { CoverRate } from '../../src/lib/camouflage/schedule';
import { Messenger, type MessengerDeps } from '../../src/lib/sync/messenger';
import { entrySide } from '../../src/lib/sync/outbox';
import { startRelay, type TestRelay } from '../helpers/relay';
import { freshPlatform, TEST_ITERATIONS } from '../helpers/store-idb';
import { VirtualClock, type Timers } from './clock';
import { startObserver, webSocketFrom, type LogRecord } from './observer';
import { DAY, MINUTE, messageText, planWorld, sessionAt, type WorldConfig, type WorldPlan } from './world';

export type Protocol = 'veil' | 'nip17';
export type Mode = 'live' | 'private';

export interface TruthMessage {
  /** Inner (rumor) id, the same at both ends. */
  id: string;
  from: number;
  to: number;
  /** Virtual ms when the sender pressed send. */
  ms: number;
  /** Outer events (envelopes / gift wraps) addressed to the recipient, per relay. */
  outer: { id: string; relay: string }[];
  /** Outer events that are copies for the sender's own devices. */
  self: string[];
  delivered: boolean;
}

export interface Truth {
  users: { ip: string; pubkey: string }[];
  graph: [number, number][];
  messages: TruthMessage[];
  /** Pairs that exchanged at least one message (a < b): the social graph the attacks must not find. */
  edges: [number, number][];
  start: number;
  days: number;
}

export interface WorldRun {
  protocol: Protocol;
  mode: Mode;
  log: LogRecord[];
  truth: Truth;
  envelopeRelays: string[];
  lookupRelays: string[];
  /** Real seconds the run took. */
  seconds: number;
  /** Background errors reported by the messengers (code → count). */
  errors: Record<string, number>;
}

interface SimUser {
  i: number;
  ip: string;
  pubkey: string;
  store: VeilStore;
  m: Messenger;
  online: boolean;
  /** Outbox entries written by this user's Messenger, by message id. */
  outbox: Map<string, OutboxInput[]>;
}

type Action = { t: number; kind: 'on' | 'off'; user: number } | { t: number; kind: 'send'; user: number; to: number; conv: number; k: number; length: number };

/** How long the network must be silent (real ms) before the next action; and the longest wait. */
const QUIET_MS = 30;
const SETTLE_CAP_MS = 4_000;
/** Least real wait per step (see #settle). */
const SETTLE_MIN_MS = 5;
/** Actions this close together (virtual ms) run in one step. */
const BATCH_MS = 2_000;
/** After the last day: how long (real ms) to wait for the last messages to arrive. */
const FINAL_WAIT_MS = 30_000;
/** Virtual time the final wait may run on (Private mode: slots and polls). */
const FINAL_VIRTUAL_MS = 2 * 3_600_000;

export interface RunOptions extends WorldConfig {
  protocol: Protocol;
  mode?: Mode;
  /** Live mode's cover rate (default 'off': Live mode as issue 9 measures it). */
  cover?: CoverRate;
  /** Progress lines (script only). */
  progress?: (line: string) => void;
}

export async function runWorld(opts: RunOptions): Promise<WorldRun> {
  const t0 = Date.now();
  const plan = planWorld(opts);
  const mode = opts.mode ?? 'live';
  // Virtual day 0 starts at a UTC midnight far enough back that the run never reaches the real clock.
  const start = Math.floor((Date.now() - (plan.days + 2) * DAY) / DAY) * DAY;
  const clock = new VirtualClock(start);
  const relays: TestRelay[] = await Promise.all([startRelay(), startRelay(), startRelay()]);
  const obs = await startObserver(
    relays.map((r) => r.url),
    { clock: clock.now, ...(opts.protocol === 'nip17' ? { refuseKinds: [11067] } : {}) }
  );
  const envelopeRelays = obs.urls.slice(0, 2);
  const lookupRelays = obs.urls.slice(2);
  const errors: Record<string, number> = {};
  const users: SimUser[] = [];
  try {
    for (let i = 0; i < plan.users; i++) users.push(await makeUser(i, { clock: clock.now, timers: clock.timers, mode, cover: opts.cover ?? 'off', envelopeRelays, lookupRelays, errors }));
    const truth: Truth = { users: users.map((u) => ({ ip: u.ip, pubkey: u.pubkey })), graph: plan.graph, messages: [], edges: [], start, days: plan.days };
    const driver = new Driver(plan, users, truth, clock, obs, start);
    await driver.run(opts.progress);
    const pairs = new Set(truth.messages.map((m) => (m.from < m.to ? `${m.from}-${m.to}` : `${m.to}-${m.from}`)));
    truth.edges = [...pairs].map((p) => p.split('-').map(Number) as [number, number]);
    return { protocol: opts.protocol, mode, log: obs.log, truth, envelopeRelays, lookupRelays, seconds: (Date.now() - t0) / 1000, errors };
  } finally {
    for (const u of users) {
      await u.m.stop().catch(() => {});
      u.store.close();
    }
    clock.dispose();
    await obs.close();
    await Promise.all(relays.map((r) => r.stop()));
  }
}

async function makeUser(
  i: number,
  w: { clock: () => number; timers: Timers; mode: Mode; cover: CoverRate; envelopeRelays: string[]; lookupRelays: string[]; errors: Record<string, number> }
): Promise<SimUser> {
  const sk = generateSecretKey();
  const pubkey = bytesToHex(getXOnlyPublicKey(sk));
  const ip = `127.0.0.${10 + i}`;
  const store = await VeilStore.open(freshPlatform(), `privacy-${i}`);
  await store.setupVault('correct horse battery staple', { iterations: TEST_ITERATIONS });
  // Ground truth from the sender's own device: every outbox entry as it is written (whenever the
  // code seals and queues it), so outer ids are known even when publishing happens much later.
  const outbox = new Map<string, OutboxInput[]>();
  const keep = (entries: readonly OutboxInput[]): void => {
    for (const e of entries) if (e.messageId) outbox.set(e.messageId, [...(outbox.get(e.messageId) ?? []), e]);
  };
  const addOutgoing = store.addOutgoing.bind(store);
  const enqueueOutbox = store.enqueueOutbox.bind(store);
  store.addOutgoing = (message, entries) => {
    keep(entries);
    return addOutgoing(message, entries);
  };
  store.enqueueOutbox = (input) => {
    keep([input]);
    return enqueueOutbox(input);
  };
  const deps = {
    store,
    signer: new LocalSigner(sk),
    identity: pubkey,
    deviceId: bytesToHex(randomBytes(8)),
    ek: envelopeKey(generateSecretKey()),
    WebSocket: webSocketFrom(ip),
    relays: w.envelopeRelays,
    nowMs: w.clock,
    deviceLabel: `user ${i}`,
    queryTimeoutMs: 3_000,
    timers: w.timers,
    mode: w.mode,
    coverRate: w.cover,
    lookupRelays: w.lookupRelays
  } satisfies MessengerDeps;
  const m = await Messenger.create(deps);
  m.on((e) => {
    if (e.type === 'error') w.errors[e.code] = (w.errors[e.code] ?? 0) + 1;
  });
  return { i, ip, pubkey, store, m, online: false, outbox };
}

class Driver {
  readonly #queue: Action[] = [];
  readonly #waiting: { msg: TruthMessage; conv: number; k: number; length: number }[] = [];

  constructor(
    readonly plan: WorldPlan,
    readonly users: SimUser[],
    readonly truth: Truth,
    readonly clock: VirtualClock,
    readonly obs: { lastFrameAt(): number; pending(): number },
    readonly start: number
  ) {
    plan.sessions.forEach((list, user) => {
      for (const s of list) this.#queue.push({ t: start + s.start, kind: 'on', user }, { t: start + s.end, kind: 'off', user });
    });
    for (const c of plan.conversations) this.#queue.push({ t: start + c.at, kind: 'send', user: c.a, to: c.b, conv: c.id, k: 0, length: c.length });
    // Finally everyone comes online once more, so every message sent gets its chance to arrive.
    for (let u = 0; u < plan.users; u++) this.#queue.push({ t: start + plan.end + u * MINUTE, kind: 'on', user: u });
    this.#sort();
  }

  #sort(): void {
    this.#queue.sort((a, b) => a.t - b.t);
  }

  async run(progress?: (line: string) => void): Promise<void> {
    let day = -1;
    const t0 = Date.now();
    const finalAt = this.start + this.plan.end + this.plan.users * MINUTE + 10 * MINUTE;
    while (this.#queue.length > 0 || this.clock.now() < finalAt) {
      const due = this.clock.nextDue();
      const next = Math.min(this.#queue[0]?.t ?? finalAt, due ?? Infinity);
      this.clock.advanceTo(next);
      const now = this.clock.now();
      const d = Math.floor((now - this.start) / DAY);
      if (d !== day && progress) progress(`day ${(day = d)}: ${this.truth.messages.length} messages after ${Math.round((Date.now() - t0) / 1000)} s`);
      const batch: Action[] = [];
      while (this.#queue[0] && this.#queue[0].t <= now + BATCH_MS) batch.push(this.#queue.shift()!);
      // Different people act at once; one person's actions stay in order.
      const byUser = new Map<number, Action[]>();
      for (const a of batch) byUser.set(a.user, [...(byUser.get(a.user) ?? []), a]);
      await Promise.all([...byUser.values()].map(async (list) => {
        for (const a of list) await this.#act(a);
      }));
      await this.#settle();
      await this.#checkSeen();
      if (this.#queue.length === 0 && now >= finalAt) break;
    }
    // Everyone online at the end; then wait (at most FINAL_WAIT_MS) until every message has arrived.
    await Promise.all(this.users.map((u) => this.#act({ t: this.clock.now(), kind: 'on', user: u.i })));
    const deadline = Date.now() + FINAL_WAIT_MS;
    // Private mode delivers in send slots and polls minutes apart: let virtual time run on (timers
    // fire as their time comes) for up to FINAL_VIRTUAL_MS while waiting.
    const virtualEnd = this.clock.now() + FINAL_VIRTUAL_MS;
    for (;;) {
      await this.#settle();
      for (const m of this.truth.messages) m.delivered ||= !!(await this.users[m.to]!.store.getMessage(m.id));
      if (Date.now() > deadline || this.truth.messages.every((m) => m.delivered)) break;
      const due = this.clock.nextDue();
      if (due !== undefined && due <= virtualEnd) this.clock.advanceTo(due);
      await pause(due !== undefined && due <= virtualEnd ? 0 : 50);
    }
    for (const m of this.truth.messages)
      for (const e of this.users[m.from]!.outbox.get(m.id) ?? [])
        for (const it of e.items) {
          if (entrySide(e.id) === 'self') m.self.push(it.event.id);
          else m.outer.push({ id: it.event.id, relay: it.relay });
        }
  }

  async #act(a: Action): Promise<void> {
    const u = this.users[a.user]!;
    if (a.kind === 'on') {
      if (u.online) return;
      u.online = true;
      await u.m.start();
    } else if (a.kind === 'off') {
      if (!u.online) return;
      u.online = false;
      await u.m.stop();
    } else if (a.kind === 'send') await this.#send(u, a);
  }

  /** Delays an action to `user`'s next session (plus a human moment); dropped when none is left. */
  #later(a: Action, user: number, delay: number): void {
    const s = sessionAt(this.plan, user, this.clock.now() - this.start);
    if (!s) return;
    a.t = this.start + Math.max(s.start, this.clock.now() - this.start) + delay;
    this.#queue.push(a);
    this.#sort();
  }

  async #send(u: SimUser, a: Extract<Action, { kind: 'send' }>): Promise<void> {
    if (!u.online) return this.#later(a, a.user, MINUTE + this.plan.replyDelay());
    const peer = this.users[a.to]!;
    let cid: string;
    const contact = await u.store.getContact(peer.pubkey);
    if (!contact) {
      try {
        cid = await u.m.startChat(peer.pubkey);
      } catch {
        return; // e.g. NO_DM_RELAYS: the peer never came online; this conversation does not happen
      }
    } else {
      cid = await u.store.conversationIdFor([peer.pubkey]);
      if (contact.state === 'request') await u.m.accept(peer.pubkey);
    }
    const id = await u.m.send(cid, messageText(a.conv, a.k, 10 + ((a.conv * 37 + a.k * 11) % 140)));
    const msg: TruthMessage = { id, from: a.user, to: a.to, ms: this.clock.now(), outer: [], self: [], delivered: false };
    this.truth.messages.push(msg);
    if (a.k + 1 < a.length) this.#waiting.push({ msg, conv: a.conv, k: a.k, length: a.length });
  }

  /** A message the receiver has now (while online) is read; the reply follows after a human delay. */
  async #checkSeen(): Promise<void> {
    for (let i = this.#waiting.length - 1; i >= 0; i--) {
      const w = this.#waiting[i]!;
      const r = this.users[w.msg.to]!;
      if (!r.online || !(await r.store.getMessage(w.msg.id))) continue;
      this.#waiting.splice(i, 1);
      const reply: Action = { t: this.clock.now() + this.plan.replyDelay(), kind: 'send', user: w.msg.to, to: w.msg.from, conv: w.conv, k: w.k + 1, length: w.length };
      this.#queue.push(reply);
      this.#sort();
    }
  }

  /** Waits until no frame crossed the proxy for QUIET_MS (real), at most SETTLE_CAP_MS. */
  async #settle(): Promise<void> {
    const start = Date.now();
    const cap = start + SETTLE_CAP_MS;
    // At least SETTLE_MIN_MS, so what a fired timer starts (a slot's publish, a poll) reaches the
    // proxy and is logged at its own virtual time, not after the next jump (which would stamp two
    // relays' slots 23 virtual seconds apart in the same millisecond).
    // And while a fired timer's promised work runs (clock.ts `busy`: a slot sealing under load can
    // outlast QUIET_MS without a frame).
    while (Date.now() < cap && (Date.now() - start < SETTLE_MIN_MS || Date.now() - this.obs.lastFrameAt() < QUIET_MS || this.obs.pending() > 0 || this.clock.busy > 0)) {
      await pause(10);
    }
  }
}

function pause(ms: number): Promise<void> {
  return new Promise<void>((resolve) => setTimeout(resolve, ms).unref?.());
}
