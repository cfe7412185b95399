/**
 * Unread messages outside the chat list (src/lib/app/notify.svelte.ts, issue 13 item 3): the count in
 * the tab title and on the app badge follows arrivals and reads; a notification only for a chat that
 * got new messages while the page is hidden or that chat is not open, only in the tab holding the
 * sockets and only once permission is granted; its content is hidden unless the sealed setting says
 * otherwise; a click focuses the page and opens that chat; the prompt appears only once a chat exists.
 * The settings live in a real VeilStore (fake-indexeddb), sealed.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import {
  arrivals,
  HIDDEN_TITLE,
  notificationFor,
  Notify,
  PREVIEW_CHARS,
  SETTING_PREVIEW,
  shouldNotify,
  unreadCount,
  unreadTitle,
  type NotificationSpec,
  type NotifyPlatform,
  type Permission
} from '../../src/lib/app/notify.svelte';
import { VeilStore } from '../../src/lib/store/db';
import type { ChatSummary } from '../../src/lib/sync/types';
import { freshPlatform, rawDump, TEST_ITERATIONS } from '../helpers/store-idb';

function chat(id: string, unread: number, extra: Partial<ChatSummary> = {}): ChatSummary {
  return { id, peer: `${id}-peer`, peerNpub: `npub1${id}`, fingerprint: `FP-${id}`, state: 'accepted', protocol: 'veil', lastActivity: 1, unread, ...extra } as ChatSummary;
}

/** A page in memory: every badge, notification and focus recorded. */
class FakePage implements NotifyPlatform {
  perm: Permission = 'granted';
  isHidden = false;
  open: string | null = null;
  badges: number[] = [];
  shown: Array<{ spec: NotificationSpec; click: () => void }> = [];
  focused = 0;
  asked = 0;
  answer: NotificationPermission = 'granted';
  permission = () => this.perm;
  requestPermission = async () => {
    this.asked++;
    this.perm = this.answer;
    return this.answer;
  };
  setBadge = (n: number) => void this.badges.push(n);
  show = (spec: NotificationSpec, click: () => void) => void this.shown.push({ spec, click });
  hidden = () => this.isHidden;
  openChat = () => this.open;
  focus = () => void this.focused++;
}

describe('unread count and title', () => {
  it('sums the unread of chats and requests, never below zero', () => {
    expect(unreadCount([chat('a', 2), chat('b', 0), chat('c', 1)])).toBe(3);
    expect(unreadCount([chat('a', -1)])).toBe(0);
    expect(unreadCount([])).toBe(0);
  });
  it('prefixes the title with the count only when something is unread', () => {
    expect(unreadTitle('Veil', 3)).toBe('(3) Veil');
    expect(unreadTitle('Veil: Settings', 1)).toBe('(1) Veil: Settings');
    expect(unreadTitle('Veil', 0)).toBe('Veil');
  });
  it('finds the chats whose unread rose, new chats included', () => {
    const before = new Map([
      ['a', 1],
      ['b', 2]
    ]);
    expect(arrivals(before, [chat('a', 2), chat('b', 0), chat('c', 1), chat('d', 0)])).toEqual(['a', 'c']);
  });
  it('notifies only when the page is hidden or another chat is open', () => {
    expect(shouldNotify('a', { hidden: false, openChat: 'a' })).toBe(false);
    expect(shouldNotify('a', { hidden: true, openChat: 'a' })).toBe(true);
    expect(shouldNotify('a', { hidden: false, openChat: 'b' })).toBe(true);
    expect(shouldNotify('a', { hidden: false, openChat: null })).toBe(true);
  });
});

describe('notification content', () => {
  const c = chat('a', 1, { name: 'Bob', preview: 'meet at noon' });
  it('is hidden by default: "New message", no sender, no text', () => {
    const n = notificationFor(c, { preview: false, request: false });
    expect(n).toEqual({ title: HIDDEN_TITLE, body: '', tag: 'veil-chat-a', chatId: 'a' });
    expect(JSON.stringify(n)).not.toContain('Bob');
    expect(JSON.stringify(n)).not.toContain('noon');
  });
  it('shows sender and preview when chosen, cut to PREVIEW_CHARS', () => {
    expect(notificationFor(c, { preview: true, request: false })).toMatchObject({ title: 'Bob', body: 'meet at noon' });
    const long = notificationFor(chat('a', 1, { preview: 'x'.repeat(500) }), { preview: true, request: false });
    expect(long.title).toBe('npub1a…');
    expect(long.body).toHaveLength(PREVIEW_CHARS);
    expect(long.body.endsWith('…')).toBe(true);
  });
  it('never shows what a stranger wrote', () => {
    const n = notificationFor(c, { preview: true, request: true });
    expect(n.title).toBe('New message request');
    expect(n.body).toBe('');
  });
});

