/**
 * The "verified" mark of a contact (spec docs/proposals/0006-safety-numbers.md §Verified): set, kept by
 * updates that do not name it, cleared with null, sealed at rest, validated on write, and read back
 * after the store is reopened and unlocked.
 */
import { describe, expect, it } from 'vitest';
import { VeilStore } from '../../src/lib/store/db';
import { isVeilError } from '../../src/lib/shared/errors';
import { findPlaintext, freshPlatform, hexId, rawDump, TEST_ITERATIONS } from '../helpers/store-idb';

const NAME = 'veil-verified-test';
const PASS = 'verified pass';
const BOB = hexId(0xb0b);
const KEYS = hexId(0x5afe, 'c0de');
const AT = 1_767_225_600_123;

const code = async (p: Promise<unknown>) => ((e) => (isVeilError(e) ? e.code : 'resolved'))(await p.then(() => undefined, (e) => e));

describe('store: contact verified mark', () => {
  it('round-trips, survives other updates and a reopen, and clears with null', async () => {
    const platform = freshPlatform();
    const store = await VeilStore.open(platform, NAME);
    await store.setupVault(PASS, { iterations: TEST_ITERATIONS });
    await store.upsertContact({ pubkey: BOB, eks: [hexId(0xe1)], state: 'accepted' });
    expect((await store.getContact(BOB))?.verified).toBeUndefined();

    const set = await store.upsertContact({ pubkey: BOB, verified: { keys: KEYS, at: AT } });
    expect(set.verified).toEqual({ keys: KEYS, at: AT });
    // A new record of theirs (new EKs) does not touch the mark: whether it still holds is derived.
    await store.upsertContact({ pubkey: BOB, eks: [hexId(0xe2)] });
    expect(await store.getContact(BOB)).toMatchObject({ eks: [hexId(0xe2)], verified: { keys: KEYS, at: AT }, state: 'accepted' });
    expect((await store.listContacts('accepted'))[0]?.verified).toEqual({ keys: KEYS, at: AT });

    store.lock();
    store.close();
    const again = await VeilStore.open(platform, NAME);
    await again.unlock(PASS);
    expect((await again.getContact(BOB))?.verified).toEqual({ keys: KEYS, at: AT });

    const cleared = await again.upsertContact({ pubkey: BOB, verified: null });
    expect(cleared.verified).toBeUndefined();
    expect(await again.getContact(BOB)).not.toHaveProperty('verified');
    expect((await again.getContact(BOB))?.eks).toEqual([hexId(0xe2)]);
    again.close();
  });

  it('is sealed: neither the key-set id nor the pubkey is in clear on disk', async () => {
    const platform = freshPlatform();
    const store = await VeilStore.open(platform, NAME);
    await store.setupVault(PASS, { iterations: TEST_ITERATIONS });
    await store.upsertContact({ pubkey: BOB, verified: { keys: KEYS, at: AT } });
    const dump = await rawDump(platform, NAME);
    expect(dump.some((r) => r.store === 'contacts')).toBe(true);
    for (const needle of [KEYS, BOB, String(AT)]) expect(findPlaintext(dump, needle)).toEqual([]);
    store.close();
  });

  it('refuses a malformed mark with INVALID_INPUT and keeps the old one', async () => {
    const store = await VeilStore.open(freshPlatform(), NAME);
    await store.setupVault(PASS, { iterations: TEST_ITERATIONS });
    await store.upsertContact({ pubkey: BOB, verified: { keys: KEYS, at: AT } });
    const bad: unknown[] = [{ keys: KEYS.toUpperCase(), at: AT }, { keys: KEYS.slice(1), at: AT }, { keys: KEYS, at: -1 }, { keys: KEYS, at: 1.5 }, { keys: KEYS }, 'verified'];
    for (const v of bad) expect(await code(store.upsertContact({ pubkey: BOB, verified: v as never }))).toBe('INVALID_INPUT');
    expect((await store.getContact(BOB))?.verified).toEqual({ keys: KEYS, at: AT });
    store.close();
  });
});
