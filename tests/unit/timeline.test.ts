/**
 * The conversation's timeline (src/lib/app/timeline.ts): day separators in the device's time zone,
 * the unread divider and where it goes, and links in message text (http/https only).
 */
import { describe, expect, it } from 'vitest';
import { dayLabel, firstUnreadId, linkify, timeline } from '../../src/lib/app/timeline';
import type { ChatMessage } from '../../src/lib/sync/types';

/** Seconds of a local date and time. */
const at = (y: number, mo: number, d: number, h = 12, mi = 0) => new Date(y, mo - 1, d, h, mi).getTime() / 1000;

function m(id: string, createdAt: number, extra: Partial<ChatMessage> = {}): ChatMessage {
  return { id, conversationId: 'c', direction: 'in', author: 'a'.repeat(64), text: id, createdAt, status: 'received', deliveries: [], ...extra };
}

describe('day separators', () => {
  const now = at(2026, 12, 1, 10);

  it('names today and yesterday, and other days by their date', () => {
    expect(dayLabel(at(2026, 12, 1, 0, 1), now)).toBe('Today');
    expect(dayLabel(at(2026, 11, 30, 23, 59), now)).toBe('Yesterday');
    const older = dayLabel(at(2026, 11, 20), now);
    expect(older).not.toMatch(/Today|Yesterday|2026/);
    expect(older).toBe(new Date(2026, 10, 20).toLocaleDateString([], { weekday: 'long', month: 'long', day: 'numeric' }));
    expect(dayLabel(at(2025, 3, 4), now)).toContain('2025');
  });

  it('puts one separator before the first message of each local day', () => {
    const rows = timeline(
      [m('a', at(2026, 11, 30, 9)), m('b', at(2026, 11, 30, 23, 59)), m('c', at(2026, 12, 1, 0, 0)), m('d', at(2026, 12, 1, 8))],
      { now }
    );
    expect(rows.map((r) => (r.kind === 'message' ? r.message.id : r.kind === 'day' ? r.label : r.kind))).toEqual([
      'Yesterday',
      'a',
      'b',
      'Today',
      'c',
      'd'
    ]);
    expect(new Set(rows.map((r) => r.key)).size).toBe(rows.length); // keys are unique
  });

  it('puts the unread divider right before the first unread message, after its day separator', () => {
    const rows = timeline([m('a', at(2026, 11, 30)), m('b', at(2026, 12, 1, 8)), m('c', at(2026, 12, 1, 9))], { now, firstUnread: 'b' });
    expect(rows.map((r) => r.kind)).toEqual(['day', 'message', 'day', 'unread', 'message', 'message']);
    expect(timeline([m('a', now)], { now }).some((r) => r.kind === 'unread')).toBe(false);
  });
});

describe('first unread message', () => {
  const t = at(2026, 12, 1);
  const list = [
    m('in1', t),
    m('out1', t + 1, { direction: 'out', status: 'sent' }),
    m('in2', t + 2),
    m('sys', t + 3, { system: true }),
    m('in3', t + 4)
  ];

  it('counts incoming messages back from the newest, skipping mine and system lines', () => {
    expect(firstUnreadId(list, 1)).toBe('in3');
    expect(firstUnreadId(list, 2)).toBe('in2');
    expect(firstUnreadId(list, 3)).toBe('in1');
  });

  it('is the oldest incoming message shown when more are unread than shown, and none when nothing is', () => {
    expect(firstUnreadId(list, 10)).toBe('in1');
    expect(firstUnreadId(list, 0)).toBeUndefined();
    expect(firstUnreadId([], 2)).toBeUndefined();
  });
});

describe('links', () => {
  const links = (text: string) => linkify(text).filter((p) => p.kind === 'link').map((p) => (p.kind === 'link' ? p.href : ''));

  it('finds http and https links and keeps every character of the text', () => {
    const text = 'see https://example.org/a?b=1#c and http://x.test/, then (https://wiki.test/A_(b)) ok.';
    const parts = linkify(text);
    expect(parts.map((p) => p.text).join('')).toBe(text);
    expect(links(text)).toEqual(['https://example.org/a?b=1#c', 'http://x.test/', 'https://wiki.test/A_(b)']);
  });

  it('leaves final punctuation and an unopened closing paren out of the link', () => {
    expect(links('go to https://example.org.')).toEqual(['https://example.org/']);
    expect(links('(at https://example.org/x)')).toEqual(['https://example.org/x']);
    expect(links('"https://example.org/q?a=1!"')).toEqual(['https://example.org/q?a=1']);
  });

  it('never makes a link of anything but http and https', () => {
    for (const text of ['javascript:alert(1)', 'JAVASCRIPT://%0aalert(1)', 'data:text/html,<b>x</b>', 'ftp://example.org', 'file:///etc/passwd', 'vbscript:x', 'mailto:a@b.c']) {
      expect(links(text)).toEqual([]);
      expect(linkify(text)).toEqual([{ kind: 'text', text }]);
    }
    // A javascript: address hidden after an http-looking prefix stays text too.
    expect(links('xhttps://a.test')).toEqual([]);
    expect(links('https://')).toEqual([]);
  });

  it('gives plain text back as one part, and nothing for an empty message', () => {
    expect(linkify('hello there')).toEqual([{ kind: 'text', text: 'hello there' }]);
    expect(linkify('')).toEqual([]);
  });
});
