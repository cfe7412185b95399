/**
 * Envelope costs (docs/proposals/0001-envelope.md §Costs), all in one process:
 * - seal+open of a Veil envelope vs NIP-17 (nostr-tools nip17.wrapEvent + nip59.unwrapEvent), on the
 *   JavaScript curve and on the app's WebAssembly one (crypto/curve.ts);
 * - rejecting a foreign envelope (trialOpen, the intro-mailbox scan) vs raw ECDH;
 * - outer event verification (id + BIP-340), which every event from a relay pays first;
 * - someone else's envelope in a shared bucket, before and after the pair-tag prefilter (shared-bucket.ts).
 */
import * as secp from '@noble/secp256k1';
import { schnorr, secp256k1 as curves } from '@noble/curves/secp256k1.js';
import { finalizeEvent, getPublicKey, verifyEvent, type NostrEvent, type VerifiedEvent } from 'nostr-tools/pure';
import * as nip17 from 'nostr-tools/nip17';
import * as nip59 from 'nostr-tools/nip59';
import { getEventHash } from 'nostr-tools/pure';
import { hexToBytes } from '../src/lib/shared/bytes';
import { ecdh, generateSecretKey } from '../src/lib/crypto/keys';
import { chatMessageTemplate, envelopeKey, openEnvelope, sealEnvelope, trialOpen, trialOpenSync } from '../src/lib/crypto/envelope';
import { introMailbox } from '../src/lib/crypto/mailbox';
import { createWasmEcdh } from '../src/lib/crypto/ecdh-wasm';
import { wasmCurve } from '../src/lib/crypto/curve';
import { LocalSigner } from '../src/lib/crypto/signer';
import { loadScanCrypto, scanBatch } from '../src/lib/sync/scan';
import { freshEvent, measureInterleaved, paired, type BenchResult } from './types';
import { sharedBucketRows } from './shared-bucket';
import { introScanRows } from './intro-scan';
import { ctEcdhRows, loadCtEcdh } from './ct-ecdh';
import type { IdbPlatform } from '../src/lib/store/db';

const TEXT = 'Hello Bob — are we still on for tomorrow at 10? 🙂';
const ROUNDS = 6;
const N_FULL = 10;
const N_SCAN = 40;
/** More rounds for the scan rows: the best round is the least disturbed, and the overhead row compares two close numbers. */
const SCAN_ROUNDS = 12;

/** tiny-secp256k1's wasm from node_modules (Node); the Chromium page passes a fetch instead (bench/chromium). */
async function nodeWasm(): Promise<Uint8Array> {
  const fs = 'node:fs/promises';
  const { readFile } = (await import(/* @vite-ignore */ fs)) as typeof import('node:fs/promises');
  return readFile(`${process.cwd()}/node_modules/tiny-secp256k1/lib/secp256k1.wasm`);
}

/** The page's IndexedDB (Chromium), else fake-indexeddb (Node: JavaScript, so its store rows mislead). */
async function idbPlatform(): Promise<IdbPlatform> {
  if (typeof indexedDB !== 'undefined') return { indexedDB, IDBKeyRange };
  const name = 'fake-indexeddb';
  await import(/* @vite-ignore */ `${name}/auto`); // its IDBRequest and friends as globals, as the store expects
  const fake = (await import(/* @vite-ignore */ name)) as { IDBFactory: new () => IDBFactory; IDBKeyRange: typeof IDBKeyRange };
  return { indexedDB: new fake.IDBFactory(), IDBKeyRange: fake.IDBKeyRange };
}

