/**
 * Typed peer routing state (store `peers`, v4): sealed at rest under the contacts' blind index,
 * validated on write and on read, and moved over lazily from the pre-v4 `sync.peer.<cid>` setting.
 */
import { describe, expect, it } from 'vitest';
import { VeilStore, type PeerRouting } from '../../src/lib/store/db';
import { validPeerRouting } from '../../src/lib/store/validate';
import { isVeilError } from '../../src/lib/shared/errors';
import { findPlaintext, freshPlatform, hexId, rawDump, rawPut, TEST_ITERATIONS } from '../helpers/store-idb';

const NAME = 'veil-peers-test';
const PASS = 'peers pass';
const BOB = hexId(0xb0b);
const CAROL = hexId(0xca201);
const RELAY = 'wss://bob-reads.example';

function peer(pubkey = BOB, over: Partial<PeerRouting> = {}): PeerRouting {
  return {
    pubkey,
    devices: [{ id: '0123456789abcdef', ek: hexId(0xe1), addedAt: 1_700_000_000, label: 'phone', relays: [RELAY] }],
    recordAt: 1_700_000_100,
    pairReady: [hexId(0xe1)],
    cardSentAt: 1_700_000_200,
    profileAt: 1_700_000_300,
    dmRelays: ['wss://bob-dm.example'],
    dmRelaysAt: 1_700_000_400_000,
    ...over
  };
}

async function setup(version?: number) {
  const platform = freshPlatform();
  const store = await VeilStore.open(platform, NAME, version === undefined ? {} : { version });
  await store.setupVault(PASS, { iterations: TEST_ITERATIONS });
  return { platform, store };
}

const code = async (p: Promise<unknown>) => ((e) => (isVeilError(e) ? e.code : 'resolved'))(await p.then(() => undefined, (e) => e));

