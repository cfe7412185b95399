/**
 * catch-up.ts against a fake pool that answers like a relay: newest first, `since`/`until`
 * inclusive, `limit` clamped to the relay's own cap (which it may not announce). A real event
 * older than thousands of junk events is still read; a page that comes back short ends paging;
 * one second holding more events than a page, or the page bound, is reported incomplete; a
 * reconnect's second EOSE pages again.
 */
import { describe, expect, it } from 'vitest';
import type { PoolSubscribeHandlers, RelayPool } from '../../src/lib/relay/pool';
import type { Filter } from '../../src/lib/relay/types';
import type { TrustedEvent } from '../../src/lib/shared/trusted-event';
import { catchUp, fullPage, nextUntil, UNKNOWN_RELAY_PAGE } from '../../src/lib/sync/catch-up';
import { relayStatusView } from '../../src/lib/sync/relays';

const RELAY = 'ws://relay.test';
const TAG = 'a'.repeat(64);

function ev(id: number, createdAt: number, tag = TAG): TrustedEvent {
  return { id: id.toString(16).padStart(64, '0'), pubkey: 'b'.repeat(64), kind: 1067, created_at: createdAt, tags: [['p', tag]], content: '', sig: 'c'.repeat(128) } as unknown as TrustedEvent;
}

/** A relay holding `events`, capping limit at `cap`; counts the REQs it answered. */
class FakeRelay {
  reqs: Filter[][] = [];
  subs = new Set<{ filters: Filter[]; h: PoolSubscribeHandlers }>();
  constructor(
    public events: TrustedEvent[],
    private readonly cap: number,
    private readonly announced?: number
  ) {}

  answer(filters: Filter[]): TrustedEvent[] {
    const out = new Map<string, TrustedEvent>();
    for (const f of filters) {
      const match = this.events
        .filter((e) => (f.kinds ?? [e.kind]).includes(e.kind))
        .filter((e) => !f['#p'] || f['#p'].includes(e.tags[0]![1]!))
        .filter((e) => (f.since === undefined || e.created_at >= f.since) && (f.until === undefined || e.created_at <= f.until))
        .sort((a, b) => b.created_at - a.created_at || (a.id < b.id ? -1 : 1))
        .slice(0, Math.min(f.limit ?? 100, this.cap));
      for (const e of match) out.set(e.id, e);
    }
    return [...out.values()];
  }

  pool(): RelayPool {
    return {
      subscribe: (filters: Filter[], h: PoolSubscribeHandlers) => {
        this.reqs.push(filters);
        const rec = { filters, h };
        this.subs.add(rec);
        // Answer asynchronously, as a socket would.
        queueMicrotask(() => this.deliver(rec));
        return { close: () => this.subs.delete(rec) };
      },
      status: () => [{ url: RELAY, info: this.announced !== undefined ? { supported_nips: [], limitation: { max_limit: this.announced } } : undefined }]
    } as unknown as RelayPool;
  }

  /** Sends the stored answer and EOSE to one subscription (again after a "reconnect"). */
  deliver(rec: { filters: Filter[]; h: PoolSubscribeHandlers }): void {
    if (!this.subs.has(rec)) return;
    for (const e of this.answer(rec.filters)) rec.h.onevent(e, new Set([RELAY]));
    rec.h.onrelayeose?.(RELAY);
    rec.h.oneose?.();
  }
}

function run(relay: FakeRelay, opts: { once?: boolean; maxPages?: number; filters?: Filter[] } = {}) {
  const got = new Set<string>();
  const done: boolean[] = [];
  let finished: (c: boolean) => void = () => {};
  const complete = new Promise<boolean>((r) => (finished = r));
  const sub = catchUp(
    relay.pool(),
    opts.filters ?? [{ kinds: [1067], '#p': [TAG], since: 0 }],
    {
      onevent: (e) => void got.add(e.id),
      onrelaydone: (_r, c) => void done.push(c),
      ondone: (c) => finished(c)
    },
    { relays: [RELAY], once: opts.once ?? false, maxLimit: (r) => relay.pool().status().find((s) => s.url === r)?.info?.limitation.max_limit, ...(opts.maxPages ? { maxPages: opts.maxPages } : {}) }
  );
  return { got, done, complete, sub };
}

