/**
 * Unread messages shown outside the chat list (issue 13 item 3): the count in the tab title
 * ("(3) Veil") and on the app badge (Badging API), and a notification when a message arrives while
 * the page is hidden or its chat is not open. Permission is asked only from a visible prompt once a
 * chat exists; a notification says "New message" and nothing else unless the user chose to show
 * sender and preview (a sealed setting). The page globals sit behind `NotifyPlatform`, so this runs
 * (and is tested) in Node.
 */
import type { ChatSummary } from '$lib/sync/types';
import { m } from '../paraglide/messages';

/** Sealed settings (store settings are sealed by default: who writes is about the user). */
export const SETTING_PREVIEW = 'app.notify-preview';
export const SETTING_PROMPT_DONE = 'app.notify-prompt-done';
/** What a notification says when its content is hidden (the default), in English; shown in the app's language. */
export const HIDDEN_TITLE = 'New message';
/** Longest preview text in a notification. */
export const PREVIEW_CHARS = 120;

export type Permission = NotificationPermission | 'unsupported';

/** What a notification shows and where its click leads. */
export interface NotificationSpec {
  title: string;
  body: string;
  /** One notification per chat: a newer one replaces the older. */
  tag: string;
  chatId: string;
}

/** The page globals this module uses (browserPlatform() below; tests pass fakes). */
export interface NotifyPlatform {
  permission(): Permission;
  requestPermission(): Promise<NotificationPermission>;
  /** Sets the app badge (0 clears it); does nothing where the Badging API is missing. */
  setBadge(count: number): void;
  show(spec: NotificationSpec, onclick: () => void): void;
  /** Whether the page is out of sight (another tab, minimised, screen off). */
  hidden(): boolean;
  /** The chat open in this page (`/?chat=<id>`), or null. */
  openChat(): string | null;
  /** Brings this page to the front. */
  focus(): void;
}

/** Sealed settings (VeilStore's getSetting/setSetting). */
export interface SettingsStore {
  getSetting(key: string): Promise<unknown>;
  setSetting(key: string, value: boolean): Promise<void>;
}

type Unread = Pick<ChatSummary, 'id' | 'unread'>;

/** Unread messages over all chats (requests included: they are messages nobody has seen). */
export function unreadCount(chats: readonly Unread[]): number {
  return chats.reduce((n, c) => n + Math.max(0, c.unread), 0);
}

/** "(3) Veil", or the plain title when nothing is unread. */
export function unreadTitle(base: string, count: number): string {
  return count > 0 ? `(${count}) ${base}` : base;
}

/** The chats whose unread count rose since `before` (a chat new since then counts when it has unread). */
export function arrivals(before: ReadonlyMap<string, number>, chats: readonly Unread[]): string[] {
  return chats.filter((c) => c.unread > (before.get(c.id) ?? 0)).map((c) => c.id);
}

/** Notify about `chatId` only when the person cannot see it arrive. */
export function shouldNotify(chatId: string, view: { hidden: boolean; openChat: string | null }): boolean {
  return view.hidden || view.openChat !== chatId;
}

/**
 * What a notification says. Hidden (the default): "New message", no sender, no text, so a locked
 * screen or someone beside you learns nothing. Shown: the contact's name and the start of the text.
 * A request (a stranger) never shows its content: a stranger chooses what it says.
 */
