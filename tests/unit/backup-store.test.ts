/**
 * Backup export and restore through the real store (fake-indexeddb): a profile with an identity, contacts in
 * every state, routing, conversations (muted, archived, a draft, unread counts), messages both ways, settings and
 * relays is exported, wiped, restored: everything compares equal. A restore refuses a profile in use, a wrong
 * passphrase or a damaged file, and in each case leaves the target as it was.
 */
import { describe, expect, test } from 'vitest';
import { openBackup, sealBackup } from '../../src/lib/crypto/backup';
import { bytesToHex, concatBytes, randomBytes, utf8Decode, utf8Encode } from '../../src/lib/shared/bytes';
import { VeilStore, deleteVeilDatabase } from '../../src/lib/store';
import type { MessageInput } from '../../src/lib/store/db';
import { createLocalIdentity, unlockSession } from '../../src/lib/sync/account';
import { exportBackup, restoreBackup, type ByteSource } from '../../src/lib/sync/backup';
import { errorCode } from '../helpers/error-code';
import { TEST_ITERATIONS, freshPlatform, hexId, rawDump, rawPut } from '../helpers/store-idb';

const PASS = 'my veil passphrase';
const BACKUP_PASS = 'backup passphrase 1';
const NEW_PASS = 'new device passphrase';
const FAST = { seal: { logN: 10 } };
const RESTORE = { iterations: TEST_ITERATIONS, logN: 16 };
const BOB = hexId(0xb0b);
const CAROL = hexId(0xca201);
const MALLORY = hexId(0x3a11);

const bytesSource = (b: Uint8Array): ByteSource => ({ size: b.length, read: async (s, e) => b.slice(s, e) });


function msg(cid: string, n: number, over: Partial<MessageInput> = {}): MessageInput {
  return { id: hexId(n, 'e'), conversationId: cid, createdAt: 1_700_000_000 + n, direction: 'in', status: 'received', content: { body: `message ${n} ✓`, sender: BOB, kind: 14 }, ...over };
}

/** A profile as a user has it after a while. Returns the store and its platform. */
async function makeProfile(messages = 30) {
  const platform = freshPlatform();
  const store = await VeilStore.open(platform, 'veil');
  const { session } = await createLocalIdentity(store, PASS, { deviceLabel: 'Old laptop' });
  await store.upsertContact({ pubkey: BOB, state: 'accepted', petname: 'Bob (work)', eks: [hexId(1, 'b')], relays: ['wss://bob.example'], profile: { name: 'bob' }, verified: { keys: 'ab'.repeat(32), at: 1234 } });
  await store.upsertContact({ pubkey: CAROL, state: 'request', protocol: 'nip17', profile: { displayName: 'Carol' } });
  await store.blockContact(MALLORY);
  await store.putPeer({ pubkey: BOB, devices: [{ id: 'aa'.repeat(8), ek: hexId(1, 'b'), addedAt: 5, label: 'phone', relays: ['wss://bob.example'] }], recordAt: 5, pairReady: [], cardSentAt: 0, profileAt: 0, dmRelays: [], dmRelaysAt: 0 });
  const bob = await store.ensureConversation([BOB]);
  const carol = await store.ensureConversation([CAROL], { protocol: 'nip17', title: 'Carol' });
  const quiet = await store.ensureConversation([hexId(0x9)]);
  const me = session.account.pubkey;
  await store.addMessages(Array.from({ length: messages }, (_, i) =>
    msg(bob, i, i % 3 === 0 ? { direction: 'out', status: i % 2 ? 'sent' : 'sending', content: { body: `mine ${i}`, sender: me, kind: 14, replyTo: hexId(i + 500, 'e') }, relays: [{ relay: 'wss://r.example', ok: true, at: 9 }] } : {})
  ));
  await store.addMessages([msg(carol, 1000, { content: { body: 'hi from carol', sender: CAROL, kind: 14, subject: 's' } }), msg(carol, 1001, { expiresAt: 4_102_444_800_000 })]);
  await store.markRead(bob);
  await store.setDraft(carol, 'half a thought');
  const raw = (await rawDump(platform, 'veil')).find((r) => r.store === 'conversations' && r.key === quiet)!.value as object;
  await rawPut(platform, 'veil', 'conversations', { ...raw, muted: true, archived: true });
  await store.setSetting('sync.privacy-mode', 'private');
  await store.setSetting(`sync.reactions.${bob}`, { [hexId(2, 'e')]: ['👍'] });
  await store.setPublicSetting('app.theme', 'dark');
  await store.putRelay({ url: 'wss://relay.example', role: 'both', enabled: true, limits: { max_message_length: 65536 } });
  await store.putRelay({ url: 'wss://off.example', role: 'dm', enabled: false });
  return { platform, store, pubkey: me };
}

