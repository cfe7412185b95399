/**
 * Search in one chat (issue 12 §7): the message list keeps only a window of rows in the DOM
 * (log-window.svelte.ts), so the browser's find-in-page sees a part of the chat; this searches every
 * stored message of it instead. Messages are sealed at rest, so the search pages through them as the
 * chat does (newest first, decrypted in memory, never indexed on disk) and keeps only the ids and
 * times of what matched. Matching: case- and accent-insensitive, the words in any order.
 */
import type { ChatMessage } from '$lib/sync/types';

/** Messages read per page while searching. */
export const SEARCH_PAGE = 200;
/** Messages searched at most (the newest); past that the result says so. */
export const MAX_SEARCHED = 50_000;
/** Shortest query searched (one letter would match almost everything). */
export const MIN_QUERY = 2;

export interface SearchSource {
  pageMessages(conversationId: string, opts: { before?: ChatMessage; limit: number }): Promise<ChatMessage[]>;
}

/** Lowercased, accents removed, spaces collapsed: "Café  Olé" and "cafe ole" are the same. */
export function foldText(s: string): string {
  return s.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().replace(/\s+/g, ' ').trim();
}

/** Whether every word of the (folded) query is in the (folded) text. */
export function matches(text: string, words: readonly string[]): boolean {
  return words.every((w) => text.includes(w));
}

export class ChatSearch {
  /** Matches, newest first. */
  results = $state.raw<{ id: string; createdAt: number }[]>([]);
  /** Index into `results` of the match shown; -1 before the first. */
  at = $state(-1);
  searching = $state(false);
  /** More messages than MAX_SEARCHED: the oldest were not searched. */
  truncated = $state(false);
  /** The query the results are for ('' when none). */
  query = $state('');

  readonly #source: SearchSource;
  #run = 0;

  constructor(source: SearchSource) {
    this.#source = source;
  }

  /** Searches the chat; a newer call cancels an older one. Resolves with the results of this call (or [] if cancelled). */
  async search(conversationId: string, query: string): Promise<{ id: string; createdAt: number }[]> {
    const run = ++this.#run;
    const words = foldText(query).split(' ').filter(Boolean);
    this.query = query;
    this.at = -1;
    this.truncated = false;
    if (words.join('').length < MIN_QUERY) {
      this.results = [];
      this.searching = false;
      return [];
    }
    this.searching = true;
    const found: { id: string; createdAt: number }[] = [];
    let before: ChatMessage | undefined;
    let read = 0;
    try {
      for (;;) {
        const page = await this.#source.pageMessages(conversationId, { limit: SEARCH_PAGE, ...(before ? { before } : {}) });
        if (run !== this.#run) return [];
        for (const m of page) if (!m.system && matches(foldText(m.text), words)) found.push({ id: m.id, createdAt: m.createdAt });
        read += page.length;
        // Shown as they are found: the newest matches come first.
        this.results = [...found];
        if (page.length < SEARCH_PAGE) break;
        if (read >= MAX_SEARCHED) {
          this.truncated = true;
          break;
        }
        before = page[page.length - 1];
      }
    } finally {
      if (run === this.#run) this.searching = false;
    }
    return found;
  }

  /** The next older match (Enter), or the next newer one (`older` false); its id, or undefined when none. */
  step(older = true): string | undefined {
    if (this.results.length === 0) return undefined;
    this.at = older ? Math.min(this.results.length - 1, this.at + 1) : Math.max(0, this.at - 1);
    return this.results[this.at]!.id;
  }

  clear(): void {
    this.#run++;
    this.results = [];
    this.at = -1;
    this.query = '';
    this.searching = false;
    this.truncated = false;
  }
}
