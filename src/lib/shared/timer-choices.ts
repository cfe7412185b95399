/**
 * The disappearing-message timers a chat can have (issue 15 §2), in seconds; 0 is off. A leaf, so the
 * timer picker loads without the sync layer. The rules are in sync/disappearing.ts.
 */
export const TIMER_CHOICES = [0, 60, 300, 3_600, 86_400, 604_800, 2_419_200] as const;
export type TimerSeconds = (typeof TIMER_CHOICES)[number];

const LABELS: Record<TimerSeconds, string> = {
  0: 'Off',
  60: '1 minute',
  300: '5 minutes',
  3_600: '1 hour',
  86_400: '1 day',
  604_800: '1 week',
  2_419_200: '4 weeks'
};

export function isTimer(v: unknown): v is TimerSeconds {
  return typeof v === 'number' && (TIMER_CHOICES as readonly number[]).includes(v);
}

/** "1 minute", "4 weeks", "Off". */
export function timerLabel(seconds: TimerSeconds): string {
  return LABELS[seconds];
}
