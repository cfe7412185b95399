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
    const subs = new Subscriptions(
      { ...ctx, emit: (e) => events.push(e.type) },
      {
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
      }
    );
    subs.giftWraps();
    await expect.poll(() => subs.incomplete('dms').has(RELAY)).toBe(true);
    subs.close();
    expect(subs.incomplete('envelopes').has(RELAY)).toBe(false);
    expect(events).toContain('relays'); // the settings screen re-reads and shows the note
    // The first REQ (1059, and kind 4 both ways), then 9 more pages of the full 1059 filter: the bound is 10.
    expect(reqs).toBe(1 + 9);
  });
});
