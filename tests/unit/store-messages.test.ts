import { describe, expect, it } from 'vitest';
import type { MessageInput } from '../../src/lib/store/db';
import { isVeilError } from '../../src/lib/shared/errors';
import { freshPlatform, hexId, rawDump, rawPut, storeWithChat } from '../helpers/store-idb';

const ALICE = hexId(0xa11ce);
const BOB = hexId(0xb0b);

const setup = () => storeWithChat('veil-test', BOB, 'test passphrase');

/** Sets the plain muted / archived flags of a conversation record directly on disk. */
async function setFlags(platform: ReturnType<typeof freshPlatform>, id: string, flags: { muted?: boolean; archived?: boolean }) {
  const rec = (await rawDump(platform, 'veil-test')).find((r) => r.store === 'conversations' && r.key === id);
  await rawPut(platform, 'veil-test', 'conversations', { ...(rec!.value as object), ...flags });
}

function msg(cid: string, n: number, createdAt: number, over: Partial<MessageInput> = {}): MessageInput {
  return {
    id: hexId(n),
    conversationId: cid,
    createdAt,
    direction: 'in',
    status: 'received',
    content: { body: `message ${n}`, sender: BOB, kind: 14 },
    ...over
  };
}

describe('store messages', () => {
  it('adds a message once: the second add of the same id is a duplicate and changes nothing', async () => {
    const { store, cid } = await setup();
    expect(await store.addMessage(msg(cid, 1, 1000))).toBe('added');
    expect(await store.addMessage(msg(cid, 1, 1000, { content: { body: 'other', sender: BOB, kind: 14 } }))).toBe('duplicate');
    expect((await store.getMessage(hexId(1)))?.content.body).toBe('message 1');
    expect((await store.getConversation(cid))?.unread).toBe(1);
    // Duplicates inside one batch count once too.
    expect(await store.addMessages([msg(cid, 2, 1001), msg(cid, 2, 1001), msg(cid, 1, 1000)])).toEqual([
      'added',
      'duplicate',
      'duplicate'
    ]);
    expect((await store.getConversation(cid))?.unread).toBe(2);
  });

  it('pages newest-first with ties in created_at, without gaps or overlaps', async () => {
    const { store, cid } = await setup();
    const other = await store.ensureConversation([ALICE]);
    // 7 messages, several sharing a created_at; ids added in a scrambled order.
    const spec: [number, number][] = [
      [5, 100],
      [3, 100],
      [9, 100],
      [1, 101],
      [2, 99],
      [7, 101],
      [4, 102]
    ];
    await store.addMessages(spec.map(([n, t]) => msg(cid, n, t)));
    await store.addMessage(msg(other, 50, 200)); // another conversation must not leak into pages
    // Ties in created_at order by the blind record key (issue 11: never by the public id), the same way on every page.
    const whole = (await store.pageMessages(cid, { limit: 50 })).messages;
    const expected = whole.map((m) => m.id);
    expect([...expected].sort()).toEqual(spec.map(([n]) => hexId(n)).sort());
    const at = new Map(spec.map(([n, t]) => [hexId(n), t]));
    for (let i = 1; i < expected.length; i++) expect(at.get(expected[i - 1]!)! >= at.get(expected[i]!)!).toBe(true);

    const seen: string[] = [];
    let before: string | undefined;
    const sizes: number[] = [];
    for (let i = 0; i < 10; i++) {
      const page = await store.pageMessages(cid, { before, limit: 3 });
      sizes.push(page.messages.length);
      seen.push(...page.messages.map((m) => m.id));
      expect(page.corrupted).toBe(0);
      if (!page.nextBefore) break;
      before = page.nextBefore;
    }
    expect(sizes).toEqual([3, 3, 1]);
    expect(seen).toEqual(expected);

    // Exactly divisible: the last full page still offers nextBefore, and the next page is empty.
    const p6 = await store.pageMessages(cid, { limit: 7 });
    expect(p6.messages).toHaveLength(7);
    expect(p6.nextBefore).toBeDefined();
    const empty = await store.pageMessages(cid, { before: p6.nextBefore, limit: 7 });
    expect(empty.messages).toEqual([]);
    expect(empty.nextBefore).toBeUndefined();
  });

  it('10,000 messages: the first page is the newest 50, decrypted, and the second continues it', async () => {
    const { store, cid } = await setup();
    const N = 10_000;
    const t0 = performance.now();
    for (let b = 0; b < N; b += 1000) {
      const batch: MessageInput[] = [];
      for (let i = b; i < b + 1000; i++) batch.push(msg(cid, i + 1, 1_700_000_000 + Math.floor(i / 3)));
      const res = await store.addMessages(batch);
      expect(res.every((r) => r === 'added')).toBe(true);
    }
    const tInsert = performance.now() - t0;
    const t1 = performance.now();
    const page = await store.pageMessages(cid, { limit: 50 });
    const tPage = performance.now() - t1;
    console.log(`store: inserted ${N} messages in ${tInsert.toFixed(0)} ms; newest page of 50 in ${tPage.toFixed(1)} ms`);
    expect(page.messages).toHaveLength(50);
    expect(page.messages[0]!.id).toBe(hexId(N));
    expect(page.messages[0]!.content.body).toBe(`message ${N}`);
    for (let i = 1; i < 50; i++) expect(page.messages[i - 1]!.sortKey > page.messages[i]!.sortKey).toBe(true);
    const next = await store.pageMessages(cid, { before: page.nextBefore, limit: 50 });
    // The second page continues the first: no overlap, nothing newer, and together they are the newest 100.
    const both = [...page.messages, ...next.messages].map((m) => m.id);
    expect(new Set(both).size).toBe(100);
    expect(next.messages[0]!.createdAt).toBeLessThanOrEqual(page.messages[49]!.createdAt);
    expect(both.map((id) => parseInt(id, 16)).sort((a, b) => b - a)[99]).toBeGreaterThan(N - 100 - 3);
    const conv = await store.getConversation(cid);
    expect(conv?.unread).toBe(N);
    expect(conv?.preview?.text).toBe(`message ${N}`);
  });

  it('orders conversations by last activity, keeps the newest preview, counts unread', async () => {
    const { platform, store, cid } = await setup();
    const other = await store.ensureConversation([ALICE, BOB]);
    expect(await store.ensureConversation([BOB, ALICE])).toBe(other); // order of peers does not matter
    await store.addMessage(msg(cid, 1, 2_000_000_000));
    await store.addMessage(msg(other, 2, 2_000_000_100));
    await store.addMessage(msg(other, 3, 2_000_000_200, { direction: 'out', status: 'sending', content: { body: 'mine', sender: ALICE, kind: 14 } }));
    // An older message arriving late must not replace the preview.
    await store.addMessage(msg(other, 4, 2_000_000_050, { content: { body: 'late', sender: BOB, kind: 14 } }));
    let list = await store.listConversations();
    expect(list.map((c) => c.id)).toEqual([other, cid]);
    expect(list[0]!.preview).toMatchObject({ text: 'mine', sender: ALICE, messageId: hexId(3) });
    expect(list[0]!.peers).toEqual([ALICE, BOB].sort());
    expect(list[0]!.unread).toBe(2); // outgoing messages do not count
    expect(await store.totalUnread()).toBe(3);
    await store.markRead(other);
    expect(await store.totalUnread()).toBe(1);
    // Muted / archived are plain flags on the record (no setter yet): flip them on disk.
    await setFlags(platform, cid, { muted: true });
    expect(await store.totalUnread()).toBe(0);
    await setFlags(platform, other, { archived: true });
    list = await store.listConversations();
    expect(list.map((c) => c.id)).toEqual([cid]);
    expect((await store.listConversations({ archived: true })).map((c) => c.id)).toEqual([other]);
  });

  it('refuses a message for an unknown conversation and writes nothing', async () => {
    const { store, cid } = await setup();
    const ghost = 'f'.repeat(32);
    const err = await store.addMessages([msg(cid, 1, 100), msg(ghost, 2, 100)]).catch((e) => e);
    expect(isVeilError(err, 'NOT_FOUND')).toBe(true);
    expect(await store.getMessage(hexId(1))).toBeUndefined();
    expect((await store.getConversation(cid))?.unread).toBe(0);
  });

  it('updates status and merges per-relay results; rejects impossible statuses', async () => {
    const { store, cid } = await setup();
    const id = hexId(9);
    await store.addMessage(msg(cid, 9, 100, { direction: 'out', status: 'sending', content: { body: 'x', sender: ALICE, kind: 14 } }));
    await store.updateMessageStatus(id, 'sent', [{ relay: 'wss://a.example', ok: true, at: 1 }]);
    await store.updateMessageStatus(id, 'sent', [
      { relay: 'wss://b.example', ok: false, message: 'rate-limited: slow down', at: 2 },
      { relay: 'wss://a.example', ok: true, at: 3 }
    ]);
    const m = await store.getMessage(id);
    expect(m?.status).toBe('sent');
    expect(m?.relays).toEqual([
      { relay: 'wss://a.example', ok: true, at: 3 },
      { relay: 'wss://b.example', ok: false, message: 'rate-limited: slow down', at: 2 }
    ]);
    expect(isVeilError(await store.updateMessageStatus(id, 'received').catch((e) => e), 'INVALID_INPUT')).toBe(true);
    expect(isVeilError(await store.updateMessageStatus(hexId(10), 'sent').catch((e) => e), 'NOT_FOUND')).toBe(true);
    await store.updateMessageStatus(id, 'failed');
    expect((await store.listMessagesByStatus('failed', { limit: 10 })).map((x) => x.id)).toEqual([id]);
  });

  it('bounds untrusted input', async () => {
    const { store, cid } = await setup();
    const big = msg(cid, 1, 100, { content: { body: 'x'.repeat(100_001), sender: BOB, kind: 14 } });
    expect(isVeilError(await store.addMessage(big).catch((e) => e), 'TOO_LARGE')).toBe(true);
    expect(isVeilError(await store.addMessage(msg(cid, 1, -1)).catch((e) => e), 'INVALID_INPUT')).toBe(true);
    expect(isVeilError(await store.addMessage({ ...msg(cid, 1, 1), id: 'ABC' }).catch((e) => e), 'INVALID_INPUT')).toBe(true);
    expect(isVeilError(await store.pageMessages(cid, { limit: 0 }).catch((e) => e), 'INVALID_INPUT')).toBe(true);
  });

  it('keeps drafts sealed and clears them', async () => {
    const { store, cid } = await setup();
    expect(await store.getDraft(cid)).toBeNull();
    await store.setDraft(cid, 'half a thought');
    expect(await store.getDraft(cid)).toBe('half a thought');
    expect((await store.getConversation(cid))?.hasDraft).toBe(true);
    await store.setDraft(cid, null);
    expect(await store.getDraft(cid)).toBeNull();
  });

  it('deletes a conversation with all its messages', async () => {
    const { store, cid } = await setup();
    const other = await store.ensureConversation([ALICE]);
    await store.addMessages([msg(cid, 1, 1), msg(cid, 2, 2), msg(other, 3, 3)]);
    await store.deleteConversation(cid);
    expect(await store.getConversation(cid)).toBeUndefined();
    expect(await store.getMessage(hexId(1))).toBeUndefined();
    expect((await store.getMessage(hexId(3)))?.content.body).toBe('message 3');
  });

  it('notifies listeners after commit with store and key, not on duplicates', async () => {
    const { store, cid } = await setup();
    const got: string[] = [];
    const off = store.onChange((c) => got.push(`${c.store}:${c.key}`));
    await store.addMessage(msg(cid, 1, 1));
    expect(got).toEqual([`messages:${hexId(1)}`, `conversations:${cid}`]);
    got.length = 0;
    await store.addMessage(msg(cid, 1, 1));
    expect(got).toEqual([]);
    off();
    await store.markRead(cid);
    expect(got).toEqual([]);
  });
});

