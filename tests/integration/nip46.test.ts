/**
 * NIP-46 for real: our local relay (scripts/relay.mjs), a bunker responder built here from
 * nostr-tools primitives (kind 24133, NIP-44), and Nip46Signer (crypto/) talking through
 * Nip46RelayTransport (relay/) over `ws`, wired as the app wires them (sync/account.ts
 * connectBunker). The bunker's own key differs from the identity it signs for, as NIP-46 allows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { verifyEvent as ntVerify } from 'nostr-tools/pure';
import { LocalSigner, Nip46Signer } from '../../src/lib/crypto/signer';
import { parseBunkerUrl } from '../../src/lib/crypto/nip46';
import { Nip46RelayTransport } from '../../src/lib/relay/nip46-transport';
import { connectBunker } from '../../src/lib/sync/account';
import { bytesToHex } from '../../src/lib/shared/bytes';
import { generateSecretKey } from '../../src/lib/crypto/keys';
import { isVeilError } from '../../src/lib/shared/errors';
import { startRelay, type TestRelay } from '../helpers/relay';
import { IGNORE_KIND, LIE_KIND, pk, REFUSE_KIND, startBunker, type TestBunker } from '../helpers/bunker';

const WS = WebSocket as unknown as typeof globalThis.WebSocket;
const connect = (url: string, timeoutMs: number) => connectBunker({ WebSocket: WS }, url, { timeoutMs });
const fails = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: unknown) => e
  );

describe('Nip46Signer through the local relay', () => {
  let relay: TestRelay;
  let bunker: TestBunker;

  beforeAll(async () => {
    relay = await startRelay();
    bunker = await startBunker(relay.url, 'let-me-in');
  });
  afterAll(async () => {
    await bunker?.stop();
    await relay?.stop();
  });

  it('connects, gets the identity pubkey (not the bunker key), signs an event that verifies', async () => {
    const signer = await connect(bunker.url(), 15_000);
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
    const signer = await connect(bunker.url(), 15_000);
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
    const signer = await connect(bunker.url(), 3_000);
    try {
      const now = Math.floor(Date.now() / 1000);
      expect(isVeilError(await fails(signer.signEvent({ kind: REFUSE_KIND, created_at: now, tags: [], content: 'x' })), 'SIGNER_REJECTED')).toBe(true);
      expect(isVeilError(await fails(signer.signEvent({ kind: LIE_KIND, created_at: now, tags: [], content: 'x' })), 'INVALID_EVENT')).toBe(true);
      expect(isVeilError(await fails(signer.signEvent({ kind: IGNORE_KIND, created_at: now, tags: [], content: 'x' })), 'SIGNER_TIMEOUT')).toBe(true);
    } finally {
      await signer.close();
    }
  });

  it('reconnects with the persisted client key, as unlockSession does, and signs again', async () => {
    const first = await connect(bunker.url(), 15_000);
    const clientKey = Uint8Array.from(first.clientSecretKey);
    await first.close();
    const bp = parseBunkerUrl(bunker.url());
    const again = await Nip46Signer.connect(bp, new Nip46RelayTransport(bp.relays, { WebSocket: WS }), { clientSecretKey: clientKey, timeoutMs: 15_000 });
    try {
      expect(bytesToHex(again.clientSecretKey)).toBe(bytesToHex(clientKey));
      const ev = await again.signEvent({ kind: 1, created_at: Math.floor(Date.now() / 1000), tags: [], content: 'again' });
      expect(ntVerify({ ...ev })).toBe(true);
      expect(ev.pubkey).toBe(bunker.userPubkey);
    } finally {
      await again.close();
    }
  });

  it('a wrong connection secret is rejected at connect', async () => {
    const e = await fails(connect(bunker.url('wrong'), 15_000));
    expect(isVeilError(e, 'SIGNER_REJECTED')).toBe(true);
  });
});

describe('Nip46Signer without a reachable relay', () => {
  it('a relay that is down → SIGNER_UNAVAILABLE, well before the timeout', async () => {
    const relay = await startRelay();
    const url = relay.url;
    await relay.stop();
    const remote = pk(generateSecretKey());
    const e = await fails(connect(`bunker://${remote}?relay=${encodeURIComponent(url)}`, 10_000));
    expect(isVeilError(e, 'SIGNER_UNAVAILABLE')).toBe(true);
  });
});
