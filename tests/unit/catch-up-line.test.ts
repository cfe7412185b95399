/**
 * The chat list's progress line in the app layer (src/lib/app/catch-up.svelte.ts): shown only once a
 * catch-up has run for more than 1 s, following its counts then, and gone when it ends; a catch-up
 * over within 1 s never shows; progress no one updates any more (the socket tab went away) goes.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CATCH_UP_SHOW_MS, CatchUpLine, STALE_MS } from '../../src/lib/app/catch-up.svelte';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('CatchUpLine', () => {
  it('is not shown before 1 s, shown after it with the latest counts, hidden at the end', () => {
    const line = new CatchUpLine();
    line.update({ opened: 0, total: 0 });
    vi.advanceTimersByTime(500);
    line.update({ opened: 40, total: 120 });
    vi.advanceTimersByTime(CATCH_UP_SHOW_MS - 500 - 1);
    expect(line.shown).toBeNull();
    vi.advanceTimersByTime(1);
    expect(line.shown).toEqual({ opened: 40, total: 120 });
    line.update({ opened: 120, total: 400 });
    expect(line.shown).toEqual({ opened: 120, total: 400 });
    line.update(null);
    expect(line.shown).toBeNull();
    vi.advanceTimersByTime(STALE_MS * 2);
    expect(line.shown).toBeNull();
  });

  it('a catch-up that ends at 900 ms is never shown', () => {
    const line = new CatchUpLine();
    line.update({ opened: 0, total: 0 });
    vi.advanceTimersByTime(400);
    line.update({ opened: 10, total: 30 });
    vi.advanceTimersByTime(500);
    line.update(null);
    vi.advanceTimersByTime(10 * CATCH_UP_SHOW_MS);
    expect(line.shown).toBeNull();
    // The next catch-up is timed from its own start.
    line.update({ opened: 0, total: 5 });
    vi.advanceTimersByTime(CATCH_UP_SHOW_MS - 1);
    expect(line.shown).toBeNull();
    vi.advanceTimersByTime(1);
    expect(line.shown).toEqual({ opened: 0, total: 5 });
  });

  it('goes when no update came for 20 s (its tab went away mid-read)', () => {
    const line = new CatchUpLine();
    line.update({ opened: 1, total: 9 });
    vi.advanceTimersByTime(STALE_MS - 1);
    expect(line.shown).toEqual({ opened: 1, total: 9 });
    vi.advanceTimersByTime(1);
    expect(line.shown).toBeNull();
  });
});
