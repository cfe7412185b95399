/**
 * Names in the app layer (src/lib/app/names.svelte.ts): `own` follows what the messenger read or
 * published, a failed save leaves it as it was and reaches the person as its sentence, a nickname
 * change re-reads the chat list, and without a messenger (locked) nothing is shown or done.
 */
import { describe, expect, it } from 'vitest';
import { describeError } from '../../src/lib/app/errors';
import { Names, type NameCommands, type OwnProfileInput, type OwnProfileView } from '../../src/lib/app/names.svelte';
import { userError } from '../../src/lib/shared/errors';
import { checkOwnProfile } from '../../src/lib/sync/profile';

/** A messenger's name part in memory: the profile last "published", and every nickname set. */
class FakeMessenger implements NameCommands {
  published: OwnProfileView | null = { displayName: 'Alice', createdAt: 1 };
  nicknames: [string, string][] = [];
  relayDown = false;
  ownProfile(): Promise<OwnProfileView | null> {
    return Promise.resolve(this.published);
  }
  saveOwnProfile(input: OwnProfileInput): Promise<OwnProfileView> {
    const f = checkOwnProfile(input); // the messenger's own checks, sentences included
    if (this.relayDown) return Promise.reject(userError('RELAY_UNREACHABLE', 'Your profile was not published: no lookup relay accepted it.'));
    this.published = { ...(f.displayName ? { displayName: f.displayName } : {}), ...(f.picture ? { picture: f.picture } : {}), createdAt: (this.published?.createdAt ?? 0) + 1 };
    return Promise.resolve(this.published);
  }
  setNickname(peer: string, name: string): Promise<void> {
    this.nicknames.push([peer, name]);
    return Promise.resolve();
  }
}

describe('Names (app state)', () => {
  it('loads and saves my profile; a refused save keeps what was shown and gives its sentence', async () => {
    const m = new FakeMessenger();
    let listReads = 0;
    const names = new Names(() => m, () => listReads++);
    expect(names.own).toBeNull();
    await names.load();
    expect(names.own).toEqual({ displayName: 'Alice', createdAt: 1 });
    expect(names.loading).toBe(false);

    await names.save({ displayName: ' Alice L ', picture: 'https://example.com/a.png' });
    expect(names.own).toEqual({ displayName: 'Alice L', picture: 'https://example.com/a.png', createdAt: 2 });

    const refused = await names.save({ displayName: 'Alice', picture: 'http://example.com/a.png' }).catch((e: unknown) => describeError(e));
    expect(refused).toBe('The picture address must be a full https:// address, like https://example.com/me.jpg.');
    m.relayDown = true;
    const down = await names.save({ displayName: 'Alice', picture: '' }).catch((e: unknown) => describeError(e));
    expect(down).toBe('Your profile was not published: no lookup relay accepted it.');
    expect(names.own).toEqual({ displayName: 'Alice L', picture: 'https://example.com/a.png', createdAt: 2 });
    expect(listReads).toBe(0);

    await names.setNickname('b0'.repeat(32), 'Bobby');
    expect(m.nicknames).toEqual([['b0'.repeat(32), 'Bobby']]);
    expect(listReads).toBe(1);
  });

  it('locked: nothing is shown, and a change is refused with the locked sentence', async () => {
    const names = new Names(() => null, () => {});
    await names.load();
    expect(names.own).toBeNull();
    expect(await names.save({ displayName: 'A', picture: '' }).catch((e: unknown) => describeError(e))).toBe('Veil is locked. Enter your passphrase.');
    expect(await names.setNickname('b0'.repeat(32), 'B').catch((e: unknown) => describeError(e))).toBe('Veil is locked. Enter your passphrase.');
  });
});
