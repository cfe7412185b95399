/**
 * Pure messenger bookkeeping (src/lib/sync/plan.ts, outbox.ts): send targets and read plans agree
 * (what a sender seals to is what the reader subscribes to), and the outbox view of a message.
 */
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../../src/lib/shared/bytes';
import { envelopeKey } from '../../src/lib/crypto/envelope';
import { generateSecretKey } from '../../src/lib/crypto/keys';
import { introMailbox } from '../../src/lib/crypto/mailbox';
import { cleanRelayList, msUntilNextDay, planFilters, readPlans, sendTargets } from '../../src/lib/sync/plan';
import { classifyOutcome, deliveryView, entryId, entrySide, nextAttemptAt, MAX_ATTEMPTS } from '../../src/lib/sync/outbox';
import type { OutboxItem } from '../../src/lib/store/schema';

const now = 1_750_000_000;
const R1 = 'wss://relay.one';
const R2 = 'ws://127.0.0.1:7777';

describe('send targets and read plans', () => {
  const alice = envelopeKey(generateSecretKey());
  const alice2 = envelopeKey(generateSecretKey());
  const bob = envelopeKey(generateSecretKey());
  const hex = (k: typeof alice) => bytesToHex(k.publicKey);

  it('intro until the device knows us, pair after; every target is a mailbox the reader asks for', () => {
    const intro = sendTargets({
      me: bob,
      peerDevices: [{ ek: hex(alice), relays: [R1, R2 + '/'] }],
      pairReady: new Set(),
      ownDevices: [],
      fallbackRelays: [R1],
      nowSeconds: now
    });
    expect(intro.map((t) => [t.relay, t.via, t.to])).toEqual([
      [R1, 'intro', 'peer'],
      [R2, 'intro', 'peer']
    ]);
    expect(intro[0]!.mailbox).toBe(introMailbox(alice.publicKey, R1, Math.floor(now / 86400)));

    const pair = sendTargets({
      me: bob,
      peerDevices: [{ ek: hex(alice), relays: [R1] }, { ek: hex(alice2), relays: [] }],
      pairReady: new Set([hex(alice)]),
      ownDevices: [{ ek: hex(bob), relays: [R1] }],
      fallbackRelays: [R2],
      nowSeconds: now
    });
    // alice: pair on her relay; alice2: intro on the fallback; bob's own EK is never a target
    expect(pair.map((t) => [t.ek, t.relay, t.via])).toEqual([
      [hex(alice), R1, 'pair'],
      [hex(alice2), R2, 'intro']
    ]);
    const plan = readPlans({ ek: alice, fromEks: [hex(bob), hex(alice)], relays: [R1], nowSeconds: now + 60 })[0]!;
    expect(plan.mailboxes).toContain(pair[0]!.mailbox);
    expect(plan.index.get(pair[0]!.mailbox)).toMatchObject({ kind: 'pair', from: hex(bob) });
    expect(plan.mailboxes).toContain(intro[0]!.mailbox);
    // three days × (one pair + intro + self), own EK skipped
    expect(plan.mailboxes).toHaveLength(9);
    const filters = planFilters(plan, 4);
    expect(filters.map((f) => f['#p'].length)).toEqual([4, 4, 1]);
    expect(filters.every((f) => f.since === plan.since && f.kinds[0] === 1067)).toBe(true);
  });

  it('own other devices get pair copies on their relays', () => {
    const t = sendTargets({ me: alice, peerDevices: [], pairReady: new Set(), ownDevices: [{ ek: hex(alice2), relays: [R2] }], fallbackRelays: [R1], nowSeconds: now });
    expect(t).toHaveLength(1);
    expect(t[0]).toMatchObject({ relay: R2, via: 'pair', to: 'self' });
    const plan = readPlans({ ek: alice2, fromEks: [hex(alice)], relays: [R2], nowSeconds: now })[0]!;
    expect(plan.index.get(t[0]!.mailbox)?.kind).toBe('pair');
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
