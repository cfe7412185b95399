import { describe, expect, it } from 'vitest';
import { VeilStore } from '../../src/lib/store/db';
import { DEFAULT_KDF_ITERATIONS, Vault, fieldAad, unwrapWithPassphrase, wrapWithPassphrase } from '../../src/lib/store/vault';
import type { MessageRecord, VaultPassphraseRecord } from '../../src/lib/store/schema';
import { isVeilError } from '../../src/lib/shared/errors';
import { freshPlatform, hexId, rawDump, rawPut, TEST_ITERATIONS } from '../helpers/store-idb';

const BOB = hexId(0xb0b);
const NAME = 'veil-vault-test';

async function withData(iterations = TEST_ITERATIONS, rememberDevice = false) {
  const platform = freshPlatform();
  const store = await VeilStore.open(platform, NAME);
  await store.setupVault('correct horse', { iterations, rememberDevice });
  const cid = await store.ensureConversation([BOB]);
  await store.addMessages([1, 2].map((n) => ({
    id: hexId(n),
    conversationId: cid,
    createdAt: 100 + n,
    direction: 'in' as const,
    status: 'received' as const,
    content: { body: `secret ${n}`, sender: BOB, kind: 14 }
  })));
  return { platform, store, cid };
}

const code = async (p: Promise<unknown>) => {
  const e = await p.then(() => undefined, (x: unknown) => x);
  return isVeilError(e) ? e.code : e;
};

