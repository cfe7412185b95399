/**
 * The catch-up's progress on the sync side (src/lib/sync/catch-up-progress.ts and its use in
 * subscriptions.ts): a read counts from its start, every envelope it delivered and each one opened
 * or dropped; it ends when what it delivered is processed, or by CLOSED, the EOSE timeout or close();
 * two relays read at once add up; nothing stays up (an idle read ends by itself).
 */
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../../src/lib/shared/bytes';
import { envelopeKey } from '../../src/lib/crypto/envelope';
import { generateSecretKey, getXOnlyPublicKey } from '../../src/lib/crypto/keys';
import { LocalSigner } from '../../src/lib/crypto/signer';
import type { PoolSubscribeHandlers, RelayPool } from '../../src/lib/relay/pool';
import type { RelayRejection } from '../../src/lib/relay/types';
import type { TrustedEvent } from '../../src/lib/shared/trusted-event';
import type { Sockets } from '../../src/lib/sync/sockets';
import { CatchUpProgress, PROGRESS_EMIT_MS, READ_IDLE_MS } from '../../src/lib/sync/catch-up-progress';
import { Subscriptions } from '../../src/lib/sync/subscriptions';
import type { CatchUpView } from '../../src/lib/sync/types';
import { storeWithChat } from '../helpers/store-idb';
import { testSyncContext } from '../helpers/sync-context';
import { virtualClock } from '../helpers/virtual-timers';

function progress() {
  const clock = virtualClock();
  const emitted: (CatchUpView | null)[] = [];
  const p = new CatchUpProgress(clock.timers, clock.now, (v) => emitted.push(v));
  return { clock, emitted, p };
}

describe('CatchUpProgress', () => {
  it('counts what a read delivered and what was opened or dropped, and ends at its end', () => {
    const { clock, emitted, p } = progress();
    expect(p.view()).toBeNull();
    const read = p.begin();
    expect(emitted).toEqual([{ opened: 0, total: 0 }]); // at once: the app times the read from here
    const done = [read.delivered(), read.delivered(), read.delivered()];
    done[0]!();
    done[1]!();
    done[1]!(); // once per event
    expect(p.view()).toEqual({ opened: 2, total: 3 });
    clock.runUntil(clock.now() + PROGRESS_EMIT_MS);
    expect(emitted.at(-1)).toEqual({ opened: 2, total: 3 });
    done[2]!();
    read.end();
    read.end();
    expect(emitted.at(-1)).toBeNull();
    expect(emitted.filter((v) => v === null)).toHaveLength(1);
    expect(p.view()).toBeNull();
    // After the end, a late event of that read counts nowhere.
    read.delivered()();
    expect(p.view()).toBeNull();
  });

  it('emits at most every 250 ms while a read moves', () => {
    const { clock, emitted, p } = progress();
    const read = p.begin();
    for (let i = 0; i < 500; i++) read.delivered()();
    expect(emitted).toHaveLength(1);
    clock.runUntil(clock.now() + PROGRESS_EMIT_MS);
    expect(emitted).toEqual([{ opened: 0, total: 0 }, { opened: 500, total: 500 }]);
  });

  it('adds up two overlapping reads and ends only when both have ended', () => {
    const { emitted, p } = progress();
    const a = p.begin();
    const b = p.begin();
    const da = [a.delivered(), a.delivered()];
    const db = [b.delivered(), b.delivered(), b.delivered()];
    for (const d of da) d();
    a.end();
    expect(p.view()).toEqual({ opened: 2, total: 5 }); // a's counts stay while b runs
    db[0]!();
    expect(p.view()).toEqual({ opened: 3, total: 5 });
    b.end();
    expect(p.view()).toBeNull();
    expect(emitted.at(-1)).toBeNull();
    // A new catch-up counts from 0; an event of the last one opened now is not counted in it.
    const c = p.begin();
    db[1]!();
    expect(p.view()).toEqual({ opened: 0, total: 0 });
    c.end();
  });

  it('ends a read with no activity for 15 s by itself', () => {
    const { clock, emitted, p } = progress();
    const read = p.begin();
    const done = read.delivered();
    clock.runUntil(clock.now() + READ_IDLE_MS - 1_000);
    done(); // activity: the idle time starts again
    clock.runUntil(clock.now() + READ_IDLE_MS - 1);
    expect(p.view()).toEqual({ opened: 1, total: 1 });
    clock.runUntil(clock.now() + 1);
    expect(p.view()).toBeNull();
    expect(emitted.at(-1)).toBeNull();
  });
});

const A = 'wss://a.test';
const B = 'wss://b.test';

function event(n: number, tag: string): TrustedEvent {
  return { id: n.toString(16).padStart(64, '0'), pubkey: 'b'.repeat(64), kind: 1067, created_at: Math.floor(Date.now() / 1000) - n, tags: [['p', tag]], content: '', sig: 'c'.repeat(128) } as unknown as TrustedEvent;
}

/**
 * Subscriptions over a scripted envelope pool: each relay's REQ is handed to the test (`reqs`),
 * which sends its stored events and its EOSE or CLOSED. Envelopes are "opened" when the test says.
 */
