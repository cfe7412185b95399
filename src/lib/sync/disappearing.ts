/**
 * Disappearing messages (issue 15 §2; docs/proposals/0005-traffic.md §Disappearing messages): the
 * rules, as pure functions. The sweeper and the per-chat setting are in disappearing-timer.ts.
 *
 * - A chat's timer is agreed INSIDE the chat: setting it sends a control message, a kind 14 whose
 *   text says what changed (what any NIP-17 client shows) and whose tag `["veil-timer", seconds]`
 *   Veil reads; both sides store it as a system line and adopt the newest setting (by created_at).
 * - The timer applies to messages sent after it was set, and each message carries its own expiry,
 *   a NIP-40 `["expiration", t]` inside the signed inner event (envelope) or the rumor (NIP-17), so a
 *   late message expires when its sender meant, whatever the receiver's setting is by then.
 * - The expiry counts from when the message was SENT (created_at + timer), on both ends. Signal
 *   counts from when it was read on the receiver; that needs read state the sender cannot see, and
 *   the relay copies must expire at a time fixed when they are sealed. So: one deadline for every
 *   copy, local or relay, which the sender knows and states.
 * - What relays store expires no later: the envelope's (or gift wrap's) NIP-40 expiration is the
 *   expiry rounded DOWN to a grid (`relayExpiration`), so the outer event names a grid point, not
 *   the second the message was sent (which would undo the created_at spread).
 */
import { isTimer, timerLabel, type TimerSeconds } from '../shared/timer-choices';
import { HEX64 } from './context';
import type { IncomingMessage } from './inbound';
import { SYSTEM_KIND, SYSTEM_TAG } from './stored-content';

/** Inner-event (rumor) tag of a control message: the new timer in seconds. */
export const TIMER_TAG = 'veil-timer';
export { TIMER_CHOICES, isTimer, timerLabel, type TimerSeconds } from '../shared/timer-choices';
const EXPIRATION_TAG = 'expiration';
/** Grid steps of the relay expiration (seconds): the largest that is at most a quarter of the timer. */
const GRID = [86_400, 3_600, 900, 60, 15] as const;

/** The system line of a control message: "You set messages to disappear after 1 minute" / "Alice turned off …". */
export function timerLine(who: string, seconds: TimerSeconds): string {
  return seconds === 0 ? `${who} turned off disappearing messages` : `${who} set messages to disappear after ${timerLabel(seconds).toLowerCase()}`;
}

/** The text a control message carries, for clients that do not read its tag. */
export function timerNotice(seconds: TimerSeconds): string {
  return seconds === 0
    ? 'Disappearing messages are off. (Set in Veil.)'
    : `Disappearing messages: ${timerLabel(seconds).toLowerCase()}. Messages sent from now on disappear ${timerLabel(seconds).toLowerCase()} after they are sent. (Set in Veil.)`;
}

/**
 * The NIP-40 expiration for the relays' copy of a message that expires at `expiry` under a timer of
 * `timer` seconds: `expiry` rounded DOWN to the largest grid step (15 s, 1 min, 15 min, 1 h, 1 day)
 * that is at most a quarter of the timer. So it is never later than the expiry, and the relay copy
 * still lives at least three quarters of the timer after the send (expiry − timer ≥ nowS).
 */
export function relayExpiration(expiry: number, timer: number, nowS: number): number {
  const step = GRID.find((g) => g <= timer / 4) ?? 1;
  const rounded = Math.floor(expiry / step) * step;
  return rounded > nowS ? rounded : expiry;
}

/** What a sender adds to a message under a timer: the inner tag, the local expiry (ms), the relays' expiration (s). */
export function expiryFor(createdAt: number, timer: number, nowS: number): { tag: string[]; expiresAtMs: number; relayExpiration: number } {
  const expiry = createdAt + timer;
  return { tag: [EXPIRATION_TAG, String(expiry)], expiresAtMs: expiry * 1000, relayExpiration: relayExpiration(expiry, timer, nowS) };
}