describe('store vault', () => {
  it('unlocks with the default KDF cost, and measures it', async () => {
    const { platform, store, cid } = await withData(DEFAULT_KDF_ITERATIONS);
    store.lock();
    expect(store.isLocked()).toBe(true);
    const t = performance.now();
    await store.unlock('correct horse');
    const ms = performance.now() - t;
    console.log(`store: unlock with PBKDF2-SHA256 x ${DEFAULT_KDF_ITERATIONS} took ${ms.toFixed(0)} ms`);
    expect(store.isLocked()).toBe(false);
    expect((await store.pageMessages(cid, { limit: 5 })).messages.map((m) => m.content.body)).toEqual(['secret 2', 'secret 1']);
    const rec = (await rawDump(platform, NAME)).find((r) => r.store === 'vault')?.value as VaultPassphraseRecord;
    expect(rec.iterations).toBe(DEFAULT_KDF_ITERATIONS);
  });

  it('wrong passphrase: WRONG_PASSPHRASE, no lockout, nothing on disk changes', async () => {
    const { platform, store, cid } = await withData();
    store.lock();
    const before = await rawDump(platform, NAME);
    for (let i = 0; i < 5; i++) expect(await code(store.unlock('wrong horse'))).toBe('WRONG_PASSPHRASE');
    expect(store.isLocked()).toBe(true);
    expect(await rawDump(platform, NAME)).toEqual(before);
    await store.unlock('correct horse'); // no lockout after failures
    expect((await store.getConversation(cid))?.peers).toEqual([BOB]);
  });

  it('locked vault: sealed reads and writes fail with VAULT_LOCKED, plain counters still work', async () => {
    const { store, cid } = await withData();
    store.lock();
    expect(await code(store.pageMessages(cid, { limit: 5 }))).toBe('VAULT_LOCKED');
    expect(await code(store.getMessage(hexId(1)))).toBe('VAULT_LOCKED');
    expect(await code(store.setDraft(cid, 'x'))).toBe('VAULT_LOCKED');
    expect(await code(store.listConversations())).toBe('VAULT_LOCKED');
    expect(await code(store.claimSeen(hexId(5), 1))).toBe('VAULT_LOCKED');
    expect(await store.totalUnread()).toBe(2);
    await store.markRead(cid);
    expect(await store.totalUnread()).toBe(0);
  });

  it('change passphrase re-wraps the key only: no sealed record changes', async () => {
    const { platform, store, cid } = await withData();
    const sealedBefore = (await rawDump(platform, NAME)).filter((r) => r.store !== 'vault');
    expect(await code(store.changePassphrase('not it', 'battery staple', { iterations: TEST_ITERATIONS }))).toBe('WRONG_PASSPHRASE');
    await store.changePassphrase('correct horse', 'battery staple', { iterations: TEST_ITERATIONS });
    expect((await rawDump(platform, NAME)).filter((r) => r.store !== 'vault')).toEqual(sealedBefore);
    store.close();
    const again = await VeilStore.open(platform, NAME);
    expect(await code(again.unlock('correct horse'))).toBe('WRONG_PASSPHRASE');
    await again.unlock('battery staple');
    expect((await again.getMessage(hexId(2)))?.content.body).toBe('secret 2');
    expect((await again.getConversation(cid))?.unread).toBe(2);
  });

  it('refuses a second setup', async () => {
    const { store } = await withData();
    expect(await store.hasVault()).toBe(true);
    expect(await code(store.setupVault('x', { iterations: TEST_ITERATIONS }))).toBe('INVALID_INPUT');
    expect(await code(store.setupVault('x', { iterations: 1000 }))).toBe('INVALID_INPUT');
  });

  it('remember on this device: the non-extractable key survives IndexedDB and reopens the vault', async () => {
    const { platform, store } = await withData(TEST_ITERATIONS, true);
    const dev = (await rawDump(platform, NAME)).find((r) => r.store === 'vault' && r.key === 'device')?.value as {
      deviceKey: CryptoKey;
    };
    // fake-indexeddb stores by structuredClone, which in Node 20 clones CryptoKey as browsers do.
    expect(dev.deviceKey).toBeInstanceOf(CryptoKey);
    expect(dev.deviceKey.extractable).toBe(false);
    store.close();
    const again = await VeilStore.open(platform, NAME);
    expect(again.isLocked()).toBe(true);
    expect(await again.unlockWithDevice()).toBe(true);
    expect((await again.getMessage(hexId(1)))?.content.body).toBe('secret 1');
    await again.forgetDevice();
    again.lock();
    expect(await again.unlockWithDevice()).toBe(false);
    expect(again.isLocked()).toBe(true);
    // Opting in later, at unlock time:
    await again.unlock('correct horse', { rememberDevice: true });
    again.lock();
    expect(await again.unlockWithDevice()).toBe(true);
  });

  it('a tampered KDF cost is refused before any work (KDF_TOO_COSTLY)', async () => {
    const { platform, store } = await withData();
    store.close();
    const rec = (await rawDump(platform, NAME)).find((r) => r.key === 'passphrase')?.value as VaultPassphraseRecord;
    await rawPut(platform, NAME, 'vault', { ...rec, iterations: 1e9 });
    const again = await VeilStore.open(platform, NAME);
    expect(await code(again.unlock('correct horse'))).toBe('KDF_TOO_COSTLY');
  });

  it('a sealed blob moved to another record does not open (AAD binds store and key)', async () => {
    const { platform, store, cid } = await withData();
    store.close();
    const dump = await rawDump(platform, NAME);
    // Record keys are blind ids: take the two message records, whichever is which.
    const [m1, m2] = dump.filter((r) => r.store === 'messages').map((r) => r.value as MessageRecord);
    await rawPut(platform, NAME, 'messages', { ...m2!, sealed: m1!.sealed });
    const again = await VeilStore.open(platform, NAME);
    await again.unlock('correct horse');
    const page = await again.pageMessages(cid, { limit: 10 });
    expect(page.corrupted).toBe(1);
    expect(page.messages).toHaveLength(1);
    const intact = page.messages[0]!.id;
    expect([hexId(1), hexId(2)]).toContain(intact);
    expect(await code(again.getMessage(intact === hexId(1) ? hexId(2) : hexId(1)))).toBe('DECRYPT_FAILED');
  });

  it('normalizes passphrases (NFKC) so composed and decomposed accents match', async () => {
    const master = new Uint8Array(32).fill(3);
    const rec = await wrapWithPassphrase(master, 'caf\u00e9', TEST_ITERATIONS);
    expect(await unwrapWithPassphrase(rec, 'cafe\u0301')).toEqual(master);
    expect(await code(unwrapWithPassphrase(rec, 'cafe'))).toBe('WRONG_PASSPHRASE');
    expect(await code(wrapWithPassphrase(master, '', TEST_ITERATIONS))).toBe('INVALID_INPUT');
  });

  it('Vault as AtRestCipher: fresh nonce per encryption, AAD enforced, lock wipes the key', async () => {
    const v = new Vault();
    expect(await code(v.encrypt(new Uint8Array(1), new Uint8Array(0)))).toBe('VAULT_LOCKED');
    const master = new Uint8Array(32).fill(9);
    await v.load(master);
    expect(master.every((b) => b === 0)).toBe(true); // master bytes wiped after deriving working keys
    const aad = fieldAad('messages', 'k', 'data');
    const a = await v.encrypt(new Uint8Array([1, 2, 3]), aad);
    const b = await v.encrypt(new Uint8Array([1, 2, 3]), aad);
    expect(a).not.toEqual(b);
    expect(await v.decrypt(a, aad)).toEqual(new Uint8Array([1, 2, 3]));
    expect(await code(v.decrypt(a, fieldAad('messages', 'k2', 'data')))).toBe('DECRYPT_FAILED');
    const flipped = a.slice();
    flipped[flipped.length - 1]! ^= 1;
    expect(await code(v.decrypt(flipped, aad))).toBe('DECRYPT_FAILED');
    const blind1 = await v.blind('contact', BOB);
    expect(blind1).toMatch(/^[0-9a-f]{32}$/);
    expect(await v.blind('seen', BOB)).not.toBe(blind1); // domains separated
    v.lock();
    expect(await code(v.decrypt(a, aad))).toBe('VAULT_LOCKED');
    expect(await code(v.blind('contact', BOB))).toBe('VAULT_LOCKED');
  });
});
