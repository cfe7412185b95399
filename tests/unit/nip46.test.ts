/**
 * NIP-46 in pieces, without a relay: crypto/nip46.ts (sealing, opening, matching) against an
 * in-memory bunker written with nostr-tools' own NIP-44, and relay/nip46-transport.ts against
 * scripted sockets (verification before delivery, publish outcomes). The whole path through a
 * real relay is tests/integration/nip46.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { finalizeEvent, verifyEvent as ntVerify, type NostrEvent } from 'nostr-tools/pure';
import { v2 } from 'nostr-tools/nip44';
import {
  NIP46_KIND,
  Nip46Session,
  openNip46Response,
  sealNip46Request,
  type Nip46IncomingEvent,
  type Nip46Transport
} from '../../src/lib/crypto/nip46';
import { Nip46Signer } from '../../src/lib/crypto/signer';
import { generateSecretKey, getXOnlyPublicKey } from '../../src/lib/crypto/keys';
import { Nip46RelayTransport } from '../../src/lib/relay/nip46-transport';
import { bytesToHex } from '../../src/lib/shared/bytes';
import { isVeilError } from '../../src/lib/shared/errors';
import type { NostrEventJson } from '../../src/lib/shared/nostr';
import { mockSockets } from '../helpers/mock-ws';

const pk = (sk: Uint8Array) => bytesToHex(getXOnlyPublicKey(sk));
const now = () => Math.floor(Date.now() / 1000);
const fails = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: unknown) => e
  );

type Reply = { result?: string; error?: string } | 'silence' | Array<{ result?: string; error?: string }>;

/** A transport with a bunker behind it: `answer` decides the reply(s) to each request. */
function fakeBunker(answer: (method: string, params: string[]) => Reply, opts: { failPublish?: boolean } = {}) {
  const bunkerSk = generateSecretKey();
  const log: { method: string; params: string[]; event: NostrEventJson }[] = [];
  let deliver: ((ev: Nip46IncomingEvent) => void) | undefined;
  let listened: { remote: string; client: string } | undefined;
  let closed = false;
  const reply = (client: string, id: string, body: object, sk = bunkerSk) =>
    deliver?.(
      finalizeEvent(
        { kind: NIP46_KIND, created_at: now(), tags: [['p', client]], content: v2.encrypt(JSON.stringify({ id, ...body }), v2.utils.getConversationKey(sk, client)) },
        sk
      )
    );
  const transport: Nip46Transport = {
    async listen(filter, onevent) {
      listened = filter;
      deliver = onevent;
    },
    async publish(event) {
      if (opts.failPublish) throw new Error('no relay took it');
      const req = JSON.parse(v2.decrypt(event.content, v2.utils.getConversationKey(bunkerSk, event.pubkey))) as { id: string; method: string; params: string[] };
      log.push({ method: req.method, params: req.params, event });
      const r = answer(req.method, req.params);
      if (r === 'silence') return;
      queueMicrotask(() => {
        // noise first: a stranger's answer with the same id, and a garbled one; both ignored
        reply(event.pubkey, req.id, { result: 'forged' }, generateSecretKey());
        deliver?.({ pubkey: pk(bunkerSk), kind: NIP46_KIND, content: 'garbage' });
        for (const body of Array.isArray(r) ? r : [r]) reply(event.pubkey, req.id, body);
      });
    },
    close() {
      closed = true;
    }
  };
  return { transport, bunkerSk, pubkey: pk(bunkerSk), log, listened: () => listened, closed: () => closed };
}