export async function run(loadWasm: () => Promise<Uint8Array> = nodeWasm): Promise<BenchResult[]> {
  const alice = generateSecretKey();
  const bob = generateSecretKey();
  const bobPub = getPublicKey(bob);
  const ekBob = envelopeKey(generateSecretKey());
  const ekOther = envelopeKey(generateSecretKey());
  const mailbox = introMailbox(ekBob.publicKey, 'wss://relay.example.com', 20454);
  const now = Math.floor(Date.now() / 1000);
  const out: BenchResult[] = [];
  const wasmBytes = await loadWasm();
  const W = await createWasmEcdh(wasmBytes);
  // The app's curve once its modules load (sync/scan.ts): tiny-secp256k1 signs and verifies, veil-ecdh.wasm does ECDH.
  const wcurve = wasmCurve(W, await loadCtEcdh());
  const wSigner = new LocalSigner(alice);
  wSigner.useCurve(wcurve);
  const wOpen = { ecdh: wcurve.ecdh, schnorr: wcurve.verifySchnorr };

  const fresh = (e: NostrEvent): NostrEvent => freshEvent(e);
  const get = (m: Map<string, BenchResult>, k: string): BenchResult => {
    const r = m.get(k);
    if (!r) throw new Error(`bench: missing ${k}`);
    return r;
  };

  // --- 1. message round trip ---
  const A = await measureInterleaved(
    [
      {
        name: 'veil: sign inner + seal + open',
        fn: async () => {
          const inner = finalizeEvent(chatMessageTemplate({ text: TEXT, recipients: [bobPub], createdAt: now }), alice);
          const outer = await sealEnvelope({ recipientEk: ekBob.publicKey, mailbox, payload: { type: 'event', event: inner } });
          const o = await openEnvelope(outer, ekBob, bobPub);
          if (o.type !== 'message') throw new Error('bench: open failed');
        }
      },
      {
        name: 'veil (wasm curve): sign inner + seal + open',
        fn: async () => {
          // As the app does it: LocalSigner signs then verifies the inner event; the seal and the open run on the curve.
          const inner = await wSigner.signEvent(chatMessageTemplate({ text: TEXT, recipients: [bobPub], createdAt: now }));
          const outer = await sealEnvelope({ recipientEk: ekBob.publicKey, mailbox, payload: { type: 'event', event: inner } }, wcurve);
          const o = await openEnvelope(outer, ekBob, bobPub, wOpen);
          if (o.type !== 'message') throw new Error('bench: open failed');
        }
      },
      {
        name: 'nip17: wrapEvent + unwrapEvent',
        fn: () => {
          const wrap = nip17.wrapEvent(alice, { publicKey: bobPub }, TEXT);
          if (nip59.unwrapEvent(wrap, bob).content !== TEXT) throw new Error('bench: unwrap failed');
        }
      },
      {
        name: 'nip17 + verify the wrap sig',
        fn: () => {
          const wrap = nip17.wrapEvent(alice, { publicKey: bobPub }, TEXT);
          if (!verifyEvent(fresh(wrap))) throw new Error('bench: wrap sig');
          if (nip59.unwrapEvent(wrap, bob).content !== TEXT) throw new Error('bench: unwrap failed');
        }
      }
    ],
    ROUNDS,
    N_FULL
  );
  const veil = get(A, 'veil: sign inner + seal + open');
  const nip = get(A, 'nip17: wrapEvent + unwrapEvent');
  const nipV = get(A, 'nip17 + verify the wrap sig');
  const veilW = get(A, 'veil (wasm curve): sign inner + seal + open');
  out.push({ ...veil, note: `time = ${(nip.opsPerSec / veil.opsPerSec).toFixed(2)}× nip17, ${(nipV.opsPerSec / veil.opsPerSec).toFixed(2)}× nip17+wrap verify (veil also verifies outer + inner sigs)` });
  out.push({ ...veilW, note: `time = ${(nip.opsPerSec / veilW.opsPerSec).toFixed(2)}× nip17, ${(veil.opsPerSec / veilW.opsPerSec).toFixed(2)}× the JavaScript curve; the inner event also verified after signing` });
  out.push({ ...nip, note: 'nostr-tools 2.25.2; unwrapEvent verifies no signature' });
  out.push(nipV);

  // --- 2. the scan: raw ECDH, trial-open of foreign envelopes, outer verification ---
  const pubs = Array.from({ length: 64 }, () => secp.getPublicKey(generateSecretKey(), true));
  const xonly = pubs.map((p) => p.slice(1));
  const sk = ekBob.secret;
  const foreign: VerifiedEvent[] = [];
  for (let i = 0; i < 64; i++) {
    const inner = finalizeEvent(chatMessageTemplate({ text: TEXT, recipients: [bobPub], createdAt: now }), alice);
    const ev = await sealEnvelope({ recipientEk: ekOther.publicKey, mailbox, payload: { type: 'event', event: inner } });
    if (!verifyEvent(ev)) throw new Error('bench: seal produced a bad event');
    foreign.push(ev);
  }
  const raw = foreign.map((e) => ({ sig: hexToBytes(e.sig), id: hexToBytes(e.id), pk: hexToBytes(e.pubkey) }));
  const K = {
    secp: 'ECDH @noble/secp256k1 getSharedSecret',
    curves: 'ECDH @noble/curves getSharedSecret (GLV)',
    ours: 'ECDH keys.ts ecdh (x-only, validated)',
    trial: 'trialOpen reject (JS ECDH)',
    verify: 'outer verify: id + schnorr (nostr-tools)',
    schnorr: 'schnorr.verify only (@noble/curves)',
    id: 'event id only (sha256, 1.4 KB event)',
    scan: 'scan total JS: verify + trialOpen reject',
    wRaw: 'wasm raw pointMultiply (var-time, unblinded; reference only)',
    wEcdh: 'wasm ECDH (validated in wasm, secret split: 2 multiplies)',
    wTrial: 'trialOpen reject, wasm ECDH (trialOpenSync)',
    wTrialAsync: 'trialOpen reject, wasm ECDH (awaited trialOpen)',
    wSchnorr: 'schnorr verify only (wasm)',
    wVerify: 'outer verify: id + schnorr (wasm, scan.ts)',
    wScan: 'scan total wasm: verify + trialOpen reject (scanBatch)'
  };
  // tiny-secp256k1's own wrapper (a reference row) loads its wasm the Node way only; the Chromium page goes without it.
  const tiny = loadWasm === nodeWasm ? await import('tiny-secp256k1') : null;
  const S = await loadScanCrypto(async () => wasmBytes);
  if (S.backend !== 'wasm') throw new Error('bench: wasm did not load');
  const pubs65 = pubs.map((p) => secp.Point.fromBytes(p).toBytes(false));
  const wOpts = { ecdh: W.ecdh };
  const B = await measureInterleaved(
    [
      { name: K.secp, fn: (i) => secp.getSharedSecret(sk, pubs[i % 64]!) },
      { name: K.curves, fn: (i) => curves.getSharedSecret(sk, pubs[i % 64]!) },
      { name: K.ours, fn: (i) => ecdh(sk, xonly[i % 64]!) },
      {
        name: K.trial,
        fn: async (i) => {
          if ((await trialOpen(foreign[i % 64]!, ekBob)) !== null) throw new Error('bench: foreign envelope opened');
        }
      },
      {
        name: K.verify,
        fn: (i) => {
          if (!verifyEvent(fresh(foreign[i % 64]!))) throw new Error('bench: verify');
        }
      },
      { name: K.schnorr, fn: (i) => schnorr.verify(raw[i % 64]!.sig, raw[i % 64]!.id, raw[i % 64]!.pk) },
      { name: K.id, fn: (i) => getEventHash(foreign[i % 64]!), weight: 20 },
      {
        name: K.scan,
        fn: async (i) => {
          const e = fresh(foreign[i % 64]!);
          if (!verifyEvent(e)) throw new Error('bench: verify');
          if ((await trialOpen(e, ekBob)) !== null) throw new Error('bench: opened');
        }
      },
      ...(tiny ? [{ name: K.wRaw, fn: (i: number) => tiny.pointMultiply(pubs65[i % 64]!, sk), weight: 4 }] : []),
      { name: K.wEcdh, fn: (i) => W.ecdh(sk, xonly[i % 64]!), weight: 4 },
      {
        name: K.wTrial,
        fn: (i) => {
          if (trialOpenSync(foreign[i % 64]!, ekBob, wOpts) !== null) throw new Error('bench: foreign envelope opened');
        },
        weight: 4
      },
      {
        name: K.wTrialAsync,
        fn: async (i) => {
          if ((await trialOpen(foreign[i % 64]!, ekBob, wOpts)) !== null) throw new Error('bench: foreign envelope opened');
        },
        weight: 4
      },
      { name: K.wSchnorr, fn: (i) => W.verifySchnorr(raw[i % 64]!.sig, raw[i % 64]!.id, raw[i % 64]!.pk), weight: 4 },
      {
        name: K.wVerify,
        fn: (i) => {
          if (!S.verifyEvent(fresh(foreign[i % 64]!))) throw new Error('bench: verify');
        },
        weight: 4
      },
      {
        // 8 events per call through the batch API; ops/s below is per event.
        name: K.wScan,
        fn: (i) => {
          const batch = [0, 1, 2, 3, 4, 5, 6, 7].map((j) => fresh(foreign[(i * 8 + j) % 64]!));
          for (const r of scanBatch(batch, ekBob, S)) if (!r.verified || r.unwrapped !== null) throw new Error('bench: scan');
        },
        weight: 0.5
      }
    ],
    SCAN_ROUNDS,
    N_SCAN
  );
  const scanRow = get(B, K.wScan);
  B.set(K.wScan, { ...scanRow, opsPerSec: scanRow.opsPerSec * 8, iterations: scanRow.iterations * 8 });
  const base = get(B, K.secp).opsPerSec;
  const ratio = (k: string) => get(B, k).opsPerSec / base;
  const x = (k: string) => `${ratio(k).toFixed(2)}× noble-secp ECDH/s`;
  /** Time per op of `k` beyond the time of one ECDH `e`, in percent. */
  const beyondPct = (k: string, e: string) => (get(B, e).opsPerSec / get(B, k).opsPerSec - 1) * 100;
  const beyond = (k: string, e: string) => `${beyondPct(k, e) >= 0 ? '+' : ''}${beyondPct(k, e).toFixed(1)}% time beyond its ECDH`;
  out.push({ ...get(B, K.secp), note: 'baseline of the scan goal (1.00×)' });
  out.push({ ...get(B, K.curves), note: x(K.curves) });
  out.push({ ...get(B, K.ours), note: x(K.ours) });
  out.push({ ...get(B, K.trial), note: `envelopes/s/core; ${x(K.trial)}; ${beyond(K.trial, K.ours)}` });
  out.push({ ...get(B, K.verify), note: x(K.verify) });
  out.push(get(B, K.schnorr), get(B, K.id));
  out.push({ ...get(B, K.scan), note: x(K.scan) });
  if (tiny) out.push({ ...get(B, K.wRaw), note: x(K.wRaw) });
  out.push({ ...get(B, K.wEcdh), note: x(K.wEcdh) });
  // Overhead beyond ECDH, paired: trial-open vs the same wasm ECDH on the same keys, 200 blocks of 8.
  const pr = paired(
    (i) => W.ecdh(sk, hexToBytes(foreign[i % 64]!.pubkey)),
    (i) => {
      if (trialOpenSync(foreign[i % 64]!, ekBob, wOpts) !== null) throw new Error('bench: opened');
    },
    200,
    8
  );
  const pairedPct = (pr.median - 1) * 100;
  const met = ratio(K.wTrial) >= 4 && pairedPct <= 10 ? 'GOAL MET' : 'goal NOT met';
  out.push({
    ...get(B, K.wTrial),
    note: `${x(K.wTrial)} (goal ≥ 4×); ${beyond(K.wTrial, K.wEcdh)} in best rounds; paired: +${pairedPct.toFixed(1)}% (goal ≤ 10%); both goals on the split ECDH: ${met} (the app's path is the CT rows below)`
  });
  out.push({
    name: 'paired overhead: trialOpenSync vs wasm ECDH',
    opsPerSec: 1e6 / pr.bestB,
    iterations: 200 * 8,
    note: `median time ratio ${pr.median.toFixed(3)} over 200 alternating blocks of 8; best blocks ${pr.bestA.toFixed(0)} µs ECDH vs ${pr.bestB.toFixed(0)} µs trial-open (+${((pr.bestB / pr.bestA - 1) * 100).toFixed(1)}%)`
  });
  out.push({ ...get(B, K.wTrialAsync), note: `${x(K.wTrialAsync)}; ${beyond(K.wTrialAsync, K.wEcdh)}` });
  out.push({ ...get(B, K.wSchnorr), note: `${(get(B, K.wSchnorr).opsPerSec / get(B, K.schnorr).opsPerSec).toFixed(2)}× @noble/curves schnorr` });
  out.push({ ...get(B, K.wVerify), note: x(K.wVerify) });
  out.push({
    ...get(B, K.wScan),
    note: `${x(K.wScan)} (goal ≥ 4×); ${beyond(K.wScan, K.wEcdh)} (verify included); ${(get(B, K.wScan).opsPerSec / get(B, K.scan).opsPerSec).toFixed(2)}× the JS scan`
  });
  out.push(...(await sharedBucketRows(S.verifyEvent, SCAN_ROUNDS, N_SCAN)));
  // The intro scan as the app runs it: the constant-time ECDH (scan.ts since issue 12 item 2).
  out.push(...(await introScanRows(await loadCtEcdh(), S.verifyEvent, await idbPlatform(), SCAN_ROUNDS, N_SCAN)));
  out.push(...(await ctEcdhRows(W.ecdh, SCAN_ROUNDS, N_SCAN)));
  return out;
}
