/**
 * Issue 14 §4, Account, below the UI: change the passphrase (old fails, new unlocks, the identity
 * key re-encrypted with it, all or nothing), forget this device and "Lock now" (the next open asks
 * for the passphrase), show the key again (passphrase asked; nsec and an ncryptsec of log_n ≥ 16;
 * not for an extension identity), the blocked list, and sign out and wipe (the database is gone).
 */
import { describe, expect, it } from 'vitest';
import { AccountControls, shortNpub, type AccountHost } from '../../src/lib/app/account.svelte';
import { blockedView } from '../../src/lib/app/account-flows';
import { generateSecretKey, getXOnlyPublicKey } from '../../src/lib/crypto/keys';
import { decodeNsec, encodeNpub } from '../../src/lib/crypto/nip19';
import { decryptNcryptsec, inspectNcryptsec } from '../../src/lib/crypto/nip49';
import { LocalSigner } from '../../src/lib/crypto/signer';
import { bytesToHex } from '../../src/lib/shared/bytes';
import { isVeilError } from '../../src/lib/shared/errors';
import { VeilStore } from '../../src/lib/store/db';
import type { IdbPlatform } from '../../src/lib/store/migrations';
import {
  changePassphrase,
  createLocalIdentity,
  extensionIdentity,
  forgetDevice,
  revealKey,
  unlockSession,
  vaultState
} from '../../src/lib/sync/account';
import { freshPlatform, rawDump } from '../helpers/store-idb';

const OLD = 'correct horse battery';
const NEW = 'a brand new passphrase';
const NAME = 'veil-account-controls';

const codeOf = async (p: Promise<unknown>): Promise<unknown> => {
  const e = await p.then(() => undefined, (x: unknown) => x);
  return isVeilError(e) ? e.code : e;
};

async function localIdentity(remember = false) {
  const platform = freshPlatform();
  const store = await VeilStore.open(platform, NAME);
  const { session, backup } = await createLocalIdentity(store, OLD, { remember });
  return { platform, store, session, backup };
}

/** The host VeilApp would be, over one store, recording what the account asked of it. */
function host(platform: IdbPlatform, store: VeilStore | null, calls: string[]): AccountHost & { current: VeilStore | null } {
  const h = {
    current: store,
    store: () => h.current,
    messenger: () => null,
    platform: () => ({}),
    begin: () => Promise.resolve(),
    lock: () => {
      calls.push('lock');
      h.current?.lock();
      return Promise.resolve();
    },
    database: () => ({ indexedDB: platform.indexedDB, name: NAME }),
    close: () => {
      calls.push('close');
      h.current?.close();
      h.current = null;
      return Promise.resolve();
    },
    restart: async () => {
      calls.push('restart');
      h.current = await VeilStore.open(platform, NAME);
    },
    changed: () => void calls.push('changed')
  };
  return h;
}

