/**
 * The local relay (scripts/relay.mjs) behaves like the relays Veil relies on (docs/design.md §3, §4):
 * stores and serves events, filters kind 1067 by our mailbox `p` tag (stored and live),
 * replaces kind 11067, relays ephemeral 24133 without storing it, keeps data across a restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finalizeEvent, generateSecretKey, getPublicKey, type NostrEvent } from 'nostr-tools/pure';
import { bytesToHex, randomBytes } from '../../src/lib/shared/bytes';
import { startRelay, tempRelayDb, type TestRelay } from '../helpers/relay';
import { startReadyProcess } from '../helpers/proc';
import { RawClient } from '../helpers/raw-ws';

const now = () => Math.floor(Date.now() / 1000);
const sk = generateSecretKey();
/** A signed event as plain JSON (finalizeEvent also sets a `verified` symbol the wire never carries). */
const sign = (kind: number, tags: string[][] = [], content = '', created_at = now(), key = sk) =>
  JSON.parse(JSON.stringify(finalizeEvent({ kind, tags, content, created_at }, key))) as NostrEvent;
const mailbox = () => bytesToHex(randomBytes(32));

describe('local relay script', () => {
  let relay: TestRelay;
  let client: RawClient;
  beforeAll(async () => {
    relay = await startRelay();
    client = await RawClient.open(relay.url);
  });
  afterAll(async () => {
    await client?.close();
    await relay?.stop();
  });

  it('stores a published event and serves it to a REQ', async () => {
    const ev = sign(1, [], 'hello veil');
    expect(await client.publish(ev)).toEqual([true, '']);
    const got = await client.query('q1', { ids: [ev.id] });
    expect(got).toEqual([ev]);
  });

  it('rejects a bad signature and an already expired event with OK false', async () => {
    const ev = sign(1, [], 'tampered');
    const bad = { ...ev, sig: ev.sig.slice(0, -2) + (ev.sig.endsWith('00') ? '01' : '00') };
    const [ok, reason] = await client.publish(bad);
    expect(ok).toBe(false);
    expect(reason).toMatch(/^invalid:/);
    // The valid event with the same id is still accepted: a rejection is not cached by id.
    expect((await client.publish(ev))[0]).toBe(true);

    const expired = sign(1067, [['p', mailbox()], ['expiration', String(now() - 10)]]);
    const [ok2, reason2] = await client.publish(expired);
    expect(ok2).toBe(false);
    expect(reason2).toMatch(/expired/);
  });

  it('answers a malformed EVENT with OK false and garbage with a NOTICE', async () => {
    const ev = sign(1, [], 'x');
    const [ok, reason] = await client.publish({ ...ev, kind: -1 } as unknown as typeof ev);
    expect(ok).toBe(false);
    expect(reason).toMatch(/^invalid:/);
    client.send(['NOPE']);
    const notice = await client.waitFor((m) => m[0] === 'NOTICE', 'NOTICE');
    expect(String(notice[1])).toMatch(/^invalid/);
  });

  it('serves the NIP-11 document with CORS to Accept: application/nostr+json', async () => {
    const http = relay.url.replace(/^ws/, 'http');
    const res = await fetch(http, { headers: { Accept: 'application/nostr+json' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const doc = (await res.json()) as { name: string; supported_nips: number[]; limitation: Record<string, unknown> };
    expect(doc.name).toBe('Veil local relay');
    expect(doc.supported_nips).toEqual(expect.arrayContaining([1, 11, 40]));
    expect(doc.limitation.max_message_length).toBe(262144);
    expect(doc.limitation.auth_required).toBe(false);
    const plain = await fetch(http);
    expect(plain.headers.get('content-type')).not.toMatch(/nostr\+json/);
  });

  it('refuses a frame above max_message_length by closing the socket', async () => {
    const c = await RawClient.open(relay.url);
    c.send(['EVENT', { content: 'x'.repeat(262144 + 10) }]);
    expect(await c.closed).toBe(1009);
  });

  it('stores kind 1067 under our mailbox p tag and filters stored and live events by #p', async () => {
    const m1 = mailbox();
    const m2 = mailbox();
    const exp = String(now() + 3600);
    const stored = sign(1067, [['p', m1], ['expiration', exp]], 'AQ==', now() - 7200, generateSecretKey());
    expect((await client.publish(stored))[0]).toBe(true);
    expect(await client.query('mb1', { kinds: [1067], '#p': [m1] })).toEqual([stored]);
    expect(await client.query('mb-other', { kinds: [1067], '#p': [mailbox()] })).toEqual([]);

    // Live: a subscription to m1 gets new m1 envelopes but not m2's. e2 is published (and
    // acknowledged) first, so if it were broadcast to the m1 subscription it would arrive first.
    const e2 = sign(1067, [['p', m2], ['expiration', exp]], 'Ag==', now(), generateSecretKey());
    const e1 = sign(1067, [['p', m1], ['expiration', exp]], 'Aw==', now(), generateSecretKey());
    const reader = await RawClient.open(relay.url);
    await reader.query('live', { kinds: [1067], '#p': [m1], since: now() - 60 });
    expect((await client.publish(e2))[0]).toBe(true);
    expect((await client.publish(e1))[0]).toBe(true);
    await reader.waitFor((m) => m[0] === 'EVENT' && m[1] === 'live' && (m[2] as { id: string }).id === e1.id, 'live e1');
    expect(reader.eventsFor('live').map((e) => e.id)).toEqual([e1.id]);
    await reader.close();
  });

  it('keeps only the newest replaceable kind 11067 and 10050 per author', async () => {
    const key = generateSecretKey();
    const author = getPublicKey(key);
    const t = now() - 100;
    for (const kind of [11067, 10050]) {
      const v1 = sign(kind, [['relay', 'ws://a']], 'v1', t, key);
      const v2 = sign(kind, [['relay', 'ws://b']], 'v2', t + 1, key);
      const old = sign(kind, [], 'older', t - 1, key);
      expect((await client.publish(v1))[0]).toBe(true);
      expect((await client.publish(v2))[0]).toBe(true);
      await client.publish(old); // may be OK true (NIP-01 allows it) but must not win
      expect(await client.query(`r${kind}`, { kinds: [kind], authors: [author] })).toEqual([v2]);
    }
  });

  it('relays ephemeral kind 24133 to live subscribers without storing it', async () => {
    const target = getPublicKey(generateSecretKey());
    const reader = await RawClient.open(relay.url);
    await reader.query('nip46', { kinds: [24133], '#p': [target] });
    const ev = sign(24133, [['p', target]], 'ciphertext');
    expect((await client.publish(ev))[0]).toBe(true);
    await reader.waitFor((m) => m[0] === 'EVENT' && m[1] === 'nip46', 'ephemeral event');
    expect(reader.eventsFor('nip46')).toEqual([ev]);
    expect(await client.query('nip46-stored', { ids: [ev.id] })).toEqual([]);
    await reader.close();
  });
});

describe('local relay process', () => {
  it('keeps data in a file db across a restart on the same port', async () => {
    const relay = await startRelay({ db: tempRelayDb() });
    try {
      const ev = sign(1067, [['p', mailbox()], ['expiration', String(now() + 3600)]], 'AQ==');
      const c1 = await RawClient.open(relay.url);
      expect((await c1.publish(ev))[0]).toBe(true);
      await c1.close();
      await relay.restart();
      const c2 = await RawClient.open(relay.url);
      expect(await c2.query('after', { ids: [ev.id] })).toEqual([ev]);
      await c2.close();
    } finally {
      await relay.stop();
    }
  });

  it('gives distinct free ports for port 0', async () => {
    const [a, b] = await Promise.all([startRelay(), startRelay()]);
    try {
      expect(a.port).toBeGreaterThan(0);
      expect(b.port).toBeGreaterThan(0);
      expect(a.port).not.toBe(b.port);
      expect(a.url).toBe(`ws://127.0.0.1:${a.port}`);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('exits 0 on SIGTERM with a client still connected', async () => {
    const p = await startReadyProcess('scripts/relay.mjs', ['--port', '0', '--db', ':memory:']);
    const c = await RawClient.open(p.address);
    const exit = new Promise<number | null>((r) => p.child.once('exit', (code) => r(code)));
    p.child.kill('SIGTERM');
    expect(await exit).toBe(0);
    await c.close();
  });
});
