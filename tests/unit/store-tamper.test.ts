/**
 * Issue 16 item 6, the security review's third finding: plain fields in IndexedDB were not
 * authenticated, so a disk writer flipped a received message to "sent by me" and unblocked a contact
 * undetected. Now a message's direction and chat are sealed beside its body (a changed record no
 * longer opens: it is skipped and counted as damaged), and a contact's state is sealed with its
 * details (the sealed one is believed). Each test writes the disk with the raw IDB API, as a thief
 * with write access could, and fails on the main before this change.
 */
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../../src/lib/shared/bytes';
import { generateSecretKey, getXOnlyPublicKey } from '../../src/lib/crypto/keys';
import { rawDump, rawPut, hexId, storeWithChat } from '../helpers/store-idb';

const ALICE = bytesToHex(getXOnlyPublicKey(generateSecretKey()));
const MALLORY = bytesToHex(getXOnlyPublicKey(generateSecretKey()));

async function rawRecords(platform: Parameters<typeof rawDump>[0], name: string, store: string): Promise<Record<string, unknown>[]> {
  return (await rawDump(platform, name)).filter((r) => r.store === store).map((r) => r.value as Record<string, unknown>);
}

describe('plain fields changed on disk', () => {
  it('a received message flipped to "sent by me" is not shown as mine: it no longer opens', async () => {
    const name = `veil-tamper-dir-${bytesToHex(generateSecretKey()).slice(0, 8)}`;
    const { platform, store, cid } = await storeWithChat(name, ALICE);
    await store.addMessages([{ id: hexId(1, 'a'), conversationId: cid, createdAt: 1_700_000_000, direction: 'in', status: 'received', content: { body: 'hello from Alice', sender: ALICE, kind: 14 }, relays: [] }]);
    expect((await store.pageMessages(cid, { limit: 10 })).messages.map((m) => m.direction)).toEqual(['in']);

    const [rec] = await rawRecords(platform, name, 'messages');
    await rawPut(platform, name, 'messages', { ...rec, direction: 'out', status: 'sent' });
    const page = await store.pageMessages(cid, { limit: 10 });
    expect(page.messages.filter((m) => m.direction === 'out')).toEqual([]);
    expect(page.corrupted).toBe(1);
    store.close();
  });

  it('a message moved into another chat on disk does not show there', async () => {
    const name = `veil-tamper-conv-${bytesToHex(generateSecretKey()).slice(0, 8)}`;
    const { platform, store, cid } = await storeWithChat(name, ALICE);
    const other = await store.ensureConversation([MALLORY]);
    await store.addMessages([{ id: hexId(2, 'b'), conversationId: cid, createdAt: 1_700_000_001, direction: 'in', status: 'received', content: { body: 'for the Alice chat', sender: ALICE, kind: 14 }, relays: [] }]);
    const [rec] = await rawRecords(platform, name, 'messages');
    await rawPut(platform, name, 'messages', { ...rec, conversationId: other });
    const page = await store.pageMessages(other, { limit: 10 });
    expect(page.messages).toEqual([]);
    expect(page.corrupted).toBe(1);
    store.close();
  });

  it('a blocked contact set back to "accepted" on disk stays blocked', async () => {
    const name = `veil-tamper-contact-${bytesToHex(generateSecretKey()).slice(0, 8)}`;
    const { platform, store } = await storeWithChat(name, MALLORY);
    await store.upsertContact({ pubkey: MALLORY, state: 'accepted', petname: 'M' });
    await store.blockContact(MALLORY);
    expect((await store.getContact(MALLORY))?.state).toBe('blocked');

    const [rec] = await rawRecords(platform, name, 'contacts');
    expect(rec!.state).toBe('blocked');
    await rawPut(platform, name, 'contacts', { ...rec, state: 'accepted' });
    expect((await store.getContact(MALLORY))?.state).toBe('blocked');
    expect((await store.listContacts('blocked')).map((c) => c.pubkey)).toEqual([MALLORY]);
    expect(await store.listContacts('accepted')).toEqual([]);
    // The details stay; a real unblock is believed.
    expect((await store.getContact(MALLORY))?.petname).toBe('M');
    await store.setContactState(MALLORY, 'accepted');
    expect((await store.getContact(MALLORY))?.state).toBe('accepted');
    expect((await store.getContact(MALLORY))?.petname).toBe('M');
    store.close();
  });

  it('two writes of one contact at once both land (neither its details nor its state is lost)', async () => {
    const name = `veil-contact-race-${bytesToHex(generateSecretKey()).slice(0, 8)}`;
    const { store } = await storeWithChat(name, ALICE);
    await store.upsertContact({ pubkey: ALICE, state: 'accepted', protocol: 'nip17' });
    // The upgrade to the envelope (a record arrived) and a profile update, as the sync layer makes them.
    await Promise.all([store.upsertContact({ pubkey: ALICE, protocol: 'veil', eks: [MALLORY] }), store.upsertContact({ pubkey: ALICE, profile: { name: 'Alice' } }), store.blockContact(ALICE)]);
    const c = await store.getContact(ALICE);
    expect({ protocol: c?.protocol, eks: c?.eks, name: c?.profile?.name, state: c?.state }).toEqual({ protocol: 'veil', eks: [MALLORY], name: 'Alice', state: 'blocked' });
    store.close();
  });
});
