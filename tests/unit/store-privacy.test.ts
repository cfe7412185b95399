/**
 * What a stolen disk holds (docs/design.md §1): read every record with the raw IDB API after writing
 * realistic data, and look for each known secret as text or as bytes anywhere in it.
 */
import { describe, expect, it } from 'vitest';
import { VeilStore } from '../../src/lib/store/db';
import { bytesToHex } from '../../src/lib/shared/bytes';
import { findPlaintext, freshPlatform, hexId, rawDump, TEST_ITERATIONS } from '../helpers/store-idb';

const NAME = 'veil-privacy-test';
const ME = '8f'.repeat(32);
const BOB = '3c'.repeat(32);
const BOB_EK = '5d'.repeat(32);
const ENVELOPE_ID = '7e'.repeat(32);

describe('store at rest', () => {
  it('no record holds a body, preview, draft, name, pubkey, key or secret in plaintext', async () => {
    const platform = freshPlatform();
    const store = await VeilStore.open(platform, NAME);
    await store.setupVault('a long passphrase', { iterations: TEST_ITERATIONS });
    const ek = new Uint8Array(32).fill(0x42);
    const secrets = {
      body: 'Meet me at the old bridge at nine',
      draft: 'I am drafting a reply about the bridge',
      petname: 'Bobby Tables',
      profileName: 'Robert Paulson',
      subject: 'Project Mayhem',
      ncryptsec: 'ncryptsec1qgg9947rlpvqu76pj5ecreduf9jxhselq2nae2kghhvd5g7dgjtcxfqtd67p9m0w57lspw8gsq6yphnm8623nsl8xn9j4jdzz84zm3frztj3z7s35vpzmqf6ksu8r89qk5z2zxfmu5gv8th8wclt0h4p',
      bunkerSecret: 'bunker-shared-secret-xyz',
      settingValue: 'my-very-private-setting',
      relayOfBob: 'wss://bobs-secret-relay.example'
    };
    const accountId = await store.putAccount({
      pubkey: ME,
      signer: { type: 'local', ncryptsec: secrets.ncryptsec },
      profile: { name: 'Me Myself' }
    });
    await store.putAccount({ pubkey: '9a'.repeat(32), signer: { type: 'nip46', bunkerUrl: `bunker://${'ab'.repeat(32)}?secret=${secrets.bunkerSecret}` } });
    await store.putDevice({ label: 'Work laptop', secretKey: ek, accountId });
    await store.upsertContact({
      pubkey: BOB,
      eks: [BOB_EK],
      relays: [secrets.relayOfBob],
      petname: secrets.petname,
      profile: { name: secrets.profileName },
      state: 'accepted',
      protocol: 'veil'
    });
    const cid = await store.ensureConversation([BOB], { title: 'Bridge club' });
    await store.addMessage({
      id: hexId(1),
      conversationId: cid,
      createdAt: 1_700_000_000,
      direction: 'in',
      status: 'received',
      content: { body: secrets.body, sender: BOB, kind: 14, subject: secrets.subject, replyTo: hexId(99) }
    });
    await store.setDraft(cid, secrets.draft);
    await store.setSetting('note', secrets.settingValue);
    expect(await store.claimSeen(ENVELOPE_ID, Date.now() + 1000)).toBe(true);
    store.close();

    const dump = await rawDump(platform, NAME);
    expect(dump.length).toBeGreaterThan(8);
    const needles: Record<string, string> = {
      ...secrets,
      preview: secrets.body.slice(0, 20),
      myPubkey: ME,
      bobPubkey: BOB,
      bobEk: BOB_EK,
      deviceEkHex: bytesToHex(ek),
      deviceLabel: 'Work laptop',
      myName: 'Me Myself',
      title: 'Bridge club',
      replyTo: hexId(99),
      seenEnvelopeId: ENVELOPE_ID
    };
    for (const [what, needle] of Object.entries(needles)) {
      const hits = dump.flatMap((r) => findPlaintext({ key: r.key, value: r.value }, needle, `${r.store}`));
      expect(hits, `${what} found in plaintext`).toEqual([]);
    }
    // The device key bytes never appear raw either.
    const rawEk = String.fromCharCode(...ek);
    expect(dump.flatMap((r) => findPlaintext(r.value, rawEk, r.store))).toEqual([]);

    // The message's event id is not on disk either: its record key is a blind id (issue 11).
    expect(dump.flatMap((r) => findPlaintext({ key: r.key, value: r.value }, hexId(1), r.store))).toEqual([]);
    // The scanner itself finds what is really there (so the empty results above mean something).
    expect(dump.flatMap((r) => findPlaintext({ key: r.key, value: r.value }, cid, r.store)).length).toBeGreaterThan(0);
    expect(findPlaintext({ b: new TextEncoder().encode(`xx${secrets.body}yy`) }, secrets.body)).toEqual(['$.b', '$.b(latin1)']);
  });
});
