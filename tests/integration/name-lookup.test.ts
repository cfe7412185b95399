/**
 * sync/name-lookup.ts against a real relay: what the device knows comes first and asks nobody; the
 * lookup by author (the only step a relay sees) finds the newest profile, and nothing when none.
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { finalizeEvent, generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import { RelayPool } from '../../src/lib/relay/pool';
import { trustEvent, type TrustedEvent } from '../../src/lib/shared/trusted-event';
import type { Contact } from '../../src/lib/store';
import { fetchProfile, lookupName, type NameLookupDeps } from '../../src/lib/sync/name-lookup';
import { startRelay } from '../helpers/relay';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});
const poolOpts = { WebSocket, backoff: { baseMs: 100, maxMs: 400 }, publishTimeoutMs: 5000, eoseTimeoutMs: 5000 };

async function setup() {
  const relay = await startRelay();
  cleanups.push(() => relay.stop());
  const pool = new RelayPool([relay.url], poolOpts);
  cleanups.push(() => pool.close());
  const gated: string[] = [];
  const deps = (over: Partial<NameLookupDeps> = {}): NameLookupDeps => ({
    getContact: async () => undefined,
    keptProfile: () => undefined,
    gated: (task) => {
      gated.push('lookup');
      return task();
    },
    publicPool: () => pool,
    lookupRelays: (hints) => [relay.url, ...hints],
    ...over
  });
  return { relay, pool, gated, deps };
}

describe('lookupName', () => {
  it('finds the newest profile by author on the relay, through the gate; null when there is none', async () => {
    const { pool, gated, deps } = await setup();
    const sk = generateSecretKey();
    const pk = getPublicKey(sk);
    const now = Math.floor(Date.now() / 1000);
    for (const [content, at] of [
      [JSON.stringify({ name: 'old' }), now - 100],
      [JSON.stringify({ name: 'carol', display_name: 'Carol \u202eevil' }), now - 10]
    ] as const) {
      const ev = finalizeEvent({ kind: 0, created_at: at, tags: [], content }, sk);
      expect((await pool.publish(ev)).map((r) => r.status)).toEqual(['ok']);
    }
    // Without `ask`, only what this device knows: nothing here, and no relay asked.
    expect(await lookupName(deps(), pk, [], false)).toBeNull();
    expect(gated).toEqual([]);
    expect(await lookupName(deps(), pk)).toBe('Carol evil');
    expect(gated).toEqual(['lookup']);
    expect(await lookupName(deps(), getPublicKey(generateSecretKey()))).toBeNull();
    expect((await fetchProfile(pool, pk))?.created_at).toBe(now - 10);
  });

  it('my nickname, the stored profile or a kept profile answers without asking any relay', async () => {
    const { gated, deps } = await setup();
    const pk = getPublicKey(generateSecretKey());
    const contact = (over: Partial<Contact>) => async () => ({ pubkey: pk, eks: [], relays: [], state: 'accepted', protocol: 'veil', addedAt: 1, updatedAt: 1, ...over }) as Contact;
    expect(await lookupName(deps({ getContact: contact({ petname: 'Mum', profile: { name: 'mary' } }) }), pk)).toBe('Mum');
    expect(await lookupName(deps({ getContact: contact({ profile: { name: 'mary' } }) }), pk, [], false)).toBe('mary');
    const sk = generateSecretKey();
    const checked = trustEvent(finalizeEvent({ kind: 0, created_at: 1, tags: [], content: JSON.stringify({ name: 'dora' }) }, sk));
    if (!checked.ok) throw new Error(checked.reason);
    const kept: TrustedEvent = checked.event;
    expect(await lookupName(deps({ keptProfile: () => kept }), getPublicKey(sk))).toBe('dora');
    expect(gated).toEqual([]);
  });

  it('refuses a key that is not 64 hex', async () => {
    const { pool } = await setup();
    await expect(fetchProfile(pool, 'npub1nope')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});
