/**
 * The conversation view model (src/lib/app/conversation.svelte.ts, message-list.ts) against an
 * in-memory message source that pages like the store (newest first, `before` exclusive): paging
 * merge, draft debounce, read marking only while visible, delivery wording. Fake timers, no sleeps.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  ConversationModel,
  DRAFT_DELAY_MS,
  PAGE_SIZE,
  MAX_UNREAD_PAGES,
  deliveryText,
  isQueued,
  mergeNewest,
  prependOlder,
  type ConversationCommands,
  type TransferWatch
} from '../../src/lib/app/conversation.svelte';
import type { ChatMessage, MessageStatus, RelayDelivery } from '../../src/lib/sync/types';

const T0 = 1_750_000_000;

function msg(conversationId: string, n: number, extra: Partial<ChatMessage> = {}): ChatMessage {
  return {
    id: `${conversationId}-${String(n).padStart(4, '0')}`,
    conversationId,
    direction: n % 2 === 0 ? 'out' : 'in',
    author: 'a'.repeat(64),
    text: `message ${n}`,
    createdAt: T0 + n,
    status: n % 2 === 0 ? 'sent' : 'received',
    deliveries: [],
    ...extra
  };
}

function cmp(a: ChatMessage, b: ChatMessage): number {
  return a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Messages, drafts and read marks in memory; every command recorded. */
class FakeSource implements ConversationCommands {
  chats = new Map<string, ChatMessage[]>();
  drafts = new Map<string, string>();
  draftWrites: [string, string][] = [];
  reads: string[] = [];
  sent: { id: string; text: string; replyTo?: string }[] = [];
  pageCalls = 0;
  /** When set, the next getDraft waits for this. */
  draftGate: Promise<void> | null = null;
  /** When set, the next pageMessages waits for this. */
  pageGate: Promise<void> | null = null;
  sendError: unknown = null;

  add(...ms: ChatMessage[]): void {
    for (const m of ms) {
      const list = (this.chats.get(m.conversationId) ?? []).filter((x) => x.id !== m.id);
      list.push(m);
      this.chats.set(m.conversationId, list.sort(cmp));
    }
  }

  async pageMessages(conversationId: string, opts: { before?: ChatMessage; limit: number }): Promise<ChatMessage[]> {
    this.pageCalls++;
    const gate = this.pageGate;
    this.pageGate = null;
    const all = this.chats.get(conversationId) ?? [];
    const before = opts.before;
    const page = all
      .filter((m) => !before || cmp(m, before) < 0)
      .reverse()
      .slice(0, opts.limit);
    if (gate) await gate;
    return page;
  }
  async getDraft(conversationId: string): Promise<string> {
    const gate = this.draftGate;
    this.draftGate = null;
    const value = this.drafts.get(conversationId) ?? '';
    if (gate) await gate;
    return value;
  }
  async setDraft(conversationId: string, text: string): Promise<void> {
    this.draftWrites.push([conversationId, text]);
    this.drafts.set(conversationId, text);
  }
  async markRead(conversationId: string): Promise<void> {
    this.reads.push(conversationId);
  }
  async send(conversationId: string, text: string, replyTo?: string): Promise<void> {
    if (this.sendError) throw this.sendError;
    this.sent.push({ id: conversationId, text, ...(replyTo ? { replyTo } : {}) });
    const n = (this.chats.get(conversationId)?.length ?? 0) + 10_000;
    this.add(msg(conversationId, n, { text, direction: 'out', status: 'sending' }));
  }
  async retry(): Promise<void> {
    throw new Error('retry failed');
  }
  /** A download of this test (else: it fails). */
  download?: (messageId: string, watch: TransferWatch) => Promise<void>;
  async downloadFile(messageId: string, watch: TransferWatch): Promise<void> {
    if (this.download) return this.download(messageId, watch);
    throw new Error('download failed');
  }
  images?: { open(messageId: string, watch: TransferWatch): Promise<string>; release(url: string): void };
  checked: string[] = [];
  checkContact(conversationId: string): void {
    this.checked.push(conversationId);
  }
}

let source: FakeSource;
let visible: boolean;
let model: ConversationModel;
const describeError = (e: unknown) => `said: ${e instanceof Error ? e.message : String(e)}`;

