/**
 * A read whose events the inbound queue had to drop (its lane was full) is not complete: the
 * relay's read point stays where it was, so the next read asks for those days again, and the relay
 * shows as incomplete. A read that dropped nothing moves the read point on.
 */
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../../src/lib/shared/bytes';
import { envelopeKey } from '../../src/lib/crypto/envelope';
import { generateSecretKey, getXOnlyPublicKey } from '../../src/lib/crypto/keys';
import { LocalSigner } from '../../src/lib/crypto/signer';
import type { PoolSubscribeHandlers, RelayPool } from '../../src/lib/relay/pool';
import type { TrustedEvent } from '../../src/lib/shared/trusted-event';
import type { Sockets } from '../../src/lib/sync/sockets';
import { Subscriptions } from '../../src/lib/sync/subscriptions';
import { IdentityGate } from '../../src/lib/sync/identity-gate';
import { storeWithChat } from '../helpers/store-idb';
import { testSyncContext } from '../helpers/sync-context';

const RELAY = 'wss://relay.test';

function event(n: number, tag: string): TrustedEvent {
  return { id: n.toString(16).padStart(64, '0'), pubkey: 'b'.repeat(64), kind: 1067, created_at: Math.floor(Date.now() / 1000) - n, tags: [['p', tag]], content: '', sig: 'c'.repeat(128) } as unknown as TrustedEvent;
}

async function readOnce(dropEvery: number): Promise<{ lastRead: unknown; incomplete: boolean; delivered: number }> {
  const sk = generateSecretKey();
  const { store } = await storeWithChat(`subs-drops-${dropEvery}`, 'd'.repeat(64));
  const ctx = testSyncContext({ store, signer: new LocalSigner(sk), me: bytesToHex(getXOnlyPublicKey(sk)), ek: envelopeKey(generateSecretKey()) });
  let dropped = 0;
  let delivered = 0;
  let done: () => void = () => {};
  const finished = new Promise<void>((r) => (done = r));
  const pool = {
    subscribe(filters: { '#p'?: string[] }[], h: PoolSubscribeHandlers) {
      queueMicrotask(() => {
        const tag = filters[0]!['#p']![0]!;
        for (let i = 1; i <= 5; i++) h.onevent(event(i, tag), new Set([RELAY]));
        h.onrelayeose?.(RELAY);
        h.oneose?.();
      });
      return { close: () => {} };
    },
    status: () => []
  } as unknown as RelayPool;
  const subs = new Subscriptions(ctx, {
    sockets: { envelope: () => pool, dmRead: () => pool } as unknown as Sockets,
    senders: () => [],
    relays: () => [RELAY],
    dmRelays: () => [],
    onEnvelope: () => {
      delivered++;
      if (dropEvery > 0 && delivered % dropEvery === 0) dropped++;
    },
    onGiftWrap: () => {},
    afterQueued: (task) => void task(),
    afterEnvelopes: (task) => void task().then(done),
    droppedFrom: () => dropped,
    publicSubscribe: () => {}
  });
  subs.envelopes();
  await finished;
  subs.close();
  // #markRead writes the setting without being awaited by the read: wait for it.
  await expect.poll(async () => (dropEvery > 0 ? true : (await store.getSetting<Record<string, number>>('sync.last-read'))?.[RELAY] !== undefined)).toBe(true);
  const lastRead = (await store.getSetting<Record<string, number>>('sync.last-read'))?.[RELAY];
  return { lastRead, incomplete: subs.incomplete().has(RELAY), delivered };
}

describe('read points and dropped events', () => {
  it('a read that dropped nothing moves the read point on', async () => {
    const r = await readOnce(0);
    expect(r.delivered).toBe(5);
    expect(typeof r.lastRead).toBe('number');
    expect(r.incomplete).toBe(false);
  });

  it('a read whose events were dropped keeps the read point and shows the relay as incomplete', async () => {
    const r = await readOnce(2);
    expect(r.delivered).toBe(5);
    expect(r.lastRead).toBeUndefined();
    expect(r.incomplete).toBe(true);
  });
});

/** Subscriptions with no envelope relay and RELAY as the one DM relay, read through `pool`. */
function dmOnly(ctx: ConstructorParameters<typeof Subscriptions>[0], pool: RelayPool): Subscriptions {
  return new Subscriptions(ctx, {
    sockets: { envelope: () => pool, dmRead: () => pool } as unknown as Sockets,
    senders: () => [],
    relays: () => [],
    dmRelays: () => [RELAY],
    onEnvelope: () => {},
    onGiftWrap: () => {},
    afterQueued: (task) => void task(),
    afterEnvelopes: (task) => void task(),
    droppedFrom: () => 0,
    publicSubscribe: () => {}
  });
}

