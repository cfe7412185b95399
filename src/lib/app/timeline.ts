/**
 * What a conversation shows between and inside its messages, as pure functions: the rows of the
 * timeline (day separators, the "Unread messages" divider), where the unread messages start, and
 * the links in a message's text. Tested in tests/unit/timeline.test.ts.
 */
import type { ChatMessage } from '$lib/sync/types';
import { m } from '../paraglide/messages';
import { dateFormat } from './date-format';

export type TimelineRow =
  | { kind: 'day'; key: string; label: string }
  | { kind: 'unread'; key: 'unread' }
  | { kind: 'message'; key: string; message: ChatMessage };

/** A local calendar day, e.g. "2026-12-01" (the device's time zone). */
export function dayKey(seconds: number): string {
  const d = new Date(seconds * 1000);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** "Today", "Yesterday", or the date (with the year when it is not this year's). */
export function dayLabel(seconds: number, nowSeconds: number): string {
  const key = dayKey(seconds);
  if (key === dayKey(nowSeconds)) return m.day_today();
  const yesterday = new Date(nowSeconds * 1000);
  yesterday.setDate(yesterday.getDate() - 1);
  if (key === dayKey(yesterday.getTime() / 1000)) return m.day_yesterday();
  const d = new Date(seconds * 1000);
  const sameYear = d.getFullYear() === new Date(nowSeconds * 1000).getFullYear();
  return dateFormat({ weekday: 'long', month: 'long', day: 'numeric', ...(sameYear ? {} : { year: 'numeric' }) }).format(d);
}

/**
 * The id of the first unread message: the `unread`-th incoming message counted from the newest
 * (system lines and my own messages are never unread). Undefined when nothing is unread; the oldest
 * incoming message shown when fewer are loaded than are unread.
 */
export function firstUnreadId(messages: readonly ChatMessage[], unread: number): string | undefined {
  if (unread <= 0) return undefined;
  let seen = 0;
  let oldest: string | undefined;
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (m.direction !== 'in' || m.system) continue;
    oldest = m.id;
    if (++seen === unread) return m.id;
  }
  return oldest;
}

/**
 * The timeline is rebuilt over every loaded message on each change (10,000 in a long chat): the day of
 * a message object and the label of a day (toLocaleDateString is slow) are remembered between builds.
 */
const messageDays = new WeakMap<ChatMessage, string>();
const dayLabels = new Map<string, string>();

function labelOf(k: string, seconds: number, now: number, today: string): string {
  const key = `${k} ${today}`; // "Today" and "Yesterday" move with the date
  let label = dayLabels.get(key);
  if (label === undefined) {
    if (dayLabels.size >= 4096) dayLabels.clear();
    dayLabels.set(key, (label = dayLabel(seconds, now)));
  }
  return label;
}

/** The rows shown, oldest first: a separator before each new day, the divider before the first unread. */
export function timeline(messages: readonly ChatMessage[], opts: { firstUnread?: string | undefined; now: number }): TimelineRow[] {
  const rows: TimelineRow[] = [];
  const today = dayKey(opts.now);
  let day = '';
  for (const m of messages) {
    let k = messageDays.get(m);
    if (k === undefined) messageDays.set(m, (k = dayKey(m.createdAt)));
    if (k !== day) {
      day = k;
      rows.push({ kind: 'day', key: `day-${k}`, label: labelOf(k, m.createdAt, opts.now, today) });
    }
    if (m.id === opts.firstUnread) rows.push({ kind: 'unread', key: 'unread' });
    rows.push({ kind: 'message', key: m.id, message: m });
  }
  return rows;
}

export type TextPart = { kind: 'text'; text: string } | { kind: 'link'; text: string; href: string };

const URL_RE = /\bhttps?:\/\/[^\s<>"'`]+/gi;
const TRAILING = /[.,;:!?'"\]}>]+$/;

/** Drops what usually follows a link in prose: final punctuation and a closing paren it did not open. */
function trimLink(raw: string): string {
  let s = raw.replace(TRAILING, '');
  while (s.endsWith(')') && (s.match(/\(/g)?.length ?? 0) < (s.match(/\)/g)?.length ?? 0)) s = s.slice(0, -1).replace(TRAILING, '');
  return s;
}

/**
 * Splits a message's text into plain runs and links. Only http: and https: addresses become links
 * (never javascript:, data: or anything else); the text of every part is shown as text.
 */
export function linkify(text: string): TextPart[] {
  const parts: TextPart[] = [];
  let last = 0;
  for (const match of text.matchAll(URL_RE)) {
    const start = match.index;
    const link = trimLink(match[0]);
    let href: string;
    try {
      const url = new URL(link);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') continue;
      href = url.href;
    } catch {
      continue; // not an address after all: stays text
    }
    if (start > last) parts.push({ kind: 'text', text: text.slice(last, start) });
    parts.push({ kind: 'link', text: link, href });
    last = start + link.length;
  }
  if (last < text.length) parts.push({ kind: 'text', text: text.slice(last) });
  return parts;
}
