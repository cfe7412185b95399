/**
 * Peer routing state (src/lib/sync/peers.ts): the one adapter over sealed settings parses what it
 * stored field by field, round-trips, and forgets a declined contact entirely.
 */
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../../src/lib/shared/bytes';
import { generateSecretKey, getXOnlyPublicKey } from '../../src/lib/crypto/keys';
import { VeilStore } from '../../src/lib/store/db';
import { emptyPeer, parsePeerRouting, Peers, settingsPeerRepo } from '../../src/lib/sync/peers';
import { freshPlatform, TEST_ITERATIONS } from '../helpers/store-idb';

const pubkey = () => bytesToHex(getXOnlyPublicKey(generateSecretKey()));

describe('parsePeerRouting', () => {
  it('keeps valid fields and drops the rest', () => {
    const pk = pubkey();
    const ek = pubkey();
    const parsed = parsePeerRouting(pk, {
      devices: [{ id: 'not a device' }],
      recordAt: 12.5,
      pairReady: [ek, 'nope', 7],
      cardSentAt: 30,
      profileAt: '40',
      dmRelays: ['wss://DM.example/', 'http://not-a-relay', 3],
      dmRelaysAt: 50
    });
    expect(parsed).toEqual({ ...emptyPeer(pk), pairReady: [ek], cardSentAt: 30, dmRelays: ['wss://dm.example'], dmRelaysAt: 50 });
    expect(parsePeerRouting(pk, ['an', 'array'])).toEqual(emptyPeer(pk));
    expect(parsePeerRouting(pk, null)).toEqual(emptyPeer(pk));
  });
});

describe('Peers over settingsPeerRepo', () => {
  it('round-trips through the store and forgets a deleted peer', async () => {
    const store = await VeilStore.open(freshPlatform(), 'veil-peers');
    await store.setupVault('correct horse battery staple', { iterations: TEST_ITERATIONS });
    const pk = pubkey();
    const device = { id: '0123456789abcdef', ek: pubkey(), addedAt: 100, label: 'phone', relays: ['wss://r.example'] };
    const peers = new Peers(settingsPeerRepo(store));
    await peers.update(pk, { devices: [device], recordAt: 200 });
    await peers.markPairReady(pk, device.ek);
    await peers.markPairReady(pk, device.ek);

    const fresh = new Peers(settingsPeerRepo(store));
    expect(await fresh.get(pk)).toEqual({ ...emptyPeer(pk), devices: [device], recordAt: 200, pairReady: [device.ek] });
    expect(fresh.followed()).toEqual([pk]);
    expect(fresh.deviceEks()).toEqual([device.ek]);

    await fresh.delete(pk);
    expect(fresh.followed()).toEqual([]);
    expect(await settingsPeerRepo(store).get(pk)).toBeUndefined();
    store.close();
  });
});
