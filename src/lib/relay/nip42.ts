/**
 * NIP-42 on one relay connection (./connection.ts), on demand only. A challenge from the relay is
 * stored (a newer one replaces it) and signs nothing by itself. Only when the relay refuses something
 * with `auth-required:` (a CLOSED subscription or an `OK false` publish, also after strfry's "ERROR: ")
 * is the stored challenge signed, at most once per challenge, and at most `perMinute` times a minute
 * per connection across reconnects; past that the state reads `limited` (and `authLimited` counts)
 * and the waiting work waits for the limit to allow one more signature (a publish until its timeout). A relay that refuses again after we signed its current challenge gets no second
 * signature: the refusal is final. Relay text never makes the identity sign in a loop.
 */
import type { NostrEvent } from './types';

/** Signatures per connection per minute, by default. */
export const DEFAULT_AUTH_PER_MINUTE = 3;
const MINUTE_MS = 60_000;

/**
 * `none`: no challenge yet; `challenged`: a challenge is stored, nothing signed for it; `signing` /
 * `sent`: waiting for the signer / the relay's OK; `accepted`; `refused` (by the signer or the relay);
 * `limited`: a signature was due but the per-minute limit was reached.
 */
export type AuthState = 'none' | 'challenged' | 'signing' | 'sent' | 'accepted' | 'refused' | 'limited';

/** Work refused with auth-required: resumed once the relay accepts our AUTH, or failed with a reason. */
export interface AuthWaiter {
  resume(): void;
  fail(message: string): void;
}

export interface AuthCounters {
  /** AUTH events signed (identity signatures). */
  authSigned: number;
  /** Times a signature was due but the per-minute limit refused it. */
  authLimited: number;
}

export interface AuthHost {
  readonly url: string;
  readonly sign: (challenge: string, relayUrl: string) => Promise<NostrEvent>;
  readonly perMinute: number;
  readonly counters: AuthCounters;
  now(): number;
  send(msg: unknown[]): void;
  /** The state changed (for status listeners). */
  changed(): void;
}

const SIGNER_REFUSED = 'auth-required: signer refused';

/** See the module comment. One per RelayConnection; reset() on every new socket. */
export class AuthSession {
  readonly #h: AuthHost;
  #state: AuthState = 'none';
  #challenge: string | undefined;
  /** The challenge we signed last on this socket (each is signed at most once). */
  #signed: string | undefined;
  #eventId: string | undefined;
  #signing = false;
  #socket = 0;
  #later: ReturnType<typeof setTimeout> | undefined;
  readonly #waiters = new Set<AuthWaiter>();
  /** When each recent signature was made (ms), kept across sockets for the rate limit. */
  readonly #times: number[] = [];

  constructor(host: AuthHost) {
    this.#h = host;
  }

  get state(): AuthState {
    return this.#state;
  }

  /** A new socket (or none): the old challenge, AUTH and waiters are gone (subscriptions are re-sent anyway). */
  reset(): void {
    clearTimeout(this.#later);
    this.#later = undefined;
    this.#socket++;
    this.#state = 'none';
    this.#challenge = this.#signed = this.#eventId = undefined;
    this.#signing = false;
    this.#waiters.clear();
  }

  /** `["AUTH", challenge]` from the relay: stored; signed only if something is waiting for it. */
  challenge(challenge: string): void {
    this.#challenge = challenge;
    if (this.#state === 'none') this.#state = 'challenged';
    if (this.#waiters.size > 0 && !this.#inFlight() && challenge !== this.#signed) this.#sign();
  }

  /**
   * The relay refused `w`'s work with auth-required. False when we will not authenticate for it (the
   * current challenge was signed already): the refusal is final. Otherwise `w` is resumed or failed later.
   */
  need(w: AuthWaiter): boolean {
    if (this.#challenge !== undefined && this.#challenge === this.#signed && !this.#inFlight()) return false;
    this.#waiters.add(w);
    if (!this.#inFlight() && this.#challenge !== undefined) this.#sign();
    return true;
  }

  /** need() for a waiter made of `resume` and `fail`; the waiter, or null when the refusal is final. */
  waitFor(resume: () => void, fail: (message: string) => void): AuthWaiter | null {
    const w: AuthWaiter = { resume, fail };
    return this.need(w) ? w : null;
  }

  /** Forgets a waiter whose work ended another way (unsubscribed, timed out). */
  drop(w: AuthWaiter): void {
    this.#waiters.delete(w);
  }

  /** An OK frame: true when it answers our AUTH (then it is handled here). */
  answered(eventId: string, ok: boolean, message: string): boolean {
    if (this.#eventId === undefined || eventId !== this.#eventId) return false;
    this.#eventId = undefined;
    this.#state = ok ? 'accepted' : 'refused';
    if (ok) {
      const ws = [...this.#waiters];
      this.#waiters.clear();
      for (const w of ws) w.resume();
    } else {
      this.#failAll(message.startsWith('auth-required:') ? message : `auth-required: ${message}`);
    }
    this.#h.changed();
    return true;
  }

  #inFlight(): boolean {
    return this.#signing || this.#eventId !== undefined;
  }

  #sign(): void {
    const h = this.#h;
    const now = h.now();
    while (this.#times.length > 0 && now - this.#times[0]! >= MINUTE_MS) this.#times.shift();
    if (this.#times.length >= h.perMinute) {
      h.counters.authLimited++;
      this.#state = 'limited';
      this.#signWhenAllowed(this.#times[0]! + MINUTE_MS - now);
      h.changed();
      return;
    }
    this.#times.push(now);
    const challenge = this.#challenge!;
    this.#signed = challenge;
    this.#signing = true;
    this.#state = 'signing';
    h.counters.authSigned++;
    const socket = this.#socket;
    h.sign(challenge, h.url).then(
      (event) => {
        if (socket !== this.#socket) return;
        this.#signing = false;
        this.#eventId = event.id;
        this.#state = 'sent';
        h.send(['AUTH', event]);
      },
      () => {
        if (socket !== this.#socket) return;
        this.#signing = false;
        this.#state = 'refused';
        this.#failAll(SIGNER_REFUSED);
        h.changed();
      }
    );
  }

  /** One timer: when the limit allows another signature, sign if something still waits for one. */
  #signWhenAllowed(ms: number): void {
    if (this.#later) return;
    this.#later = setTimeout(() => {
      this.#later = undefined;
      if (this.#waiters.size > 0 && !this.#inFlight() && this.#challenge !== undefined && this.#challenge !== this.#signed) this.#sign();
    }, ms);
  }

  #failAll(message: string): void {
    const ws = [...this.#waiters];
    this.#waiters.clear();
    for (const w of ws) w.fail(message);
  }
}