beforeEach(() => {
  vi.useFakeTimers();
  source = new FakeSource();
  visible = true;
  model = new ConversationModel(source, { isVisible: () => visible, describeError });
});
afterEach(() => {
  vi.useRealTimers();
});

const ids = (ms: readonly ChatMessage[]) => ms.map((m) => m.id);
const sortedIds = (ms: readonly ChatMessage[]) => ids([...ms].sort(cmp));
const settle = () => vi.advanceTimersByTimeAsync(0);

describe('paging merge', () => {
  it('opens on the newest page and prepends older pages in order, without duplicates, until none are left', async () => {
    const total = PAGE_SIZE * 2 + 7;
    source.add(...Array.from({ length: total }, (_, i) => msg('A', i)));
    const all = source.chats.get('A')!;

    expect(await model.open('A')).toBe(true);
    expect(ids(model.messages)).toEqual(ids(all.slice(-PAGE_SIZE)));
    expect(model.hasOlder).toBe(true);

    expect(await model.loadOlder()).toBe(true);
    expect(ids(model.messages)).toEqual(ids(all.slice(-2 * PAGE_SIZE)));
    expect(model.hasOlder).toBe(true);

    expect(await model.loadOlder()).toBe(true);
    expect(ids(model.messages)).toEqual(ids(all));
    expect(model.hasOlder).toBe(false);
    expect(new Set(ids(model.messages)).size).toBe(total);

    const calls = source.pageCalls;
    expect(await model.loadOlder()).toBe(false);
    expect(source.pageCalls).toBe(calls);
  });

  it('a first page shorter than a page means there is nothing older', async () => {
    source.add(...Array.from({ length: 3 }, (_, i) => msg('A', i)));
    await model.open('A');
    expect(model.messages).toHaveLength(3);
    expect(model.hasOlder).toBe(false);
  });

  it('new messages append and changed ones are replaced, keeping the older pages loaded', async () => {
    source.add(...Array.from({ length: PAGE_SIZE + 5 }, (_, i) => msg('A', i)));
    await model.open('A');
    await model.loadOlder();
    const before = model.messages.length;

    const last = source.chats.get('A')!.at(-1)!;
    source.add({ ...last, status: 'failed', direction: 'out' }, msg('A', 500), msg('A', 501));
    expect(await model.refresh()).toBe(true);

    expect(model.messages).toHaveLength(before + 2);
    expect(ids(model.messages).slice(-2)).toEqual(['A-0500', 'A-0501']);
    expect(ids(model.messages)).toEqual(sortedIds(model.messages));
    expect(model.messages.find((m) => m.id === last.id)?.status).toBe('failed');
    expect(ids(model.messages).slice(0, 5)).toEqual(ids(source.chats.get('A')!.slice(0, 5)));
  });

  it('mergeNewest and prependOlder skip what is already shown and keep time order', () => {
    const shown = [msg('A', 10), msg('A', 11), msg('A', 12)];
    const newest = [msg('A', 14), msg('A', 12, { text: 'edited' }), msg('A', 13)];
    const merged = mergeNewest(shown, newest);
    expect(ids(merged)).toEqual(['A-0010', 'A-0011', 'A-0012', 'A-0013', 'A-0014']);
    expect(merged[2]!.text).toBe('edited');

    const older = [msg('A', 10), msg('A', 9), msg('A', 8)]; // newest first, overlapping by one
    expect(ids(prependOlder(shown, older))).toEqual(['A-0008', 'A-0009', 'A-0010', 'A-0011', 'A-0012']);
  });

  it('a page that arrives after another chat was opened is dropped', async () => {
    source.add(msg('A', 1), msg('A', 2), msg('B', 1));
    const gate = deferred<void>();
    source.pageGate = gate.promise;
    const first = model.open('A');
    const second = model.open('B');
    gate.resolve();
    expect(await first).toBe(false);
    expect(await second).toBe(true);
    expect(ids(model.messages)).toEqual(['B-0001']);
    expect(model.chatId).toBe('B');
    expect(source.checked).toEqual(['A', 'B']);
  });

  it('an older page of the previous chat is never prepended to the next one', async () => {
    source.add(...Array.from({ length: PAGE_SIZE + 1 }, (_, i) => msg('A', i)), msg('B', 1));
    await model.open('A');
    const gate = deferred<void>();
    source.pageGate = gate.promise;
    const older = model.loadOlder();
    await model.open('B');
    gate.resolve();
    expect(await older).toBe(false);
    expect(ids(model.messages)).toEqual(['B-0001']);
  });
});