async function harness(name: string) {
  const sk = generateSecretKey();
  const { store } = await storeWithChat(`catch-up-progress-${name}`, 'd'.repeat(64));
  const ctx = testSyncContext({ store, signer: new LocalSigner(sk), me: bytesToHex(getXOnlyPublicKey(sk)), ek: envelopeKey(generateSecretKey()) });
  const clock = virtualClock();
  const emitted: (CatchUpView | null)[] = [];
  const progress = new CatchUpProgress(clock.timers, clock.now, (v) => emitted.push(v));
  const reqs = new Map<string, { tag: string; h: PoolSubscribeHandlers }>();
  let n = 0;
  let status: (s: { url: string; state: string }) => void = () => {};
  const pool = {
    subscribe(filters: { '#p'?: string[] }[], h: PoolSubscribeHandlers, opts: { relays?: string[] }) {
      reqs.set(opts.relays![0]!, { tag: filters[0]!['#p']![0]!, h });
      return { close: () => {} };
    },
    status: () => [],
    onStatus: (l: (s: { url: string; state: string }) => void) => ((status = l), () => {})
  } as unknown as RelayPool;
  /** Opened envelopes wait here until the test opens them. */
  const waiting: (() => void)[] = [];
  let afterEnvelopes: (() => Promise<void>)[] = [];
  const subs = new Subscriptions(ctx, {
    sockets: { envelope: () => pool, dmRead: () => pool } as unknown as Sockets,
    senders: () => [],
    relays: () => [A, B],
    dmRelays: () => [],
    onEnvelope: (_ev, _relay, done) => void waiting.push(done ?? (() => {})),
    onGiftWrap: () => {},
    afterQueued: (task) => void task(),
    afterEnvelopes: (task) => void afterEnvelopes.push(task),
    droppedFrom: () => 0,
    publicSubscribe: () => {},
    progress
  });
  const send = (relay: string, count: number): void => {
    const r = reqs.get(relay)!;
    for (let i = 0; i < count; i++) r.h.onevent(event(++n, r.tag), new Set([relay]));
  };
  const openAll = async (): Promise<void> => {
    for (const d of waiting.splice(0)) d();
    const tasks = afterEnvelopes;
    afterEnvelopes = [];
    for (const t of tasks) await t();
  };
  return { subs, progress, emitted, reqs, send, openAll, status: (url: string, state: string) => status({ url, state }) };
}

describe('catch-up progress of the envelope reads', () => {
  it('two relays read at once: counted together, over once both are read and opened', async () => {
    const t = await harness('two');
    t.subs.envelopes();
    expect(t.reqs.size).toBe(2);
    expect(t.progress.view()).toEqual({ opened: 0, total: 0 });
    t.send(A, 30);
    t.send(B, 5);
    expect(t.progress.view()).toEqual({ opened: 0, total: 35 });
    t.reqs.get(B)!.h.onrelayeose?.(B);
    await t.openAll(); // B's 5 and A's 30 opened; B's read is over, A has not sent EOSE yet
    expect(t.progress.view()).toEqual({ opened: 35, total: 35 });
    t.send(A, 5);
    t.reqs.get(A)!.h.onrelayeose?.(A);
    t.reqs.get(A)!.h.oneose?.();
    expect(t.progress.view()).toEqual({ opened: 35, total: 40 }); // A's EOSE: over once they are opened
    await t.openAll();
    expect(t.progress.view()).toBeNull();
    expect(t.emitted.at(-1)).toBeNull();
    // A live envelope after the EOSE is no catch-up.
    t.send(A, 1);
    expect(t.progress.view()).toBeNull();
    t.subs.close();
  });

  it('a read ended by CLOSED ends its progress', async () => {
    const t = await harness('closed');
    t.subs.envelopes();
    t.send(A, 3);
    t.reqs.get(B)!.h.onrelayeose?.(B);
    await t.openAll();
    expect(t.progress.view()).toEqual({ opened: 3, total: 3 });
    t.reqs.get(A)!.h.onclosed?.(A, { reason: 'restricted', message: 'restricted: no' } as RelayRejection);
    expect(t.progress.view()).toBeNull();
    expect(t.emitted.at(-1)).toBeNull();
    t.subs.close();
  });

  it('a relay down before its EOSE (the pool ends the subscription\'s EOSE wait) ends its read', async () => {
    const t = await harness('down');
    t.subs.envelopes();
    t.send(A, 2);
    t.reqs.get(B)!.h.onrelayeose?.(B);
    await t.openAll();
    // No EOSE from A: the pool's merged EOSE comes after its timeout or the socket's loss.
    t.reqs.get(A)!.h.oneose?.();
    expect(t.progress.view()).toBeNull();
    t.subs.close();
  });

  it('close() (a re-plan or stop) ends a read in progress', async () => {
    const t = await harness('close');
    t.subs.envelopes();
    t.send(A, 4);
    expect(t.progress.view()).toEqual({ opened: 0, total: 4 });
    t.subs.close();
    expect(t.progress.view()).toBeNull();
    expect(t.emitted.at(-1)).toBeNull();
  });

  it('a Live relay open again after a loss: what its re-sent REQ brings is a new read, over at its EOSE', async () => {
    const t = await harness('reconnect');
    t.subs.start();
    t.status(A, 'open'); // the first open: the REQ of the read begun at start
    t.status(B, 'open');
    expect(t.progress.view()).toEqual({ opened: 0, total: 0 });
    for (const r of [A, B]) t.reqs.get(r)!.h.onrelayeose?.(r);
    await t.openAll();
    expect(t.progress.view()).toBeNull();
    t.status(A, 'error');
    t.status(A, 'connecting');
    expect(t.progress.view()).toBeNull();
    t.status(A, 'open');
    expect(t.progress.view()).toEqual({ opened: 0, total: 0 });
    t.send(A, 7);
    t.reqs.get(A)!.h.onrelayeose?.(A);
    expect(t.progress.view()).toEqual({ opened: 0, total: 7 });
    await t.openAll();
    expect(t.progress.view()).toBeNull();
    t.subs.close();
  });
});
