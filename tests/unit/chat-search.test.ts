/**
 * Search in a chat (src/lib/app/chat-search.svelte.ts): every stored message is searched page by
 * page (not only what the window shows), matches come newest first, accents and case do not matter,
 * words match in any order, a newer search cancels an older one, and the search is bounded.
 */
import { describe, expect, it } from 'vitest';
import { ChatSearch, foldText, MAX_SEARCHED, SEARCH_PAGE, type SearchSource } from '../../src/lib/app/chat-search.svelte';
import type { ChatMessage } from '../../src/lib/sync/types';

const msg = (i: number, text: string): ChatMessage => ({ id: `m${i}`, conversationId: 'c', direction: 'in', author: 'a'.repeat(64), text, createdAt: 1_700_000_000 + i, status: 'received', deliveries: [] });

/** A chat of `texts` (oldest first), paged newest first as the messenger pages it; counts the pages read. */
function source(texts: (i: number) => string, count: number): SearchSource & { pages: number } {
  const src = {
    pages: 0,
    async pageMessages(_id: string, opts: { before?: ChatMessage; limit: number }) {
      src.pages++;
      const end = opts.before ? Number(opts.before.id.slice(1)) : count;
      const out: ChatMessage[] = [];
      for (let i = end - 1; i >= Math.max(0, end - opts.limit); i--) out.push(msg(i, texts(i)));
      return out;
    }
  };
  return src;
}

describe('search in a chat', () => {
  it('folds case, accents and spaces', () => {
    expect(foldText('  Café   OLÉ ')).toBe('cafe ole');
    expect(foldText('Ünïcödé')).toBe('unicode');
  });

  it('finds matches in every page, newest first, words in any order; steps older and newer', async () => {
    const texts = (i: number) => (i === 3 ? 'the Blue whale' : i === 700 ? 'whale, so blue' : i === 701 ? 'blue sky' : `filler ${i}`);
    const src = source(texts, 1_000);
    const s = new ChatSearch(src);
    expect(await s.search('c', 'BLUE whále')).toEqual([
      { id: 'm700', createdAt: 1_700_000_700 },
      { id: 'm3', createdAt: 1_700_000_003 }
    ]);
    expect(src.pages).toBe(1_000 / SEARCH_PAGE + 1); // five full pages, then one that says there is no more
    expect(s.step()).toBe('m700');
    expect(s.step()).toBe('m3');
    expect(s.step()).toBe('m3'); // the oldest stays
    expect(s.step(false)).toBe('m700');
    expect(s.at).toBe(0);
  });

  it('a query under two letters searches nothing', async () => {
    const src = source(() => 'a', 10);
    const s = new ChatSearch(src);
    expect(await s.search('c', ' a ')).toEqual([]);
    expect(src.pages).toBe(0);
  });

  it('a newer search cancels the older one (its results never show)', async () => {
    const s = new ChatSearch(source((i) => (i % 2 ? 'odd one' : 'even one'), 2_000));
    const first = s.search('c', 'odd');
    const second = s.search('c', 'even');
    expect(await first).toEqual([]);
    expect((await second).length).toBe(1_000);
    expect(s.results.every((r) => Number(r.id.slice(1)) % 2 === 0)).toBe(true);
    expect(s.searching).toBe(false);
  });

  it(`stops after ${MAX_SEARCHED} messages and says so`, async () => {
    const s = new ChatSearch(source((i) => (i === 0 ? 'needle' : 'hay'), MAX_SEARCHED + 1_000));
    expect(await s.search('c', 'needle')).toEqual([]); // the oldest was past the bound
    expect(s.truncated).toBe(true);
  });
});