describe('draft', () => {
  it('is saved once, after typing stops', async () => {
    await model.open('A');
    model.input('h');
    await vi.advanceTimersByTimeAsync(DRAFT_DELAY_MS - 50);
    model.input('he');
    await vi.advanceTimersByTimeAsync(DRAFT_DELAY_MS - 50);
    model.input('hey');
    await vi.advanceTimersByTimeAsync(DRAFT_DELAY_MS - 1);
    expect(source.draftWrites).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(source.draftWrites).toEqual([['A', 'hey']]);
    await vi.advanceTimersByTimeAsync(DRAFT_DELAY_MS * 4);
    expect(source.draftWrites).toHaveLength(1);
  });

  it('is saved at once when the page is hidden, and not again when the delay ends', async () => {
    await model.open('A');
    model.input('half a thought');
    visible = false;
    model.visibilityChanged();
    expect(source.draftWrites).toEqual([['A', 'half a thought']]);
    await vi.advanceTimersByTimeAsync(DRAFT_DELAY_MS * 2);
    expect(source.draftWrites).toHaveLength(1);
  });

  it('typed in one chat is saved under that chat when another is opened', async () => {
    await model.open('A');
    model.input('for A');
    await model.open('B');
    await vi.advanceTimersByTimeAsync(DRAFT_DELAY_MS * 2);
    expect(source.draftWrites).toEqual([['A', 'for A']]);
    expect(model.text).toBe('');
  });

  it('a saved draft fills the box when it is opened', async () => {
    source.drafts.set('A', 'saved earlier');
    await model.open('A');
    await settle();
    expect(model.text).toBe('saved earlier');
  });

  it('a draft that loads late never overwrites what is being typed', async () => {
    source.drafts.set('A', 'saved earlier');
    const gate = deferred<void>();
    source.draftGate = gate.promise;
    await model.open('A');
    model.input('typed now');
    gate.resolve();
    await settle();
    expect(model.text).toBe('typed now');
  });

  it('a draft of the previous chat that loads late stays out of the next one', async () => {
    source.drafts.set('A', 'draft of A');
    const gate = deferred<void>();
    source.draftGate = gate.promise;
    await model.open('A');
    await model.open('B');
    gate.resolve();
    await settle();
    expect(model.text).toBe('');
  });

  it('sending clears the box and the draft; the pending save of the sent text is dropped', async () => {
    source.add(msg('A', 1));
    await model.open('A');
    model.input('hello');
    expect(await model.send()).toBe(true);
    await vi.advanceTimersByTimeAsync(DRAFT_DELAY_MS * 2);
    expect(source.sent).toEqual([{ id: 'A', text: 'hello' }]);
    expect(model.text).toBe('');
    expect(source.draftWrites).toEqual([['A', '']]);
    expect(model.messages.at(-1)?.text).toBe('hello');
    expect(deliveryText(model.messages.at(-1)!)).toBe('Sending…');
  });

  it('a reply names the quoted message, and sending ends the reply', async () => {
    source.add(msg('A', 1), msg('A', 2));
    await model.open('A');
    model.replyTo = model.messages[0]!;
    model.input('yes');
    await model.send();
    expect(source.sent).toEqual([{ id: 'A', text: 'yes', replyTo: 'A-0001' }]);
    expect(model.replyTo).toBeNull();
    expect(model.quoted('A-0001')?.text).toBe('message 1');
    expect(model.quoted(undefined)).toBeUndefined();
  });

  it('a failed send keeps the text and says why; blank text is not sent', async () => {
    await model.open('A');
    model.input('   ');
    expect(await model.send()).toBe(false);
    expect(source.sent).toEqual([]);
    source.sendError = new Error('quota');
    model.input('keep me');
    expect(await model.send()).toBe(false);
    expect(model.text).toBe('keep me');
    expect(model.error).toBe('said: quota');
  });

  it('retry and download problems are shown in words', async () => {
    await model.open('A');
    await model.retry('x');
    expect(model.error).toBe('said: retry failed');
    await model.downloadFile('x');
    expect(model.error).toBe('said: download failed');
  });
});

