/**
 * The chat list's progress line (issue 12 §3): "Catching up… 120 of 400 opened" while the relays'
 * stored envelopes and gift wraps are read and opened (sync/catch-up-progress.ts), but only once that
 * has taken more than `CATCH_UP_SHOW_MS`: the common read, over within a second, never shows it.
 * Fed by the messenger's `catch-up` events in the tab that owns the sockets, and by its messages in
 * the other tabs. With no word for `STALE_MS` (the owner tab went away mid-read) the line goes.
 */
import type { CatchUpView } from '$lib/sync/types';

/** A catch-up shows its progress only after this long (ms). */
export const CATCH_UP_SHOW_MS = 1000;
/** Shown progress with no update for this long is taken as over (the sync side ends an idle read after 15 s). */
export const STALE_MS = 20_000;

export class CatchUpLine {
  /** What the line says, or null when it is not shown. */
  shown = $state<CatchUpView | null>(null);
  #latest: CatchUpView | null = null;
  #showTimer: ReturnType<typeof setTimeout> | undefined;
  #staleTimer: ReturnType<typeof setTimeout> | undefined;

  /** The catch-up's counts now, or null: it ended. */
  update(progress: CatchUpView | null): void {
    this.#latest = progress;
    clearTimeout(this.#staleTimer);
    if (!progress) {
      clearTimeout(this.#showTimer);
      this.#showTimer = undefined;
      this.shown = null;
      return;
    }
    this.#staleTimer = setTimeout(() => this.update(null), STALE_MS);
    if (this.shown) this.shown = progress;
    else
      this.#showTimer ??= setTimeout(() => {
        this.#showTimer = undefined;
        this.shown = this.#latest;
      }, CATCH_UP_SHOW_MS);
  }
}
