/**
 * The constant-time ECDH rows of envelope.bench.ts (issue 12 item 2): our veil-ecdh.wasm
 * (libsecp256k1 secp256k1_ecdh, one constant-time multiply; crypto/ecdh-ct-wasm.ts) side by side
 * with noble's getSharedSecret (the baseline) and the current split-secret wasm ECDH on
 * tiny-secp256k1 (crypto/ecdh-wasm.ts, two variable-time multiplies), raw and inside
 * trialOpenSync of someone else's envelope. Goal: trial-open ≥ 4× noble getSharedSecret.
 * Node reads the module from src/; the Chromium page sets a fetching loader first
 * (setCtWasmLoader, bench/chromium/main.ts).
 */
import * as secp from '@noble/secp256k1';
import { finalizeEvent, type VerifiedEvent } from 'nostr-tools/pure';
import { createCtWasmEcdh } from '../src/lib/crypto/ecdh-ct-wasm';
import type { EcdhFn } from '../src/lib/crypto/ecdh-wasm';
import { chatMessageTemplate, envelopeKey, sealEnvelope, trialOpenSync } from '../src/lib/crypto/envelope';
import { generateSecretKey } from '../src/lib/crypto/keys';
import { introMailbox } from '../src/lib/crypto/mailbox';
import { bytesToHex, hexToBytes } from '../src/lib/shared/bytes';
import { measureInterleaved, paired, type BenchResult } from './types';

let loadCt = async (): Promise<Uint8Array> => {
  const fs = 'node:fs/promises';
  const { readFile } = (await import(/* @vite-ignore */ fs)) as typeof import('node:fs/promises');
  return readFile(`${process.cwd()}/src/lib/crypto/wasm/veil-ecdh.wasm`);
};

/** Where the page gets veil-ecdh.wasm (a Vite `?url` fetch); Node reads the file. */
export function setCtWasmLoader(load: () => Promise<Uint8Array>): void {
  loadCt = load;
}

/** The constant-time ECDH itself (the app's scan ECDH), for other rows. */
export async function loadCtEcdh(): Promise<EcdhFn> {
  return (await createCtWasmEcdh(await loadCt())).ecdh;
}

export async function ctEcdhRows(splitEcdh: EcdhFn, rounds: number, perRound: number): Promise<BenchResult[]> {
  const C = await createCtWasmEcdh(await loadCt());
  const me = envelopeKey(generateSecretKey());
  const other = envelopeKey(generateSecretKey());
  const mailbox = introMailbox(me.publicKey, 'wss://relay.example.com', 20454);
  const author = generateSecretKey();
  const now = Math.floor(Date.now() / 1000);
  const foreign: VerifiedEvent[] = [];
  for (let i = 0; i < 64; i++) {
    const inner = finalizeEvent(chatMessageTemplate({ text: 'not for you', recipients: [bytesToHex(other.publicKey)], createdAt: now }), author);
    foreign.push((await sealEnvelope({ recipientEk: other.publicKey, mailbox, payload: { type: 'event', event: inner }, nowSeconds: now })) as VerifiedEvent);
  }
  const pubs = Array.from({ length: 64 }, () => secp.getPublicKey(generateSecretKey(), true));
  const xonly = pubs.map((p) => p.slice(1));
  const sk = me.secret;
  const reject = (ecdh: EcdhFn) => {
    const opts = { ecdh };
    return (i: number) => {
      if (trialOpenSync(foreign[i % 64]!, me, opts) !== null) throw new Error('bench: foreign envelope opened');
    };
  };
  const K = {
    base: 'ECDH @noble/secp256k1 getSharedSecret (CT rows baseline)',
    split: 'wasm ECDH, tiny-secp256k1 split secret (2 var-time multiplies)',
    ct: 'wasm ECDH, veil-ecdh.wasm (1 constant-time multiply)',
    tSplit: 'trialOpenSync reject, split wasm ECDH',
    tCt: 'trialOpenSync reject, CT wasm ECDH'
  };
  const M = await measureInterleaved(
    [
      { name: K.base, fn: (i) => secp.getSharedSecret(sk, pubs[i % 64]!) },
      { name: K.split, fn: (i) => splitEcdh(sk, xonly[i % 64]!), weight: 4 },
      { name: K.ct, fn: (i) => C.ecdh(sk, xonly[i % 64]!), weight: 8 },
      { name: K.tSplit, fn: reject(splitEcdh), weight: 4 },
      { name: K.tCt, fn: reject(C.ecdh), weight: 8 }
    ],
    rounds,
    perRound
  );
  const row = (k: string): BenchResult => {
    const r = M.get(k);
    if (!r) throw new Error(`bench: missing ${k}`);
    return r;
  };
  const base = row(K.base).opsPerSec;
  const x = (k: string) => `${(row(k).opsPerSec / base).toFixed(2)}× noble-secp ECDH/s`;
  const vsSplit = (k: string, s: string) => `${(row(k).opsPerSec / row(s).opsPerSec).toFixed(2)}× the split wasm`;
  const met = row(K.tCt).opsPerSec / base >= 4 ? 'GOAL MET' : 'goal NOT met';
  // The issue 12 goal: a reject costs ≤ 10% more than its ECDH, the app's (CT) one, paired on the same keys.
  // Blocks of 64 (~9 ms): Chromium's performance.now() is coarsened to 0.1 ms outside cross-origin isolation,
  // which makes a block of 8 CT ECDHs (~1 ms) a 10%-step measurement.
  const pr = paired((i) => C.ecdh(sk, hexToBytes(foreign[i % 64]!.pubkey)), reject(C.ecdh), 100, 64);
  const pairedPct = (pr.median - 1) * 100;
  if (C.degraded()) throw new Error('bench: CT wasm ECDH trapped');
  return [
    { ...row(K.base), note: 'baseline (1.00×)' },
    { ...row(K.split), note: x(K.split) },
    { ...row(K.ct), note: `${x(K.ct)}; ${vsSplit(K.ct, K.split)}` },
    { ...row(K.tSplit), note: x(K.tSplit) },
    { ...row(K.tCt), note: `${x(K.tCt)} (goal ≥ 4×: ${met}); ${vsSplit(K.tCt, K.tSplit)}` },
    {
      name: 'paired overhead: trialOpenSync vs CT wasm ECDH',
      opsPerSec: 1e6 / pr.bestB,
      iterations: 100 * 64,
      note: `median time ratio ${pr.median.toFixed(3)} over 100 alternating blocks of 64 (+${pairedPct.toFixed(1)}%, goal ≤ 10%: ${pairedPct <= 10 ? 'GOAL MET' : 'goal NOT met'}); best blocks ${pr.bestA.toFixed(0)} µs ECDH vs ${pr.bestB.toFixed(0)} µs trial-open`
    }
  ];
}
