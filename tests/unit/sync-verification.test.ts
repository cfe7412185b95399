/**
 * The verified mark in the sync layer (spec docs/proposals/0006-safety-numbers.md §Verified): two
 * people's devices compute the same code; pasting the other side's payload marks the contact
 * verified; the chat list says 'verified' while the contact's EKs are those verified and 'changed'
 * (the chat's key-change notice) once a record with another device set is adopted; clearing removes it.
 */
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../../src/lib/shared/bytes';
import { isVeilError } from '../../src/lib/shared/errors';
import { getXOnlyPublicKey } from '../../src/lib/crypto/keys';
import { VeilStore } from '../../src/lib/store/db';
import { listChats } from '../../src/lib/sync/read-models';
import { clearVerified, compareAndMark, markVerified, safetyView, verificationState } from '../../src/lib/sync/verification';
import { freshPlatform, TEST_ITERATIONS } from '../helpers/store-idb';

const key = (n: number) => bytesToHex(getXOnlyPublicKey(new Uint8Array(32).fill(n)));
const ALICE = { identity: key(1), eks: [key(2)] };
const BOB = { identity: key(3), eks: [key(4), key(5)] };
const NOW = 1_767_225_600_000;

/** One person's device: a store that knows the other as an accepted contact with a chat. */
async function device(name: string, other: { identity: string; eks: string[] }) {
  const store = await VeilStore.open(freshPlatform(), `veil-verify-${name}`);
  await store.setupVault(`${name} pass`, { iterations: TEST_ITERATIONS });
  await store.upsertContact({ pubkey: other.identity, eks: other.eks, state: 'accepted', protocol: 'veil' });
  await store.ensureConversation([other.identity]);
  return store;
}

describe('sync: safety numbers and the verified mark', () => {
  it('both sides see one code; a pasted payload verifies; a new device of theirs shows the change; clear removes the mark', async () => {
    const aliceStore = await device('alice', BOB);
    const bobStore = await device('bob', ALICE);
    const atAlice = await safetyView(aliceStore, ALICE, BOB.identity);
    const atBob = await safetyView(bobStore, BOB, ALICE.identity);
    expect(atAlice.code).toMatch(/^[0-9]{60}$/);
    expect(atAlice.code).toBe(atBob.code);
    expect(atAlice.groups).toHaveLength(12);
    expect(atAlice.state).toBe('unverified');
    expect((await listChats(aliceStore, ALICE.identity))[0]?.verification).toBeUndefined();

    // Alice pastes what Bob's screen shows.
    expect(await compareAndMark(aliceStore, atAlice, atBob.payload, NOW)).toBe('match');
    expect((await aliceStore.getContact(BOB.identity))?.verified).toEqual({ keys: atAlice.theirKeys, at: NOW });
    expect((await safetyView(aliceStore, ALICE, BOB.identity)).state).toBe('verified');
    expect((await listChats(aliceStore, ALICE.identity))[0]?.verification).toBe('verified');
    // Her own payload is not Bob's: refused as "not this contact", and nothing changes.
    expect(await compareAndMark(bobStore, atBob, atBob.payload, NOW)).toBe('other-person');
    expect((await bobStore.getContact(ALICE.identity))?.verified).toBeUndefined();

    // Bob adds a device: Alice adopts his new record (peer-lookup writes the contact's EKs).
    await aliceStore.upsertContact({ pubkey: BOB.identity, eks: [...BOB.eks, key(6)] });
    const chat = (await listChats(aliceStore, ALICE.identity))[0];
    expect(chat?.verification).toBe('changed');
    const changed = await safetyView(aliceStore, ALICE, BOB.identity);
    expect(changed.state).toBe('changed');
    expect(changed.code).not.toBe(atAlice.code);
    // Bob's old screen no longer matches what Alice holds for him.
    expect(await compareAndMark(aliceStore, changed, atBob.payload, NOW + 1)).toBe('their-keys-differ');
    expect((await aliceStore.getContact(BOB.identity))?.verified?.at).toBe(NOW);

    // The old keys coming back make it verified again (derived, not stored).
    await aliceStore.upsertContact({ pubkey: BOB.identity, eks: BOB.eks });
    expect((await listChats(aliceStore, ALICE.identity))[0]?.verification).toBe('verified');

    await clearVerified(aliceStore, BOB.identity);
    expect((await listChats(aliceStore, ALICE.identity))[0]?.verification).toBeUndefined();
    await markVerified(aliceStore, BOB.identity, changed.theirKeys, NOW + 2);
    expect((await listChats(aliceStore, ALICE.identity))[0]?.verification).toBe('changed'); // marked for the key set shown, not the current one
    aliceStore.close();
    bobStore.close();
  });

  it('a pasted text that is no code is INVALID_INPUT; an unknown contact is NOT_FOUND', async () => {
    const store = await device('carol', BOB);
    const view = await safetyView(store, ALICE, BOB.identity);
    const err = await compareAndMark(store, view, 'hello', NOW).then(() => null, (e: unknown) => e);
    expect(isVeilError(err, 'INVALID_INPUT')).toBe(true);
    const missing = await safetyView(store, ALICE, key(9)).then(() => null, (e: unknown) => e);
    expect(isVeilError(missing, 'NOT_FOUND')).toBe(true);
    expect(verificationState({ pubkey: BOB.identity, eks: ['not hex'], verified: { keys: view.theirKeys, at: NOW } })).toBe('changed');
    store.close();
  });
});
