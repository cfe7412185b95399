/**
 * One socket to one relay (docs/design.md §4, §6): a small state machine (connecting → open →
 * error/closed), reconnection with capped exponential backoff and CSPRNG jitter, open
 * subscriptions re-sent after a reconnect, publish with an OK wait, and defensive parsing of
 * every frame (./frames.ts): oversized, non-JSON or wrongly shaped frames are counted and ignored.
 *
 * Events are passed up raw (`unknown`): verifying them is the pool's job (./pool.ts), which
 * does it before anything else. NIP-42 AUTH only with an `auth` callback (Veil's envelope sockets
 * never give one, so they never authenticate as the user), and then only on demand (./nip42.ts):
 * a subscription or publish refused with `auth-required:` is resumed (re-sent once) after the AUTH.
 * With a `reqGate` every REQ, re-sends too, is written only when the gate lets it go.
 * Relay text alone triggers no work: a NOTICE changes no state and reaches status listeners at most
 * once a second; CLOSED, EOSE and OK for ids we do not have are counted or ignored.
 */
import { randomFloat } from '../shared/bytes';
import { backoffDelay } from './backoff';
import type { ConnectionCounters, ConnectionOptions, ConnectionStatus, ConnectionSubscriptionHandlers } from './connection-types';
import { parseRelayFrame } from './frames';
import { AuthSession, DEFAULT_AUTH_PER_MINUTE, type AuthWaiter } from './nip42';
import { cleanRelayText, okResult, parseRejection } from './reasons';
import { Throttle } from './throttle';
import type { Filter, NostrEvent, PublishResult, RelayRejection, RelayState, WebSocketLike } from './types';

export { backoffDelay, type BackoffOptions } from './backoff';
export type { ConnectionCounters, ConnectionOptions, ConnectionStatus, ConnectionSubscriptionHandlers } from './connection-types';

export const DEFAULT_MAX_MESSAGE_LENGTH = 512 * 1024;
/** NOTICEs reach status listeners at most this often (ms). */
export const NOTICE_STATUS_MS = 1_000;
const OPEN = 1;

interface SubState {
  filters: Filter[];
  handlers: ConnectionSubscriptionHandlers;
  eosed: boolean;
  /** The socket its REQ was last written on (a CLOSE goes only where a REQ went). */
  sentOn?: WebSocketLike;
  /** Refused with auth-required; re-sent once the AUTH is accepted. */
  authWaiter?: AuthWaiter;
}

interface PendingOk {
  onOk(ok: boolean, message: unknown): void;
  onLost(why: string): void;
}

type Timer = ReturnType<typeof setTimeout>;

/** A single relay socket that keeps itself connected while wanted. See the module comment. */
export class RelayConnection {
  readonly url: string;
  private readonly opts: ConnectionOptions;
  private readonly maxMessageLength: number;
  private readonly now: () => number;
  private ws: WebSocketLike | null = null;
  private state: RelayState = 'closed';
  private wanted = false;
  private attempt = 0;
  private openedAt: number | undefined;
  private retryTimer: Timer | undefined;
  private connectTimer: Timer | undefined;
  private nextRetryAt: number | undefined;
  private error: string | undefined;
  private lastSeen: number | undefined;
  private lastNotice: string | undefined;
  /** Status listeners hear of NOTICEs at most once per NOTICE_STATUS_MS, the latest one last. */
  private readonly notices = new Throttle(NOTICE_STATUS_MS, () => this.emit());
  private readonly authn: AuthSession | null;
  private readonly counters: ConnectionCounters = { garbage: 0, oversized: 0, unknownSubscription: 0, handlerErrors: 0, notices: 0, authChallenges: 0, authSigned: 0, authLimited: 0 };
  private readonly subs = new Map<string, SubState>();
  private readonly pendingOk = new Map<string, Set<PendingOk>>();
  private readonly openWaiters = new Set<{ opened(): void; failed(why: string): void }>();
  private readonly listeners = new Set<(s: ConnectionStatus) => void>();