describe('NIP-46 messages (crypto/nip46.ts)', () => {
  it('a sealed request is a signed kind 24133 event to the remote signer that nostr-tools opens', () => {
    const clientSk = generateSecretKey();
    const remoteSk = generateSecretKey();
    const ev = sealNip46Request(clientSk, pk(remoteSk), { id: 'r1', method: 'sign_event', params: ['{}'] }, 1_700_000_000);
    expect(ntVerify({ ...ev } as NostrEvent)).toBe(true);
    expect(ev).toMatchObject({ kind: 24133, pubkey: pk(clientSk), created_at: 1_700_000_000, tags: [['p', pk(remoteSk)]] });
    expect(JSON.parse(v2.decrypt(ev.content, v2.utils.getConversationKey(remoteSk, pk(clientSk))))).toEqual({ id: 'r1', method: 'sign_event', params: ['{}'] });
  });

  it('opens only answers by the remote signer, of kind 24133, sealed to this client, shaped as JSON-RPC', () => {
    const clientSk = generateSecretKey();
    const remoteSk = generateSecretKey();
    const seal = (body: unknown, sk = remoteSk, kind = NIP46_KIND) =>
      finalizeEvent({ kind, created_at: now(), tags: [], content: v2.encrypt(JSON.stringify(body), v2.utils.getConversationKey(sk, pk(clientSk))) }, sk);
    expect(openNip46Response(clientSk, pk(remoteSk), seal({ id: 'a', result: 'ack' }))).toEqual({ id: 'a', result: 'ack' });
    expect(openNip46Response(clientSk, pk(remoteSk), seal({ id: 'a', result: null, error: 'no' }))).toEqual({ id: 'a', error: 'no' });
    const stranger = generateSecretKey();
    expect(openNip46Response(clientSk, pk(remoteSk), seal({ id: 'a', result: 'x' }, stranger))).toBeNull();
    expect(openNip46Response(clientSk, pk(remoteSk), { ...seal({ id: 'a', result: 'x' }, stranger), pubkey: pk(remoteSk) })).toBeNull();
    expect(openNip46Response(clientSk, pk(remoteSk), seal({ id: 'a', result: 'x' }, remoteSk, 1))).toBeNull();
    for (const bad of [['a'], 'text', { id: 7, result: 'x' }, { id: 'a', result: 5 }, { id: 'a', error: {} }])
      expect(openNip46Response(clientSk, pk(remoteSk), seal(bad))).toBeNull();
  });
});

describe('Nip46Session and Nip46Signer over a fake transport', () => {
  it('connect → get_public_key → sign_event; the signed event is checked against the template', async () => {
    const userSk = generateSecretKey();
    const b = fakeBunker((method, params) => {
      if (method === 'connect') return params[1] === 's3cret' ? { result: 'ack' } : { error: 'bad secret' };
      if (method === 'get_public_key') return { result: pk(userSk) };
      const t = JSON.parse(params[0]!) as NostrEvent;
      return { result: JSON.stringify(finalizeEvent({ kind: t.kind, created_at: t.created_at, tags: t.tags, content: t.content }, userSk)) };
    });
    const clientSk = generateSecretKey();
    const signer = await Nip46Signer.connect({ pubkey: b.pubkey, relays: ['wss://r.example'], secret: 's3cret' }, b.transport, { clientSecretKey: clientSk });
    expect(b.listened()).toEqual({ remote: b.pubkey, client: pk(clientSk) });
    expect(b.log[0]).toMatchObject({ method: 'connect', params: [b.pubkey, 's3cret'] });
    expect(await signer.getPublicKey()).toBe(pk(userSk));
    const ev = await signer.signEvent({ kind: 1, created_at: 1_700_000_000, tags: [['t', 'x']], content: 'far away' });
    expect(ntVerify({ ...ev })).toBe(true);
    expect(ev.pubkey).toBe(pk(userSk));
    expect(b.log.map((r) => r.method)).toEqual(['connect', 'get_public_key', 'sign_event']);
    expect(new Set(b.log.map((r) => r.event.id)).size).toBe(3);
    await signer.close();
    expect(b.closed()).toBe(true);
    expect(isVeilError(await fails(signer.getPublicKey()), 'SIGNER_UNAVAILABLE')).toBe(true);
  });

  it('a wrong secret → SIGNER_REJECTED at connect, and the transport is closed', async () => {
    const b = fakeBunker(() => ({ error: 'bad secret' }));
    const e = await fails(Nip46Signer.connect({ pubkey: b.pubkey, relays: ['wss://r.example'], secret: 'nope' }, b.transport));
    expect(isVeilError(e, 'SIGNER_REJECTED')).toBe(true);
    expect(b.closed()).toBe(true);
  });

  it('auth_url: onauth gets the https URL once (a javascript: URL never), then the real answer', async () => {
    const b = fakeBunker(() => [
      { result: 'auth_url', error: 'javascript:alert(1)' },
      { result: 'auth_url', error: 'https://bunker.example/approve?r=1' },
      { result: 'auth_url', error: 'https://bunker.example/approve?r=2' },
      { result: 'ack' }
    ]);
    const urls: string[] = [];
    const session = new Nip46Session(generateSecretKey(), b.pubkey, b.transport, { onauth: (u) => urls.push(u) });
    await session.open();
    expect(await session.request('connect', [b.pubkey, ''], 5_000)).toBe('ack');
    expect(urls).toEqual(['https://bunker.example/approve?r=1']);
  });

  it('silence → SIGNER_TIMEOUT, no relay took it → SIGNER_UNAVAILABLE, close() ends what is pending', async () => {
    const silent = fakeBunker(() => 'silence');
    const s1 = new Nip46Session(generateSecretKey(), silent.pubkey, silent.transport);
    await s1.open();
    expect(isVeilError(await fails(s1.request('ping', [], 30)), 'SIGNER_TIMEOUT')).toBe(true);
    const pending = fails(s1.request('ping', [], 60_000));
    s1.close();
    expect(isVeilError(await pending, 'SIGNER_UNAVAILABLE')).toBe(true);
    expect(silent.closed()).toBe(true);
    expect(isVeilError(await fails(s1.request('ping', [], 60_000)), 'SIGNER_UNAVAILABLE')).toBe(true);

    const down = fakeBunker(() => ({ result: 'pong' }), { failPublish: true });
    const s2 = new Nip46Session(generateSecretKey(), down.pubkey, down.transport);
    await s2.open();
    expect(isVeilError(await fails(s2.request('ping', [], 60_000)), 'SIGNER_UNAVAILABLE')).toBe(true);
  });
});

