/**
 * Words the page shows for things the sync layer names in English: the disappearing timers and the
 * lines Veil writes into a chat (sync/read-models.ts sets `systemLine`). The message a timer change
 * sends to the contact (sync/disappearing.ts timerNotice) stays English: other apps show it as text.
 */
import type { TimerSeconds } from '../shared/timer-choices';
import type { ChatMessage } from '../sync/types';
import { m } from '../paraglide/messages';

const LABELS: Record<TimerSeconds, () => string> = {
  0: m.timer_off,
  60: m.timer_1min,
  300: m.timer_5min,
  3_600: m.timer_1h,
  86_400: m.timer_1d,
  604_800: m.timer_1w,
  2_419_200: m.timer_4w
};

/** "1 minute", "4 weeks", "Off" in the app's language. */
export function timerName(seconds: TimerSeconds): string {
  return LABELS[seconds]();
}

/** The text of a system line; `peer`: who the chat is with. */
export function systemText(msg: ChatMessage, peer: string): string {
  const line = msg.systemLine;
  if (!line) return msg.text;
  if (line.kind === 'upgrade') return m.sys_upgraded();
  const seconds = line.seconds as TimerSeconds;
  if (!(seconds in LABELS)) return msg.text;
  if (seconds === 0) return line.byMe ? m.sys_timer_off_me() : m.sys_timer_off_peer({ who: peer });
  const after = timerName(seconds).toLowerCase();
  return line.byMe ? m.sys_timer_set_me({ after }) : m.sys_timer_set_peer({ who: peer, after });
}
