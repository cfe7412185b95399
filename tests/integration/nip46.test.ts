/**
 * NIP-46 for real: our local relay (scripts/relay.mjs), a bunker responder built here from
 * nostr-tools primitives (kind 24133, NIP-44), and Nip46Signer connecting through the relay over
 * `ws`. The bunker's own key differs from the identity it signs for, as NIP-46 allows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { AbstractSimplePool, type SubCloser } from 'nostr-tools/abstract-pool';
import { finalizeEvent, verifyEvent as ntVerify, type NostrEvent } from 'nostr-tools/pure';
import { v2 } from 'nostr-tools/nip44';
import { Nip46Signer, LocalSigner } from '../../src/lib/crypto/signer';
import { generateSecretKey, getXOnlyPublicKey } from '../../src/lib/crypto/keys';
import { bytesToHex } from '../../src/lib/shared/bytes';
import { isVeilError } from '../../src/lib/shared/errors';
import { startRelay, type TestRelay } from '../helpers/relay';

const WS = WebSocket as unknown as typeof globalThis.WebSocket;
const pk = (sk: Uint8Array) => bytesToHex(getXOnlyPublicKey(sk));
const fails = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: unknown) => e
  );

/** Kinds the test bunker treats specially, to exercise each failure path. */
const REFUSE_KIND = 666;
const IGNORE_KIND = 7777;
const LIE_KIND = 4242;

interface Bunker {
  url(secret?: string): string;
  pubkey: string;
  userPubkey: string;
  requests: string[];
  stop(): Promise<void>;
}

async function startBunker(relayUrl: string, secret: string): Promise<Bunker> {
  const bunkerSk = generateSecretKey();
  const userSk = generateSecretKey();
  const pool = new AbstractSimplePool({ verifyEvent: ntVerify, websocketImplementation: WS, maxWaitForConnection: 5000 });
  const requests: string[] = [];
  const authorized = new Set<string>();

  async function respond(client: string, id: string, body: { result?: string; error?: string }) {
    const ck = v2.utils.getConversationKey(bunkerSk, client);
    const ev = finalizeEvent(
      { kind: 24133, created_at: Math.floor(Date.now() / 1000), tags: [['p', client]], content: v2.encrypt(JSON.stringify({ id, ...body }), ck) },
      bunkerSk
    );
    await Promise.any(pool.publish([relayUrl], ev));
  }

  async function handle(ev: NostrEvent) {
    const client = ev.pubkey;
    const req = JSON.parse(v2.decrypt(ev.content, v2.utils.getConversationKey(bunkerSk, client))) as { id: string; method: string; params: string[] };
    requests.push(req.method);
    if (req.method === 'connect') {
      if (req.params[0] !== pk(bunkerSk) || req.params[1] !== secret) return respond(client, req.id, { error: 'bad secret' });
      authorized.add(client);
      return respond(client, req.id, { result: 'ack' });
    }
    if (!authorized.has(client)) return respond(client, req.id, { error: 'not connected' });
    switch (req.method) {
      case 'get_public_key':
        return respond(client, req.id, { result: pk(userSk) });
      case 'sign_event': {
        const t = JSON.parse(req.params[0]!) as NostrEvent;
        if (t.kind === REFUSE_KIND) return respond(client, req.id, { error: 'user declined' });
        if (t.kind === IGNORE_KIND) return;
        const signed = finalizeEvent({ kind: t.kind, created_at: t.created_at, tags: t.tags, content: t.kind === LIE_KIND ? 'something else' : t.content }, userSk);
        return respond(client, req.id, { result: JSON.stringify(signed) });
      }
      case 'nip44_encrypt':
        return respond(client, req.id, { result: v2.encrypt(req.params[1]!, v2.utils.getConversationKey(userSk, req.params[0]!)) });
      case 'nip44_decrypt':
        return respond(client, req.id, { result: v2.decrypt(req.params[1]!, v2.utils.getConversationKey(userSk, req.params[0]!)) });
      default:
        return respond(client, req.id, { error: 'unsupported' });
    }
  }

  let sub: SubCloser | undefined;
  await new Promise<void>((resolve, reject) => {
    sub = pool.subscribe(
      [relayUrl],
      { kinds: [24133], '#p': [pk(bunkerSk)] },
      {
        onevent: (ev) => void handle(ev).catch(() => {}),
        oneose: () => resolve(),
        onclose: (reasons) => reject(new Error(`bunker subscription closed: ${reasons.join(', ')}`))
      }
    );
  });
  return {
    url: (s = secret) => `bunker://${pk(bunkerSk)}?relay=${encodeURIComponent(relayUrl)}&secret=${s}`,
    pubkey: pk(bunkerSk),
    userPubkey: pk(userSk),
    requests,
    async stop() {
      sub?.close();
      pool.close([relayUrl]);
      pool.destroy();
    }
  };
}

