/**
 * Wycheproof secp256k1 ECDH (496 cases, JWK points) through keys.ts `parsePublicKey` + `ecdh`.
 * Valid: the shared secret is the published one (and the same through the x-only form, which is
 * how Veil holds keys). Invalid (invalid-curve attacks, wrong curve, modified points): rejected
 * with INVALID_KEY before any scalar multiplication. The set has no "acceptable" cases; the test
 * asserts that, so a future file with some would fail here and need a decision.
 */
import { describe, expect, it } from 'vitest';
import { ecdh, parsePublicKey } from '../../../src/lib/crypto/keys';
import { bytesToHex, concatBytes } from '../../../src/lib/shared/bytes';
import { VeilError, isVeilError } from '../../../src/lib/shared/errors';
import { loadVectors } from '../../helpers/vectors';

interface Jwk { kty: string; crv: string; x: string; y: string; d?: string }
interface Case { tcId: number; comment: string; flags: string[]; public: Jwk; private: Jwk; shared: string; result: 'valid' | 'invalid' | 'acceptable' }

const data = loadVectors<{ testGroups: { tests: Case[] }[] }>('wycheproof-ecdh-secp256k1-jwk.json');
const cases = data.testGroups.flatMap((g) => g.tests);

function b64url(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'base64url'));
}

/** JWK → SEC1 uncompressed bytes. Does not look at `crv`: the point bytes alone must decide. */
function jwkToSec1(j: Jwk): Uint8Array {
  return concatBytes(Uint8Array.of(4), b64url(j.x), b64url(j.y));
}

/**
 * A JWK reader as Veil would need one: kty EC and crv P-256K, else INVALID_KEY. Only tcId 490
 * depends on this check: its JWK is labelled P-256 but its bytes are a valid secp256k1 point, so
 * no byte-level parser can reject it (Veil never reads JWKs; its keys are bare secp256k1 bytes).
 */
function parseJwkPublic(j: Jwk): Uint8Array {
  if (j.kty !== 'EC' || j.crv !== 'P-256K') throw new VeilError('INVALID_KEY', 'not a secp256k1 JWK');
  const pub = jwkToSec1(j);
  parsePublicKey(pub);
  return pub;
}

describe('Wycheproof ECDH secp256k1 (JWK)', () => {
  it('has 496 cases, no acceptable ones', () => {
    expect(cases.length).toBe(496);
    expect(cases.filter((c) => c.result === 'acceptable').length).toBe(0);
    expect(cases.filter((c) => c.result === 'invalid').length).toBe(23);
  });

  for (const c of cases) {
    it(`tcId ${c.tcId} ${c.result} ${c.flags.join(',')}`, () => {
      const sk = b64url(c.private.d!);
      expect(sk.length).toBe(32);
      const pub = jwkToSec1(c.public);
      if (c.result === 'valid') {
        parsePublicKey(pub);
        expect(bytesToHex(ecdh(sk, pub))).toBe(c.shared);
        // Same secret through the x-only key (y is lifted to even; x(sk·P) = x(sk·−P)).
        expect(bytesToHex(ecdh(sk, b64url(c.public.x)))).toBe(c.shared);
      } else {
        let err: unknown = null;
        try {
          parseJwkPublic(c.public);
        } catch (e) {
          err = e;
        }
        expect(isVeilError(err, 'INVALID_KEY')).toBe(true);
        if (c.tcId !== 490) {
          // Every other invalid case is rejected on its bytes alone, before any multiplication.
          expect(() => parsePublicKey(pub)).toThrow(VeilError);
          expect(() => ecdh(sk, pub)).toThrow(VeilError);
        }
      }
    });
  }
});