describe('store peers', () => {
  it('puts, gets, replaces and deletes a peer; unknown pubkeys are undefined', async () => {
    const { store } = await setup();
    expect(await store.getPeer(BOB)).toBeUndefined();
    await store.putPeer(peer());
    expect(await store.getPeer(BOB)).toEqual(peer());
    await store.putPeer(peer(BOB, { devices: [], pairReady: [], recordAt: 1_700_000_500 }));
    expect(await store.getPeer(BOB)).toMatchObject({ devices: [], recordAt: 1_700_000_500 });
    await store.putPeer(peer(CAROL));
    await store.deletePeer(BOB);
    expect(await store.getPeer(BOB)).toBeUndefined();
    expect((await store.getPeer(CAROL))?.pubkey).toBe(CAROL);
    store.lock();
    expect(await code(store.getPeer(CAROL))).toBe('VAULT_LOCKED');
    expect(await code(store.putPeer(peer()))).toBe('VAULT_LOCKED');
  });

  it('is sealed under the contacts blind index: no pubkey, EK or relay in clear on disk', async () => {
    const { platform, store } = await setup();
    await store.upsertContact({ pubkey: BOB });
    await store.putPeer(peer());
    const dump = await rawDump(platform, NAME);
    const peers = dump.filter((r) => r.store === 'peers');
    expect(peers).toHaveLength(1);
    expect(peers[0]!.key).toBe(dump.find((r) => r.store === 'contacts')!.key);
    for (const needle of [BOB, hexId(0xe1), RELAY, 'bob-dm.example', 'phone', '0123456789abcdef']) expect(findPlaintext(dump, needle)).toEqual([]);
  });

  it('validates on write: hex lengths, integers, URLs and caps', async () => {
    const { platform, store } = await setup();
    const dev = peer().devices[0]!;
    const bad: [Partial<PeerRouting>, string][] = [
      [{ pubkey: BOB.toUpperCase() }, 'INVALID_INPUT'],
      [{ pubkey: BOB.slice(2) }, 'INVALID_INPUT'],
      [{ devices: [{ ...dev, id: 'abc' }] }, 'INVALID_INPUT'],
      [{ devices: [{ ...dev, ek: hexId(1).slice(1) }] }, 'INVALID_INPUT'],
      [{ devices: [{ ...dev, addedAt: 1.5 }] }, 'INVALID_INPUT'],
      [{ devices: [{ ...dev, relays: ['https://not-a-relay.example'] }] }, 'INVALID_INPUT'],
      [{ devices: [{ ...dev, label: 'x'.repeat(65) }] }, 'TOO_LARGE'],
      [{ devices: [dev, dev] }, 'INVALID_INPUT'],
      [{ devices: Array.from({ length: 17 }, (_, i) => ({ ...dev, id: i.toString(16).padStart(16, '0') })) }, 'INVALID_INPUT'],
      [{ pairReady: Array.from({ length: 17 }, (_, i) => hexId(i)) }, 'INVALID_INPUT'],
      [{ recordAt: -1 }, 'INVALID_INPUT'],
      [{ cardSentAt: Number.NaN }, 'INVALID_INPUT'],
      [{ dmRelays: ['not a url'] }, 'INVALID_INPUT'],
      [{ dmRelaysAt: 0.5 }, 'INVALID_INPUT']
    ];
    for (const [over, want] of bad) expect([over, await code(store.putPeer(peer(BOB, over)))]).toEqual([over, want]);
    expect((await rawDump(platform, NAME)).filter((r) => r.store === 'peers')).toEqual([]);
  });

  it('validates on read: a record moved to another key does not open, and unsealed content is checked again', async () => {
    const { platform, store } = await setup();
    await store.putPeer(peer(BOB));
    await store.putPeer(peer(CAROL));
    const dump = (await rawDump(platform, NAME)).filter((r) => r.store === 'peers');
    const [a, b] = dump.map((r) => r.value as { id: string; sealed: Uint8Array; updatedAt: number });
    // Bob's blob under Carol's key (and the other way round): the AAD binds the record key.
    await rawPut(platform, NAME, 'peers', { ...a!, sealed: b!.sealed });
    const moved = await Promise.all([store.getPeer(BOB).catch((e) => e), store.getPeer(CAROL).catch((e) => e)]);
    expect(moved.filter((x) => isVeilError(x, 'DECRYPT_FAILED'))).toHaveLength(1);
    // The read-side check is the same function as the write side, run on whatever unsealed.
    expect(() => validPeerRouting({ ...peer(), devices: 'x' })).toThrow();
    expect(() => validPeerRouting({ ...peer(), recordAt: '1' })).toThrow();
    expect(validPeerRouting(JSON.parse(JSON.stringify(peer())))).toEqual(peer());
  });

  it('moves a pre-v4 sync.peer.<conversationId> setting over on the first miss, then deletes it', async () => {
    const { platform, store } = await setup(3);
    const cid = await store.conversationIdFor([BOB]);
    const old = { ...peer(), pairReady: ['not hex'], dmRelays: 'nope' } as Record<string, unknown>;
    delete old.pubkey; // the sync layer never stored the pubkey: the key named the conversation
    await store.setSetting(`sync.peer.${cid}`, old as never);
    store.close();

    const v4 = await VeilStore.open(platform, NAME);
    await v4.unlock(PASS);
    const keys = async () => (await rawDump(platform, NAME)).filter((r) => r.store === 'peers' || r.store === 'settings').map((r) => `${r.store}:${r.key}`);
    expect(await keys()).toEqual([`settings:sync.peer.${cid}`]);
    // Invalid fields fall back to their empty value, as the sync layer read them.
    const moved = await v4.getPeer(BOB);
    expect(moved).toEqual(peer(BOB, { pairReady: [], dmRelays: [] }));
    const after = await keys();
    expect(after).toHaveLength(1);
    expect(after[0]).toMatch(/^peers:[0-9a-f]{32}$/);
    // Now a hit on the new store.
    expect(await v4.getPeer(BOB)).toEqual(moved);
    expect(await v4.getSetting(`sync.peer.${cid}`)).toBeUndefined();
  });

  it('put and delete remove a leftover pre-v4 setting, so no old copy stays behind', async () => {
    const { platform, store } = await setup();
    const [cb, cc] = await Promise.all([store.conversationIdFor([BOB]), store.conversationIdFor([CAROL])]);
    await store.setSetting(`sync.peer.${cb}`, { recordAt: 1 });
    await store.setSetting(`sync.peer.${cc}`, { recordAt: 2 });
    await store.putPeer(peer(BOB));
    await store.deletePeer(CAROL);
    const left = (await rawDump(platform, NAME)).filter((r) => r.store === 'settings' || r.store === 'peers').map((r) => r.store);
    expect(left).toEqual(['peers']);
    expect((await store.getPeer(BOB))?.recordAt).toBe(peer().recordAt);
    expect(await store.getPeer(CAROL)).toBeUndefined();
  });
});