function tagNumber(tags: readonly (readonly string[])[], name: string): number | undefined {
  const v = tags.find((t) => t[0] === name)?.[1];
  if (v === undefined || !/^[0-9]{1,12}$/.test(v)) return undefined;
  return Number(v);
}

/**
 * Reads a received inner event's (or rumor's) tags: its expiry (ms; an `expiration` not after its
 * created_at is refused as nonsense) and, for a control message, the timer it sets. `fallback`: a
 * gift wrap's own expiration (NIP-17 senders may put it only there).
 */
export function readDisappearing(tags: readonly (readonly string[])[], createdAt: number, fallback?: readonly (readonly string[])[]): { expiresAt?: number; timer?: TimerSeconds } {
  const out: { expiresAt?: number; timer?: TimerSeconds } = {};
  const exp = tagNumber(tags, EXPIRATION_TAG) ?? (fallback ? tagNumber(fallback, EXPIRATION_TAG) : undefined);
  if (exp !== undefined && exp > createdAt) out.expiresAt = exp * 1000;
  const timer = tagNumber(tags, TIMER_TAG);
  if (isTimer(timer)) out.timer = timer;
  return out;
}

/** The tags a stored control message keeps (a system line: stored-content.ts). */
export function timerTags(seconds: TimerSeconds): string[][] {
  return [[SYSTEM_TAG, 'timer'], [TIMER_TAG, String(seconds)]];
}

/** The timer a stored system line set, if it is one. */
export function storedTimer(tags: readonly (readonly string[])[]): TimerSeconds | undefined {
  const t = tagNumber(tags, TIMER_TAG);
  return isTimer(t) ? t : undefined;
}

/** A conversation's setting as stored (`sync.timer.<id>`), and who set it when. */
export interface ChatTimer {
  seconds: TimerSeconds;
  /** Who set it (hex pubkey); absent when never set. */
  by?: string;
  /** created_at of the control message that set it. */
  at: number;
}

export function parseChatTimer(raw: unknown): ChatTimer {
  const r = raw as Partial<ChatTimer> | undefined;
  if (!r || typeof r !== 'object' || !isTimer(r.seconds) || typeof r.at !== 'number') return { seconds: 0, at: 0 };
  return { seconds: r.seconds, at: r.at, ...(typeof r.by === 'string' && HEX64.test(r.by) ? { by: r.by } : {}) };
}

/** What a send adds for disappearing messages: a control message, or the chat's timer (seconds, 0 = none). */
export interface SendExtras {
  control?: TimerSeconds;
  timer?: number;
}

/**
 * Applies `x` to the tags of the inner event (or rumor) about to be signed, created at `createdAt`:
 * a control message gets its tag and is stored as a system line; a message under a timer gets its
 * expiration, and the expiry the store and the relays' copies use.
 */
export function applyExtras(
  tags: string[][],
  createdAt: number,
  nowS: number,
  x: SendExtras | undefined
): { expiresAtMs?: number; relayExpiration?: number; stored?: { kind: number; tags: string[][] } } {
  if (x?.control !== undefined) {
    tags.push([TIMER_TAG, String(x.control)]);
    return { stored: { kind: SYSTEM_KIND, tags: timerTags(x.control) } };
  }
  if (!x?.timer) return {};
  const e = expiryFor(createdAt, x.timer, nowS);
  tags.push(e.tag);
  return { expiresAtMs: e.expiresAtMs, relayExpiration: e.relayExpiration };
}

/**
 * What a receiver does with the tags of an opened kind 14 (or 15): a control message becomes a
 * system line that sets the timer (and never disappears itself); any other message keeps its expiry.
 */
export function markIncoming(m: IncomingMessage, tags: readonly (readonly string[])[], fallback?: readonly (readonly string[])[]): void {
  if (m.kind !== 14 && m.kind !== 15) return;
  const d = readDisappearing(tags, m.createdAt, fallback);
  if (d.timer !== undefined && m.kind === 14) {
    m.timer = d.timer;
    m.kind = SYSTEM_KIND;
    m.tags = timerTags(d.timer);
  } else if (d.expiresAt !== undefined) m.expiresAt = d.expiresAt;
}
