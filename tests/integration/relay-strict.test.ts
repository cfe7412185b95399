/**
 * The local relay's strict mode (`--strict`, scripts/relay-strict.mjs) answers as strfry's defaults do,
 * so Veil can be tested against the relay most users meet: AUTH-gated reads of kinds 4 and 1059 with the
 * exact CLOSED text, a challenge only on demand, involved-pubkey delivery after AUTH, limit 500,
 * 3 tag letters, hex-only #e/#p, unknown filter keys refused, 64 KiB events, created_at ≤ now + 900 s.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finalizeEvent, generateSecretKey, getPublicKey, type NostrEvent } from 'nostr-tools/pure';
import { bytesToHex, randomBytes } from '../../src/lib/shared/bytes';
import { startRelay, type TestRelay } from '../helpers/relay';
import { RawClient, type Msg } from '../helpers/raw-ws';

const now = () => Math.floor(Date.now() / 1000);
const alice = generateSecretKey();
const bob = generateSecretKey();
const carol = generateSecretKey();
const sign = (kind: number, tags: string[][] = [], content = '', created_at = now(), key = alice) =>
  JSON.parse(JSON.stringify(finalizeEvent({ kind, tags, content, created_at }, key))) as NostrEvent;
const AUTH_REQUIRED = 'ERROR: auth-required: requested filter requires authentication';

/** Sends AUTH for the challenge this client received; returns the relay's OK answer. */
async function authenticate(c: RawClient, url: string, key: Uint8Array, challenge?: string): Promise<[boolean, string]> {
  const ch = challenge ?? ((await c.waitFor((m) => m[0] === 'AUTH', 'AUTH challenge'))[1] as string);
  const ev = sign(22242, [['relay', url], ['challenge', ch]], '', now(), key);
  const from = c.received.length;
  c.send(['AUTH', ev]);
  const ok = await c.waitFor((m) => m[0] === 'OK' && m[1] === ev.id, 'OK for AUTH', 5000, from);
  return [ok[2] as boolean, ok[3] as string];
}

const closedOrEose = (sub: string) => (m: Msg) => (m[0] === 'EOSE' || m[0] === 'CLOSED') && m[1] === sub;

