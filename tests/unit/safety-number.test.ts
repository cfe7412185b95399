/**
 * Safety numbers (docs/proposals/0006-safety-numbers.md): the published vectors (sha256 pinned in
 * tests/vectors/README.md) are reproduced by the module; both sides get the same code; any change of
 * an EK or identity changes it; bad payloads and digit strings are refused with INVALID_INPUT.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../../src/lib/shared/bytes';
import { isVeilError } from '../../src/lib/shared/errors';
import { getXOnlyPublicKey } from '../../src/lib/crypto/keys';
import {
  BAD_CODE_MESSAGE,
  compareVerification,
  decodeVerifyPayload,
  encodeKeySet,
  encodeVerifyPayload,
  formatSafetyNumber,
  keySetId,
  parseSafetyNumberText,
  safetyNumber,
  safetyNumberGroups,
  safetyParty,
  type KeySet
} from '../../src/lib/crypto/safety-number';
import { checkedOwnVectors, vectorPath } from '../helpers/vectors';

interface PartyVec { identity: string; eks: string[]; eks_given: string[]; encoding: string; fingerprint: string; digits: string; key_set_id: string }
interface CodeVec { a: string; b: string; code: string; formatted: string; payload_a_to_b: string; payload_b_to_a: string }
interface VectorFile {
  iterations: number;
  parties: Record<string, PartyVec>;
  codes: CodeVec[];
  invalid_payloads: { name: string; text: string }[];
  invalid_digits: { name: string; text: string }[];
}

const FILE = 'safety-number.json';
const RAW = readFileSync(vectorPath(FILE));
const V = checkedOwnVectors<VectorFile>(FILE, RAW);
const keysOf = (name: string): KeySet => {
  const p = V.parties[name];
  if (!p) throw new Error(`vector party ${name} missing`);
  return { identity: p.identity, eks: p.eks_given };
};
const key = (n: number) => bytesToHex(getXOnlyPublicKey(new Uint8Array(32).fill(n)));

function expectInvalid(f: () => unknown): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(isVeilError(err, 'INVALID_INPUT')).toBe(true);
  expect((err as { user?: string }).user).toBe(BAD_CODE_MESSAGE);
}

describe('safety-number vector file', () => {
  it('has the sha256 recorded in tests/vectors/README.md, and one changed byte is refused', () => {
    for (const at of [0, Math.floor(RAW.length / 2), RAW.length - 2]) {
      const changed = Buffer.from(RAW);
      changed[at] = changed[at]! ^ 0x01;
      expect(() => checkedOwnVectors(FILE, changed)).toThrow(/sha256 mismatch/);
    }
  });

  it('covers 0, 1, 2 and 16 EKs and a list given unsorted with a duplicate', () => {
    const counts = new Set(Object.values(V.parties).map((p) => p.eks.length));
    expect(counts).toEqual(new Set([0, 1, 2, 16]));
    expect(Object.values(V.parties).some((p) => p.eks_given.length > p.eks.length)).toBe(true);
    expect(V.iterations).toBe(5200);
  });

  it('reproduces every party: encoding, fingerprint, digits, key-set id', () => {
    for (const [name, p] of Object.entries(V.parties)) {
      const party = safetyParty(keysOf(name));
      expect(bytesToHex(encodeKeySet(keysOf(name)).encoding), name).toBe(p.encoding);
      expect(party.eks).toEqual(p.eks);
      expect(bytesToHex(party.fingerprint), name).toBe(p.fingerprint);
      expect(party.digits, name).toBe(p.digits);
      expect(keySetId(keysOf(name)), name).toBe(p.key_set_id);
    }
  });

  it('reproduces every code in both orders, its 12 groups and both payloads, and each payload matches on the other side', () => {
    for (const c of V.codes) {
      const a = safetyParty(keysOf(c.a));
      const b = safetyParty(keysOf(c.b));
      expect(safetyNumber(a, b)).toBe(c.code);
      expect(safetyNumber(b, a)).toBe(c.code);
      expect(safetyNumberGroups(c.code)).toHaveLength(12);
      expect(formatSafetyNumber(c.code)).toBe(c.formatted);
      expect(encodeVerifyPayload(a, b)).toBe(c.payload_a_to_b);
      expect(encodeVerifyPayload(b, a)).toBe(c.payload_b_to_a);
      // b scans a's screen: a is the sender, b the receiver.
      expect(compareVerification(c.payload_a_to_b, b, a)).toBe('match');
      expect(compareVerification(c.payload_b_to_a, a, b)).toBe('match');
      expect(compareVerification(c.formatted, a, b)).toBe('match');
      const decoded = decodeVerifyPayload(c.payload_a_to_b);
      expect([decoded.sender, decoded.receiver]).toEqual([a.identity, b.identity]);
    }
  });

  it('refuses every invalid payload and digit string with INVALID_INPUT and the sentence for people', () => {
    const [alice, bob] = [safetyParty(keysOf('alice')), safetyParty(keysOf('bob'))];
    for (const p of V.invalid_payloads) {
      expectInvalid(() => decodeVerifyPayload(p.text));
      // Text starting like a payload is judged as one; other text as digits: refused either way.
      expectInvalid(() => compareVerification(p.text, bob, alice));
    }
    for (const d of V.invalid_digits) {
      expectInvalid(() => parseSafetyNumberText(d.text));
      expectInvalid(() => compareVerification(d.text, bob, alice));
    }
  });
});

describe('safety numbers', () => {
  const me: KeySet = { identity: key(1), eks: [key(2), key(3)] };
  const them: KeySet = { identity: key(4), eks: [key(5)] };
  const code = (a: KeySet, b: KeySet) => safetyNumber(safetyParty(a), safetyParty(b));
  const base = code(me, them);

  it('is 60 digits, the same for both sides and for any order of the EK lists', () => {
    expect(base).toMatch(/^[0-9]{60}$/);
    expect(code(them, me)).toBe(base);
    expect(code({ ...me, eks: [key(3), key(2), key(3)] }, them)).toBe(base);
  });

  it('changes when any EK is added, removed or replaced, on either side, and so does the key-set id', () => {
    const variants: [KeySet, KeySet][] = [
      [{ ...me, eks: [key(2)] }, them],
      [{ ...me, eks: [key(2), key(3), key(6)] }, them],
      [{ ...me, eks: [key(2), key(7)] }, them],
      [me, { ...them, eks: [] }],
      [me, { ...them, eks: [key(8)] }],
      [me, { ...them, eks: [key(5), key(9)] }],
      [me, { identity: key(10), eks: them.eks }]
    ];
    const seen = new Set([base]);
    for (const [a, b] of variants) {
      const c = code(a, b);
      expect(seen.has(c)).toBe(false);
      seen.add(c);
    }
    expect(keySetId({ ...them, eks: [key(8)] })).not.toBe(keySetId(them));
    expect(keySetId({ ...them, eks: [...them.eks].reverse() })).toBe(keySetId(them));
  });

  it('says which part of a scanned payload differs', () => {
    const [pm, pt] = [safetyParty(me), safetyParty(them)];
    const other = safetyParty({ identity: key(11), eks: [key(12)] });
    expect(compareVerification(encodeVerifyPayload(pt, pm), pm, pt)).toBe('match');
    expect(compareVerification(encodeVerifyPayload(other, pm), pm, pt)).toBe('other-person');
    expect(compareVerification(encodeVerifyPayload(pt, other), pm, pt)).toBe('not-for-me');
    // They now use a new device I have not seen: their own fingerprint differs from mine of them.
    const theirNew = safetyParty({ ...them, eks: [key(13)] });
    expect(compareVerification(encodeVerifyPayload(theirNew, pm), pm, pt)).toBe('their-keys-differ');
    // They hold an old record of mine.
    const myOld = safetyParty({ ...me, eks: [key(2)] });
    expect(compareVerification(encodeVerifyPayload(pt, myOld), pm, pt)).toBe('my-keys-differ');
    // Digits read aloud: spaces, dots and dashes between groups do not matter; a wrong digit does.
    expect(compareVerification(formatSafetyNumber(base).replace(/ /g, '-'), pm, pt)).toBe('match');
    expect(compareVerification(base.slice(0, 59) + ((Number(base[59]) + 1) % 10), pm, pt)).toBe('digits-differ');
  });

  it('refuses bad keys, too many EKs and a code for oneself with typed errors', () => {
    const codeOf = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return isVeilError(e) ? e.code : 'not a VeilError';
      }
      return 'no error';
    };
    expect(codeOf(() => safetyParty({ identity: 'zz', eks: [] }))).toBe('INVALID_KEY');
    expect(codeOf(() => safetyParty({ identity: key(1), eks: ['00'.repeat(32)] }))).toBe('INVALID_KEY');
    expect(codeOf(() => safetyParty({ identity: key(1), eks: Array.from({ length: 17 }, (_, i) => key(i + 20)) }))).toBe('TOO_LARGE');
    expect(codeOf(() => safetyNumber(safetyParty(me), safetyParty({ ...me, eks: [] })))).toBe('INVALID_INPUT');
  });
});
