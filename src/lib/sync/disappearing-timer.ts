/**
 * Disappearing messages at run time (rules in disappearing.ts): each chat's agreed timer (a sealed
 * setting `sync.timer.<conversationId>`, the newest control message wins) and the sweeper.
 *
 * The sweeper deletes due messages from the store (messages, their outbox entries, unread, preview:
 * store repos/expiry.ts) and their reactions, then tells the screen (a `messages` event per chat, so
 * an open chat drops them live). It runs at start and then ONCE per deadline: one timer armed for
 * the earliest `expiresAt` stored (re-armed earlier when a sooner message is stored), never a
 * polling loop; with nothing due, no timer at all (except a daily re-check for a deadline beyond
 * what one timer can wait).
 */
import { VeilError } from '../shared/errors';
import { emitChanged, type SyncContext } from './context';
import { isTimer, parseChatTimer, type ChatTimer, type TimerSeconds } from './disappearing';
import { deleteReactionsFor } from './reactions';

/** The longest single wait (ms): setTimeout cannot wait past 2^31 ms, and a day is cheap to re-check. */
const MAX_WAIT_MS = 86_400_000;
const timerKey = (conversationId: string) => `sync.timer.${conversationId}`;

export interface DisappearingDeps {
  /** Sends a control message (text, tag) into the chat; resolves to its id once it is in the outbox. */
  sendControl(conversationId: string, seconds: TimerSeconds): Promise<string>;
}

export class Disappearing {
  readonly #ctx: SyncContext;
  readonly #d: DisappearingDeps;
  #handle: unknown;
  #armedFor = Infinity;
  #running = false;
  #sweeping: Promise<void> = Promise.resolve();

  constructor(ctx: SyncContext, deps: DisappearingDeps) {
    this.#ctx = ctx;
    this.#d = deps;
  }

  /** The chat's timer (seconds 0 when off or never set). */
  async get(conversationId: string): Promise<ChatTimer> {
    return parseChatTimer(await this.#ctx.store.getSetting(timerKey(conversationId)).catch(() => undefined));
  }

  /** Seconds new messages in the chat disappear after (0: they do not). */
  async seconds(conversationId: string): Promise<number> {
    return (await this.get(conversationId)).seconds;
  }

  /** Sets the chat's timer: a control message goes into the chat, and the setting is mine from its created_at. */
  async set(conversationId: string, seconds: TimerSeconds): Promise<void> {
    if (!isTimer(seconds)) throw new VeilError('INVALID_INPUT', 'unknown timer');
    const id = await this.#d.sendControl(conversationId, seconds);
    const at = (await this.#ctx.store.getMessage(id))?.createdAt ?? this.#ctx.nowS();
    await this.adopt(conversationId, seconds, this.#ctx.me, at);
  }

  /** A control message was stored (sent here, or received): its setting wins unless a newer one is known. */
  async adopt(conversationId: string, seconds: TimerSeconds, by: string, at: number): Promise<void> {
    const cur = await this.get(conversationId);
    if (cur.by !== undefined && cur.at > at) return;
    await this.#ctx.store.setSetting(timerKey(conversationId), { seconds, by, at });
    this.#ctx.emit({ type: 'chats' });
  }

  /** Forgets a chat's setting (the chat was deleted). */
  async forget(conversationId: string): Promise<void> {
    await this.#ctx.store.deleteSetting(timerKey(conversationId));
  }

  /** Sweeps now and arms the timer for the next deadline. */
  start(): Promise<void> {
    this.#running = true;
    return this.sweep();
  }

  stop(): void {
    this.#running = false;
    this.#disarm();
  }

  /** A message that disappears at `expiresAt` (ms) was stored: arm for it if it is the soonest. */
  due(expiresAt: number): void {
    if (this.#running && expiresAt < this.#armedFor) this.#arm(expiresAt);
  }

  /** Deletes everything due now, then arms for the next deadline. One sweep at a time. */
  sweep(): Promise<void> {
    const run = this.#sweeping.then(() => this.#sweepOnce());
    this.#sweeping = run.catch((e: unknown) => this.#ctx.fail(e));
    return this.#sweeping;
  }

  async #sweepOnce(): Promise<void> {
    this.#disarm();
    const { store } = this.#ctx;
    const r = await store.expiring.sweep(this.#ctx.now());
    for (const cid of r.conversations) {
      await deleteReactionsFor(store, cid, r.ids).catch((e: unknown) => this.#ctx.fail(e));
      emitChanged(this.#ctx, cid);
    }
    const next = await store.expiring.next();
    if (next !== undefined && this.#running) this.#arm(next);
  }

  #arm(at: number): void {
    this.#disarm();
    this.#armedFor = at;
    const wait = Math.min(Math.max(0, at - this.#ctx.now()), MAX_WAIT_MS);
    this.#handle = this.#ctx.timers.setTimeout(() => {
      this.#handle = undefined;
      this.#armedFor = Infinity;
      void this.sweep();
    }, wait);
  }

  #disarm(): void {
    if (this.#handle !== undefined) this.#ctx.timers.clearTimeout(this.#handle);
    this.#handle = undefined;
    this.#armedFor = Infinity;
  }
}