// scrypt at log_n 16 (64 MiB, a few per test) and PBKDF2 at the production count: slow on a busy machine.
describe('change passphrase', { timeout: 120_000 }, () => {
  it('re-wraps the vault and re-encrypts the key: the old passphrase fails, the new one unlocks the same identity', async () => {
    const { store, session } = await localIdentity();
    await changePassphrase(store, OLD, NEW);
    store.lock();
    expect(await codeOf(unlockSession(store, {}, OLD))).toBe('WRONG_PASSPHRASE');
    expect(store.isLocked()).toBe(true);
    const again = await unlockSession(store, {}, NEW);
    expect(again.account.pubkey).toBe(session.account.pubkey);
    expect(again.deviceId).toBe(session.deviceId);
    expect(await again.signer.getPublicKey()).toBe(session.account.pubkey);
    // The key kept is an ncryptsec under the new passphrase, never below log_n 16.
    const [account] = await store.listAccounts();
    if (account?.signer.type !== 'local') throw new Error('not local');
    expect(inspectNcryptsec(account.signer.ncryptsec).logN).toBeGreaterThanOrEqual(16);
    expect(bytesToHex(getXOnlyPublicKey(await decryptNcryptsec(account.signer.ncryptsec, NEW)))).toBe(session.account.pubkey);
    expect(await codeOf(decryptNcryptsec(account.signer.ncryptsec, OLD))).toBe('WRONG_PASSPHRASE');
  });

  it('a wrong old passphrase or a short new one changes nothing on disk', async () => {
    const { platform, store } = await localIdentity();
    const before = await rawDump(platform, NAME);
    expect(await codeOf(changePassphrase(store, 'not the passphrase', NEW))).toBe('WRONG_PASSPHRASE');
    expect(await codeOf(changePassphrase(store, OLD, 'short'))).toBe('INVALID_INPUT');
    expect(await codeOf(changePassphrase(store, OLD, OLD))).toBe('INVALID_INPUT');
    expect(await rawDump(platform, NAME)).toEqual(before);
    store.lock();
    await unlockSession(store, {}, OLD);
  });

  it('an extension identity: only the vault is re-wrapped', async () => {
    const sk = generateSecretKey();
    const signer = new LocalSigner(sk);
    const store = await VeilStore.open(freshPlatform(), NAME);
    const nostr = { getPublicKey: () => signer.getPublicKey(), signEvent: (t: Parameters<LocalSigner['signEvent']>[0]) => signer.signEvent(t) };
    await extensionIdentity(store, { nostr }, OLD);
    await changePassphrase(store, OLD, NEW);
    store.lock();
    expect(await codeOf(unlockSession(store, { nostr }, OLD))).toBe('WRONG_PASSPHRASE');
    expect((await unlockSession(store, { nostr }, NEW)).account.pubkey).toBe(bytesToHex(getXOnlyPublicKey(sk)));
    // And its key is not in Veil to show.
    const err = await revealKey(store, NEW).catch((e: unknown) => e);
    expect(isVeilError(err, 'SIGNER_UNAVAILABLE')).toBe(true);
    expect((err as { user?: string }).user).toContain('browser extension');
  });
});

describe('forget this device and Lock now', { timeout: 120_000 }, () => {
  it('forget: the session goes on, but the next open needs the passphrase', async () => {
    const { store, session } = await localIdentity(true);
    expect(await store.hasDeviceUnlock()).toBe(true);
    store.lock();
    await unlockSession(store, {}, null); // remembered: opens without the passphrase
    await forgetDevice(store);
    expect(store.isLocked()).toBe(false);
    expect(await store.hasDeviceUnlock()).toBe(false);
    // The identity key kept for "remember" is gone too: only the ncryptsec remains.
    expect(await store.getSetting(`identity-secret:${session.account.id}`)).toBeUndefined();
    store.lock();
    expect(await codeOf(unlockSession(store, {}, null))).toBe('VAULT_LOCKED');
    expect((await unlockSession(store, {}, OLD)).account.pubkey).toBe(session.account.pubkey);
  });

  it('Lock now forgets the device wrap, then locks', async () => {
    const { platform, store } = await localIdentity(true);
    const calls: string[] = [];
    const account = new AccountControls(host(platform, store, calls));
    await account.refresh();
    expect(account.remembered).toBe(true);
    expect(account.keyLocation).toBe('local');
    await account.lockNow();
    expect(calls).toEqual(['lock']);
    expect(store.isLocked()).toBe(true);
    expect(account.remembered).toBe(false);
    expect(await store.hasDeviceUnlock()).toBe(false);
    expect(await codeOf(unlockSession(store, {}, null))).toBe('VAULT_LOCKED');
  });

  it('"Remember on this device" at the lock screen: the next open needs no passphrase and signs as before', async () => {
    const { store, session } = await localIdentity(false);
    store.lock();
    expect(await codeOf(unlockSession(store, {}, null))).toBe('VAULT_LOCKED');
    await unlockSession(store, {}, OLD, { remember: true });
    expect(await store.hasDeviceUnlock()).toBe(true);
    store.lock();
    const again = await unlockSession(store, {}, null);
    expect(again.account.pubkey).toBe(session.account.pubkey);
    expect(await again.signer.getPublicKey()).toBe(session.account.pubkey);
    // Without the box ticked nothing is remembered (a wrong passphrase changes nothing either).
    const other = await localIdentity(false);
    other.store.lock();
    expect(await codeOf(unlockSession(other.store, {}, 'not it', { remember: true }))).toBe('WRONG_PASSPHRASE');
    expect(await other.store.hasDeviceUnlock()).toBe(false);
    await unlockSession(other.store, {}, OLD);
    expect(await other.store.hasDeviceUnlock()).toBe(false);
  });
});