describe('Nip46Signer through the local relay', () => {
  let relay: TestRelay;
  let bunker: Bunker;

  beforeAll(async () => {
    relay = await startRelay();
    bunker = await startBunker(relay.url, 'let-me-in');
  });
  afterAll(async () => {
    await bunker?.stop();
    await relay?.stop();
  });

  it('connects, gets the identity pubkey (not the bunker key), signs an event that verifies', async () => {
    const signer = await Nip46Signer.connect(bunker.url(), { WebSocket: WS, timeoutMs: 15_000 });
    try {
      expect(signer.kind).toBe('nip46');
      const pubkey = await signer.getPublicKey();
      expect(pubkey).toBe(bunker.userPubkey);
      expect(pubkey).not.toBe(bunker.pubkey);
      const tpl = { kind: 1, created_at: Math.floor(Date.now() / 1000), tags: [['t', 'veil']], content: 'signed far away' };
      const ev = await signer.signEvent(tpl);
      expect(ntVerify({ ...ev })).toBe(true);
      expect(ev.pubkey).toBe(bunker.userPubkey);
      expect(ev.content).toBe(tpl.content);
      expect(bunker.requests).toEqual(expect.arrayContaining(['connect', 'get_public_key', 'sign_event']));
    } finally {
      await signer.close();
    }
  });

  it('NIP-44 through the bunker interoperates with a local key', async () => {
    const signer = await Nip46Signer.connect(bunker.url(), { WebSocket: WS, timeoutMs: 15_000 });
    try {
      const peerSk = generateSecretKey();
      const peer = new LocalSigner(peerSk);
      const ct = await signer.nip44Encrypt(pk(peerSk), 'über den Bunker');
      expect(await peer.nip44Decrypt(bunker.userPubkey, ct)).toBe('über den Bunker');
      expect(await signer.nip44Decrypt(pk(peerSk), await peer.nip44Encrypt(bunker.userPubkey, 'zurück'))).toBe('zurück');
    } finally {
      await signer.close();
    }
  });

  it('refusal → SIGNER_REJECTED, silence → SIGNER_TIMEOUT, a different signed event → INVALID_EVENT', async () => {
    const signer = await Nip46Signer.connect(bunker.url(), { WebSocket: WS, timeoutMs: 3_000 });
    try {
      const now = Math.floor(Date.now() / 1000);
      expect(isVeilError(await fails(signer.signEvent({ kind: REFUSE_KIND, created_at: now, tags: [], content: 'x' })), 'SIGNER_REJECTED')).toBe(true);
      expect(isVeilError(await fails(signer.signEvent({ kind: LIE_KIND, created_at: now, tags: [], content: 'x' })), 'INVALID_EVENT')).toBe(true);
      expect(isVeilError(await fails(signer.signEvent({ kind: IGNORE_KIND, created_at: now, tags: [], content: 'x' })), 'SIGNER_TIMEOUT')).toBe(true);
    } finally {
      await signer.close();
    }
  });

  it('a wrong connection secret is rejected at connect', async () => {
    const e = await fails(Nip46Signer.connect(bunker.url('wrong'), { WebSocket: WS, timeoutMs: 15_000 }));
    expect(isVeilError(e, 'SIGNER_REJECTED')).toBe(true);
  });
});

describe('Nip46Signer without a reachable relay', () => {
  it('a relay that is down → SIGNER_UNAVAILABLE, well before the timeout', async () => {
    const relay = await startRelay();
    const url = relay.url;
    await relay.stop();
    const remote = pk(generateSecretKey());
    const e = await fails(Nip46Signer.connect(`bunker://${remote}?relay=${encodeURIComponent(url)}`, { WebSocket: WS, timeoutMs: 10_000 }));
    expect(isVeilError(e, 'SIGNER_UNAVAILABLE')).toBe(true);
  });
});
