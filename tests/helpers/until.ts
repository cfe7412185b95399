/**
 * Waiting for a condition in messenger tests: re-checked on every event of the given messengers and
 * at a short interval (relay-side changes emit nothing), failing with `what` after `timeoutMs`.
 */
import type { MessengerEvent } from '../../src/lib/sync/types';

export interface Emitter {
  on(listener: (e: MessengerEvent) => void): () => void;
}

export async function untilChecked<T>(emitters: readonly Emitter[], check: () => Promise<T | undefined | false>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let wake: (() => void) | undefined;
  const offs = emitters.map((m) => m.on(() => wake?.()));
  try {
    for (;;) {
      const v = await check();
      if (v !== undefined && v !== false) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 100).unref?.();
      });
    }
  } finally {
    for (const off of offs) off();
  }
}
