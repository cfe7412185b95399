import { describe, expect, it } from 'vitest';
import { VeilStore } from '../../src/lib/store/db';
import type { SignedEventJson } from '../../src/lib/store/schema';
import { isVeilError } from '../../src/lib/shared/errors';
import { freshPlatform, hexId, TEST_ITERATIONS } from '../helpers/store-idb';

const NAME = 'veil-outbox-test';
const R1 = 'wss://one.example';
const R2 = 'wss://two.example';

function envelope(n: number): SignedEventJson {
  return {
    id: hexId(n, 'e'),
    pubkey: hexId(n, 'f'),
    created_at: 1_700_000_000,
    kind: 1067,
    tags: [['p', hexId(n, 'a')], ['expiration', '1700600000']],
    content: 'AQID',
    sig: 'ab'.repeat(64)
  };
}

/** A store with its vault unlocked: the outbox is sealed (issue 11), so it needs the vault key. */
async function open(platform = freshPlatform()) {
  const store = await VeilStore.open(platform, NAME);
  if (await store.hasVault()) await store.unlock('pw');
  else await store.setupVault('pw', { iterations: TEST_ITERATIONS });
  return { platform, store };
}

describe('store outbox', () => {
  it('survives a reopen, is idempotent by id, and lists only what is due', async () => {
    const { platform, store } = await open();
    const items = [
      { relay: R1, event: envelope(1) },
      { relay: R2, event: envelope(2) }
    ];
    expect(await store.enqueueOutbox({ id: 'msg-1', messageId: hexId(1), items, nextAttemptAt: 1000 })).toBe('added');
    // A second enqueue (e.g. after a crash between sealing and marking) keeps the FIRST events.
    expect(await store.enqueueOutbox({ id: 'msg-1', items: [{ relay: R1, event: envelope(9) }] })).toBe('duplicate');
    expect(await store.enqueueOutbox({ id: 'later', items: [{ relay: R1, event: envelope(3) }], nextAttemptAt: 5000 })).toBe('added');
    store.close();

    const locked = await VeilStore.open(platform, NAME);
    // The outbox is sealed: nothing of it can be read while locked.
    expect(isVeilError(await locked.listDueOutbox(2000).catch((e) => e), 'VAULT_LOCKED')).toBe(true);
    locked.close();
    const { store: again } = await open(platform);
    const due = await again.listDueOutbox(2000);
    expect(due.map((d) => d.id)).toEqual(['msg-1']);
    expect(due[0]!.items.map((i) => i.event.id)).toEqual([envelope(1).id, envelope(2).id]);
    expect(due[0]!.messageId).toBe(hexId(1));
    // Found by its message, not by a guessed entry id.
    expect((await again.listOutboxByMessage(hexId(1))).map((d) => d.id)).toEqual(['msg-1']);
    expect((await again.listDueOutbox(6000)).map((d) => d.id)).toEqual(['msg-1', 'later']);
  });

  it('records per-relay attempts, reschedules, parks when nothing is left to retry', async () => {
    const { store } = await open();
    await store.enqueueOutbox({ id: 'm', items: [{ relay: R1, event: envelope(1) }, { relay: R2, event: envelope(2) }] });
    let rec = await store.markOutboxAttempt(
      'm',
      [
        { relay: R1, status: 'ok' },
        { relay: R2, status: 'failed', error: 'timeout' }
      ],
      10_000,
      500
    );
    expect(rec?.attempts).toBe(1);
    expect(rec?.nextAttemptAt).toBe(10_000);
    expect(rec?.items).toMatchObject([
      { relay: R1, status: 'ok', attempts: 1, lastAttemptAt: 500 },
      { relay: R2, status: 'failed', attempts: 1, lastError: 'timeout' }
    ]);
    expect(await store.listDueOutbox(9_999)).toEqual([]);
    rec = await store.markOutboxAttempt('m', [{ relay: R2, status: 'ok' }], 20_000);
    expect(rec?.items.map((i) => i.status)).toEqual(['ok', 'ok']);
    expect(rec?.items[1]?.lastError).toBeUndefined();
    expect(rec?.nextAttemptAt).toBe(Number.MAX_SAFE_INTEGER);
    expect(await store.listDueOutbox(Number.MAX_SAFE_INTEGER - 1)).toEqual([]);
    await store.removeOutbox('m');
    expect(await store.getOutbox('m')).toBeUndefined();
    expect(await store.markOutboxAttempt('m', [], 1)).toBeUndefined();
  });

  it('rejects malformed events before queueing them', async () => {
    const { store } = await open();
    const bad = { ...envelope(1), sig: 'zz' };
    expect(isVeilError(await store.enqueueOutbox({ id: 'x', items: [{ relay: R1, event: bad }] }).catch((e) => e), 'INVALID_INPUT')).toBe(true);
    const huge = { ...envelope(1), content: 'A'.repeat(300_000) };
    expect(isVeilError(await store.enqueueOutbox({ id: 'x', items: [{ relay: R1, event: huge }] }).catch((e) => e), 'TOO_LARGE')).toBe(true);
    expect(isVeilError(await store.enqueueOutbox({ id: 'x', items: [{ relay: 'https://no', event: envelope(1) }] }).catch((e) => e), 'INVALID_INPUT')).toBe(true);
    expect(await store.getOutbox('x')).toBeUndefined();
  });
});

describe('store seen ids', () => {
  it('claims an id once across calls and restarts, filters, and prunes by expiry', async () => {
    const { platform, store } = await open();
    const a = hexId(1);
    const b = hexId(2);
    const c = hexId(3);
    const claims = await Promise.all([store.claimSeen(a, 1000), store.claimSeen(a, 1000)]);
    expect(claims.sort()).toEqual([false, true]); // two relays delivering at once: exactly one wins
    await store.markSeen([b], 5000);
    store.close();

    const { store: again } = await open(platform);
    await again.unlock('pw');
    expect(await again.hasSeen(a)).toBe(true);
    expect(await again.claimSeen(b, 9000)).toBe(false);
    expect(await again.filterUnseen([a, c, b])).toEqual([c]);
    expect(await again.pruneSeen(1000)).toBe(1);
    expect(await again.hasSeen(a)).toBe(false);
    expect(await again.hasSeen(b)).toBe(true);
    expect(await again.pruneSeen(4999)).toBe(0);
    expect(await again.pruneSeen(5000)).toBe(1);
  });
});
