/** Inner framing (spec 0001 §Inner plaintext) and mailbox derivation helpers (spec 0003). */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isVeilError } from '../../src/lib/shared/errors';
import { generateSecretKey, getXOnlyPublicKey, isValidPublicKey } from '../../src/lib/crypto/keys';
import { MAX_PAYLOAD_BYTES, pad, PADDED_CLASS_SIZES, unpad, ENVELOPE_OVERHEAD } from '../../src/lib/crypto/padding';
import {
  derivePairKey,
  epochDay,
  hashToXOnly,
  introMailbox,
  mailboxCreatedAtWindow,
  mailboxDays,
  normalizeRelayUrl,
  pairMailbox,
  readerMailboxes,
  selfMailbox
} from '../../src/lib/crypto/mailbox';
import { hexToBytes } from '../../src/lib/shared/bytes';

describe('padding', () => {
  it('classes make 1, 2, 4 and 6 KiB envelopes', () => {
    expect(PADDED_CLASS_SIZES.map((p) => p + ENVELOPE_OVERHEAD)).toEqual([1024, 2048, 4096, 6144]);
    expect(MAX_PAYLOAD_BYTES).toBe(6032); // v3: 32 bytes of the class went to the key commitment (spec 0009)
  });
  it('round-trips any payload into the smallest class that fits', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: MAX_PAYLOAD_BYTES }), fc.constantFrom(0 as const, 1 as const), (p, t) => {
        const padded = pad(t, p);
        const smallest = PADDED_CLASS_SIZES.find((s) => p.length + 3 <= s);
        const back = unpad(padded);
        return padded.length === smallest && back.type === t && Buffer.from(back.payload).equals(Buffer.from(p));
      }),
      { numRuns: 300 }
    );
  });
  it('rejects oversize payloads, non-zero padding, bad lengths, unknown types, non-class sizes, non-minimal class', () => {
    expect(() => pad(1, new Uint8Array(MAX_PAYLOAD_BYTES + 1))).toThrow(expect.objectContaining({ code: 'TOO_LARGE' }));
    const good = pad(1, new Uint8Array([1, 2, 3]));
    const bad = (mut: (b: Uint8Array) => Uint8Array) => {
      let e: unknown;
      try {
        unpad(mut(good.slice()));
      } catch (x) {
        e = x;
      }
      return isVeilError(e, 'DECRYPT_FAILED');
    };
    expect(bad((b) => ((b[b.length - 1] = 1), b))).toBe(true);
    expect(bad((b) => ((b[10] = 0x80), b))).toBe(true);
    expect(bad((b) => ((b[1] = 0xff), b))).toBe(true);
    expect(bad((b) => ((b[0] = 2), b))).toBe(true);
    expect(bad((b) => b.subarray(0, b.length - 1))).toBe(true);
    // a 10-byte payload framed in the 2 KiB class instead of the smallest one
    const nonMinimal = new Uint8Array(PADDED_CLASS_SIZES[1]!);
    nonMinimal[0] = 1;
    nonMinimal[2] = 10;
    expect(bad(() => nonMinimal)).toBe(true);
    expect(bad((b) => b)).toBe(false);
  });
});

describe('mailboxes', () => {
  const a = generateSecretKey();
  const b = generateSecretKey();
  const A = getXOnlyPublicKey(a);
  const B = getXOnlyPublicKey(b);
  const R = 'wss://relay.example.com';

  it('normalizes relay URLs and rejects non-websocket ones', () => {
    expect(normalizeRelayUrl('WSS://Relay.Example.com:443/')).toBe(R);
    expect(normalizeRelayUrl('ws://127.0.0.1:7777')).toBe('ws://127.0.0.1:7777');
    expect(normalizeRelayUrl('wss://r.example/path//#frag')).toBe('wss://r.example/path');
    for (const u of ['https://r.example', 'wss://user:pw@r.example', 'not a url', 'wss://' + 'a'.repeat(600)])
      expect(() => normalizeRelayUrl(u)).toThrow(expect.objectContaining({ code: 'RELAY_URL_INVALID' }));
  });

  it('pair mailboxes agree on both ends, are directional, per relay and per day, and valid x-only points', () => {
    const kab = derivePairKey(a, B);
    expect(derivePairKey(b, A)).toEqual(kab);
    const d = epochDay(1_767_225_600);
    const m = pairMailbox(kab, A, B, R, d);
    expect(m).toMatch(/^[0-9a-f]{64}$/);
    expect(isValidPublicKey(hexToBytes(m))).toBe(true);
    const others = [pairMailbox(kab, B, A, R, d), pairMailbox(kab, A, B, 'wss://other.example', d), pairMailbox(kab, A, B, R, d + 1)];
    expect(new Set([m, ...others]).size).toBe(4);
    for (const o of [introMailbox(B, R, d), introMailbox(B, R, d, 4), selfMailbox(b, R, d)]) expect(isValidPublicKey(hexToBytes(o))).toBe(true);
  });

  it('hash-to-x always yields a valid point', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (s) => isValidPublicKey(hashToXOnly(s))), { numRuns: 300 });
  });

  it('intro mailbox depends only on the first k bits of the EK', () => {
    const x = new Uint8Array(32).fill(0xab);
    const y = x.slice();
    y[1] = 0x00; // differs after bit 8
    expect(introMailbox(x, R, 1, 8)).toBe(introMailbox(y, R, 1, 8));
    expect(introMailbox(x, R, 1, 9)).not.toBe(introMailbox(y, R, 1, 9));
    expect(introMailbox(x, R, 1, 0)).toBe(introMailbox(B, R, 1, 0));
    expect(() => introMailbox(x, R, 1, 17)).toThrow();
  });

  it('reader days: yesterday, today, tomorrow; catch-up bounded; created_at window covers the 48 h spread', () => {
    const now = 1_767_225_600 + 3600;
    const d = epochDay(now);
    expect(mailboxDays(now)).toEqual([d - 1, d, d + 1]);
    expect(mailboxDays(now, now - 3 * 86400)).toEqual([d - 4, d - 3, d - 2, d - 1, d, d + 1]);
    expect(mailboxDays(now, 0).length).toBe(33);
    const w = mailboxCreatedAtWindow(d, 0);
    expect(w.since).toBe(d * 86400 - 48 * 3600);
    expect(w.until).toBe(d * 86400 + 86399);
  });

  it('readerMailboxes lists pair (contact → me), intro and self for every relay and day', () => {
    const list = readerMailboxes({ ekSecret: b, contacts: [A], relays: [R, 'wss://two.example/'], nowSeconds: 1_767_225_600 });
    expect(list.length).toBe(2 * 3 * 3);
    const d = epochDay(1_767_225_600);
    expect(list).toContainEqual(expect.objectContaining({ kind: 'pair', relay: R, day: d, mailbox: pairMailbox(derivePairKey(b, A), A, B, R, d) }));
    expect(list).toContainEqual(expect.objectContaining({ kind: 'self', relay: 'wss://two.example', day: d + 1 }));
  });
});