describe('read marking', () => {
  it('marks the open chat read when a page arrives while the page is visible', async () => {
    source.add(msg('A', 1));
    await model.open('A');
    expect(source.reads).toEqual(['A']);
    source.add(msg('A', 2));
    await model.refresh();
    expect(source.reads).toEqual(['A', 'A']);
  });

  it('a hidden page leaves new messages unread until it is shown', async () => {
    visible = false;
    source.add(msg('A', 1));
    await model.open('A');
    source.add(msg('A', 2));
    await model.refresh();
    model.visibilityChanged();
    expect(source.reads).toEqual([]);
    visible = true;
    model.visibilityChanged();
    expect(source.reads).toEqual(['A']);
  });

  it('nothing is marked before a chat is opened', () => {
    model.visibilityChanged();
    expect(source.reads).toEqual([]);
  });
});

describe('delivery wording', () => {
  const out = (status: MessageStatus, deliveries: RelayDelivery[]) => ({ direction: 'out' as const, status, deliveries });
  const relays = (...ok: boolean[]) => ok.map((o, i) => ({ relay: `wss://r${i}.example`, ok: o }));

  it('counts the relays that took a sent message', () => {
    expect(deliveryText(out('sent', relays(true, false, true)))).toBe('Sent to 2 of 3 relays');
    expect(deliveryText(out('sent', relays(true)))).toBe('Sent to 1 of 1 relays');
  });

  const refused = (status: MessageStatus, ...reasons: string[]) =>
    out(status, reasons.map((message, i) => ({ relay: `wss://r${i}.example`, ok: false, message })));

  it('a message not tried yet is sending', () => {
    expect(deliveryText(out('sending', relays(false, false)))).toBe('Sending…');
    expect(deliveryText(out('sending', []))).toBe('Sending…');
    expect(isQueued(out('sending', []))).toBe(false);
  });

  it('a message the relays could not take yet is queued, not "not sent" (the outbox retries it)', () => {
    for (const m of [
      refused('failed', 'unreachable: connection refused'),
      refused('failed', 'no answer from the relay', 'invalid: bad'),
      refused('failed', 'rate-limited: slow down'),
      refused('sending', 'unreachable: connection refused'),
      out('failed', relays(false, false)) // no reason known: nothing says it is final
    ]) {
      expect(deliveryText(m)).toBe('Queued, will retry');
      expect(isQueued(m)).toBe(true);
    }
  });

  it('a message every relay refused for good says not sent, with the reason', () => {
    const m = refused('failed', 'blocked: not allowed here', 'invalid: event too large');
    expect(isQueued(m)).toBe(false);
    expect(deliveryText(m)).toBe('Not sent: blocked: not allowed here');
    expect(deliveryText(refused('failed', 'auth-required: sign in'))).toBe('Not sent: auth-required: sign in');
  });

  it('a sent message is never queued', () => {
    expect(isQueued(out('sent', relays(true, false)))).toBe(false);
  });

  it('says nothing under an incoming message', () => {
    expect(deliveryText({ direction: 'in', status: 'received', deliveries: [] })).toBe('');
  });
});

describe('opening at the first unread message', () => {
  const incoming = (n: number) => msg('A', n, { direction: 'in', status: 'received' });
  const outgoing = (n: number) => msg('A', n, { direction: 'out', status: 'sent' });

  it('marks the unread-th incoming message from the newest; my own messages are not counted', async () => {
    source.add(incoming(1), outgoing(2), incoming(3), outgoing(4), incoming(5), incoming(7));
    await model.open('A', 3);
    expect(model.firstUnread).toBe('A-0003');
  });

  it('marks nothing when nothing is unread, and forgets the mark when another chat opens', async () => {
    source.add(incoming(1), msg('B', 1, { direction: 'in', status: 'received' }));
    await model.open('A', 1);
    expect(model.firstUnread).toBe('A-0001');
    await model.open('B');
    expect(model.firstUnread).toBeUndefined();
  });

  it('reads older pages to reach the first unread message', async () => {
    source.add(...Array.from({ length: PAGE_SIZE * 2 }, (_, i) => incoming(i + 1)));
    const unread = PAGE_SIZE + 10;
    await model.open('A', unread);
    expect(model.messages.length).toBe(PAGE_SIZE * 2);
    expect(model.firstUnread).toBe(`A-${String(PAGE_SIZE * 2 - unread + 1).padStart(4, '0')}`);
  });

  it('stops after a few pages and marks the oldest message read so far', async () => {
    const total = PAGE_SIZE * (MAX_UNREAD_PAGES + 3);
    source.add(...Array.from({ length: total }, (_, i) => incoming(i + 1)));
    await model.open('A', total);
    expect(model.messages.length).toBe(PAGE_SIZE * (MAX_UNREAD_PAGES + 1));
    expect(model.firstUnread).toBe(model.messages[0]!.id);
  });
});

