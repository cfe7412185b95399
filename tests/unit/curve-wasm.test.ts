/**
 * The curve behind every seal and open (src/lib/crypto/curve.ts, issue 12 item 4): the JavaScript
 * curve and the WebAssembly one (tiny-secp256k1's libsecp256k1 for keys and signatures, veil-ecdh.wasm
 * for ECDH) must give the same bytes. Checked against the BIP-340 test vectors (tests/vectors/
 * bip340-test-vectors.csv, rows 0–14), against @noble/curves on random keys, messages and aux
 * randomness (fast-check), on invalid secrets, and on the published envelope-v3 vectors: every valid
 * envelope sealed on wasm is the published event byte for byte, and every vector opens or fails
 * identically with the wasm ECDH and BIP-340 check. Last, what sync/scan.ts hands the Messenger.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import fc from 'fast-check';
import { schnorr } from '@noble/curves/secp256k1.js';
import { beforeAll, describe, expect, it } from 'vitest';
import type { NostrEvent } from 'nostr-tools/pure';
import { jsCurve, wasmCurve, type Curve } from '../../src/lib/crypto/curve';
import { createWasmEcdh, type WasmSecp256k1 } from '../../src/lib/crypto/ecdh-wasm';
import { createCtWasmEcdh } from '../../src/lib/crypto/ecdh-ct-wasm';
import { envelopeKey, openEnvelope, sealEnvelope, sealEnvelopeDeterministic, type SealPayload } from '../../src/lib/crypto/envelope';
import { pairTagKey } from '../../src/lib/crypto/bucket';
import { derivePairKey, epochDay } from '../../src/lib/crypto/mailbox';
import { getXOnlyPublicKey } from '../../src/lib/crypto/keys';
import { bytesToHex, hexToBytes } from '../../src/lib/shared/bytes';
import { isVeilError } from '../../src/lib/shared/errors';
import { loadScanCrypto } from '../../src/lib/sync/scan';
import { checkedOwnVectors, loadVectorText, vectorPath } from '../helpers/vectors';
import { caught, settled } from '../helpers/error-code';

const TINY = resolve(process.cwd(), 'node_modules/tiny-secp256k1/lib/secp256k1.wasm');
const CT = resolve(process.cwd(), 'src/lib/crypto/wasm/veil-ecdh.wasm');
const tinyBytes = (): Uint8Array => new Uint8Array(readFileSync(TINY));
const ctBytes = (): Uint8Array<ArrayBuffer> => new Uint8Array(readFileSync(CT));

let W: WasmSecp256k1;
let wasm: Curve;
let wasmSplit: Curve;
beforeAll(async () => {
  W = await createWasmEcdh(tinyBytes());
  const C = await createCtWasmEcdh(ctBytes());
  wasm = wasmCurve(W, C.ecdh);
  wasmSplit = wasmCurve(W);
});

interface Bip340Row { index: number; sk: string; pk: string; aux: string; msg: string; sig: string; ok: boolean; comment: string }
const BIP340: Bip340Row[] = loadVectorText('bip340-test-vectors.csv')
  .split(/\r?\n/)
  .slice(1)
  .filter((l) => l.length > 0)
  .map((l) => {
    const [index, sk, pk, aux, msg, sig, ok, ...comment] = l.split(',');
    return { index: Number(index), sk: sk!, pk: pk!, aux: aux!, msg: msg!, sig: sig!, ok: ok === 'TRUE', comment: comment.join(',') };
  });

describe('BIP-340 test vectors (bitcoin/bips bip-0340/test-vectors.csv)', () => {
  it('has rows 0–14: 4 signing cases, 5 valid and 10 invalid signatures', () => {
    expect(BIP340.map((r) => r.index)).toEqual([...Array(15).keys()]);
    expect(BIP340.filter((r) => r.sk !== '').length).toBe(4);
    expect(BIP340.filter((r) => r.ok).length).toBe(5);
    expect(BIP340.filter((r) => !r.ok).length).toBe(10);
  });

  it('both curves sign rows 0–3 to the listed signature and derive the listed x-only key', () => {
    for (const c of [jsCurve, wasm]) {
      for (const r of BIP340.filter((x) => x.sk !== '')) {
        const sk = hexToBytes(r.sk.toLowerCase());
        expect(bytesToHex(c.xOnlyPublicKey(sk)), `${c.backend} row ${r.index}`).toBe(r.pk.toLowerCase());
        expect(bytesToHex(c.signSchnorr(hexToBytes(r.msg.toLowerCase()), sk, hexToBytes(r.aux.toLowerCase()))), `${c.backend} row ${r.index}`).toBe(r.sig.toLowerCase());
      }
    }
  });

  it('both curves give every row its listed verification result, without throwing', () => {
    for (const c of [jsCurve, wasm]) {
      for (const r of BIP340) {
        const got = c.verifySchnorr(hexToBytes(r.sig.toLowerCase()), hexToBytes(r.msg.toLowerCase()), hexToBytes(r.pk.toLowerCase()));
        expect(got, `${c.backend} row ${r.index} ${r.comment}`).toBe(r.ok);
      }
    }
  });
});

describe('wasm curve equal to the JavaScript curve', () => {
  const key = fc.uint8Array({ minLength: 32, maxLength: 32 }).filter((b) => b.some((x) => x !== 0) && b[0]! < 0xff);
  const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });

  it('x-only keys, signatures and verification for random keys, messages and aux (300 runs)', () => {
    fc.assert(
      fc.property(key, bytes32, bytes32, (sk, msg, aux) => {
        const pub = jsCurve.xOnlyPublicKey(sk);
        expect(bytesToHex(wasm.xOnlyPublicKey(sk))).toBe(bytesToHex(pub));
        const sig = wasm.signSchnorr(msg, sk, aux);
        expect(bytesToHex(sig)).toBe(bytesToHex(schnorr.sign(msg, sk, aux)));
        expect(jsCurve.verifySchnorr(sig, msg, pub)).toBe(true);
        const bad = sig.slice();
        bad[63] = bad[63]! ^ 1;
        expect(wasm.verifySchnorr(bad, msg, pub)).toBe(false);
      }),
      { numRuns: 300 }
    );
  });

  it('ECDH of both wasm modules equals keys.ts for random pairs (200 runs)', () => {
    fc.assert(
      fc.property(key, key, (a, b) => {
        const pb = getXOnlyPublicKey(b);
        const want = bytesToHex(jsCurve.ecdh(a, pb));
        expect(bytesToHex(wasm.ecdh(a, pb))).toBe(want);
        expect(bytesToHex(wasmSplit.ecdh(a, pb))).toBe(want);
      }),
      { numRuns: 200 }
    );
  });

  it('refuses zero, n and oversized secrets, wrong lengths, as the JavaScript curve does', () => {
    const n = hexToBytes('fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141');
    const bad = [new Uint8Array(32), n, new Uint8Array(32).fill(0xff), new Uint8Array(31).fill(1)];
    const msg = new Uint8Array(32);
    for (const sk of bad) {
      for (const c of [jsCurve, wasm]) {
        expect(isVeilError(caught(() => c.xOnlyPublicKey(sk))), `${c.backend} key`).toBe(true);
        expect(caught(() => c.signSchnorr(msg, sk, msg)), `${c.backend} sign`).not.toBeNull();
      }
    }
    const sk = new Uint8Array(32).fill(7);
    for (const c of [jsCurve, wasm]) {
      expect(caught(() => c.signSchnorr(new Uint8Array(31), sk, msg)), `${c.backend} short message`).not.toBeNull();
      expect(caught(() => c.signSchnorr(msg, sk, new Uint8Array(16))), `${c.backend} short aux`).not.toBeNull();
    }
    expect(W.degraded()).toBe(false);
  });
});

interface ValidVec {
  name: string;
  recipient: string;
  recipient_ek: string;
  recipient_identity: string;
  bucket: string;
  now: number;
  pair_tag: { from: string; to: string } | null;
  randomness: { ephemeral_secret: string; session_key: string; nonce: string | null; created_at_offset: number; signature_aux: string };
  payload: { type: 'event'; event: NostrEvent } | { type: 'cover'; bytes: string };
  outer: NostrEvent;
}
interface V3 { keys: Record<string, { identity: string; ek_secret: string; ek: string }>; valid: ValidVec[]; invalid: { name: string; recipient: string; recipient_identity?: string; outer: unknown }[] }
const V = checkedOwnVectors<V3>('envelope-v3.json', readFileSync(vectorPath('envelope-v3.json')));
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

describe('envelope-v3 vectors on the wasm curve', () => {
  it('every valid vector sealed on wasm is the published event, byte for byte', async () => {
    expect(V.valid.length).toBeGreaterThanOrEqual(6);
    for (const v of V.valid) {
      const r = v.randomness;
      let tagKey: Uint8Array | undefined;
      if (v.pair_tag) {
        const from = V.keys[v.pair_tag.from]!;
        const to = V.keys[v.pair_tag.to]!;
        tagKey = pairTagKey(derivePairKey(hexToBytes(from.ek_secret), hexToBytes(to.ek)), hexToBytes(from.ek), hexToBytes(to.ek), epochDay(v.now));
      }
      const payload: SealPayload = v.payload.type === 'event' ? { type: 'event', event: clone(v.payload.event) } : { type: 'cover', bytes: hexToBytes(v.payload.bytes) };
      const { event } = await sealEnvelopeDeterministic(
        { recipientEk: hexToBytes(v.recipient_ek), mailbox: v.bucket, payload, nowSeconds: v.now, ...(tagKey ? { pairTagKey: tagKey } : {}) },
        {
          ephemeralSecret: hexToBytes(r.ephemeral_secret),
          sessionKey: hexToBytes(r.session_key),
          nonce: r.nonce === null ? new Uint8Array(12).fill(0xee) : hexToBytes(r.nonce),
          createdAtOffset: r.created_at_offset,
          signatureAux: hexToBytes(r.signature_aux)
        },
        wasm
      );
      expect(JSON.stringify(event), v.name).toBe(JSON.stringify(v.outer));
    }
  });

  it('every valid and invalid vector opens or fails the same with the wasm ECDH and BIP-340 check', async () => {
    let opened = 0;
    for (const v of [...V.valid, ...V.invalid]) {
      const k = V.keys[v.recipient]!;
      const ek = envelopeKey(hexToBytes(k.ek_secret));
      const who = v.recipient_identity ?? k.identity;
      const a = await settled(openEnvelope(clone(v.outer), ek, who));
      const b = await settled(openEnvelope(clone(v.outer), ek, who, { ecdh: wasm.ecdh, schnorr: wasm.verifySchnorr }));
      expect(b, v.name).toBe(a);
      if (!a.startsWith('error')) opened++;
    }
    expect(opened).toBe(V.valid.length);
  });

  it('a fresh seal on wasm opens on JavaScript and the other way round', async () => {
    const k = V.keys[V.valid[0]!.recipient]!;
    const ek = envelopeKey(hexToBytes(k.ek_secret));
    const v = V.valid.find((x) => x.payload.type === 'event')!;
    const input = { recipientEk: ek.publicKey, mailbox: v.bucket, payload: { type: 'event', event: clone((v.payload as { event: NostrEvent }).event) } as SealPayload };
    const who = v.recipient_identity;
    const onWasm = await sealEnvelope(input, wasm);
    const onJs = await sealEnvelope(input);
    expect((await openEnvelope(onWasm, ek, who)).type).toBe('message');
    expect((await openEnvelope(onJs, ek, who, { ecdh: wasm.ecdh, schnorr: wasm.verifySchnorr })).type).toBe('message');
    const forged = { ...onWasm, sig: onWasm.sig.slice(0, 127) + (onWasm.sig.endsWith('0') ? '1' : '0') };
    expect(await settled(openEnvelope(forged, ek, who, { ecdh: wasm.ecdh, schnorr: wasm.verifySchnorr }))).toMatch(/^error ENVELOPE_OPEN_FAILED /);
  });
});

describe('sync/scan.ts hands out the curve of the modules it loaded', () => {
  it('wasm with both modules, JavaScript ECDH never mixed in; JavaScript without a loader', async () => {
    const both = await loadScanCrypto(async () => tinyBytes(), async () => ctBytes());
    expect(both.curve.backend).toBe('wasm');
    expect(both.curve.ecdh).toBe(both.ecdh);
    expect(both.curve.verifySchnorr).toBe(both.schnorr);
    const none = await loadScanCrypto();
    expect(none.curve).toBe(jsCurve);
    // Only the constant-time ECDH loaded: keys and signatures stay on JavaScript, the ECDH is the module's.
    const ctOnly = await loadScanCrypto(() => Promise.reject(new TypeError('offline')), async () => ctBytes());
    expect(ctOnly.curve.backend).toBe('js');
    expect(ctOnly.curve.ecdh).toBe(ctOnly.ecdh);
    expect(ctOnly.ecdhBackend).toBe('wasm-ct');
  });
});
