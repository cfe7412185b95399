/**
 * The windowed message list (issue 12 §7): which rows of a conversation's timeline are in the DOM.
 * All loaded messages stay in the model; only a window of at most WINDOW_ROWS rows is rendered, so
 * a page of history costs the same at 50 loaded messages as at 10,000. The window is kept by the
 * keys of its first and last message, so it stays on the same messages when older pages are put
 * before them or newer ones after; with no last key it reaches the newest row and follows new ones.
 * Pure bookkeeping (no DOM): Conversation.svelte keeps the reader's place when the window moves.
 */

/** Rows rendered at most (a message is about 30 DOM nodes with its text nodes): some 4,000 nodes. */
export const WINDOW_ROWS = 120;
/** Rows the window moves by at a time: about a page of history. */
export const STEP_ROWS = 50;

/** What the window needs of a timeline row (timeline.ts TimelineRow). */
export interface WindowRow {
  kind: 'day' | 'unread' | 'message';
  key: string;
}

/** Rows [start, end) of the timeline; `atStart`/`atEnd`: the oldest/newest loaded row is in. */
export interface WindowRange {
  start: number;
  end: number;
  atStart: boolean;
  atEnd: boolean;
}

export class LogWindow {
  /** Key of the first message row shown; null: WINDOW_ROWS before the end. */
  #first = $state<string | null>(null);
  /** Key of the last row shown; null: the newest row (new messages come into view). */
  #last = $state<string | null>(null);

  /** The rows shown of `rows`. A day separator or the unread divider just above the first message comes with it. */
  range(rows: readonly WindowRow[]): WindowRange {
    const last = this.#last === null ? -1 : rows.findIndex((r) => r.key === this.#last);
    const end = last < 0 ? rows.length : last + 1;
    const first = this.#first === null ? -1 : rows.findIndex((r) => r.key === this.#first);
    let start = first < 0 || first >= end ? Math.max(0, end - WINDOW_ROWS) : first;
    // Following new messages: the oldest rows leave once the window is full.
    start = Math.max(start, end - WINDOW_ROWS - 2);
    while (start > 0 && rows[start - 1]!.kind !== 'message') start--;
    return { start, end, atStart: start === 0, atEnd: end === rows.length };
  }

  /** Back to the newest rows, following new ones (a chat opened, "Jump to latest", a message sent). */
  reset(): void {
    this.#first = null;
    this.#last = null;
  }

  /** A page further back (after older messages were loaded, when the window was at the oldest). */
  up(rows: readonly WindowRow[]): void {
    const { start, end } = this.range(rows);
    const from = Math.max(0, start - STEP_ROWS);
    this.#set(rows, from, Math.min(end, from + WINDOW_ROWS));
  }

  /** A page further forward, towards the newest. */
  down(rows: readonly WindowRow[]): void {
    const { start, end } = this.range(rows);
    const to = Math.min(rows.length, end + STEP_ROWS);
    this.#set(rows, Math.max(start, to - WINDOW_ROWS), to);
  }

  /** A window with row `index` near its top (the unread divider of a chat just opened). */
  show(rows: readonly WindowRow[], index: number): void {
    const to = Math.min(rows.length, Math.max(0, index - 10) + WINDOW_ROWS);
    this.#set(rows, Math.max(0, to - WINDOW_ROWS), to);
  }

  #set(rows: readonly WindowRow[], start: number, end: number): void {
    // The first message row at or after `start`: a day separator's key moves when older messages of its day come in.
    let i = start;
    while (i < end - 1 && rows[i]!.kind !== 'message') i++;
    this.#first = rows[i]?.key ?? null;
    this.#last = end >= rows.length ? null : rows[end - 1]!.key;
  }
}
