/**
 * Property tests of the envelope (docs/proposals/0001-envelope.md): round trip of any text, every
 * bit flip rejected, any other EK rejected, no reuse of ephemeral key / session key / nonce.
 * Keys are precomputed; each property runs 1000 times.
 */
import { describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { schnorr } from '@noble/curves/secp256k1.js';
import { finalizeEvent, getEventHash, getPublicKey, type NostrEvent } from 'nostr-tools/pure';
import { base64Decode, base64Encode, bytesToHex, hexToBytes, utf8Encode } from '../../src/lib/shared/bytes';
import { isVeilError } from '../../src/lib/shared/errors';
import {
  chatMessageTemplate,
  CONTENT_LENGTHS,
  envelopeKey,
  openEnvelope,
  sealEnvelope,
  sealEnvelopeDeterministic
} from '../../src/lib/crypto/envelope';
import { generateSecretKey, isValidSecretKey } from '../../src/lib/crypto/keys';
import { MAX_PAYLOAD_BYTES } from '../../src/lib/crypto/padding';

// Pass-through spy: records the (key, nonce) of every AES-GCM encryption so the reuse property can
// see the session keys, which never leave sealEnvelope otherwise.
const encryptCalls: { key: string; nonce: string }[] = [];
vi.mock('../../src/lib/crypto/aes', async () => {
  const actual = await vi.importActual<typeof import('../../src/lib/crypto/aes')>('../../src/lib/crypto/aes');
  return {
    ...actual,
    aesGcmEncrypt: async (key: Uint8Array, nonce: Uint8Array, pt: Uint8Array, aad?: Uint8Array) => {
      encryptCalls.push({ key: bytesToHex(key), nonce: bytesToHex(nonce) });
      return actual.aesGcmEncrypt(key, nonce, pt, aad);
    }
  };
});

const RUNS = 1000;
const TIMEOUT = 600_000;
const aliceId = generateSecretKey();
const bobId = generateSecretKey();
const bobIdentity = getPublicKey(bobId);
const ekBob = envelopeKey(generateSecretKey());
const MAILBOX = bytesToHex(schnorr.getPublicKey(generateSecretKey()));
const NOW = 1_767_225_600;

async function rejects(p: Promise<unknown>): Promise<boolean> {
  return p.then(
    () => false,
    (e: unknown) => isVeilError(e, 'ENVELOPE_OPEN_FAILED')
  );
}

function message(text: string): NostrEvent {
  return finalizeEvent(chatMessageTemplate({ text, recipients: [bobIdentity], createdAt: NOW }), aliceId);
}

describe('envelope properties', () => {
  it(
    'round trip: any unicode text up to the largest class opens to the same inner event',
    async () => {
      const text = fc.oneof(
        fc.string({ unit: 'binary', maxLength: 1500 }),
        fc.string({ unit: 'grapheme', maxLength: 600 }),
        fc.string({ unit: 'binary-ascii', minLength: 4000, maxLength: 5800 })
      );
      await fc.assert(
        fc.asyncProperty(text, async (t) => {
          const inner = message(t);
          const size = utf8Encode(JSON.stringify(inner)).length;
          if (size > MAX_PAYLOAD_BYTES) {
            const err = await sealEnvelope({ recipientEk: ekBob.publicKey, mailbox: MAILBOX, payload: { type: 'event', event: inner } }).catch((e: unknown) => e);
            return isVeilError(err, 'TOO_LARGE');
          }
          const outer = await sealEnvelope({ recipientEk: ekBob.publicKey, mailbox: MAILBOX, payload: { type: 'event', event: inner } });
          if (!CONTENT_LENGTHS.includes(outer.content.length)) return false;
          const opened = await openEnvelope(outer, ekBob, bobIdentity);
          return opened.type === 'message' && opened.event.content === t && opened.event.id === inner.id;
        }),
        { numRuns: RUNS }
      );
    },
    TIMEOUT
  );

  it(
    'every single-bit flip of the content is rejected, even when the outer event is re-signed',
    async () => {
      const e = generateSecretKey();
      const { event } = await sealEnvelopeDeterministic(
        { recipientEk: ekBob.publicKey, mailbox: MAILBOX, payload: { type: 'event', event: message('flip me') }, nowSeconds: NOW },
        { ephemeralSecret: e, sessionKey: generateSecretKey(), nonce: generateSecretKey().slice(0, 12), createdAtOffset: 77, signatureAux: new Uint8Array(32) }
      );
      expect((await openEnvelope(event, ekBob, bobIdentity)).type).toBe('message');
      const bin = base64Decode(event.content);
      await fc.assert(
        fc.asyncProperty(fc.nat({ max: bin.length * 8 - 1 }), fc.boolean(), async (bit, resign) => {
          const b = bin.slice();
          b[bit >> 3]! ^= 1 << (bit & 7);
          const body = { kind: event.kind, created_at: event.created_at, tags: event.tags, content: base64Encode(b), pubkey: event.pubkey };
          const id = getEventHash(body);
          const sig = resign ? bytesToHex(schnorr.sign(hexToBytes(id), e, new Uint8Array(32))) : event.sig;
          return rejects(openEnvelope({ id: resign ? id : event.id, ...body, sig }, ekBob, bobIdentity));
        }),
        { numRuns: RUNS }
      );
    },
    TIMEOUT
  );

  it(
    'opening with any other envelope key fails',
    async () => {
      const outer = await sealEnvelope({ recipientEk: ekBob.publicKey, mailbox: MAILBOX, payload: { type: 'event', event: message('for bob only') } });
      const other = fc.uint8Array({ minLength: 32, maxLength: 32 }).filter((k) => isValidSecretKey(k) && bytesToHex(k) !== bytesToHex(ekBob.secret));
      await fc.assert(
        fc.asyncProperty(other, async (sk) => rejects(openEnvelope(outer, envelopeKey(sk), bobIdentity))),
        { numRuns: RUNS }
      );
      expect((await openEnvelope(outer, ekBob, bobIdentity)).type).toBe('message');
    },
    TIMEOUT
  );

  it(
    'two seals of the same message share no ephemeral key, session key or nonce',
    async () => {
      const inner = message('same message');
      const seen = { eph: new Set<string>(), session: new Set<string>(), nonce: new Set<string>() };
      await fc.assert(
        fc.asyncProperty(fc.constant(inner), async (m) => {
          const round = [];
          for (let i = 0; i < 2; i++) {
            encryptCalls.length = 0;
            const outer = await sealEnvelope({ recipientEk: ekBob.publicKey, mailbox: MAILBOX, payload: { type: 'event', event: m } });
            // encrypt #1 wraps the session key under the KEK; encrypt #2 is the body under the session key
            const body = encryptCalls[1]!;
            const nonceInContent = bytesToHex(base64Decode(outer.content).subarray(49, 61));
            if (nonceInContent !== body.nonce) return false;
            round.push({ eph: outer.pubkey, session: body.key, nonce: body.nonce });
          }
          for (const r of round) {
            for (const k of ['eph', 'session', 'nonce'] as const) {
              if (seen[k].has(r[k])) return false;
              seen[k].add(r[k]);
            }
          }
          return true;
        }),
        { numRuns: RUNS }
      );
      expect(seen.eph.size).toBe(2 * RUNS);
      expect(seen.session.size).toBe(2 * RUNS);
      expect(seen.nonce.size).toBe(2 * RUNS);
    },
    TIMEOUT
  );
});