describe('local relay, strict mode', () => {
  let relay: TestRelay;
  let writer: RawClient;
  let wrapToBob: NostrEvent;
  let wrapToCarol: NostrEvent;
  beforeAll(async () => {
    relay = await startRelay({ strict: true });
    writer = await RawClient.open(relay.url);
    wrapToBob = sign(1059, [['p', getPublicKey(bob)]], 'sealed', now(), generateSecretKey());
    wrapToCarol = sign(1059, [['p', getPublicKey(carol)]], 'sealed', now(), generateSecretKey());
    expect(await writer.publish(wrapToBob)).toEqual([true, '']);
    expect(await writer.publish(wrapToCarol)).toEqual([true, '']);
  });
  afterAll(async () => {
    await writer?.close();
    await relay?.stop();
  });

  it('says so in NIP-11', async () => {
    const info = await (await fetch(relay.url.replace('ws://', 'http://'), { headers: { accept: 'application/nostr+json' } })).json();
    expect(info.supported_nips).toContain(42);
    expect(info.limitation.max_limit).toBe(500);
    expect(info.limitation.created_at_upper_limit).toBe(900);
  });

  it('sends no challenge until a restricted REQ, then AUTH and the exact CLOSED reason', async () => {
    const c = await RawClient.open(relay.url);
    await c.query('pub', { kinds: [1], limit: 1 });
    expect(c.received.some((m) => m[0] === 'AUTH')).toBe(false);
    c.send(['REQ', 'dm', { kinds: [1059], '#p': [getPublicKey(bob)] }]);
    const closed = await c.waitFor(closedOrEose('dm'), 'answer to dm');
    expect(closed).toEqual(['CLOSED', 'dm', AUTH_REQUIRED]);
    expect(c.received.filter((m) => m[0] === 'AUTH')).toHaveLength(1);
    expect(c.eventsFor('dm')).toEqual([]);
    // a second restricted REQ: CLOSED again, but no second challenge
    c.send(['REQ', 'dm2', { kinds: [4, 1059] }]);
    expect(await c.waitFor(closedOrEose('dm2'), 'answer to dm2')).toEqual(['CLOSED', 'dm2', AUTH_REQUIRED]);
    expect(c.received.filter((m) => m[0] === 'AUTH')).toHaveLength(1);
    await c.close();
  });

  it('after AUTH serves only the wraps that involve the authenticated pubkey, stored and live', async () => {
    const c = await RawClient.open(relay.url);
    c.send(['REQ', 'dm', { kinds: [1059] }]);
    await c.waitFor(closedOrEose('dm'), 'CLOSED');
    expect(await authenticate(c, relay.url, bob)).toEqual([true, '']);
    const stored = await c.query('dm-again', { kinds: [1059] });
    expect(stored.map((e) => e.id)).toEqual([wrapToBob.id]);
    const live = sign(1059, [['p', getPublicKey(bob)]], 'live', now(), generateSecretKey());
    const liveOther = sign(1059, [['p', getPublicKey(carol)]], 'live other', now(), generateSecretKey());
    expect(await writer.publish(liveOther)).toEqual([true, '']);
    expect(await writer.publish(live)).toEqual([true, '']);
    await c.waitFor((m) => m[0] === 'EVENT' && m[1] === 'dm-again' && (m[2] as NostrEvent).id === live.id, 'live wrap');
    expect(c.eventsFor('dm-again').map((e) => e.id)).not.toContain(liveOther.id);
    await c.close();
  });

  it('refuses an AUTH with a wrong challenge, a wrong relay or no challenge at all', async () => {
    const fresh = await RawClient.open(relay.url);
    expect((await authenticate(fresh, relay.url, bob, 'never-sent'))[0]).toBe(false);
    fresh.send(['REQ', 'dm', { kinds: [1059] }]);
    const challenge = (await fresh.waitFor((m) => m[0] === 'AUTH', 'AUTH'))[1] as string;
    expect(await authenticate(fresh, relay.url, bob, 'other')).toEqual([false, 'invalid: wrong challenge']);
    expect(await authenticate(fresh, 'ws://example.org:1', bob, challenge)).toEqual([false, 'invalid: wrong relay']);
    // still unauthenticated
    fresh.send(['REQ', 'dm3', { kinds: [1059] }]);
    expect(await fresh.waitFor(closedOrEose('dm3'), 'answer')).toEqual(['CLOSED', 'dm3', AUTH_REQUIRED]);
    await fresh.close();
  });

  it('caps limit at 500', async () => {
    const key = generateSecretKey();
    const base = now() - 10_000;
    const from = writer.received.length;
    const oks = () => writer.received.slice(from).filter((x) => x[0] === 'OK' && x[2] === true).length;
    for (let i = 0; i < 510; i++) writer.send(['EVENT', sign(1, [], `n${i}`, base + i, key)]);
    await writer.waitFor(() => oks() >= 510, '510 OKs', 30_000, from);
    const c = await RawClient.open(relay.url);
    const got = await c.query('many', { kinds: [1], authors: [getPublicKey(key)], limit: 600 });
    expect(got).toHaveLength(500);
    await c.close();
  });

  it.each([
    ['an unknown filter key', { kinds: [1], foo: 1 }, 'ERROR: bad req: unrecognised filter item'],
    ['four tag letters', { '#a': ['x'], '#b': ['x'], '#c': ['x'], '#d': ['x'] }, 'ERROR: bad req: too many tags in filter'],
    ['a #p value that is not 64 hex', { '#p': ['npub1xyz'] }, 'ERROR: bad req: filter item too small'],
    ['an #e value in upper case', { '#e': ['A'.repeat(64)] }, 'ERROR: bad req: filter item too small']
  ])('fails the whole REQ on %s', async (_what, filter, notice) => {
    const c = await RawClient.open(relay.url);
    c.send(['REQ', 'bad', { kinds: [1] }, filter]);
    expect(await c.waitFor((m) => m[0] === 'NOTICE' || m[1] === 'bad', 'NOTICE')).toEqual(['NOTICE', notice]);
    await c.close();
  });

  it('accepts three tag letters with hex #p', async () => {
    const c = await RawClient.open(relay.url);
    const got = await c.query('three', { '#p': [bytesToHex(randomBytes(32))], '#t': ['x'], '#d': ['y'] });
    expect(c.received.find((m) => m[1] === 'three')?.[0]).toBe('EOSE');
    expect(got).toEqual([]);
    await c.close();
  });

  it('refuses events over 64 KiB and created_at more than 900 s ahead', async () => {
    const big = sign(1, [], 'x'.repeat(64 * 1024));
    expect(await writer.publish(big)).toEqual([false, 'invalid: event too large']);
    const fits = sign(1, [], 'x'.repeat(60 * 1024));
    expect(await writer.publish(fits)).toEqual([true, '']);
    expect(await writer.publish(sign(1, [], 'future', now() + 1000))).toEqual([false, 'invalid: created_at too late']);
    expect(await writer.publish(sign(1, [], 'soon', now() + 800))).toEqual([true, '']);
  });
});
