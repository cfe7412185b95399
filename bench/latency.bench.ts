/**
 * Send → receive latency through the local relay (issue 4 "npm run bench"): two Messengers in one
 * process (Alice, Bob; fake-indexeddb stores; `ws` sockets; Live mode = open subscriptions), one
 * local relay (scripts/relay.mjs, in-memory). After a first exchange (so pair mailboxes are in
 * use), Bob sends 50 messages one after the other; each is timed from `send()` until Alice's
 * Messenger has stored it (sign, seal, store + outbox, publish, relay fan-out, verify, seen-claim,
 * open, store). p50 and p95 are reported; opsPerSec is 1000 / latency.
 */
import 'fake-indexeddb/auto'; // class globals idb's wrapper checks with instanceof
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import WebSocket from 'ws';
import { bytesToHex, randomBytes } from '../src/lib/shared/bytes';
import { envelopeKey } from '../src/lib/crypto/envelope';
import { generateSecretKey, getXOnlyPublicKey } from '../src/lib/crypto/keys';
import { encodeNpub } from '../src/lib/crypto/nip19';
import { LocalSigner } from '../src/lib/crypto/signer';
import { VeilStore } from '../src/lib/store/db';
import { MIN_KDF_ITERATIONS } from '../src/lib/store/vault';
import { Messenger } from '../src/lib/sync/messenger';
import { startRelay } from '../tests/helpers/relay';
import type { BenchResult } from './types';

const N = 50;

async function makeClient(name: string, relay: string): Promise<{ m: Messenger; store: VeilStore; pubkey: string }> {
  const store = await VeilStore.open({ indexedDB: new IDBFactory(), IDBKeyRange }, `veil-bench-${name}`);
  await store.setupVault('bench passphrase', { iterations: MIN_KDF_ITERATIONS });
  const sk = generateSecretKey();
  const pubkey = bytesToHex(getXOnlyPublicKey(sk));
  const m = await Messenger.create({
    store,
    signer: new LocalSigner(sk),
    identity: pubkey,
    deviceId: bytesToHex(randomBytes(8)),
    ek: envelopeKey(generateSecretKey()),
    WebSocket,
    relays: [relay]
  });
  await m.start();
  return { m, store, pubkey };
}

/** Resolves when `m` has stored a message with `text` in `conversationId` (checked on every event). */
function arrival(m: Messenger, text: string, timeoutMs = 20_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => finish(new Error(`no arrival of "${text}"`)), timeoutMs);
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      off();
      if (err) reject(err);
      else resolve();
    };
    const off = m.on((e) => {
      if (e.type !== 'messages') return;
      void m.pageMessages(e.conversationId, { limit: 3 }).then((page) => {
        if (page.some((x) => x.text === text && x.direction === 'in')) finish();
      });
    });
  });
}

function percentile(sorted: number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export async function run(): Promise<BenchResult[]> {
  const relay = await startRelay();
  const alice = await makeClient('alice', relay.url);
  const bob = await makeClient('bob', relay.url);
  try {
    const convB = await bob.m.startChat(encodeNpub(alice.pubkey));
    // First contact (intro mailbox + card), then a reply so both sides use pair mailboxes.
    let got = arrival(alice.m, 'warm-up');
    await bob.m.send(convB, 'warm-up');
    await got;
    const convA = (await alice.m.listChats('request'))[0]!.id;
    await alice.m.accept(bob.pubkey);
    got = arrival(bob.m, 'warm-up reply');
    await alice.m.send(convA, 'warm-up reply');
    await got;

    const ms: number[] = [];
    for (let i = 0; i < N; i++) {
      const text = `latency probe ${i}`;
      const arrived = arrival(alice.m, text);
      const t0 = performance.now();
      await bob.m.send(convB, text);
      await arrived;
      ms.push(performance.now() - t0);
    }
    const sorted = [...ms].sort((a, b) => a - b);
    const p50 = percentile(sorted, 50);
    const p95 = percentile(sorted, 95);
    const row = (name: string, v: number, note: string): BenchResult => ({ name, opsPerSec: 1000 / v, iterations: N, note: `${v.toFixed(1)} ms ${note}` });
    return [
      row('messenger: send→receive latency p50 (Live, local relay)', p50, 'p50, pair mailbox, two clients in one process'),
      row('messenger: send→receive latency p95 (Live, local relay)', p95, `p95; min ${sorted[0]!.toFixed(1)} ms, max ${sorted[sorted.length - 1]!.toFixed(1)} ms`)
    ];
  } finally {
    await alice.m.stop();
    await bob.m.stop();
    alice.store.close();
    bob.store.close();
    await relay.stop();
  }
}