describe('catch-up in pages', () => {
  it('reads a real event under 2,500 newer junk events from a relay that silently caps limit at 500', async () => {
    const real = ev(1, 1000);
    const junk = Array.from({ length: 2500 }, (_, i) => ev(10 + i, 2000 + i));
    const relay = new FakeRelay([real, ...junk], 500);
    const r = run(relay, { once: true });
    expect(await r.complete).toBe(true);
    expect(r.got.has(real.id)).toBe(true);
    expect(r.got.size).toBe(2501);
    expect(r.done).toEqual([true]);
    // 500 per page, inclusive `until`: 6 pages, the last one short
    expect(relay.reqs).toHaveLength(6);
    expect(relay.reqs.slice(1).every((f) => f.length === 1 && typeof f[0]!.until === 'number')).toBe(true);
  });

  it('a page that comes back short ends paging (no extra REQ) when max_limit is announced', async () => {
    const relay = new FakeRelay(Array.from({ length: 300 }, (_, i) => ev(i + 1, 1000 + i)), 500, 500);
    const r = run(relay);
    expect(await r.complete).toBe(true);
    expect(r.got.size).toBe(300);
    expect(relay.reqs).toHaveLength(1);
  });

  it('with no max_limit announced, a page of UNKNOWN_RELAY_PAGE events is followed by one more', async () => {
    const relay = new FakeRelay(Array.from({ length: UNKNOWN_RELAY_PAGE }, (_, i) => ev(i + 1, 1000 + i)), UNKNOWN_RELAY_PAGE);
    const r = run(relay);
    expect(await r.complete).toBe(true);
    expect(relay.reqs).toHaveLength(2);
    expect(relay.reqs[1]![0]!.until).toBe(1000);
  });

  it('with no max_limit announced, a relay that clamps silently at 20 is still read to the end', async () => {
    const relay = new FakeRelay(Array.from({ length: 45 }, (_, i) => ev(i + 1, 1000 + i)), 20);
    const r = run(relay);
    expect(await r.complete).toBe(true);
    expect(r.got.size).toBe(45);
  });

  it('with max_limit announced, a round but short page ends paging', async () => {
    const relay = new FakeRelay(Array.from({ length: 30 }, (_, i) => ev(i + 1, 1000 + i)), 500, 500);
    const r = run(relay);
    expect(await r.complete).toBe(true);
    expect(relay.reqs).toHaveLength(1);
  });

  it('pages each filter on its own: junk in one filter does not page the other', async () => {
    const other = 'd'.repeat(64);
    const relay = new FakeRelay([ev(1, 500, other), ...Array.from({ length: 1200 }, (_, i) => ev(10 + i, 1000 + i))], 500, 500);
    const r = run(relay, { filters: [{ kinds: [1067], '#p': [other], since: 0 }, { kinds: [1067], '#p': [TAG], since: 0 }] });
    expect(await r.complete).toBe(true);
    expect(r.got.size).toBe(1201);
    expect(relay.reqs.slice(1).every((f) => f[0]!['#p']![0] === TAG)).toBe(true);
  });

  it('one second holding more events than a page: skipped past, reported incomplete, older events still read', async () => {
    const real = ev(1, 900);
    const relay = new FakeRelay([real, ...Array.from({ length: 700 }, (_, i) => ev(10 + i, 1000))], 500, 500);
    const r = run(relay);
    expect(await r.complete).toBe(false);
    expect(r.got.has(real.id)).toBe(true);
    expect(r.done).toEqual([false]);
  });

  it('the page bound: reported incomplete, and no more than maxPages REQs', async () => {
    const relay = new FakeRelay(Array.from({ length: 5000 }, (_, i) => ev(i + 1, 1000 + i)), 500, 500);
    const r = run(relay, { maxPages: 3 });
    expect(await r.complete).toBe(false);
    expect(relay.reqs).toHaveLength(3);
    expect(r.got.size).toBeLessThanOrEqual(1500);
  });

  it('a reconnect (EOSE again on the live subscription) pages again', async () => {
    const relay = new FakeRelay([ev(1, 100)], 500, 500);
    const r = run(relay);
    expect(await r.complete).toBe(true);
    relay.events.push(...Array.from({ length: 600 }, (_, i) => ev(10 + i, 1000 + i)));
    const real = ev(2, 200);
    relay.events.push(real);
    relay.deliver([...relay.subs][0]!);
    await expect.poll(() => r.got.has(real.id)).toBe(true);
    expect(r.done).toEqual([true, true]);
    r.sub.close();
    expect(relay.subs.size).toBe(0);
  });

  it('close() ends the live subscription and every page', async () => {
    const relay = new FakeRelay(Array.from({ length: 600 }, (_, i) => ev(i + 1, 1000 + i)), 500, 500);
    const r = run(relay);
    r.sub.close();
    await Promise.resolve();
    expect(relay.subs.size).toBe(0);
    expect(r.done).toEqual([]);
  });
});

describe('paging rules', () => {
  it('fullPage: the announced max_limit, else UNKNOWN_RELAY_PAGE, never more than asked', () => {
    expect(fullPage(1000, 500)).toBe(500);
    expect(fullPage(1000, undefined)).toBe(UNKNOWN_RELAY_PAGE);
    expect(fullPage(50, 500)).toBe(50);
    expect(fullPage(1000, -1)).toBe(UNKNOWN_RELAY_PAGE);
  });

  it('nextUntil: inclusive, a second earlier when no progress, none past 0', () => {
    expect(nextUntil(100, undefined)).toEqual({ until: 100, skipped: false });
    expect(nextUntil(90, 100)).toEqual({ until: 90, skipped: false });
    expect(nextUntil(100, 100)).toEqual({ until: 99, skipped: true });
    expect(nextUntil(0, 0)).toBeNull();
    expect(nextUntil(Infinity, undefined)).toBeNull();
  });
});

describe('the relay screen', () => {
  it('marks a relay whose catch-up reached the page bound, and only that one', () => {
    const view = relayStatusView([RELAY, 'ws://other.test'], [], new Set([RELAY]));
    expect(view.map((r) => [r.url, r.incomplete])).toEqual([
      [RELAY, true],
      ['ws://other.test', undefined]
    ]);
  });
});
