/** Persistent storage (src/lib/app/persist.ts, issue 13 item 6): the browser's answer, and what is missing. */
import { describe, expect, it } from 'vitest';
import { persistState, requestPersist } from '../../src/lib/app/persist';

describe('persistent storage', () => {
  it('reports what holds without asking, and asks only in requestPersist', async () => {
    const calls: string[] = [];
    let granted = false;
    const storage = {
      persisted: async () => (calls.push('persisted'), granted),
      persist: async () => (calls.push('persist'), (granted = true))
    };
    expect(await persistState(storage)).toBe('best-effort');
    expect(calls).toEqual(['persisted']);
    expect(await requestPersist(storage)).toBe('persisted');
    expect(await persistState(storage)).toBe('persisted');
    expect(calls).toEqual(['persisted', 'persist', 'persisted']);
  });
  it('shows a refusal as best-effort and a missing API as unsupported', async () => {
    expect(await requestPersist({ persist: async () => false })).toBe('best-effort');
    expect(await requestPersist({})).toBe('unsupported');
    expect(await persistState({})).toBe('unsupported');
  });
});