describe('Notify', () => {
  let store: VeilStore;
  let platform: ReturnType<typeof freshPlatform>;
  let page: FakePage;
  let owner: boolean;
  let notify: Notify;
  let opened: string[];

  beforeEach(async () => {
    platform = freshPlatform();
    store = await VeilStore.open(platform, 'veil-notify');
    await store.setupVault('correct horse battery staple', { iterations: TEST_ITERATIONS });
    page = new FakePage();
    owner = true;
    opened = [];
    notify = new Notify(() => store, () => owner, page);
    notify.opener = (id) => opened.push(id);
  });

  it('takes the first list as a baseline, then counts arrivals and reads on title and badge', async () => {
    notify.update([chat('a', 2)], []);
    expect(notify.unread).toBe(2);
    expect(page.badges).toEqual([2]);
    expect(page.shown).toEqual([]); // unread from before this session: no notification
    await notify.ready();
    notify.update([chat('a', 3)], [chat('r', 1, { state: 'request' })]);
    expect(notify.unread).toBe(4);
    notify.update([chat('a', 0)], [chat('r', 1, { state: 'request' })]); // chat a was read
    notify.update([chat('a', 0)], []);
    expect(notify.unread).toBe(0);
    expect(page.badges).toEqual([2, 4, 1, 0]);
  });

  it('notifies with hidden content, once per arrival, and a click focuses and opens that chat', async () => {
    notify.update([chat('a', 0, { name: 'Bob', preview: 'secret' })], []);
    await notify.ready();
    notify.update([chat('a', 1, { name: 'Bob', preview: 'secret' })], []);
    notify.update([chat('a', 1, { name: 'Bob', preview: 'secret' })], []); // nothing new
    expect(page.shown.map((s) => s.spec)).toEqual([{ title: HIDDEN_TITLE, body: '', tag: 'veil-chat-a', chatId: 'a' }]);
    page.shown[0]!.click();
    expect(page.focused).toBe(1);
    expect(opened).toEqual(['a']);
  });

  it('stays quiet for the open chat in a visible page, and notifies for it once the page is hidden', async () => {
    page.open = 'a';
    notify.update([chat('a', 0), chat('b', 0)], []);
    await notify.ready();
    notify.update([chat('a', 1), chat('b', 0)], []);
    expect(page.shown).toEqual([]);
    notify.update([chat('a', 1), chat('b', 1)], []);
    expect(page.shown.map((s) => s.spec.chatId)).toEqual(['b']);
    page.isHidden = true;
    notify.update([chat('a', 2), chat('b', 1)], []);
    expect(page.shown.map((s) => s.spec.chatId)).toEqual(['b', 'a']);
  });

  it('shows nothing without permission, nor in a tab that does not hold the sockets (which still counts)', async () => {
    page.perm = 'default';
    notify.update([chat('a', 0)], []);
    await notify.ready();
    notify.update([chat('a', 1)], []);
    page.perm = 'granted';
    owner = false;
    notify.update([chat('a', 2)], []);
    expect(page.shown).toEqual([]);
    expect(notify.unread).toBe(2);
  });

  it('keeps the show-preview choice sealed in the store and applies it', async () => {
    notify.update([chat('a', 0, { name: 'Bob', preview: 'meet at noon' })], []);
    await notify.ready();
    expect(notify.showPreview).toBe(false);
    await notify.setShowPreview(true);
    expect(await store.getSetting(SETTING_PREVIEW)).toBe(true);
    notify.update([chat('a', 1, { name: 'Bob', preview: 'meet at noon' })], []);
    expect(page.shown[0]!.spec).toMatchObject({ title: 'Bob', body: 'meet at noon' });
    const rec = (await rawDump(platform, 'veil-notify')).find((r) => r.store === 'settings' && r.key === SETTING_PREVIEW);
    expect(rec?.value).toMatchObject({ sealed: expect.any(Uint8Array) }); // sealed: the choice itself is not on disk in the clear
    expect(rec?.value).not.toHaveProperty('value');

    // A new session (after a lock) reads it back.
    const again = new Notify(() => store, () => true, new FakePage());
    again.update([], []);
    await again.ready();
    expect(again.showPreview).toBe(true);
  });

  it('offers the permission prompt only once a chat exists, asks only from enable(), and not again', async () => {
    page.perm = 'default';
    notify = new Notify(() => store, () => owner, page);
    notify.update([], []);
    await notify.ready();
    expect(notify.wantsPrompt([])).toBe(false);
    expect(page.asked).toBe(0); // never on load
    expect(notify.wantsPrompt([chat('a', 0)])).toBe(true);
    page.answer = 'denied';
    expect(await notify.enable()).toBe('denied');
    expect(page.asked).toBe(1);
    expect(notify.wantsPrompt([chat('a', 0)])).toBe(false);
    const next = new Notify(() => store, () => owner, page);
    page.perm = 'default';
    next.update([chat('a', 0)], []);
    await next.ready();
    expect(next.wantsPrompt([chat('a', 0)])).toBe(false); // answered once: stays answered
  });

  it('"Not now" hides the prompt for good; a lock starts a new baseline and leaves the badge', async () => {
    page.perm = 'default';
    notify = new Notify(() => store, () => owner, page);
    notify.update([chat('a', 1)], []);
    await notify.ready();
    expect(notify.wantsPrompt([chat('a', 1)])).toBe(true);
    await notify.dismissPrompt();
    expect(notify.wantsPrompt([chat('a', 1)])).toBe(false);
    page.perm = 'granted';
    notify.pause();
    expect(page.badges).toEqual([1]);
    notify.update([chat('a', 3)], []); // first list after unlock: a baseline again
    expect(page.shown).toEqual([]);
  });
});