/** Everything a user sees, with the vault-specific ids (conversation blind indexes) replaced by the peers. */
async function snapshot(store: VeilStore) {
  const convs = [...(await store.listConversations()), ...(await store.listConversations({ archived: true }))];
  const name = new Map(convs.map((c) => [c.id, c.peers.join(',')]));
  const conversations = [];
  for (const c of convs) {
    const messages = [];
    for (let before: string | undefined, first = true; first || before; first = false) {
      const page = await store.pageMessages(c.id, { limit: 7, ...(before ? { before } : {}) });
      messages.push(...page.messages.map(({ sortKey: _s, conversationId: _c, ...m }) => m));
      before = page.nextBefore;
    }
    const { id: _id, ...rest } = c;
    conversations.push({ ...rest, draft: await store.getDraft(c.id), messages });
  }
  const { settings } = await store.listSettings();
  return {
    accounts: (await store.listAccounts()).map((a) => ({ id: a.id, pubkey: a.pubkey, type: a.signer.type })),
    devices: (await store.listDevices()).map((d) => ({ id: d.id, label: d.label, accountId: d.accountId, secret: bytesToHex(d.secretKey) })),
    contacts: (await store.listContacts()).map(({ addedAt: _a, updatedAt: _u, ...c }) => c).sort((a, b) => a.pubkey.localeCompare(b.pubkey)),
    peers: await store.getPeer(BOB),
    conversations: conversations.sort((a, b) => a.peers[0]!.localeCompare(b.peers[0]!)),
    settings: settings
      .map((s) => ({ ...s, key: [...name].reduce((k, [id, peers]) => k.split(id).join(peers), s.key) }))
      .sort((a, b) => a.key.localeCompare(b.key)),
    relays: (await store.listRelays()).map(({ updatedAt: _u, ...r }) => r)
  };
}

