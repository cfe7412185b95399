/**
 * Names (issue 14 §3): my kind-0 profile built from the form (picture URL rules, name bounds, every
 * other field of the kind 0 it replaces kept) and read back for the form; a contact's local nickname
 * set through the messenger, sealed at rest, winning over their profile name in the chat list, and
 * cleared back to it.
 */
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { bytesToHex } from '../../src/lib/shared/bytes';
import { isVeilError } from '../../src/lib/shared/errors';
import { envelopeKey } from '../../src/lib/crypto/envelope';
import { generateSecretKey, getXOnlyPublicKey } from '../../src/lib/crypto/keys';
import { LocalSigner } from '../../src/lib/crypto/signer';
import { VeilStore } from '../../src/lib/store/db';
import { Messenger } from '../../src/lib/sync/messenger';
import {
  buildProfileEvent,
  checkName,
  checkOwnProfile,
  checkPictureUrl,
  MAX_NAME_CHARS,
  MAX_PICTURE_URL_CHARS,
  MAX_PROFILE_JSON_CHARS,
  ownProfileView,
  parseProfileContent,
  profileContent
} from '../../src/lib/sync/profile';
import { findPlaintext, freshPlatform, rawDump, TEST_ITERATIONS } from '../helpers/store-idb';

/** The code of what `f` throws (undefined when it does not throw a VeilError). */
function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return isVeilError(e) ? e.code : 'not a VeilError';
  }
  return undefined;
}

describe('kind-0 profile from the form', () => {
  it('accepts https picture addresses only, normalized, bounded, without credentials', () => {
    expect(checkPictureUrl('')).toBe('');
    expect(checkPictureUrl('  https://example.com/me.jpg  ')).toBe('https://example.com/me.jpg');
    expect(checkPictureUrl('https://EXAMPLE.com')).toBe('https://example.com/');
    for (const bad of ['http://example.com/me.jpg', 'javascript:alert(1)', 'data:image/png;base64,AAAA', 'example.com/me.jpg', 'https://exa mple.com/a', 'https://example.com/a b', 'ftp://example.com/a', 'https://example.com/\u202ea']) {
      expect(codeOf(() => checkPictureUrl(bad)), bad).toBe('INVALID_INPUT');
    }
    expect(codeOf(() => checkPictureUrl('https://user:pw@example.com/a.jpg'))).toBe('INVALID_INPUT');
    const longest = 'https://example.com/' + 'a'.repeat(MAX_PICTURE_URL_CHARS - 'https://example.com/'.length);
    expect(checkPictureUrl(longest)).toBe(longest);
    expect(codeOf(() => checkPictureUrl(longest + 'a'))).toBe('TOO_LARGE');
    // The bound holds after normalizing too (a non-ASCII path grows when percent-encoded).
    expect(codeOf(() => checkPictureUrl('https://example.com/' + 'é'.repeat(600)))).toBe('TOO_LARGE');
  });

  it('names are trimmed, at most 64 characters (not UTF-16 units), without control or direction characters', () => {
    expect(checkName('  Alice  ', 'A display name')).toBe('Alice');
    expect(checkName('', 'A display name')).toBe('');
    expect(checkName('🙂'.repeat(MAX_NAME_CHARS), 'A display name')).toBe('🙂'.repeat(MAX_NAME_CHARS));
    expect(codeOf(() => checkName('a'.repeat(MAX_NAME_CHARS + 1), 'A display name'))).toBe('TOO_LARGE');
    expect(codeOf(() => checkName('Al\u202eice', 'A display name'))).toBe('INVALID_INPUT');
    expect(codeOf(() => checkName('Al\nice', 'A nickname'))).toBe('INVALID_INPUT');
    expect(() => checkName('x'.repeat(65), 'A nickname')).toThrow('A nickname can be at most 64 characters long.');
    expect(checkOwnProfile({ displayName: ' Alice ', picture: ' https://example.com/a.png ' })).toEqual({ displayName: 'Alice', picture: 'https://example.com/a.png' });
  });

  it('sets name, display_name and picture and keeps every other field of the kind 0 it replaces', () => {
    const existing = JSON.parse('{"name":"old","display_name":"Old Name","displayName":"Stale","picture":"https://old.example/p.png","about":"hi","nip05":"a@b.example","lud16":"a@ln.example","custom":{"x":[1,2]}}') as Record<string, unknown>;
    const content = profileContent({ displayName: 'Alice', picture: 'https://example.com/a.png' }, existing);
    expect(JSON.parse(content)).toEqual({ about: 'hi', nip05: 'a@b.example', lud16: 'a@ln.example', custom: { x: [1, 2] }, name: 'Alice', display_name: 'Alice', picture: 'https://example.com/a.png' });
    // Emptied fields are removed, the rest stays.
    expect(JSON.parse(profileContent({ displayName: '', picture: '' }, existing))).toEqual({ about: 'hi', nip05: 'a@b.example', lud16: 'a@ln.example', custom: { x: [1, 2] } });
    expect(JSON.parse(profileContent({ displayName: 'Alice', picture: '' }))).toEqual({ name: 'Alice', display_name: 'Alice' });
    // A kind 0 that would grow past what readers parse is refused.
    expect(codeOf(() => profileContent({ displayName: 'A', picture: '' }, { about: 'x'.repeat(MAX_PROFILE_JSON_CHARS) }))).toBe('TOO_LARGE');
    expect(buildProfileEvent(content, 1_767_225_600)).toEqual({ kind: 0, created_at: 1_767_225_600, tags: [], content });
    // What other readers (and the form) get back from it.
    expect(parseProfileContent(content)).toEqual({ name: 'Alice', displayName: 'Alice' });
    expect(ownProfileView(content, 5)).toEqual({ displayName: 'Alice', picture: 'https://example.com/a.png', createdAt: 5 });
  });

  it('the form shows what another client published: its name, and its picture only when it is an https address', () => {
    expect(ownProfileView('{"name":"bob","picture":"http://insecure.example/p.png"}', 7)).toEqual({ displayName: 'bob', createdAt: 7 });
    expect(ownProfileView('{"display_name":"Bob B","name":"bob"}', 7)).toEqual({ displayName: 'Bob B', createdAt: 7 });
    expect(ownProfileView('not json', 7)).toEqual({ createdAt: 7 });
    expect(ownProfileView('[1,2]', 7)).toEqual({ createdAt: 7 });
  });
});