  /** `url` must already be normalized (./url.ts). */
  constructor(url: string, opts: ConnectionOptions) {
    this.url = url;
    this.opts = opts;
    this.maxMessageLength = opts.maxMessageLength ?? DEFAULT_MAX_MESSAGE_LENGTH;
    this.now = opts.now ?? Date.now;
    const sign = opts.auth;
    const perMinute = opts.authPerMinute ?? DEFAULT_AUTH_PER_MINUTE;
    const host = { url, sign: sign!, perMinute, counters: this.counters, now: () => this.now(), send: (m: unknown[]) => this.send(m), changed: () => this.emit() };
    this.authn = sign ? new AuthSession(host) : null;
  }

  /** A snapshot of state, errors and counters. */
  status(): ConnectionStatus {
    return {
      url: this.url,
      state: this.state,
      connected: this.state === 'open',
      error: this.error,
      lastSeen: this.lastSeen,
      lastNotice: this.lastNotice,
      ...(this.authn ? { auth: this.authn.state } : {}),
      attempts: this.attempt,
      nextRetryAt: this.nextRetryAt,
      counters: { ...this.counters }
    };
  }

  /** Calls `listener` with a snapshot on every state change (NOTICEs: at most once a second). Returns an unsubscribe function. */
  onStatus(listener: (s: ConnectionStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Opens the socket if it is not open or opening, and keeps it open until close(). */
  connect(): void {
    this.wanted = true;
    if (this.ws || this.retryTimer) return;
    this.openSocket();
  }

  /** Closes the socket for good: no reconnection; pending publishes resolve as unreachable. */
  close(): void {
    this.wanted = false;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.nextRetryAt = undefined;
    this.notices.cancel();
    this.authn?.reset();
    const ws = this.ws;
    if (ws) this.detach(ws, true);
    this.lost('closed by us');
    this.subs.clear();
  }

  /** Sends REQ now if open (and again after every reconnect) until unsubscribe() or CLOSED; through `reqGate` when given. */
  subscribe(subId: string, filters: Filter[], handlers: ConnectionSubscriptionHandlers): void {
    const sub: SubState = { filters, handlers, eosed: false };
    this.subs.set(subId, sub);
    if (this.state === 'open') this.sendReq(subId, sub);
    else this.connect();
  }

  /** Forgets a subscription and sends CLOSE if the socket is open. */
  unsubscribe(subId: string): void {
    const sub = this.subs.get(subId);
    if (!sub) return;
    if (sub.authWaiter) this.authn?.drop(sub.authWaiter);
    this.subs.delete(subId);
    if (this.state === 'open' && sub.sentOn === this.ws) this.send(['CLOSE', subId]);
  }

  /**
   * Sends an event and waits for the relay's OK. While the relay is down between retries this
   * answers `unreachable` at once instead of waiting for the next attempt. Refused with
   * `auth-required:` on a connection that authenticates, it is re-sent once after the AUTH.
   */
  publish(event: NostrEvent, timeoutMs = 10_000): Promise<PublishResult> {
    const relay = this.url;
    if (this.state === 'error' && this.retryTimer) {
      return Promise.resolve({ relay, status: 'unreachable', message: this.error ?? 'relay is down' });
    }
    this.connect();
    return new Promise((resolve) => {
      let settled = false;
      let authWaiter: AuthWaiter | null = null;
      let authTried = false;
      let waitingAuth = false; // the relay's further OKs for this id are ignored meanwhile
      const pending: PendingOk = {
        onOk: (ok, message) => {
          if (waitingAuth) return;
          const result = okResult(relay, ok, message);
          if (result.status === 'rejected' && result.reason === 'auth-required' && this.authn && !authTried) {
            authTried = waitingAuth = true;
            const resend = () => ((waitingAuth = false), this.send(['EVENT', event]));
            authWaiter = this.authn.waitFor(resend, (m) => finish({ relay, status: 'rejected', reason: 'auth-required', message: m }));
            if (authWaiter) return;
            waitingAuth = false;
          }
          finish(result);
        },
        onLost: (why) => finish({ relay, status: 'unreachable', message: why })
      };
      const waiter = {
        opened: () => {
          this.openWaiters.delete(waiter);
          let set = this.pendingOk.get(event.id);
          if (!set) this.pendingOk.set(event.id, (set = new Set()));
          set.add(pending);
          this.send(['EVENT', event]);
        },
        failed: (why: string) => finish({ relay, status: 'unreachable', message: why })
      };
      const timer = setTimeout(() => finish({ relay, status: 'timeout' }), timeoutMs);
      const finish = (result: PublishResult): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (authWaiter) this.authn?.drop(authWaiter);
        this.openWaiters.delete(waiter);
        const set = this.pendingOk.get(event.id);
        set?.delete(pending);
        if (set?.size === 0) this.pendingOk.delete(event.id);
        resolve(result);
      };
      if (this.state === 'open') waiter.opened();
      else this.openWaiters.add(waiter);
    });
  }

  private openSocket(): void {
    this.nextRetryAt = undefined;
    this.setState('connecting');
    let ws: WebSocketLike;
    try {
      ws = new this.opts.WebSocket(this.url);
    } catch {
      this.lost('could not create a socket');
      return;
    }
    this.ws = ws;
    this.connectTimer = setTimeout(() => this.ws === ws && this.drop(ws, 'connect timeout'), this.opts.connectTimeoutMs ?? 10_000);
    ws.onopen = () => this.ws === ws && this.opened();
    ws.onmessage = (ev: { data?: unknown }) => this.ws === ws && this.receive(ev?.data);
    ws.onerror = () => this.ws === ws && this.drop(ws, 'socket error');
    ws.onclose = (ev: { code?: unknown }) =>
      this.ws === ws && this.drop(ws, `socket closed (code ${typeof ev?.code === 'number' ? ev.code : '?'})`);
  }

  private opened(): void {
    clearTimeout(this.connectTimer);
    this.openedAt = this.now();
    this.error = undefined;
    this.authn?.reset();
    this.setState('open');
    for (const [subId, sub] of this.subs) {
      sub.eosed = false;
      sub.authWaiter = undefined;
      this.sendReq(subId, sub);
    }
    for (const w of [...this.openWaiters]) w.opened();
  }

  /**
   * Stops listening to `ws` and closes it. Its error handler stays a no-op rather than none: closing
   * a socket that is still connecting makes Node's `ws` emit an error later, and an error event with
   * no listener would end the process (the service worker and tests run this code outside a page).
   */
  private detach(ws: WebSocketLike, close: boolean): void {
    ws.onopen = ws.onmessage = ws.onclose = null;
    ws.onerror = () => {};
    this.ws = null;
    if (close) {
      try {
        ws.close();
      } catch {
        // already closed
      }
    }
  }

  private drop(ws: WebSocketLike, why: string): void {
    this.detach(ws, true);
    this.lost(why);
  }

  /** The socket is gone: fail what waited on it, then retry later if still wanted. */
  private lost(why: string): void {
    clearTimeout(this.connectTimer);
    if (this.openedAt !== undefined && this.now() - this.openedAt >= (this.opts.backoff?.stableMs ?? 10_000)) this.attempt = 0;
    this.openedAt = undefined;
    for (const set of [...this.pendingOk.values()]) for (const p of [...set]) p.onLost(`connection lost: ${why}`);
    for (const w of [...this.openWaiters]) w.failed(why);
    if (!this.wanted) {
      this.setState('closed');
      return;
    }
    this.error = why;
    const delay = backoffDelay(
      this.attempt++,
      this.opts.backoff?.baseMs ?? 1000,
      this.opts.backoff?.maxMs ?? 60_000,
      this.opts.random ?? randomFloat
    );
    this.nextRetryAt = this.now() + delay;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.wanted) this.openSocket();
    }, delay);
    this.setState('error');
  }

  private setState(state: RelayState): void {
    this.state = state;
    this.emit();
  }

  private emit(): void {
    const s = this.status();
    for (const l of [...this.listeners]) this.guard(() => l(s));
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch {
      this.counters.handlerErrors++;
    }
  }

  /**
   * Writes a subscription's REQ on the current socket, or hands it to `reqGate` first: written when
   * the gate says so, in the same turn as its last check, if the subscription and socket are the same.
   */
  private sendReq(subId: string, sub: SubState): void {
    const ws = this.ws;
    let written = false;
    const write = (): void => {
      if (written || !ws || this.ws !== ws || this.subs.get(subId) !== sub) return;
      written = true;
      sub.sentOn = ws;
      this.send(['REQ', subId, ...sub.filters]);
      this.guard(() => sub.handlers.onsent?.());
    };
    if (!this.opts.reqGate) return write();
    this.opts.reqGate(sub.filters, write);
    if (!written) this.guard(() => sub.handlers.onheld?.());
  }

  private send(msg: unknown[]): void {
    const ws = this.ws;
    if (!ws || ws.readyState !== OPEN) return;
    try {
      ws.send(JSON.stringify(msg));
    } catch {
      this.drop(ws, 'send failed');
    }
  }

  /** Handles one frame (./frames.ts parses it). Nothing in here may throw: bad input is counted and ignored. */
  private receive(data: unknown): void {
    this.lastSeen = this.now();
    const f = parseRelayFrame(data, this.maxMessageLength);
    switch (f.type) {
      case 'garbage':
      case 'oversized':
        this.counters[f.type]++;
        return;
      case 'EVENT': {
        const sub = this.subs.get(f.subId);
        if (!sub) return void this.counters.unknownSubscription++;
        return this.guard(() => sub.handlers.onevent(f.raw));
      }
      case 'EOSE': {
        const sub = this.subs.get(f.subId);
        if (!sub) return void this.counters.unknownSubscription++;
        if (sub.eosed) return;
        sub.eosed = true;
        return this.guard(() => sub.handlers.oneose?.());
      }
      case 'OK': {
        if (this.authn?.answered(f.eventId, f.ok, cleanRelayText(f.message))) return;
        for (const p of [...(this.pendingOk.get(f.eventId) ?? [])]) p.onOk(f.ok, f.message);
        return;
      }
      case 'CLOSED': {
        const sub = this.subs.get(f.subId);
        if (!sub) return void this.counters.unknownSubscription++;
        if (sub.authWaiter) return; // already waiting for the AUTH: a repeated CLOSED changes nothing
        const rejection = parseRejection(f.message);
        if (rejection.reason === 'auth-required' && this.waitForAuth(f.subId, sub)) return;
        return this.closedBy(f.subId, sub, rejection);
      }
      case 'NOTICE': {
        this.counters.notices++;
        this.lastNotice = cleanRelayText(f.message);
        return this.notices.poke();
      }
      case 'AUTH':
        this.counters.authChallenges++;
        return this.authn?.challenge(f.challenge); // stored; signed only when something needs it
      case 'ignored':
        return; // COUNT, NEG-*, future types: not ours
    }
  }

  /** A subscription refused with auth-required waits for the AUTH (true), or the refusal is final (false). */
  private waitForAuth(subId: string, sub: SubState): boolean {
    const live = () => this.subs.get(subId) === sub;
    const resume = () => live() && ((sub.authWaiter = undefined), this.sendReq(subId, sub));
    const w = this.authn?.waitFor(resume, (message) => live() && this.closedBy(subId, sub, { reason: 'auth-required', message }));
    if (w && live()) sub.authWaiter = w;
    return !!w;
  }

  private closedBy(subId: string, sub: SubState, rejection: RelayRejection): void {
    this.subs.delete(subId);
    this.guard(() => sub.handlers.onclosed?.(rejection));
  }
}