describe('Nip46RelayTransport (relay/nip46-transport.ts)', () => {
  const clientSk = generateSecretKey();
  const remoteSk = generateSecretKey();
  const answer = (sk = remoteSk) => finalizeEvent({ kind: NIP46_KIND, created_at: now(), tags: [['p', pk(clientSk)]], content: 'sealed' }, sk);

  it('subscribes for the remote signer’s answers, resolves at EOSE, delivers only verified, matching events', async () => {
    const ws = mockSockets();
    const t = new Nip46RelayTransport(['wss://bunker.example'], { WebSocket: ws.WebSocket });
    const got: Nip46IncomingEvent[] = [];
    let live = false;
    const listening = t.listen({ remote: pk(remoteSk), client: pk(clientSk) }, (ev) => got.push(ev)).then(() => (live = true));
    const sock = ws.last();
    sock.accept();
    const [, subId, filter] = sock.sentOf('REQ')[0]! as [string, string, unknown];
    expect(filter).toEqual({ kinds: [24133], authors: [pk(remoteSk)], '#p': [pk(clientSk)], limit: 0 });
    expect(live).toBe(false);
    sock.frame(['EOSE', subId]);
    await listening;
    const good = answer();
    sock.frame(['EVENT', subId, { ...good, content: 'tampered' }]); // id no longer matches
    sock.frame(['EVENT', subId, { ...good, sig: 'ab'.repeat(64) }]); // same id, forged signature: must not hide the real one
    sock.frame(['EVENT', subId, answer(generateSecretKey())]); // valid, but not by the remote signer
    sock.frame(['EVENT', subId, good]);
    expect(got.map((e) => e.pubkey)).toEqual([pk(remoteSk)]);
    expect(got[0]).toMatchObject({ id: good.id, content: 'sealed' });
    t.close();
    expect(sock.sentOf('CLOSE')).toEqual([['CLOSE', subId]]);
  });

  it('publish resolves when a relay says OK and rejects with RELAY_UNREACHABLE when none does', async () => {
    const ws = mockSockets();
    const t = new Nip46RelayTransport(['wss://a.example', 'wss://b.example'], { WebSocket: ws.WebSocket, publishTimeoutMs: 5_000 });
    const req = sealNip46Request(clientSk, pk(remoteSk), { id: 'x', method: 'ping', params: [] }, now());
    const ok = t.publish(req);
    const [a, b] = ws.sockets;
    a!.accept();
    b!.accept();
    expect(a!.sentOf('EVENT')).toEqual([['EVENT', req]]);
    a!.frame(['OK', req.id, false, 'blocked: no']);
    b!.frame(['OK', req.id, true, '']);
    await ok;
    const refused = fails(t.publish({ ...req }));
    for (const s of [a!, b!]) s.frame(['OK', req.id, false, 'restricted: members only']);
    expect(isVeilError(await refused, 'RELAY_UNREACHABLE')).toBe(true);
    t.close();
  });
});