describe('store contacts, accounts, devices, relays, settings', () => {
  it('upserts contacts, merges fields, lists by state, blocks unknown senders', async () => {
    const { store } = await setup();
    await store.upsertContact({ pubkey: BOB, petname: 'Bob', eks: [hexId(1)], relays: ['wss://r.example'], state: 'accepted' });
    const merged = await store.upsertContact({ pubkey: BOB, profile: { name: 'bobby' } });
    expect(merged).toMatchObject({ pubkey: BOB, petname: 'Bob', eks: [hexId(1)], state: 'accepted', profile: { name: 'bobby' } });
    await store.upsertContact({ pubkey: ALICE });
    expect((await store.listContacts('request')).map((c) => c.pubkey)).toEqual([ALICE]);
    const stranger = hexId(0x5);
    expect(await store.getContact(stranger)).toBeUndefined();
    await store.blockContact(stranger);
    expect((await store.getContact(stranger))?.state).toBe('blocked');
    expect((await store.listContacts('blocked')).map((c) => c.pubkey)).toEqual([stranger]);
    expect((await store.listContacts()).length).toBe(3);
    await store.deleteContact(stranger);
    expect(await store.getContact(stranger)).toBeUndefined();
  });

  it('stores accounts and the device envelope key, sealed, and returns them decrypted', async () => {
    const { store } = await setup();
    const id = await store.putAccount({ pubkey: ALICE, signer: { type: 'nip46', bunkerUrl: 'bunker://abc?secret=s3cret' } });
    expect(await store.putAccount({ pubkey: ALICE, signer: { type: 'nip07' } })).toBe(id); // same pubkey: same account
    expect((await store.listAccounts()).map((a) => a.signer.type)).toEqual(['nip07']);
    const sk = new Uint8Array(32).fill(7);
    const did = await store.putDevice({ label: 'laptop', secretKey: sk, accountId: id });
    const d = await store.getDevice(did);
    expect(d?.secretKey).toEqual(sk);
    expect(d?.label).toBe('laptop');
    expect(d?.accountId).toBe(id);
  });

  it('keeps relays and public settings readable while locked, sealed settings not', async () => {
    const { store } = await setup();
    await store.putRelay({ url: 'wss://relay.example', role: 'both', limits: { max_message_length: 65536 } });
    await store.setPublicSetting('theme', 'dark');
    await store.setSetting('mode', { private: true });
    store.lock();
    expect(await store.listRelays()).toMatchObject([
      { url: 'wss://relay.example', role: 'both', enabled: true, limits: { max_message_length: 65536 } }
    ]);
    expect(await store.getPublicSetting('theme')).toBe('dark');
    expect(isVeilError(await store.getSetting('mode').catch((e) => e), 'VAULT_LOCKED')).toBe(true);
    await store.unlock('test passphrase');
    expect(await store.getSetting('mode')).toEqual({ private: true });
  });
});
