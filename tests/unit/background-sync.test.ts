/** The page's Background Sync registration for the worker's outbox flush (src/lib/app/background-sync.ts, issue 13 item 1). */
import { describe, expect, it } from 'vitest';
import { registerOutboxSync } from '../../src/lib/app/background-sync';
import { OUTBOX_SYNC_TAG } from '../../src/lib/sync/worker-flush';

describe('registerOutboxSync', () => {
  it('registers the outbox tag with the ready service worker', async () => {
    const tags: string[] = [];
    const ok = await registerOutboxSync({ ready: Promise.resolve({ sync: { register: async (tag: string) => void tags.push(tag) } }) });
    expect(ok).toBe(true);
    expect(tags).toEqual([OUTBOX_SYNC_TAG]);
    expect(OUTBOX_SYNC_TAG).toBe('veil-outbox');
  });
  it('is false without service workers, without Background Sync, or when the browser refuses', async () => {
    expect(await registerOutboxSync(undefined)).toBe(false);
    expect(await registerOutboxSync({ ready: Promise.resolve({}) })).toBe(false);
    const refused = { register: () => Promise.reject(new DOMException('Permission denied.', 'NotAllowedError')) };
    expect(await registerOutboxSync({ ready: Promise.resolve({ sync: refused }) })).toBe(false);
  });
});
