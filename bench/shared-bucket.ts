/**
 * The shared-bucket rows of envelope.bench.ts (issue 12 §3): what a reader pays for one envelope
 * of someone else's in the level-0 bucket every reader reads (nearly all of that bucket is other
 * people's mail and cover). Before: the pool verified it (id + BIP-340, the app's wasm verifier),
 * then the pair-tag check found no sender. Now: the pair-tag check runs on the unverified bytes and
 * the pool drops it (receive-envelope.ts `mayBeMine`). Both with SENDERS contact devices known, as
 * the Messenger wires them; the baseline is noble's ECDH in the same process.
 */
import * as secp from '@noble/secp256k1';
import { finalizeEvent, type NostrEvent } from 'nostr-tools/pure';
import { bucketPoint } from '../src/lib/crypto/bucket';
import { chatMessageTemplate, envelopeKey, sealEnvelope } from '../src/lib/crypto/envelope';
import { generateSecretKey } from '../src/lib/crypto/keys';
import { epochDay } from '../src/lib/crypto/mailbox';
import { parseEventShape, verifyRelayEvent } from '../src/lib/relay/verify';
import type { EventVerifier } from '../src/lib/shared/trusted-event';
import { bytesToHex } from '../src/lib/shared/bytes';
import { PairKeys } from '../src/lib/sync/pair-keys';
import { mayBeMine, sortEnvelope } from '../src/lib/sync/receive-envelope';
import type { SyncContext } from '../src/lib/sync/context';
import { beforeAfterRows, freshEvent, measureInterleaved, type BenchResult } from './types';

const RELAY = 'wss://bench.example';
/** Contact devices whose pair tag is tried on each envelope (one HMAC each). */
const SENDERS = 8;

export async function sharedBucketRows(verify: EventVerifier, rounds: number, perRound: number): Promise<BenchResult[]> {
  const nowS = Math.floor(Date.now() / 1000);
  const day = epochDay(nowS);
  const bucket = bucketPoint(RELAY, day, 0, 0);
  const me = envelopeKey(generateSecretKey());
  const senders = Array.from({ length: SENDERS }, () => bytesToHex(envelopeKey(generateSecretKey()).publicKey));
  const ctx = { pairKeys: new PairKeys(me), counters: { notMine: 0, openFailures: 0, invalidEvents: 0, duplicates: 0 } } as unknown as SyncContext;
  const deps = { classify: () => ({ kind: 'bucket' as const, relay: RELAY, day }), senders: () => senders };
  // Someone else's pair envelopes: another pair's tag key, sealed to another EK.
  const author = generateSecretKey();
  const foreign: NostrEvent[] = [];
  for (let i = 0; i < 64; i++) {
    const a = envelopeKey(generateSecretKey());
    const b = envelopeKey(generateSecretKey());
    const tagKey = new PairKeys(a).tagKey(bytesToHex(a.publicKey), bytesToHex(b.publicKey), day)!;
    const inner = finalizeEvent(chatMessageTemplate({ text: 'not for you', recipients: [bytesToHex(b.publicKey)], createdAt: nowS }), author);
    foreign.push((await sealEnvelope({ recipientEk: b.publicKey, mailbox: bucket, payload: { type: 'event', event: inner }, nowSeconds: nowS, pairTagKey: tagKey })) as unknown as NostrEvent);
  }
  const sk = generateSecretKey();
  const pubs = Array.from({ length: 64 }, () => secp.getPublicKey(generateSecretKey(), true));
  const K = {
    base: 'ECDH @noble/secp256k1 getSharedSecret (shared-bucket baseline)',
    before: `shared bucket, someone else's envelope: verify (wasm) + pair tag × ${SENDERS} (before)`,
    after: `shared bucket, someone else's envelope: pair tag × ${SENDERS} unverified, dropped (now)`
  };
  const B = await measureInterleaved(
    [
      { name: K.base, fn: (i) => secp.getSharedSecret(sk, pubs[i % 64]!) },
      {
        name: K.before,
        fn: (i) => {
          const ev = verifyRelayEvent(freshEvent(foreign[i % 64]!), verify);
          if (!ev || sortEnvelope(ctx, deps, ev, RELAY)) throw new Error('bench: verify or sort');
        }
      },
      {
        name: K.after,
        fn: (i) => {
          // What the pool does with a prefilter: the shape check, then the prefilter.
          const shaped = parseEventShape(freshEvent(foreign[i % 64]!));
          if (!shaped || mayBeMine(ctx, deps, shaped, RELAY)) throw new Error('bench: prefilter');
        },
        weight: 8
      }
    ],
    rounds,
    perRound
  );
  return beforeAfterRows(B, K, 'baseline of the shared-bucket rows (1.00×)');
}
