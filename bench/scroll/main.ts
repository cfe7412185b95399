/**
 * The bench page of bench/scroll/run.ts: the app's Conversation component over an in-memory chat of
 * `?n=` messages (10,000 by default), so what is measured is the message list alone, not the store.
 * `window.__bench.step()` scrolls the log to its top and resolves once the next page is on screen.
 */
import { mount } from 'svelte';
import '$lib/../app.css';
import Conversation from '$lib/components/Conversation.svelte';
import type { ConversationSource } from '$lib/app/conversation.svelte';
import type { ChatMessage, ChatSummary } from '$lib/sync/types';

const N = Number(new URLSearchParams(location.search).get('n') ?? 10_000);
const START = 1_700_000_000; // seconds; about 40 messages a day
const WORDS = ['the', 'relay', 'keeps', 'sealed', 'envelopes', 'for', 'a', 'while', 'and', 'nobody', 'reads', 'them', 'but', 'us'];

/** Message i: deterministic text of varied length; every third one mine; a reply every 25th. */
function message(i: number): ChatMessage {
  const words = 3 + ((i * 7919) % 40);
  const text = Array.from({ length: words }, (_, w) => WORDS[(i + w * 31) % WORDS.length]).join(' ');
  const out = i % 3 === 0;
  return {
    id: `m${String(i).padStart(6, '0')}`,
    conversationId: 'bench',
    direction: out ? 'out' : 'in',
    author: out ? 'me' : 'peer',
    text: i % 50 === 0 ? `${text} https://example.com/${i}` : text,
    createdAt: START + i * 2160,
    status: 'sent',
    deliveries: out ? [{ relay: 'wss://relay.example', ok: true }] : [],
    ...(i % 25 === 1 && i > 1 ? { replyTo: { id: `m${String(i - 1).padStart(6, '0')}` } } : {})
  };
}

const all = Array.from({ length: N }, (_, i) => message(i));
const index = new Map(all.map((m, i) => [m.id, i]));
let served = 0;

const source: ConversationSource = {
  async pageMessages(_id, { before, limit }) {
    const end = before ? index.get(before.id)! : all.length;
    const page = all.slice(Math.max(0, end - limit), end).reverse();
    served += page.length;
    return page;
  },
  getDraft: async () => '',
  setDraft: async () => {},
  markRead: async () => {},
  send: async () => {},
  retry: async () => {},
  downloadFile: async () => {},
  checkContact: () => {},
  onMessages: () => () => {}
};

const chat: ChatSummary = {
  id: 'bench',
  peer: 'ab'.repeat(32),
  peerNpub: 'npub1benchbenchbenchbenchbenchbenchbenchbenchbenchbenchbenchbenc',
  name: 'Bench',
  fingerprint: 'bench',
  state: 'accepted',
  protocol: 'veil',
  lastActivity: all.at(-1)!.createdAt,
  unread: 0
};

const noop = () => {};
mount(Conversation, { target: document.getElementById('app')!, props: { chat, source, onaccept: noop, ondecline: noop, onblock: noop } });

const log = () => document.querySelector<HTMLElement>('.log')!;
const firstShown = () => log().querySelector<HTMLElement>('article.msg')?.dataset.id;
const macrotask = () => new Promise<void>((r) => {
  const c = new MessageChannel();
  c.port1.onmessage = () => r();
  c.port2.postMessage(0);
});

/** The reader's place: the first message at the top of the log's viewport, and its offset from there. */
function place(): { id: string; offset: number } | null {
  const el = log();
  const top = el.getBoundingClientRect().top;
  const a = [...el.querySelectorAll<HTMLElement>('article.msg')].find((x) => x.getBoundingClientRect().bottom > top);
  return a?.dataset.id ? { id: a.dataset.id, offset: a.getBoundingClientRect().top - top } : null;
}

/** Resolves when `cond()` holds after a change of the log's DOM. */
function whenChanged(cond: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const mo = new MutationObserver(() => {
      if (cond()) {
        mo.disconnect();
        resolve();
      }
    });
    mo.observe(log(), { childList: true, subtree: true });
  });
}

Object.assign(window, {
  __bench: {
    /** The newest page is on screen. */
    ready: async () => {
      while (!firstShown()) await new Promise((r) => requestAnimationFrame(r));
      await macrotask();
    },
    /**
     * Scrolls to the top; ms until an older page is on screen (script, style and layout), how many are
     * loaded, and how far (px) the message that was at the top moved on screen meanwhile (0: place kept).
     */
    step: async (): Promise<{ ms: number; loaded: number; done: boolean; drift: number }> => {
      const first = firstShown();
      if (first === all[0]!.id) return { ms: 0, loaded: served, done: true, drift: 0 };
      const changed = whenChanged(() => firstShown() !== first);
      const t0 = performance.now();
      const el = log();
      if (el.scrollTop === 0) el.dispatchEvent(new Event('scroll'));
      else el.scrollTop = 0;
      const top = place(); // where the reader is once at the top, before the page comes in
      await changed;
      await macrotask(); // the component's own work after the DOM change (restoring the scroll position)
      void el.scrollHeight; // style and layout of what is now in the log
      const ms = performance.now() - t0;
      const now = top && el.querySelector<HTMLElement>(`[data-id="${top.id}"]`);
      const drift = top && now ? Math.abs(now.getBoundingClientRect().top - el.getBoundingClientRect().top - top.offset) : Infinity;
      return { ms, loaded: served, done: firstShown() === all[0]!.id, drift };
    },
    nodes: () => document.getElementsByTagName('*').length
  }
});
