/**
 * A slow signer does not hold envelopes up (issue 11: a 1 s NIP-07 signer once delayed an envelope
 * by 38.7 s, because gift wraps and envelopes shared one sequential queue). Through the real local
 * relay: Alice signs with a NIP-07 extension whose decryptions wait until the test lets them go;
 * Carol (another client, nostr-tools) sends her a NIP-17 DM, Bob (Veil) an envelope. Bob's message
 * is stored while Carol's wrap is still waiting on the signer; Carol's arrives once it answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { wrapEvent as ntWrapDm } from 'nostr-tools/nip17';
import { finalizeEvent, generateSecretKey as ntSecretKey, getPublicKey, type NostrEvent } from 'nostr-tools/pure';
import { bytesToHex, randomBytes } from '../../src/lib/shared/bytes';
import { envelopeKey } from '../../src/lib/crypto/envelope';
import { generateSecretKey } from '../../src/lib/crypto/keys';
import { getConversationKey, nip44Decrypt, nip44Encrypt } from '../../src/lib/crypto/nip44';
import { encodeNpub } from '../../src/lib/crypto/nip19';
import { LocalSigner, Nip07Signer, type Nip07Like, type Signer } from '../../src/lib/crypto/signer';
import { VeilStore } from '../../src/lib/store/db';
import { Messenger } from '../../src/lib/sync/messenger';
import { RawClient } from '../helpers/raw-ws';
import { startRelay, type TestRelay } from '../helpers/relay';
import { freshPlatform, TEST_ITERATIONS } from '../helpers/store-idb';
import { FAST_TIMING } from '../helpers/timing';
import { untilChecked } from '../helpers/until';

interface Veil {
  m: Messenger;
  store: VeilStore;
  pubkey: string;
}

const running: Veil[] = [];
let relay: TestRelay;
let raw: RawClient;

async function veil(name: string, sk: Uint8Array, signer: Signer): Promise<Veil> {
  const store = await VeilStore.open(freshPlatform(), `veil-inbound-${name}`);
  await store.setupVault('correct horse battery staple', { iterations: TEST_ITERATIONS });
  const m = await Messenger.create({
    store,
    signer,
    identity: getPublicKey(sk),
    deviceId: bytesToHex(randomBytes(8)),
    ek: envelopeKey(generateSecretKey()),
    WebSocket,
    relays: [relay.url],
    deviceLabel: name,
    queryTimeoutMs: 3000,
    timing: FAST_TIMING
  });
  await m.start();
  const v = { m, store, pubkey: getPublicKey(sk) };
  running.push(v);
  return v;
}

/** A NIP-07 extension whose decryptions wait until `release()`: a person slow to click "allow". */
function slowExtension(sk: Uint8Array): { signer: Nip07Signer; waiting: () => number; release: () => void } {
  let open = false;
  const waiters: (() => void)[] = [];
  const nostr: Nip07Like = {
    getPublicKey: async () => getPublicKey(sk),
    signEvent: async (t) => finalizeEvent(t, sk),
    nip44: {
      encrypt: async (pk, pt) => nip44Encrypt(pt, getConversationKey(sk, pk)),
      decrypt: async (pk, ct) => {
        if (!open) await new Promise<void>((resolve) => waiters.push(resolve));
        return nip44Decrypt(ct, getConversationKey(sk, pk));
      }
    }
  };
  return {
    signer: new Nip07Signer(nostr, { timeoutMs: 120_000 }),
    waiting: () => waiters.length,
    release: () => {
      open = true;
      for (const w of waiters.splice(0)) w();
    }
  };
}

beforeAll(async () => {
  relay = await startRelay();
  raw = await RawClient.open(relay.url);
});

afterAll(async () => {
  for (const v of running) {
    await v.m.stop();
    v.store.close();
  }
  await raw?.close();
  await relay?.stop();
});

describe('gift wraps and envelopes do not share a queue', () => {
  it('an envelope is stored while a gift wrap still waits on the signer', async () => {
    const aliceSk = ntSecretKey();
    const ext = slowExtension(aliceSk);
    const alice = await veil('alice', aliceSk, ext.signer);
    const bobSk = generateSecretKey();
    const bob = await veil('bob', bobSk, new LocalSigner(bobSk));
    const until = <T>(check: () => Promise<T | undefined | false>, what: string) => untilChecked(running.map((v) => v.m), check, what, 20_000);
    const chatWith = async (peer: string) => (await alice.m.listChats('request')).find((c) => c.peer === peer);

    // Carol's DM reaches Alice's DM relay; Alice's signer is asked and does not answer yet.
    await until(async () => alice.m.dmRelays().length > 0, 'Alice reads her DM relays');
    const carolSk = ntSecretKey();
    const [ok, reason] = await raw.publish(ntWrapDm(carolSk, { publicKey: alice.pubkey }, 'Carol, slowly') as unknown as NostrEvent);
    expect(ok, reason).toBe(true);
    await until(async () => ext.waiting() > 0, 'the signer asked for Carol’s wrap');

    // Bob's envelope arrives meanwhile and is stored without waiting for the signer.
    const conv = await bob.m.startChat(encodeNpub(alice.pubkey));
    await bob.m.send(conv, 'Bob, promptly');
    const fromBob = await until(async () => (await chatWith(bob.pubkey))?.preview, 'Bob’s envelope at Alice');
    expect(fromBob).toBe('Bob, promptly');
    expect(ext.waiting()).toBeGreaterThan(0);
    expect(await chatWith(getPublicKey(carolSk))).toBeUndefined();

    // The signer answers: Carol's message follows.
    ext.release();
    const fromCarol = await until(async () => (await chatWith(getPublicKey(carolSk)))?.preview, 'Carol’s DM at Alice');
    expect(fromCarol).toBe('Carol, slowly');
  }, 60_000);
});
