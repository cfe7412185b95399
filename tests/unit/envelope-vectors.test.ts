/**
 * Published vectors of the Veil envelope v1 (docs/proposals/0001-envelope.md §Vectors) and mailboxes
 * (0003). Version 1 is not key-committing and has been refused since v3 (spec 0009): every vector,
 * valid or invalid, must now fail with the one generic error; what v3 kept (key schedule, wrap,
 * mailboxes) still reproduces the published values. The envelopes themselves can no longer be
 * sealed (v3 sealers seal v3 only); the file stays as published.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { NostrEvent } from 'nostr-tools/pure';
import { bytesToHex, hexToBytes } from '../../src/lib/shared/bytes';
import { derivePairKey, introMailbox, pairMailbox, selfMailbox } from '../../src/lib/crypto/mailbox';
import { expectOldKeySchedule, expectRefused } from '../helpers/old-envelopes';
import { vectorPath } from '../helpers/vectors';

interface KeyRec { identity_secret: string; identity: string; ek_secret: string; ek: string }
interface ValidVec {
  name: string;
  recipient: string;
  recipient_ek: string;
  recipient_identity: string;
  mailbox_derivation: { kind: 'pair'; from: string; to: string; relay: string; day: number } | { kind: 'intro'; to: string; relay: string; day: number; k: number } | { kind: 'self'; of: string; relay: string; day: number };
  mailbox: string;
  now: number;
  randomness: { ephemeral_secret: string; session_key: string; nonce: string; created_at_offset: number; signature_aux: string };
  payload: { type: 'event'; event: NostrEvent } | { type: 'cover'; bytes: string };
  intermediate: Record<'ephemeral_public' | 'shared_secret' | 'prk' | 'kek' | 'wrap_nonce' | 'wrapped_key' | 'aad' | 'padded', string>;
  outer: NostrEvent;
}
interface InvalidVec { name: string; reason: string; recipient: string; outer: unknown }
interface VectorFile {
  keys: Record<string, KeyRec>;
  valid: ValidVec[];
  invalid: InvalidVec[];
  mailboxes: {
    pair: { from_ek: string; to_ek: string; relay: string; day: number; pair_key: string; mailbox: string; from: string; to: string }[];
    intro: { to_ek: string; relay: string; day: number; k: number; mailbox: string }[];
    self: { ek_secret: string; relay: string; day: number; mailbox: string }[];
  };
}

const file = vectorPath('envelope-v1.json');
const V = JSON.parse(readFileSync(file, 'utf8')) as VectorFile;
const key = (name: string) => {
  const k = V.keys[name];
  if (!k) throw new Error(`vector key ${name} missing`);
  return k;
};

describe('envelope-v1 vectors', () => {
  it('has at least 20 valid and 20 invalid cases with unique names', () => {
    expect(V.valid.length).toBeGreaterThanOrEqual(20);
    expect(V.invalid.length).toBeGreaterThanOrEqual(20);
    const names = [...V.valid, ...V.invalid].map((v) => v.name);
    expect(new Set(names).size).toBe(names.length);
    for (const v of V.invalid) expect(v.reason.length).toBeGreaterThan(5);
  });

  it.each(V.valid.map((v) => [v.name, v] as const))('valid in v1: %s — the key schedule reproduces, the envelope is refused', async (_n, v) => {
    const d = v.mailbox_derivation;
    const mailbox =
      d.kind === 'pair'
        ? pairMailbox(derivePairKey(hexToBytes(key(d.from).ek_secret), hexToBytes(key(d.to).ek)), hexToBytes(key(d.from).ek), hexToBytes(key(d.to).ek), d.relay, d.day)
        : d.kind === 'intro'
          ? introMailbox(hexToBytes(key(d.to).ek), d.relay, d.day, d.k)
          : selfMailbox(hexToBytes(key(d.of).ek_secret), d.relay, d.day);
    expect(mailbox).toBe(v.mailbox);
    await expectOldKeySchedule(v, 1);
    await expectRefused(v.outer, key(v.recipient).ek_secret, v.recipient_identity);
  });

  it.each(V.invalid.map((v) => [v.name, v] as const))('invalid: %s is rejected with the generic error', async (_n, v) => {
    const rk = key(v.recipient);
    await expectRefused(v.outer, rk.ek_secret, rk.identity);
  });

  it('mailbox vectors', () => {
    for (const m of V.mailboxes.pair) {
      const fromSecret = hexToBytes(key(m.from).ek_secret);
      const pk = derivePairKey(fromSecret, hexToBytes(m.to_ek));
      expect(bytesToHex(pk)).toBe(m.pair_key);
      // symmetric: the other end derives the same pair key
      expect(bytesToHex(derivePairKey(hexToBytes(key(m.to).ek_secret), hexToBytes(m.from_ek)))).toBe(m.pair_key);
      expect(pairMailbox(pk, hexToBytes(m.from_ek), hexToBytes(m.to_ek), m.relay, m.day)).toBe(m.mailbox);
    }
    for (const m of V.mailboxes.intro) expect(introMailbox(hexToBytes(m.to_ek), m.relay, m.day, m.k)).toBe(m.mailbox);
    for (const m of V.mailboxes.self) expect(selfMailbox(hexToBytes(m.ek_secret), m.relay, m.day)).toBe(m.mailbox);
    // directional, per relay, per day; URL normalization makes [0] and [2] equal
    const [ab, ba, abNorm, abRelay2, abTomorrow] = V.mailboxes.pair.map((m) => m.mailbox);
    expect(ab).toBe(abNorm);
    expect(new Set([ab, ba, abRelay2, abTomorrow]).size).toBe(4);
  });
});