describe('nicknames', () => {
  it('round-trip through the messenger, are sealed at rest, win over the profile name in listChats, and clear back to it', async () => {
    const platform = freshPlatform();
    const store = await VeilStore.open(platform, 'veil-names');
    await store.setupVault('names passphrase', { iterations: TEST_ITERATIONS });
    const sk = generateSecretKey();
    const me = bytesToHex(getXOnlyPublicKey(sk));
    const bob = bytesToHex(getXOnlyPublicKey(generateSecretKey()));
    await store.upsertContact({ pubkey: bob, state: 'accepted', protocol: 'veil', profile: { name: 'bob', displayName: 'Robert' } });
    await store.ensureConversation([bob]);
    // Not started: no socket is opened, the store is all this needs.
    const m = await Messenger.create({ store, signer: new LocalSigner(sk), identity: me, deviceId: '0123456789abcdef', ek: envelopeKey(generateSecretKey()), WebSocket, relays: ['ws://127.0.0.1:1'] });
    const events: string[] = [];
    m.on((e) => events.push(e.type));
    expect((await m.listChats('accepted'))[0]).toMatchObject({ peer: bob, name: 'Robert' });
    expect((await m.listChats('accepted'))[0]?.nickname).toBeUndefined();

    await m.setNickname(bob, '  Uncle Bob  ');
    expect(events).toContain('chats');
    expect((await m.listChats('accepted'))[0]).toMatchObject({ peer: bob, name: 'Uncle Bob', nickname: 'Uncle Bob' });
    expect((await m.contact(bob))?.petname).toBe('Uncle Bob');
    // A later profile update of theirs keeps the nickname (and the nickname keeps winning).
    await store.upsertContact({ pubkey: bob, profile: { displayName: 'Robert P.' } });
    expect((await m.listChats('accepted'))[0]?.name).toBe('Uncle Bob');
    // Sealed: no record on disk holds it in plaintext.
    expect((await rawDump(platform, 'veil-names')).flatMap((r) => findPlaintext(r.value, 'Uncle Bob'))).toEqual([]);

    // Refused with a sentence: too long, control characters, not a contact. Nothing changes.
    await expect(m.setNickname(bob, 'x'.repeat(65))).rejects.toMatchObject({ code: 'TOO_LARGE' });
    await expect(m.setNickname(bob, 'a\u202eb')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(m.setNickname(bytesToHex(getXOnlyPublicKey(generateSecretKey())), 'Who')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await m.listChats('accepted'))[0]?.name).toBe('Uncle Bob');

    // Cleared: their profile name again.
    await m.setNickname(bob, '   ');
    const after = (await m.listChats('accepted'))[0];
    expect(after?.name).toBe('Robert P.');
    expect(after?.nickname).toBeUndefined();
    expect((await m.contact(bob))?.petname).toBeUndefined();
    await m.stop();
    store.close();
  });
});