describe('backup export and restore', () => {
  test('exported, wiped, restored: history, contacts, settings, keys identical; the identity signs in with the new passphrase', async () => {
    const { platform, store, pubkey } = await makeProfile();
    const before = await snapshot(store);
    const out = await exportBackup(store, PASS, BACKUP_PASS, FAST);
    expect(out.counts).toMatchObject({ accounts: 1, devices: 1, contacts: 3, conversations: 3, messages: 32, relays: 2, skipped: 0 });
    const file = concatBytes(...out.parts);
    expect(file.length).toBe(out.bytes);
    // Nothing readable in the file: no body, no pubkey.
    const asText = new TextDecoder('latin1').decode(file);
    for (const s of ['message 1', 'hi from carol', BOB, pubkey, 'Bob (work)']) expect(asText).not.toContain(s);

    store.close();
    await deleteVeilDatabase(platform, 'veil');
    const fresh = await VeilStore.open(platform, 'veil');
    expect(await fresh.hasVault()).toBe(false);
    const counts = await restoreBackup(fresh, platform, 'veil', bytesSource(file), BACKUP_PASS, NEW_PASS, RESTORE);
    expect(counts).toMatchObject({ accounts: 1, devices: 1, contacts: 3, conversations: 3, messages: 32, skipped: 0 });

    const session = await unlockSession(fresh, {}, NEW_PASS);
    expect(session.account.pubkey).toBe(pubkey);
    expect(await session.signer.getPublicKey()).toBe(pubkey);
    const after = await snapshot(fresh);
    // The outbox is not in a backup: what was still sending comes back as failed (to be sent again).
    for (const c of before.conversations) for (const m of c.messages) if (m.status === 'sending') m.status = 'failed';
    expect(after).toEqual(before);
    expect(before.conversations.find((c) => c.muted)?.archived).toBe(true);
    expect(before.conversations.map((c) => c.unread).sort()).toEqual([0, 0, 2]);
    // The temporary database is gone.
    expect((await platform.indexedDB.databases()).map((d) => d.name)).toEqual(['veil']);
    fresh.close();
  }, 120_000);

  test('refused, target untouched: a profile in use, a wrong passphrase, a damaged file, a cut file', async () => {
    const { platform, store } = await makeProfile(5);
    const file = concatBytes(...(await exportBackup(store, PASS, BACKUP_PASS, FAST)).parts);
    expect(await errorCode(exportBackup(store, 'not my passphrase', BACKUP_PASS, FAST))).toBe('WRONG_PASSPHRASE');
    expect(await errorCode(exportBackup(store, PASS, 'short', FAST))).toBe('INVALID_INPUT');
    // Into the profile that has an account: refused before anything is read.
    const mine = await snapshot(store);
    expect(await errorCode(restoreBackup(store, platform, 'veil', bytesSource(file), BACKUP_PASS, NEW_PASS, RESTORE))).toBe('INVALID_INPUT');
    expect(await snapshot(store)).toEqual(mine);

    const other = freshPlatform();
    const empty = await VeilStore.open(other, 'veil');
    const tampered = file.slice();
    tampered[file.length - 20]! ^= 1;
    const cases: [Uint8Array, string, string][] = [
      [file, 'wrong backup passphrase', 'WRONG_PASSPHRASE'],
      [tampered, BACKUP_PASS, 'DECRYPT_FAILED'],
      [file.subarray(0, file.length - 1), BACKUP_PASS, 'DECRYPT_FAILED'],
      [randomBytes(500), BACKUP_PASS, 'INVALID_INPUT']
    ];
    for (const [bytes, pass, want] of cases) {
      expect(await errorCode(restoreBackup(empty, other, 'veil', bytesSource(bytes), pass, NEW_PASS, RESTORE))).toBe(want);
      expect(await empty.hasVault()).toBe(false);
      expect((await rawDump(other, 'veil')).filter((r) => r.store !== 'meta')).toEqual([]);
      expect((await other.indexedDB.databases()).map((d) => d.name)).toEqual(['veil']);
    }
    expect(await errorCode(restoreBackup(empty, other, 'veil', bytesSource(file), BACKUP_PASS, 'short', RESTORE))).toBe('INVALID_INPUT');
    // And the same file then restores.
    await restoreBackup(empty, other, 'veil', bytesSource(file), BACKUP_PASS, NEW_PASS, RESTORE);
    await empty.unlock(NEW_PASS);
    expect((await empty.listContacts()).length).toBe(3);
    store.close();
    empty.close();
  }, 120_000);

  test('an extension or bunker account travels without a key: its signer as stored, the bunker client key kept', async () => {
    const platform = freshPlatform();
    const store = await VeilStore.open(platform, 'veil');
    await store.setupVault(PASS, { iterations: TEST_ITERATIONS });
    const signer = { type: 'nip46' as const, bunkerUrl: `bunker://${BOB}?relay=wss://bunker.example`, clientSecretKey: 'cd'.repeat(32) };
    await store.putAccount({ pubkey: BOB, signer });
    await store.putDevice({ label: 'tablet', secretKey: randomBytes(32) });
    expect(await errorCode(exportBackup(store, 'not my passphrase', BACKUP_PASS, FAST))).toBe('WRONG_PASSPHRASE');
    const file = concatBytes(...(await exportBackup(store, PASS, BACKUP_PASS, FAST)).parts);
    const lines = utf8Decode(await openBackup(file, BACKUP_PASS)).trim().split('\n').map((l) => JSON.parse(l) as { t: string; signer?: unknown; records?: number });
    expect(lines[0]).toMatchObject({ t: 'meta', format: 'veil-backup', version: 1 });
    expect(lines.at(-1)).toMatchObject({ t: 'end', records: lines.length });
    expect(lines.find((l) => l.t === 'account')?.signer).toEqual(signer);
    const other = freshPlatform();
    const fresh = await VeilStore.open(other, 'veil');
    await restoreBackup(fresh, other, 'veil', bytesSource(file), BACKUP_PASS, NEW_PASS, RESTORE);
    await fresh.unlock(NEW_PASS);
    expect((await fresh.listAccounts()).map((a) => a.signer)).toEqual([signer]);
    expect((await fresh.listDevices()).map((d) => d.label)).toEqual(['tablet']);
    store.close();
    fresh.close();
  }, 60_000);

  test('a well-sealed file with a bad payload is refused and writes nothing: no end line, an orphan message, a key not matching its pubkey', async () => {
    const meta = JSON.stringify({ t: 'meta', format: 'veil-backup', version: 1, exportedAt: 1 });
    const orphan = JSON.stringify({ t: 'message', conversation: 'nope', id: hexId(1), createdAt: 1, receivedAt: 1, direction: 'in', status: 'received', content: { body: 'x', sender: BOB, kind: 14 }, relays: [] });
    const account = JSON.stringify({ t: 'account', id: 'a1', pubkey: BOB, signer: { type: 'local', secretKey: '11'.repeat(32) } });
    const end = (n: number) => JSON.stringify({ t: 'end', records: n, counts: {} });
    const payloads = [`${meta}\n`, `${meta}\n${orphan}\n${end(3)}\n`, `${meta}\n${account}\n${end(3)}\n`, `${meta}\n${end(5)}\n`, `${end(1)}\n`, `${meta}\n${end(2)}\n${meta}\n`, 'not json\n'];
    const platform = freshPlatform();
    const store = await VeilStore.open(platform, 'veil');
    for (const text of payloads) {
      const file = await sealBackup(utf8Encode(text), BACKUP_PASS, { logN: 10 });
      expect(await errorCode(restoreBackup(store, platform, 'veil', bytesSource(file), BACKUP_PASS, NEW_PASS, RESTORE)), text).toBe('INVALID_INPUT');
      expect(await store.hasVault()).toBe(false);
      expect((await platform.indexedDB.databases()).map((d) => d.name)).toEqual(['veil']);
    }
    // The smallest valid payload restores (an empty profile with a vault).
    const ok = await sealBackup(utf8Encode(`${meta}\n${end(2)}\n`), BACKUP_PASS, { logN: 10 });
    await restoreBackup(store, platform, 'veil', bytesSource(ok), BACKUP_PASS, NEW_PASS, RESTORE);
    expect(await store.hasVault()).toBe(true);
    store.close();
  }, 60_000);
});
