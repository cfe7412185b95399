/**
 * Issue 11 "At rest": the passphrase minimum on every path that sets up the vault, and no ncryptsec
 * kept or handed out below log_n 16, whatever was imported (an ncryptsec with log_n 1 was accepted
 * and kept as it was).
 */
import { describe, expect, it } from 'vitest';
import { generateSecretKey, getXOnlyPublicKey } from '../../src/lib/crypto/keys';
import { decryptNcryptsec, encryptNcryptsec, inspectNcryptsec } from '../../src/lib/crypto/nip49';
import { isVeilError } from '../../src/lib/shared/errors';
import { bytesToHex } from '../../src/lib/shared/bytes';
import { VeilStore } from '../../src/lib/store/db';
import { createLocalIdentity, importIdentity, unlockSession } from '../../src/lib/sync/account';
import { freshPlatform, TEST_ITERATIONS } from '../helpers/store-idb';

const NAME = 'veil-account-ncryptsec';
const LONG = 'a long enough passphrase';
/** The floor (nip49 FLOOR), written out so the test means the same on code without the constant. */
const FLOOR = 16;

async function fresh() {
  return VeilStore.open(freshPlatform(), NAME);
}

/** The ncryptsec the store keeps for the only local account. */
async function kept(store: VeilStore): Promise<string> {
  const [account] = await store.listAccounts();
  if (account?.signer.type !== 'local') throw new Error('no local account');
  return account.signer.ncryptsec;
}

describe('ncryptsec import and the passphrase policy', () => {
  it('an imported ncryptsec with log_n 1 is re-encrypted at log_n 16 under the same passphrase and key security byte', async () => {
    const sk = generateSecretKey();
    const weak = await encryptNcryptsec(sk, LONG, { logN: 1, keySecurity: 1 });
    const store = await fresh();
    await importIdentity(store, weak, LONG);
    const stored = await kept(store);
    expect(stored).not.toBe(weak);
    expect(inspectNcryptsec(stored)).toMatchObject({ logN: FLOOR, keySecurity: 1 });
    expect(bytesToHex(await decryptNcryptsec(stored, LONG))).toBe(bytesToHex(sk));
  });

  it('an ncryptsec whose passphrase is below the minimum is refused before anything is written, unless a new passphrase is given', async () => {
    const sk = generateSecretKey();
    const short = await encryptNcryptsec(sk, 'pw', { logN: 1 });
    const store = await fresh();
    const err = await importIdentity(store, short, 'pw').catch((e) => e);
    expect(isVeilError(err, 'INVALID_INPUT')).toBe(true);
    expect(await store.hasVault()).toBe(false);
    expect(isVeilError(await importIdentity(store, short, 'pw', { newPassphrase: 'short' }).catch((e) => e), 'INVALID_INPUT')).toBe(true);
    expect(await store.hasVault()).toBe(false);

    await importIdentity(store, short, 'pw', { newPassphrase: LONG });
    const stored = await kept(store);
    expect(inspectNcryptsec(stored).logN).toBe(FLOOR);
    expect(bytesToHex(await decryptNcryptsec(stored, LONG))).toBe(bytesToHex(sk));
    store.lock();
    // The vault opens with the new passphrase, not the ncryptsec's old one.
    expect(isVeilError(await store.unlock('pw').catch((e) => e), 'WRONG_PASSPHRASE')).toBe(true);
    await store.unlock(LONG);
  });

  it('a new identity never gets an ncryptsec below log_n 16, even when asked for less', async () => {
    const { backup } = await createLocalIdentity(await fresh(), LONG, { logN: 1 });
    expect(inspectNcryptsec(backup.ncryptsec).logN).toBe(FLOOR);
  });

  it('an ncryptsec stored below log_n 16 by an older build is re-encrypted at the next unlock', async () => {
    const sk = generateSecretKey();
    const store = await fresh();
    await store.setupVault(LONG, { iterations: TEST_ITERATIONS });
    const pubkey = bytesToHex(getXOnlyPublicKey(sk));
    await store.putAccount({ pubkey, signer: { type: 'local', ncryptsec: await encryptNcryptsec(sk, LONG, { logN: 2, keySecurity: 0 }) } });
    store.lock();
    const session = await unlockSession(store, {}, LONG);
    expect(session.account.pubkey).toBe(pubkey);
    const stored = await kept(store);
    expect(inspectNcryptsec(stored)).toMatchObject({ logN: FLOOR, keySecurity: 0 });
    expect(bytesToHex(await decryptNcryptsec(stored, LONG))).toBe(bytesToHex(sk));
  });
});

describe('the policy constants', () => {
  it('are the ones the tests above write out', async () => {
    expect((await import('../../src/lib/crypto/nip49')).MIN_STORED_LOG_N).toBe(16);
    expect((await import('../../src/lib/sync/account')).MIN_PASSPHRASE).toBe(8);
  });
});