export function notificationFor(chat: Pick<ChatSummary, 'id' | 'name' | 'peerNpub' | 'preview'>, opts: { preview: boolean; request: boolean }): NotificationSpec {
  const base = { tag: `veil-chat-${chat.id}`, chatId: chat.id };
  if (!opts.preview) return { ...base, title: m.notif_new_message(), body: '' };
  if (opts.request) return { ...base, title: m.notif_new_request(), body: '' };
  const text = chat.preview ?? '';
  return {
    ...base,
    title: chat.name ?? `${chat.peerNpub.slice(0, 16)}…`, // as the chat list names them
    body: text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS - 1)}…` : text
  };
}

export class Notify {
  /** Unread messages over all chats and requests. */
  unread = $state(0);
  permission = $state<Permission>('unsupported');
  /** Notifications show sender and preview (off by default). */
  showPreview = $state(false);
  /** The in-app prompt was answered or dismissed (stays true until the settings are read). */
  promptDone = $state(true);
  /** Opens a chat in this page (the layout wires it to the router). */
  opener: (chatId: string) => void = () => {};

  readonly #store: () => SettingsStore | null;
  readonly #owner: () => boolean;
  readonly #platform: NotifyPlatform;
  /** Unread per chat at the last update; null until the first list of this session (a baseline, no notifications). */
  #before: Map<string, number> | null = null;
  /** The sealed settings' read of this session (null until the first list). */
  #loading: Promise<void> | null = null;

  /** `store`: the sealed settings when unlocked; `owner`: whether this tab holds the sockets (it alone notifies). */
  constructor(store: () => SettingsStore | null, owner: () => boolean, platform: NotifyPlatform = browserPlatform()) {
    this.#store = store;
    this.#owner = owner;
    this.#platform = platform;
    this.permission = platform.permission();
  }

  /** The chat lists changed: title count, badge, and a notification for each chat that got new messages. */
  update(chats: readonly ChatSummary[], requests: readonly ChatSummary[]): void {
    this.#loading ??= this.#load();
    const all = [...chats, ...requests];
    const count = unreadCount(all);
    if (count !== this.unread || this.#before === null) this.#platform.setBadge(count);
    this.unread = count;
    const before = this.#before;
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a snapshot to compare with, not UI state
    this.#before = new Map(all.map((c) => [c.id, c.unread]));
    if (!before || !this.#owner() || this.#platform.permission() !== 'granted') return;
    const view = { hidden: this.#platform.hidden(), openChat: this.#platform.openChat() };
    for (const id of arrivals(before, all)) {
      if (!shouldNotify(id, view)) continue;
      const chat = all.find((c) => c.id === id)!;
      const spec = notificationFor(chat, { preview: this.showPreview, request: !chats.includes(chat) });
      this.#platform.show(spec, () => {
        this.#platform.focus();
        this.opener(id);
      });
    }
  }

  /** The vault locked: the next list is a new baseline (the badge stays: it counts what waits). */
  pause(): void {
    this.#before = null;
    this.#loading = null;
    this.promptDone = true;
  }

  /** Whether to offer notifications now: a chat exists, the browser can ask, and the person has not answered. */
  wantsPrompt(chats: readonly ChatSummary[]): boolean {
    return chats.length > 0 && this.permission === 'default' && !this.promptDone;
  }

  /** Asks the browser (from a click); resolves to the answer. The prompt does not come back. */
  async enable(): Promise<Permission> {
    if (this.#platform.permission() === 'unsupported') return 'unsupported';
    try {
      this.permission = await this.#platform.requestPermission();
    } finally {
      await this.dismissPrompt();
    }
    return this.permission;
  }

  /** "Not now": the prompt is not shown again (Settings can still turn notifications on). */
  async dismissPrompt(): Promise<void> {
    this.promptDone = true;
    await this.#store()?.setSetting(SETTING_PROMPT_DONE, true);
  }

  /** Shows sender and preview in notifications, or hides them again. */
  async setShowPreview(on: boolean): Promise<void> {
    const store = this.#store();
    if (!store) throw new Error('Veil is locked');
    await store.setSetting(SETTING_PREVIEW, on);
    this.showPreview = on;
  }

  /** Resolves once this session's settings are read (they apply from then on). */
  async ready(): Promise<void> {
    await this.#loading;
  }

  async #load(): Promise<void> {
    const store = this.#store();
    if (!store) return;
    this.permission = this.#platform.permission();
    const [preview, done] = await Promise.all([store.getSetting(SETTING_PREVIEW), store.getSetting(SETTING_PROMPT_DONE)]);
    this.showPreview = preview === true;
    this.promptDone = done === true;
  }
}

/** The real page: Notification API, Badging API (both feature-detected), visibility and the address. */
export function browserPlatform(): NotifyPlatform {
  const hasNotification = () => typeof Notification !== 'undefined';
  const nav = () => (typeof navigator === 'undefined' ? undefined : (navigator as Navigator & Partial<Pick<Navigator, 'setAppBadge' | 'clearAppBadge'>>));
  return {
    permission: () => (hasNotification() ? Notification.permission : 'unsupported'),
    requestPermission: () => Notification.requestPermission(),
    setBadge(count) {
      const n = nav();
      const done = count > 0 ? n?.setAppBadge?.(count) : n?.clearAppBadge?.();
      void done?.catch(() => {}); // a badge is a hint; a refusal (not installed) changes nothing
    },
    show(spec, onclick) {
      const options = { body: spec.body, tag: spec.tag, data: { url: `/?chat=${encodeURIComponent(spec.chatId)}` } };
      try {
        const n = new Notification(spec.title, options);
        n.onclick = () => {
          n.close();
          onclick();
        };
      } catch {
        // Android Chrome allows notifications only through the worker (its notificationclick opens data.url).
        void navigator.serviceWorker?.getRegistration().then((reg) => reg?.showNotification(spec.title, options)).catch(() => {});
      }
    },
    hidden: () => document.visibilityState === 'hidden',
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- read once, at a message's arrival
    openChat: () => new URLSearchParams(location.search).get('chat'),
    focus: () => window.focus()
  };
}