describe('downloads with progress and Cancel', () => {
  it('a download shows its progress, a second click starts nothing, and it is gone when done', async () => {
    const watches: TransferWatch[] = [];
    let finish: (() => void) | null = null;
    source.download = (_id, watch) => {
      watches.push(watch);
      return new Promise<void>((r) => (finish = r));
    };
    await model.open('A');
    const going = model.downloadFile('f1');
    expect(model.transfers).toEqual({ f1: { received: 0 } });
    void model.downloadFile('f1');
    expect(watches.length).toBe(1);
    watches[0]!.onProgress(1000, 4000);
    expect(model.transfers).toEqual({ f1: { received: 1000, total: 4000 } });
    watches[0]!.onProgress(1500, undefined); // a server that did not say how much
    expect(model.transfers).toEqual({ f1: { received: 1500 } });
    finish!();
    await going;
    expect(model.transfers).toEqual({});
    expect(model.error).toBe('');
  });

  it('Cancel aborts that download only and shows no problem; a real failure still says one', async () => {
    const watches = new Map<string, TransferWatch>();
    source.download = (id, watch) => {
      watches.set(id, watch);
      return new Promise<void>((_ok, fail) => watch.signal.addEventListener('abort', () => fail(new Error('download cancelled'))));
    };
    await model.open('A');
    const one = model.downloadFile('f1');
    const two = model.downloadFile('f2');
    model.cancelDownload('f1');
    await one;
    expect(watches.get('f1')!.signal.aborted).toBe(true);
    expect(watches.get('f2')!.signal.aborted).toBe(false);
    expect(model.transfers).toEqual({ f2: { received: 0 } });
    expect(model.error).toBe('');
    watches.get('f1')!.onProgress(10, 20); // a late report of the cancelled one changes nothing
    expect(model.transfers).toEqual({ f2: { received: 0 } });
    // leaving the chat stops the rest
    await model.open('B');
    await two;
    expect(watches.get('f2')!.signal.aborted).toBe(true);
    expect(model.transfers).toEqual({});
    source.download = undefined;
    await model.downloadFile('f3');
    expect(model.error).toBe('said: download failed');
  });
});

describe('images shown in the chat', () => {
  it('an image is downloaded once, shown by its URL, and released when another chat opens; a failure is said in words', async () => {
    const opened: string[] = [];
    const released: string[] = [];
    let gate: (() => void) | null = null;
    source.images = {
      open: async (id) => {
        opened.push(id);
        if (id === 'bad') throw new Error('not a picture');
        await new Promise<void>((r) => (gate = r));
        return `blob:veil/${id}`;
      },
      release: (url) => released.push(url)
    };
    await model.open('A');
    const showing = model.showImage('img1');
    expect(model.transfers).toEqual({ img1: { received: 0 } });
    void model.showImage('img1'); // a second click while it loads starts nothing
    await settle();
    gate!();
    await showing;
    expect(opened).toEqual(['img1']);
    expect(model.images).toEqual({ img1: 'blob:veil/img1' });
    expect(model.transfers).toEqual({});
    await model.showImage('img1');
    expect(opened).toEqual(['img1']);
    await model.showImage('bad');
    expect(model.error).toBe('said: not a picture');
    expect(model.images).toEqual({ img1: 'blob:veil/img1' });
    await model.open('B');
    expect(released).toEqual(['blob:veil/img1']);
    expect(model.images).toEqual({});
  });

  it('an image that arrives after its chat was left is released at once, not shown in the next one', async () => {
    const released: string[] = [];
    let gate: (() => void) | null = null;
    source.images = {
      open: async (id) => {
        await new Promise<void>((r) => (gate = r));
        return `blob:veil/${id}`;
      },
      release: (url) => released.push(url)
    };
    await model.open('A');
    const showing = model.showImage('img1');
    await settle();
    await model.open('B');
    gate!();
    await showing;
    expect(released).toEqual(['blob:veil/img1']);
    expect(model.images).toEqual({});
  });
});