describe('the page bound on a DM relay', () => {
  it('a DM relay whose wraps fill every page is reported incomplete as a DM relay, not as an envelope relay', async () => {
    const sk = generateSecretKey();
    const me = bytesToHex(getXOnlyPublicKey(sk));
    const { store } = await storeWithChat('subs-dm-bound', 'd'.repeat(64));
    const ctx = testSyncContext({ store, signer: new LocalSigner(sk), me, ek: envelopeKey(generateSecretKey()) });
    let n = 0;
    let reqs = 0;
    // Every REQ is answered with a full page (100 events, the page size when max_limit is unknown) older than its `until`.
    const pool = {
      subscribe(filters: { until?: number; kinds?: number[] }[], h: PoolSubscribeHandlers) {
        reqs++;
        queueMicrotask(() => {
          const top = filters[0]!.until ?? Math.floor(Date.now() / 1000);
          for (let i = 0; i < 100; i++) {
            const ev = { ...event(++n, me), kind: filters[0]!.kinds![0]!, created_at: top - i };
            h.onevent(ev as TrustedEvent, new Set([RELAY]));
          }
          h.onrelayeose?.(RELAY);
          h.oneose?.();
        });
        return { close: () => {} };
      },
      status: () => []
    } as unknown as RelayPool;
    const events: string[] = [];
    const subs = dmOnly({ ...ctx, emit: (e) => events.push(e.type) }, pool);
    subs.giftWraps();
    await expect.poll(() => subs.incomplete('dms').has(RELAY)).toBe(true);
    subs.close();
    expect(subs.incomplete('envelopes').has(RELAY)).toBe(false);
    expect(events).toContain('relays'); // the settings screen re-reads and shows the note
    // The first REQ (1059, and kind 4 both ways), then 9 more pages of the full 1059 filter: the bound is 10.
    expect(reqs).toBe(1 + 9);
  });
});

describe('gift-wrap re-reads and the identity gate (Live mode)', () => {
  it('a re-read, which names me, waits the quiet period after an envelope for me; the first read at start does not', async () => {
    // Virtual time: timers fire in order as the test advances the clock.
    let now = 1_000_000;
    let seq = 0;
    const due = new Map<number, { at: number; fn: () => void }>();
    const timers = {
      setTimeout: (fn: () => void, ms: number) => (due.set(++seq, { at: now + ms, fn }), seq),
      clearTimeout: (h: unknown) => void due.delete(h as number)
    };
    const advance = async (to: number): Promise<void> => {
      for (;;) {
        const next = [...due.entries()].sort((a, b) => a[1].at - b[1].at)[0];
        if (!next || next[1].at > to) break;
        due.delete(next[0]);
        now = next[1].at;
        next[1].fn();
        for (let i = 0; i < 5; i++) await Promise.resolve();
      }
      now = to;
    };
    const sk = generateSecretKey();
    const me = bytesToHex(getXOnlyPublicKey(sk));
    const { store } = await storeWithChat('subs-dm-gate', 'd'.repeat(64));
    const base = testSyncContext({ store, signer: new LocalSigner(sk), me, ek: envelopeKey(generateSecretKey()), nowMs: () => now });
    const timing = { ...base.timing, refreshMeanMs: 2_000, pollMinMs: 1_000 };
    const ctx = { ...base, timers, timing, identityGate: new IdentityGate(() => now, timers, timing) };
    const dmReads: number[] = [];
    const pool = {
      subscribe(filters: { authors?: string[] }[], h: PoolSubscribeHandlers) {
        if (filters.some((f) => f.authors?.includes(me))) dmReads.push(now);
        queueMicrotask(() => {
          h.onrelayeose?.(RELAY);
          h.oneose?.();
        });
        return { close: () => {} };
      },
      connect: async () => {},
      status: () => [],
      onStatus: () => () => {}
    } as unknown as RelayPool;
    const subs = dmOnly(ctx, pool);
    subs.start();
    expect(dmReads).toEqual([1_000_000]); // at start, at once
    // An envelope for me is opened now: for a minute, nothing that names me may go out.
    ctx.identityGate.mine();
    const mineAt = now;
    await advance(mineAt + 59_000);
    expect(dmReads).toEqual([1_000_000]);
    await advance(mineAt + 5 * 60_000);
    expect(dmReads.length).toBeGreaterThan(1);
    expect(dmReads[1]! - mineAt).toBeGreaterThanOrEqual(60_000);
    subs.close();
  });
});
