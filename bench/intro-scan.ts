/**
 * The in-app intro scan rows of envelope.bench.ts (issue 12 §3): one envelope of someone else's in
 * my intro bucket, as the pool and the real inbound pipeline (`InboundPipeline.receive`) on a real
 * VeilStore handle it, with the app's wasm ECDH and verifier. Before: the pool verified it (id +
 * BIP-340), then the seen set was read (one IndexedDB transaction), then the trial-open. Now: the
 * pool checks its id and defers it, the trial-open comes first (`seenFirst: false`) and a foreign
 * envelope costs no signature check and no store read (receive-envelope.ts). Each call uses a new id,
 * as a first read does (the pipeline's memory would otherwise answer). In Chromium the store is the
 * page's IndexedDB; in Node it is fake-indexeddb (JavaScript, far slower: a Node figure misleads).
 */
import * as secp from '@noble/secp256k1';
import { finalizeEvent, type NostrEvent } from 'nostr-tools/pure';
import { chatMessageTemplate, envelopeKey, sealEnvelope, trialOpen } from '../src/lib/crypto/envelope';
import { generateSecretKey, getXOnlyPublicKey } from '../src/lib/crypto/keys';
import { epochDay, introMailbox } from '../src/lib/crypto/mailbox';
import { LocalSigner } from '../src/lib/crypto/signer';
import { bytesToHex, randomBytes } from '../src/lib/shared/bytes';
import { VeilStore, type IdbPlatform } from '../src/lib/store/db';
import { MIN_KDF_ITERATIONS } from '../src/lib/store/vault';
import { InboundPipeline, type Opened } from '../src/lib/sync/inbound';
import { Peers, storePeerRepo } from '../src/lib/sync/peers';
import { checkEventId, type EventVerifier, type IdCheckedEvent, type TrustedEvent } from '../src/lib/shared/trusted-event';
import { verifyRelayEvent } from '../src/lib/relay/verify';
import { testSyncContext } from '../tests/helpers/sync-context';
import { beforeAfterRows, freshEvent, measureInterleaved, type BenchResult } from './types';

const RELAY = 'wss://bench.example';

export async function introScanRows(ecdh: (sk: Uint8Array, pub: Uint8Array) => Uint8Array, verify: EventVerifier, platform: IdbPlatform, rounds: number, perRound: number): Promise<BenchResult[]> {
  const store = await VeilStore.open(platform, `veil-bench-intro-${bytesToHex(randomBytes(4))}`);
  await store.setupVault('bench passphrase, not a secret', { iterations: MIN_KDF_ITERATIONS });
  const sk = generateSecretKey();
  const me = bytesToHex(getXOnlyPublicKey(sk));
  const ek = envelopeKey(generateSecretKey());
  const nowS = Math.floor(Date.now() / 1000);
  const ctx = testSyncContext({ store, signer: new LocalSigner(sk), me, ek });
  const pipeline = new InboundPipeline(ctx, { peers: new Peers(storePeerRepo(store)), lookup: { applyRecord: async () => true, refreshLater: () => {} } });
  // First contacts meant for others, in my intro mailbox (a flood looks the same).
  const author = generateSecretKey();
  const mailbox = introMailbox(ek.publicKey, RELAY, epochDay(nowS));
  const foreign: TrustedEvent[] = [];
  for (let i = 0; i < 64; i++) {
    const inner = finalizeEvent(chatMessageTemplate({ text: 'hello, stranger', recipients: [me], createdAt: nowS }), author);
    const to = envelopeKey(generateSecretKey());
    foreign.push((await sealEnvelope({ recipientEk: to.publicKey, mailbox, payload: { type: 'event', event: inner as NostrEvent }, nowSeconds: nowS })) as unknown as TrustedEvent);
  }
  const junk: Opened = { ok: false, code: 'DECRYPT_FAILED' };
  const open = (ev: TrustedEvent | IdCheckedEvent) => async (): Promise<Opened> => ((await trialOpen(ev, ek, { ecdh })) ? { ok: true } : junk);
  const expires = Date.now() + 86_400_000;
  const pubs = Array.from({ length: 64 }, () => secp.getPublicKey(generateSecretKey(), true));
  const K = {
    base: 'ECDH @noble/secp256k1 getSharedSecret (intro-scan baseline)',
    before: 'intro scan, someone else’s envelope: verify (wasm), seen read, trial-open (before)',
    after: 'intro scan, someone else’s envelope: id, trial-open; no signature, no store read (now)'
  };
  const B = await measureInterleaved(
    [
      { name: K.base, fn: (i) => secp.getSharedSecret(sk, pubs[i % 64]!) },
      {
        name: K.before,
        fn: (i) => {
          const ev = verifyRelayEvent(freshEvent(foreign[i % 64]!), verify);
          if (!ev) throw new Error('bench: verify');
          return pipeline.receive(bytesToHex(randomBytes(32)), expires, open(ev), { seenFirst: true });
        }
      },
      {
        name: K.after,
        fn: (i) => {
          const ev = checkEventId(freshEvent(foreign[i % 64]!));
          if (!ev) throw new Error('bench: id');
          return pipeline.receive(bytesToHex(randomBytes(32)), expires, open(ev), { seenFirst: false });
        }
      }
    ],
    rounds,
    perRound
  );
  store.close();
  return beforeAfterRows(B, K, 'baseline of the intro-scan rows (1.00×)');
}
