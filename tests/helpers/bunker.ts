/**
 * A NIP-46 bunker (remote signer) for tests, built from nostr-tools primitives: it listens for kind
 * 24133 requests on a relay, answers over NIP-44, and signs with its own user key. Special kinds
 * exercise the failure paths: REFUSE_KIND is declined, IGNORE_KIND never answered, LIE_KIND signed
 * with other content. `authUrl` (optional) makes a request first answer NIP-46 `auth_url` (one or more) and
 * only then, once its `approved` resolves, the real answer.
 */
import WebSocket from 'ws';
import { AbstractSimplePool, type SubCloser } from 'nostr-tools/abstract-pool';
import { finalizeEvent, verifyEvent as ntVerify, type NostrEvent } from 'nostr-tools/pure';
import { v2 } from 'nostr-tools/nip44';
import * as nip04 from 'nostr-tools/nip04';
import { generateSecretKey, getXOnlyPublicKey } from '../../src/lib/crypto/keys';
import { bytesToHex } from '../../src/lib/shared/bytes';

const WS = WebSocket as unknown as typeof globalThis.WebSocket;
export const pk = (sk: Uint8Array) => bytesToHex(getXOnlyPublicKey(sk));

/** Kinds the test bunker treats specially, to exercise each failure path. */
export const REFUSE_KIND = 666;
export const IGNORE_KIND = 7777;
export const LIE_KIND = 4242;

export interface TestBunker {
  url(secret?: string): string;
  pubkey: string;
  userPubkey: string;
  requests: string[];
  stop(): Promise<void>;
}

/** For a request method, the auth_url answers to send first (in order) and when the "user" approved there. */
export type AuthUrlFor = (method: string) => { urls: readonly string[]; approved: Promise<void> } | undefined;

export async function startBunker(relayUrl: string, secret: string, opts: { authUrl?: AuthUrlFor } = {}): Promise<TestBunker> {
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
    const auth = opts.authUrl?.(req.method);
    if (auth) {
      for (const url of auth.urls) await respond(client, req.id, { result: 'auth_url', error: url });
      await auth.approved;
    }
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
      case 'nip04_decrypt':
        return respond(client, req.id, { result: nip04.decrypt(userSk, req.params[0]!, req.params[1]!) });
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

