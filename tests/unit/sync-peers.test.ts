/**
 * Peer routing state (src/lib/sync/peers.ts) over the store's typed peers records: round-trips and
 * forgets a declined contact entirely (the store's own checks: tests/unit/store-peers.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../../src/lib/shared/bytes';
import { generateSecretKey, getXOnlyPublicKey } from '../../src/lib/crypto/keys';
import { VeilStore } from '../../src/lib/store/db';
import { emptyPeer, Peers, storePeerRepo } from '../../src/lib/sync/peers';
import { freshPlatform, TEST_ITERATIONS } from '../helpers/store-idb';

const pubkey = () => bytesToHex(getXOnlyPublicKey(generateSecretKey()));

describe('Peers over storePeerRepo', () => {
  it('round-trips through the store and forgets a deleted peer', async () => {
    const store = await VeilStore.open(freshPlatform(), 'veil-peers');
    await store.setupVault('correct horse battery staple', { iterations: TEST_ITERATIONS });
    const pk = pubkey();
    const device = { id: '0123456789abcdef', ek: pubkey(), addedAt: 100, label: 'phone', relays: ['wss://r.example'] };
    const peers = new Peers(storePeerRepo(store));
    await peers.update(pk, { devices: [device], recordAt: 200 });
    await peers.markPairReady(pk, device.ek);
    await peers.markPairReady(pk, device.ek);

    const fresh = new Peers(storePeerRepo(store));
    expect(await fresh.get(pk)).toEqual({ ...emptyPeer(pk), devices: [device], recordAt: 200, pairReady: [device.ek] });
    expect(fresh.followed()).toEqual([pk]);
    expect(fresh.deviceEks()).toEqual([device.ek]);

    await fresh.delete(pk);
    expect(fresh.followed()).toEqual([]);
    expect(await storePeerRepo(store).get(pk)).toBeUndefined();
    store.close();
  });
});
