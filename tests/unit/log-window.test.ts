/**
 * The windowed message list (src/lib/app/log-window.svelte.ts): at most WINDOW_ROWS rows of the
 * timeline are shown, the window stays on the same messages when older or newer ones come in, and
 * a day separator comes with the first message of its day.
 */
import { describe, expect, it } from 'vitest';
import { LogWindow, STEP_ROWS, WINDOW_ROWS, type WindowRow } from '../../src/lib/app/log-window.svelte';
import { timeline } from '../../src/lib/app/timeline';
import type { ChatMessage } from '../../src/lib/sync/types';

const DAY = 86_400;
/** Messages `from`..`to`-1, `perDay` of them a day. */
function messages(from: number, to: number, perDay = 1_000): ChatMessage[] {
  return Array.from({ length: to - from }, (_, k) => {
    const i = from + k;
    const createdAt = 1_700_000_000 + Math.floor(i / perDay) * DAY + (i % perDay);
    return { id: `m${String(i).padStart(6, '0')}`, conversationId: 'c', direction: 'in', author: 'a'.repeat(64), text: `${i}`, createdAt, status: 'received', deliveries: [] };
  });
}
const rowsOf = (ms: ChatMessage[], firstUnread?: string): WindowRow[] => timeline(ms, { firstUnread, now: 1_800_000_000 });
const keys = (rows: WindowRow[], w: LogWindow) => {
  const r = w.range(rows);
  return rows.slice(r.start, r.end).map((x) => x.key);
};
/** The messages shown (without day separators and the divider). */
const shownMessages = (rows: WindowRow[], w: LogWindow) => keys(rows, w).filter((k) => k.startsWith('m'));

describe('the window of rows in the DOM', () => {
  it('shows the newest rows and follows new messages, never more than WINDOW_ROWS (+ a day separator)', () => {
    const w = new LogWindow();
    let rows = rowsOf(messages(0, 10_000));
    let r = w.range(rows);
    expect(r).toMatchObject({ end: rows.length, atEnd: true, atStart: false });
    expect(r.end - r.start).toBeLessThanOrEqual(WINDOW_ROWS + 2);
    expect(keys(rows, w).at(-1)).toBe('m009999');

    rows = rowsOf(messages(0, 10_050));
    r = w.range(rows);
    expect(keys(rows, w).at(-1)).toBe('m010049');
    expect(r.end - r.start).toBeLessThanOrEqual(WINDOW_ROWS + 2);
  });

  it('moves back a page over loaded messages, and stays on the same messages when older pages come in', () => {
    const w = new LogWindow();
    let rows = rowsOf(messages(9_900, 10_000));
    expect(w.range(rows).atStart).toBe(true); // 100 messages and a day separator fit
    rows = rowsOf(messages(9_850, 10_000)); // an older page loaded
    const before = keys(rows, w);
    w.up(rows);
    const after = keys(rows, w);
    expect(shownMessages(rows, w)[0]).toBe('m009850');
    expect(after.length).toBeLessThanOrEqual(WINDOW_ROWS + 2);
    expect(w.range(rows).atEnd).toBe(after.at(-1) === rows.at(-1)!.key);

    // Many pages back: the window keeps its size and its messages while more history loads before it.
    for (let from = 9_800; from >= 9_000; from -= STEP_ROWS) {
      const was = shownMessages(rows, w);
      rows = rowsOf(messages(from, 10_000));
      expect(shownMessages(rows, w)).toEqual(was);
      w.up(rows);
      expect(shownMessages(rows, w)[0]).toBe(`m${String(from).padStart(6, '0')}`);
      expect(keys(rows, w).length).toBeLessThanOrEqual(WINDOW_ROWS + 2);
    }
    const r = w.range(rows);
    expect(r.atStart).toBe(true);
    expect(r.atEnd).toBe(false);
    expect(before.length).toBeGreaterThan(0);

    // New messages while scrolled back: the window stays where the reader is.
    const shown = keys(rows, w);
    rows = rowsOf(messages(9_000, 10_010));
    expect(keys(rows, w)).toEqual(shown);
  });

  it('moves forward again to the newest, and back to them at once on reset', () => {
    const w = new LogWindow();
    const rows = rowsOf(messages(0, 1_000));
    for (let i = 0; i < 10; i++) w.up(rows);
    expect(w.range(rows).atEnd).toBe(false);
    for (let i = 0; i < 20 && !w.range(rows).atEnd; i++) w.down(rows);
    expect(w.range(rows).atEnd).toBe(true);
    for (let i = 0; i < 5; i++) w.up(rows);
    w.reset();
    expect(keys(rows, w).at(-1)).toBe('m000999');
  });

  it('shows the unread divider near its top, with the day separator of the first message', () => {
    const w = new LogWindow();
    const ms = messages(0, 1_000, 40);
    const rows = rowsOf(ms, 'm000500');
    const at = rows.findIndex((r) => r.kind === 'unread');
    w.show(rows, at);
    const shown = keys(rows, w);
    expect(shown).toContain('unread');
    expect(shown.indexOf('unread')).toBeLessThan(20);
    expect(shown[0]!.startsWith('day-') || rows[w.range(rows).start - 1]?.kind === 'message').toBe(true);
  });

  /** The message keys shown while `move` runs until `done` (at most 1,000 moves), and the most rows shown at once. */
  function walk(w: LogWindow, rows: () => WindowRow[], move: () => void, done: () => boolean) {
    const seen = new Set<string>();
    let most = 0;
    for (let i = 0; i < 1_000; i++) {
      shownMessages(rows(), w).forEach((k) => seen.add(k));
      most = Math.max(most, keys(rows(), w).length);
      if (done()) break;
      move();
    }
    return { seen, most };
  }

  it('reaches every message from a chat opened at its oldest unread one (the window keeps only some of them)', () => {
    // 243 messages, all unread, 30 a day (xss.spec's chat): opened at the divider above the oldest.
    const ms = messages(0, 243, 30);
    const rows = rowsOf(ms, ms[0]!.id);
    const w = new LogWindow();
    w.show(rows, rows.findIndex((r) => r.kind === 'unread'));
    expect(w.range(rows)).toMatchObject({ start: 0, atStart: true, atEnd: false });
    const { seen, most } = walk(w, () => rows, () => w.down(rows), () => w.range(rows).atEnd);
    expect(seen.size).toBe(ms.length);
    expect(most).toBeLessThanOrEqual(WINDOW_ROWS + 2);
    expect(keys(rows, w).at(-1)).toBe(ms.at(-1)!.id);
  });

  it('reaches every message from the newest, reading a page before the window whenever less than a page is left above it', () => {
    // Conversation.svelte's move back: a page is read while the window starts within STEP_ROWS of the oldest loaded.
    const total = 1_234;
    let loaded = 50;
    let rows = rowsOf(messages(total - loaded, total, 40));
    const w = new LogWindow();
    const back = () => {
      if (w.range(rows).start < STEP_ROWS && loaded < total) {
        loaded = Math.min(total, loaded + 50);
        rows = rowsOf(messages(total - loaded, total, 40));
      }
      w.up(rows);
    };
    const { seen, most } = walk(w, () => rows, back, () => w.range(rows).atStart && loaded === total);
    expect(seen.size).toBe(total);
    expect(most).toBeLessThanOrEqual(WINDOW_ROWS + 2);
    expect(shownMessages(rows, w)[0]).toBe('m000000');
  });
});
