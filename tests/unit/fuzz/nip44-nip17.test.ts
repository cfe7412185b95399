/**
 * Fuzzing NIP-44 decryption (crypto/nip44.ts) and NIP-17/NIP-59 unwrapping (crypto/nip17.ts).
 *
 * nip44Decrypt: mutated valid payloads (base64 characters, bits of the decoded payload: version,
 * nonce, ciphertext, MAC; length changes) and random text; only DECRYPT_FAILED / TOO_LARGE escape
 * and only the unmodified bytes decrypt.
 * unwrapGiftWrap: mutated wraps (every field, and the content) through a Signer whose nip44Decrypt
 * caches conversation keys (the NIP-07/NIP-46 path; a new peer key still runs ECDH); then, with fewer
 * runs because each needs fresh Schnorr signatures, mutated seals inside a correctly signed wrap and
 * mutated rumors inside a correctly signed seal, opened with the secret key. Only the documented
 * codes escape, and what opens is the original rumor from its real sender.
 * parseNip17Rumor: any rumor-shaped input gives a typed message or INVALID_EVENT / TOO_LARGE.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { finalizeEvent } from 'nostr-tools/pure';
import { getConversationKey, nip44Decrypt, nip44Encrypt } from '../../../src/lib/crypto/nip44';
import { parseNip17Rumor, unwrapGiftWrap, wrapNip17Message, type Nip17Wrapped } from '../../../src/lib/crypto/nip17';
import { LocalSigner } from '../../../src/lib/crypto/signer';
import { generateSecretKey, getXOnlyPublicKey } from '../../../src/lib/crypto/keys';
import { base64Decode, base64Encode, bytesToHex, randomBytes } from '../../../src/lib/shared/bytes';
import type { VeilErrorCode } from '../../../src/lib/shared/errors';
import type { UnsignedNostrEvent } from '../../../src/lib/crypto/nostr-event';
import { FUZZ_RUNS, edits, flipBit, jsonValue, mutateBytes, mutateString, mutatedObject, outcome, outcomeAsync, replaceChar, timed } from '../../helpers/fuzz';

const TIMEOUT = 300_000;
const SEAL_RUNS = 300;
const RUMOR_RUNS = 100;
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const FIELDS = ['id', 'pubkey', 'created_at', 'kind', 'tags', 'content', 'sig'];
const NOW = 1_767_225_600;
const UNWRAP_CODES: VeilErrorCode[] = ['INVALID_EVENT', 'INVALID_SIGNATURE', 'DECRYPT_FAILED', 'TOO_LARGE'];

const pk = (sk: Uint8Array) => bytesToHex(getXOnlyPublicKey(sk));
const aliceSk = generateSecretKey();
const bobSk = generateSecretKey();
const alice = pk(aliceSk);
const bob = pk(bobSk);

/** Bob as a signer whose NIP-44 decryption caches the conversation key per peer. */
class CachingSigner extends LocalSigner {
  readonly #keys = new Map<string, Uint8Array>();
  override async nip44Decrypt(peer: string, ciphertext: string): Promise<string> {
    let ck = this.#keys.get(peer);
    if (!ck) this.#keys.set(peer, (ck = getConversationKey(bobSk, peer)));
    return nip44Decrypt(ciphertext, ck);
  }
}
const bobSigner = new CachingSigner(bobSk);

describe('NIP-44 decrypt fuzz', () => {
  const ck = getConversationKey(aliceSk, bob);
  const otherCk = randomBytes(32);
  const plaintexts = ['a', 'hello ☃', 'x'.repeat(300), '\u0000'.repeat(33)];
  const payloads = plaintexts.map((p) => nip44Encrypt(p, ck));
  const raws = payloads.map(base64Decode);
  const payload = fc.oneof(
    { weight: 3, arbitrary: fc.tuple(fc.nat(3), fc.nat(), fc.nat()).map(([i, p, v]) => ({ i, s: replaceChar(payloads[i]!, p, v, B64) })) },
    { weight: 3, arbitrary: fc.tuple(fc.nat(3), fc.nat()).map(([i, bit]) => ({ i, s: base64Encode(flipBit(raws[i]!, bit % 8 === 0 ? bit % 8 : bit)) })) },
    { weight: 3, arbitrary: fc.tuple(fc.nat(3), edits(3)).map(([i, es]) => ({ i, s: base64Encode(mutateBytes(raws[i]!, es)) })) },
    { weight: 2, arbitrary: fc.tuple(fc.nat(3), edits(3)).map(([i, es]) => ({ i, s: mutateString(payloads[i]!, es, B64 + '#=-_ ') })) },
    { weight: 1, arbitrary: fc.string({ maxLength: 200 }).map((s) => ({ i: -1, s })) },
    { weight: 1, arbitrary: fc.uint8Array({ minLength: 99, maxLength: 200 }).map((b) => ({ i: -1, s: base64Encode(Uint8Array.of(2, ...b)) })) }
  );

  it(
    `nip44Decrypt (${FUZZ_RUNS} runs): DECRYPT_FAILED / TOO_LARGE only; only the unmodified bytes decrypt, and only under the right key`,
    () => {
      timed('nip44Decrypt', () =>
        fc.assert(
          fc.property(payload, fc.nat(7), fc.nat(400), ({ i, s }, which, max) => {
            const key = which === 0 ? otherCk : ck;
            const maxPayloadChars = which === 1 ? max : undefined;
            const r = outcome(() => nip44Decrypt(s, key, { maxPayloadChars }), ['DECRYPT_FAILED', 'TOO_LARGE']);
            if (!r.ok) return r.code !== 'TOO_LARGE' || s.length > (maxPayloadChars ?? Infinity);
            return key === ck && i >= 0 && r.value === plaintexts[i] && Buffer.from(s, 'base64').equals(Buffer.from(payloads[i]!, 'base64'));
          }),
          { numRuns: FUZZ_RUNS }
        )
      );
    },
    TIMEOUT
  );
});