describe('show my key again', { timeout: 120_000 }, () => {
  it('asks the passphrase, then gives the same nsec and an ncryptsec of log_n ≥ 16 under it', async () => {
    const { store, backup } = await localIdentity(true);
    expect(await codeOf(revealKey(store, 'wrong passphrase'))).toBe('WRONG_PASSPHRASE');
    expect(await codeOf(revealKey(store, ''))).toBe('WRONG_PASSPHRASE');
    const shown = await revealKey(store, OLD);
    expect(shown.nsec).toBe(backup.nsec);
    expect(shown.npub).toBe(backup.npub);
    expect(inspectNcryptsec(shown.ncryptsec).logN).toBeGreaterThanOrEqual(16);
    expect(bytesToHex(await decryptNcryptsec(shown.ncryptsec, OLD))).toBe(bytesToHex(decodeNsec(backup.nsec)));
  });
});

describe('blocked list', { timeout: 120_000 }, () => {
  it('lists blocked contacts by nickname, public name, else the short npub', async () => {
    const { platform, store } = await localIdentity();
    const [a, b, c, d] = [1, 2, 3, 4].map(() => bytesToHex(getXOnlyPublicKey(generateSecretKey()))) as [string, string, string, string];
    await store.upsertContact({ pubkey: a, state: 'blocked', petname: 'Spammer' });
    await store.upsertContact({ pubkey: b, state: 'blocked', profile: { name: 'bob' } });
    await store.blockContact(c);
    await store.upsertContact({ pubkey: d, state: 'accepted' });
    const account = new AccountControls(host(platform, store, []));
    await account.refresh();
    expect(account.blocked.map((x) => x.name).sort()).toEqual(['Spammer', 'bob', shortNpub(encodeNpub(c))].sort());
    // Starting a chat with one of them says they are blocked; anyone else (or a bad input) goes on to the messenger.
    const refused = await account.refuseBlocked(encodeNpub(c)).catch((e: unknown) => e);
    expect(isVeilError(refused, 'INVALID_INPUT') && refused.user).toContain('Unblock them in Settings');
    await account.refuseBlocked(encodeNpub(d));
    await account.refuseBlocked('not a key');
    expect(blockedView({ pubkey: c, eks: [], relays: [], state: 'blocked', protocol: 'veil', addedAt: 0, updatedAt: 0 }).name).toMatch(/^npub1.{7}….{6}$/);
  });
});

describe('sign out and wipe', { timeout: 120_000 }, () => {
  it('closes the store, deletes the whole database and starts over at onboarding', async () => {
    const { platform, store } = await localIdentity(true);
    const calls: string[] = [];
    const h = host(platform, store, calls);
    const account = new AccountControls(h);
    await account.refresh();
    await account.wipe();
    expect(calls).toEqual(['close', 'restart']);
    expect(await platform.indexedDB.databases()).toEqual([{ name: NAME, version: expect.any(Number) }]); // the fresh empty one restart opened
    expect(await vaultState(h.current!)).toBe('new');
    expect(await h.current!.hasDeviceUnlock()).toBe(false);
    // Only the new database's own bookkeeping (schema version, creation time): no record of the old one.
    expect((await rawDump(platform, NAME)).filter((r) => r.store !== 'meta')).toEqual([]);
    expect(account.remembered).toBe(false);
    expect(account.keyLocation).toBeNull();
  });
});
