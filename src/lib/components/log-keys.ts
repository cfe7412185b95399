/** Roving focus in a conversation's log (Conversation.svelte): which message a key moves the focus to. */

/** The keys that move between messages; Tab leaves the list. */
export const LOG_KEYS: readonly string[] = ['ArrowUp', 'ArrowDown', 'Home', 'End'];

/** The messages of the log that are in the DOM, oldest first. */
export const messageItems = (log: HTMLElement): HTMLElement[] => [...log.querySelectorAll<HTMLElement>('article.msg')];

/** Where `key` moves the focus from message `at` (-1: none has it) among `count`. */
export function nextIndex(key: string, at: number, count: number): number {
  if (key === 'Home') return 0;
  if (key === 'End') return count - 1;
  return Math.max(0, Math.min(count - 1, (at < 0 ? count : at) + (key === 'ArrowUp' ? -1 : 1)));
}
