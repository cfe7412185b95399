/**
 * Pure messenger bookkeeping (src/lib/sync/plan.ts, outbox.ts): send targets and read plans agree
 * (what a sender seals to is what the reader subscribes to), and the outbox view of a message.
 */
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../../src/lib/shared/bytes';
import { envelopeKey } from '../../src/lib/crypto/envelope';
import { generateSecretKey } from '../../src/lib/crypto/keys';
import { introMailbox } from '../../src/lib/crypto/mailbox';
import { bucketPoint } from '../../src/lib/crypto/bucket';
import { cleanRelayList, msUntilNextDay, planFilters, ReadPadding, readPlans, sendTargets } from '../../src/lib/sync/plan';
import { PairKeys } from '../../src/lib/sync/pair-keys';
import { classifyOutcome, deliveryView, entryId, entrySide, nextAttemptAt, MAX_ATTEMPTS } from '../../src/lib/sync/outbox';
import type { OutboxItem } from '../../src/lib/store/schema';

const now = 1_750_000_000;
const R1 = 'wss://relay.one';
const R2 = 'ws://127.0.0.1:7777';

describe('send targets and read plans (shared buckets, spec 0005)', () => {
  const alice = envelopeKey(generateSecretKey());
  const alice2 = envelopeKey(generateSecretKey());
  const bob = envelopeKey(generateSecretKey());
  const carol = envelopeKey(generateSecretKey());
  const hex = (k: typeof alice) => bytesToHex(k.publicKey);
  const day = Math.floor(now / 86400);
  const plan = (ek: typeof alice, fromEks: string[], opts: { level?: number; nowSeconds?: number } = {}) =>
    readPlans({ ek, pairKeys: new PairKeys(ek), fromEks, relays: [R1], nowSeconds: opts.nowSeconds ?? now, padding: new ReadPadding(), ...(opts.level !== undefined ? { level: opts.level } : {}) })[0]!;

  it('intro until the device knows us, pair after; every target is a tag the reader asks for', () => {
    const intro = sendTargets({
      me: bob,
      pairKeys: new PairKeys(bob),
      peerDevices: [{ ek: hex(alice), relays: [R1, R2 + '/'] }],
      pairReady: new Set(),
      ownDevices: [],
      fallbackRelays: [R1],
      nowSeconds: now
    });
    expect(intro.map((t) => [t.relay, t.via, t.to, t.tagKey])).toEqual([
      [R1, 'intro', 'peer', undefined],
      [R2, 'intro', 'peer', undefined]
    ]);
    expect(intro[0]!.mailbox).toBe(introMailbox(alice.publicKey, R1, day));

    const pair = sendTargets({
      me: bob,
      pairKeys: new PairKeys(bob),
      peerDevices: [{ ek: hex(alice), relays: [R1] }, { ek: hex(alice2), relays: [] }],
      pairReady: new Set([hex(alice)]),
      ownDevices: [{ ek: hex(bob), relays: [R1] }],
      fallbackRelays: [R2],
      nowSeconds: now
    });
    // alice: pair on her relay (the one shared bucket of the day, with a tag key); alice2: intro on the fallback; never bob's own EK
    expect(pair.map((t) => [t.ek, t.relay, t.via])).toEqual([
      [hex(alice), R1, 'pair'],
      [hex(alice2), R2, 'intro']
    ]);
    expect(pair[0]!.mailbox).toBe(bucketPoint(R1, day, 0, 0));
    expect(pair[0]!.tagKey).toHaveLength(32);
    const p = plan(alice, [hex(bob), hex(alice)], { nowSeconds: now + 60 });
    expect(p.index.get(pair[0]!.mailbox)).toEqual({ kind: 'bucket', relay: R1, day });
    expect(p.index.get(intro[0]!.mailbox)).toEqual({ kind: 'intro', relay: R1, day });
    // four days (the day before yesterday through tomorrow) × (the shared bucket + the intro bucket)
    expect(p.mailboxes).toHaveLength(8);
    const filters = planFilters(p, 4);
    expect(filters.map((f) => f['#p'].length)).toEqual([4, 4]);
    expect(filters.every((f) => f.since === p.since && f.kinds[0] === 1067)).toBe(true);
  });

  it('readers who read yesterday, today or never ask for the same days: the window hides the last read', () => {
    const at = (last?: number) =>
      readPlans({ ek: alice, pairKeys: new PairKeys(alice), fromEks: [], relays: [R1], nowSeconds: now, padding: new ReadPadding(), ...(last !== undefined ? { lastReadAt: new Map([[R1, last]]) } : {}) })[0]!.mailboxes;
    expect(at(now - 60)).toEqual(at());
    expect(at(now - 86_400)).toEqual(at());
    expect(at(now - 5 * 86_400).length).toBeGreaterThan(at().length); // a long absence is caught up
  });

  it('at level 0 every reader asks for exactly the same tags, whatever its contacts (no degree leak)', () => {
    const lonely = plan(carol, []);
    const busy = plan(alice, [hex(bob), hex(carol), hex(alice2)]);
    expect(busy.mailboxes).toEqual(lonely.mailboxes);
    expect(busy.since).toBe(lonely.since);
  });

  it('at level 4 a reader asks for 16 buckets a day, its pairs’ among them, whatever its number of contacts', () => {
    const few = plan(alice, [hex(bob)], { level: 4 });
    const none = plan(carol, [], { level: 4 });
    const buckets = (p: typeof few) => [...p.index].filter(([, e]) => e.kind === 'bucket' && e.day === day).map(([t]) => t);
    expect(buckets(few)).toHaveLength(16);
    expect(buckets(none)).toHaveLength(16);
    const sent = sendTargets({ me: bob, pairKeys: new PairKeys(bob), peerDevices: [{ ek: hex(alice), relays: [R1] }], pairReady: new Set([hex(alice)]), ownDevices: [], fallbackRelays: [], nowSeconds: now, level: 4 });
    expect(buckets(few)).toContain(sent[0]!.mailbox);
  });

  it('the padding of one relay and day is kept across re-plans, and a new day draws new buckets', () => {
    const padding = new ReadPadding();
    const a = padding.indices(R1, day, 8, 15, new Set([7]));
    expect(padding.indices(R1, day, 8, 15, new Set([7]))).toEqual(a);
    expect(a).not.toContain(7);
    expect(new Set(a).size).toBe(15);
    expect(padding.indices(R1, day + 1, 8, 15, new Set([7]))).not.toEqual(a);
  });

  it('own other devices get pair copies on their relays', () => {
    const t = sendTargets({ me: alice, pairKeys: new PairKeys(alice), peerDevices: [], pairReady: new Set(), ownDevices: [{ ek: hex(alice2), relays: [R2] }], fallbackRelays: [R1], nowSeconds: now });
    expect(t).toHaveLength(1);
    expect(t[0]).toMatchObject({ relay: R2, via: 'pair', to: 'self', mailbox: bucketPoint(R2, day, 0, 0) });
    // alice2 recognises the copy by its tag key of direction alice → alice2
    expect(new PairKeys(alice2).tagKey(hex(alice), hex(alice2), day)).toEqual(t[0]!.tagKey);
  });

  it('cleans relay lists and computes the next day boundary', () => {
    expect(cleanRelayList(['wss://A.example/', 'nope', 'wss://a.example', 'ws://b'], 5)).toEqual(['wss://a.example', 'ws://b']);
    expect(msUntilNextDay(86_400_000 * 3 + 1000, 0)).toBe(86_400_000 - 1000);
  });
});