const aliceSigner = new LocalSigner(aliceSk);
const sent: Nip17Wrapped[] = [];
for (const text of ['hi', 'a longer message ☃'.repeat(20)]) {
  sent.push(await wrapNip17Message({ rumor: { kind: 14, created_at: NOW, tags: [['p', bob]], content: text }, recipients: [bob], signer: aliceSigner, nowSeconds: NOW, selfCopy: false }));
}

describe('NIP-17 unwrap fuzz', () => {
  const wraps = sent.map((s) => JSON.parse(JSON.stringify(s.copies[0]!.wrap)) as Record<string, unknown>);
  const wrapBytes = wraps.map((w) => base64Decode(w.content as string));

  /** The rumor that opened must be the one sent, from Alice. */
  const isOriginal = (u: { rumor: UnsignedNostrEvent; sender: string }) => u.sender === alice && sent.some((s) => s.rumor.id === u.rumor.id && s.rumor.content === u.rumor.content);

  it(
    `unwrapGiftWrap on mutated wraps (${FUZZ_RUNS} runs, caching signer): documented codes only; opens only the original rumor`,
    async () => {
      const wrapContent = fc.tuple(fc.nat(1), fc.nat(2), fc.nat(), fc.nat(), edits(2)).map(([i, k, p, v, es]) => {
        const w = { ...wraps[i]! };
        const c = w.content as string;
        w.content = k === 0 ? replaceChar(c, p, v, B64) : k === 1 ? base64Encode(mutateBytes(wrapBytes[i]!, es)) : mutateString(c, es);
        return w;
      });
      const wrap = fc.oneof(
        { weight: 5, arbitrary: fc.nat(1).chain((i) => mutatedObject(wraps[i]!, FIELDS, false)) },
        { weight: 2, arbitrary: wrapContent },
        { weight: 1, arbitrary: jsonValue }
      );
      await timed('unwrapGiftWrap (wraps)', () =>
        fc.assert(
          fc.asyncProperty(wrap, async (w) => {
            const r = await outcomeAsync(() => unwrapGiftWrap(w, bobSigner), UNWRAP_CODES);
            return !r.ok || isOriginal(r.value);
          }),
          { numRuns: FUZZ_RUNS }
        )
      );
    },
    TIMEOUT
  );

  // A fixed wrapper key: its conversation key with Bob is computed once; each case still signs a new wrap.
  const eph = generateSecretKey();
  const ephCk = getConversationKey(eph, bob);
  const wrapAround = (content: string) => finalizeEvent({ kind: 1059, created_at: NOW - 5, tags: [['p', bob]], content: nip44Encrypt(content, ephCk) }, eph);

  it(
    `unwrapGiftWrap on mutated seals in signed wraps (${SEAL_RUNS} runs): documented codes only; opens only the original rumor`,
    async () => {
      const seals = sent.map((s) => JSON.parse(JSON.stringify(s.copies[0]!.seal)) as Record<string, unknown>);
      const sealText = fc.oneof(
        fc.nat(1).chain((i) => mutatedObject(seals[i]!, FIELDS)).map((o) => {
          try {
            return JSON.stringify(o) ?? 'null';
          } catch {
            return '{}'; // a BigInt field
          }
        }),
        fc.tuple(fc.nat(1), edits(3)).map(([i, es]) => mutateString(JSON.stringify(seals[i]), es, '{}[]",:0123456789abcdef \\')),
        fc.tuple(fc.nat(1), fc.nat(), fc.nat()).map(([i, p, v]) => JSON.stringify({ ...seals[i], content: replaceChar(seals[i]!.content as string, p, v, B64) })),
        fc.constantFrom('', ' ', 'null', '[]', '{"kind":13}', JSON.stringify({ ...seals[0], tags: [['p', bob]] }))
      );
      await timed('unwrapGiftWrap (seals)', () =>
        fc.assert(
          fc.asyncProperty(sealText.filter((t) => t.length > 0), async (t) => {
            const r = await outcomeAsync(() => unwrapGiftWrap(wrapAround(t), bobSigner), UNWRAP_CODES);
            return !r.ok || isOriginal(r.value);
          }),
          { numRuns: SEAL_RUNS }
        )
      );
    },
    TIMEOUT
  );

  it(
    `unwrapGiftWrap on mutated rumors in signed seals (${RUMOR_RUNS} runs, secret-key path): documented codes only; a changed rumor never opens as Alice's`,
    async () => {
      const rumor = sent[0]!.rumor as unknown as Record<string, unknown>;
      const aliceBobCk = getConversationKey(aliceSk, bob);
      const rumorText = fc.oneof(
        mutatedObject(rumor, FIELDS.filter((f) => f !== 'sig')).map((o) => {
          try {
            return JSON.stringify(o) ?? 'null';
          } catch {
            return '{}';
          }
        }),
        fc.tuple(edits(3)).map(([es]) => mutateString(JSON.stringify(rumor), es, '{}[]",:0123456789abcdef \\')),
        fc.constant(JSON.stringify({ ...rumor, pubkey: bob }))
      );
      await timed('unwrapGiftWrap (rumors)', () =>
        fc.assert(
          fc.asyncProperty(rumorText.filter((t) => t.length > 0), async (t) => {
            const seal = finalizeEvent({ kind: 13, created_at: NOW - 9, tags: [], content: nip44Encrypt(t, aliceBobCk) }, aliceSk);
            const r = await outcomeAsync(() => unwrapGiftWrap(wrapAround(JSON.stringify(seal)), bobSk), UNWRAP_CODES);
            return !r.ok || (isOriginal(r.value) && r.value.rumor.pubkey === alice);
          }),
          { numRuns: RUMOR_RUNS }
        )
      );
    },
    TIMEOUT
  );

  it('the unmutated wraps open on both paths (the fuzz bases are valid)', async () => {
    for (const w of wraps) {
      expect(isOriginal(await unwrapGiftWrap(w, bobSk))).toBe(true);
      expect(isOriginal(await unwrapGiftWrap(w, bobSigner))).toBe(true);
    }
  });

  it(
    `parseNip17Rumor (${FUZZ_RUNS} runs): INVALID_EVENT / TOO_LARGE, or a message consistent with its kind`,
    () => {
      const pool = (n: number) => Array.from({ length: 8 }, () => bytesToHex(randomBytes(n)));
      const hex = (n: number) => fc.constantFrom(...pool(n));
      const value = fc.oneof(
        hex(32),
        hex(12),
        hex(16),
        fc.constantFrom('', 'reply', 'root', 'aes-gcm', 'AES-GCM', 'chacha', 'image/png', 'https://f.example/x', 'http://f.example/x', 'https://u:p@f.example/', 'javascript:alert(1)', '12', '1x1', 'x'.repeat(300), bob, alice),
        fc.string({ maxLength: 12 })
      );
      const names = fc.constantFrom('p', 'e', 'subject', 'file-type', 'encryption-algorithm', 'decryption-key', 'decryption-nonce', 'x', 'ox', 'size', 'dim', 'blurhash', 'thumb', 'fallback', 'k', 'q');
      const tag = fc.tuple(names, fc.array(value, { maxLength: 3 })).map(([n, v]) => [n, ...v]);
      const content = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('https://files.example/a.bin', ' https://files.example/b ', '+', '', 'x'.repeat(100_001)));
      // parseNip17Rumor reads rumors whose id unwrapGiftWrap already checked; it does not hash them again, so no id is computed here.
      const unhashed = (t: { kind: number; created_at: number; tags: string[][]; content: string }): UnsignedNostrEvent => ({ id: '00'.repeat(32), pubkey: alice, ...t });
      const rumorArb = fc.record({ kind: fc.constantFrom(14, 15, 7, 1, 16, 1059), tags: fc.array(tag, { maxLength: 8 }), content, created_at: fc.nat() }).map(unhashed);
      const fileRumor = fc.tuple(fc.array(tag, { maxLength: 4 }), hex(32), hex(12)).map(([extra, key, nonce]) =>
        unhashed({ kind: 15, created_at: NOW, content: 'https://files.example/f', tags: [['p', bob], ['decryption-key', key], ['decryption-nonce', nonce], ...extra] })
      );
      timed('parseNip17Rumor', () =>
        fc.assert(
          fc.property(fc.oneof(rumorArb, fileRumor), (rumor) => {
            const r = outcome(() => parseNip17Rumor(rumor), ['INVALID_EVENT', 'TOO_LARGE']);
            if (!r.ok) return true;
            const m = r.value;
            if (!m.participants.includes(rumor.pubkey) || [...m.participants].sort().join() !== m.participants.join() || new Set(m.participants).size !== m.participants.length) return false;
            if (m.payload.type === 'text') return rumor.kind === 14 && m.payload.text === rumor.content;
            if (m.payload.type === 'reaction') return rumor.kind === 7 && /^[0-9a-f]{64}$/.test(m.payload.targetId);
            const f = m.payload.file;
            return rumor.kind === 15 && f.url.startsWith('https://') && /^[0-9a-f]{64}$/.test(f.keyHex) && /^([0-9a-f]{24}|[0-9a-f]{32})$/.test(f.nonceHex) && f.fallbacks.every((u) => u.startsWith('https://'));
          }),
          { numRuns: FUZZ_RUNS }
        )
      );
    },
    TIMEOUT
  );
});