describe('outbox view', () => {
  const item = (relay: string, status: OutboxItem['status'], lastError?: string): OutboxItem => ({
    relay,
    status,
    attempts: 1,
    event: { id: 'x', pubkey: 'y', created_at: 1, kind: 1067, tags: [], content: '', sig: 'z' },
    ...(lastError ? { lastError } : {})
  });
  const mid = 'a'.repeat(64);

  it('entry ids round-trip their side', () => {
    expect(entrySide(entryId(mid, 'peer', 3))).toBe('peer');
    expect(entrySide(entryId(mid, 'self', 0))).toBe('self');
  });

  it('sent when one relay took every contact envelope; self copies do not count', () => {
    const v = deliveryView([
      { id: entryId(mid, 'peer', 0), items: [item(R1, 'ok'), item(R2, 'failed', 'unreachable: x')] },
      { id: entryId(mid, 'peer', 1), items: [item(R1, 'ok'), item(R2, 'ok')] },
      { id: entryId(mid, 'self', 0), items: [item(R1, 'failed')] }
    ]);
    expect(v.status).toBe('sent');
    expect(v.deliveries).toEqual([
      { relay: R1, ok: true },
      { relay: R2, ok: false, message: 'unreachable: x' }
    ]);
  });

  it('failed when every contact item was tried and none landed; sending before', () => {
    expect(deliveryView([{ id: entryId(mid, 'peer', 0), items: [item(R1, 'failed'), item(R2, 'rejected')] }]).status).toBe('failed');
    expect(deliveryView([{ id: entryId(mid, 'peer', 0), items: [item(R1, 'failed'), item(R2, 'pending')] }]).status).toBe('sending');
  });

  it('classifies relay answers and parks after the last attempt', () => {
    expect(classifyOutcome({ status: 'ok' }).status).toBe('ok');
    expect(classifyOutcome({ status: 'rejected', reason: 'invalid', message: 'bad' })).toEqual({ status: 'rejected', error: 'invalid: bad' });
    expect(classifyOutcome({ status: 'rejected', reason: 'rate-limited', message: 'slow' }).status).toBe('failed');
    expect(classifyOutcome({ status: 'timeout' }).status).toBe('failed');
    expect(nextAttemptAt(MAX_ATTEMPTS, 0)).toBeNull();
    const t = nextAttemptAt(3, 1000)!;
    expect(t).toBeGreaterThanOrEqual(1000 + 2000);
    expect(t).toBeLessThanOrEqual(1000 + 4000);
  });
});
