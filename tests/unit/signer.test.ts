/**
 * signer.ts: LocalSigner, Nip07Signer against fake extensions (honest, lying, refusing, silent),
 * and bunker:// URL parsing (nip46.ts). NIP-46 sessions against a fake transport are in
 * nip46.test.ts; the real NIP-46 round trip is tests/integration/nip46.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { finalizeEvent, verifyEvent as ntVerify } from 'nostr-tools/pure';
import { v2 } from 'nostr-tools/nip44';
import { LocalSigner, Nip07Signer, type EventTemplate, type Nip07Like } from '../../src/lib/crypto/signer';
import { parseBunkerUrl } from '../../src/lib/crypto/nip46';
import { jsCurve } from '../../src/lib/crypto/curve';
import { generateSecretKey, getXOnlyPublicKey } from '../../src/lib/crypto/keys';
import { bytesToHex } from '../../src/lib/shared/bytes';
import { isVeilError } from '../../src/lib/shared/errors';

const tpl: EventTemplate = { kind: 1, created_at: 1_700_000_000, tags: [['t', 'veil']], content: 'hello' };
const pk = (sk: Uint8Array) => bytesToHex(getXOnlyPublicKey(sk));
const fails = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: unknown) => e
  );

function fakeExtension(sk: Uint8Array, tweak?: (t: EventTemplate) => EventTemplate, signer = sk): Nip07Like {
  return {
    getPublicKey: async () => pk(sk),
    signEvent: async (t) => finalizeEvent(tweak ? tweak(t) : t, signer),
    nip44: {
      encrypt: async (peer, text) => v2.encrypt(text, v2.utils.getConversationKey(sk, peer)),
      decrypt: async (peer, ct) => v2.decrypt(ct, v2.utils.getConversationKey(sk, peer))
    }
  };
}

describe('LocalSigner', () => {
  it('signs verifiable events with the identity key, does NIP-44 both ways, and wipes on close', async () => {
    const sk = generateSecretKey();
    const peer = generateSecretKey();
    const s = new LocalSigner(sk);
    expect(s.kind).toBe('local');
    expect(await s.getPublicKey()).toBe(pk(sk));
    const ev = await s.signEvent(tpl);
    expect(ntVerify({ ...ev })).toBe(true);
    expect(ev.pubkey).toBe(pk(sk));
    const ct = await s.nip44Encrypt(pk(peer), 'secret');
    expect(await new LocalSigner(peer).nip44Decrypt(pk(sk), ct)).toBe('secret');
    await s.close();
    expect(isVeilError(await fails(s.signEvent(tpl)), 'SIGNER_UNAVAILABLE')).toBe(true);
  });

  it('refuses malformed templates', async () => {
    const s = new LocalSigner(generateSecretKey());
    expect(isVeilError(await fails(s.signEvent({ ...tpl, kind: -1 })), 'INVALID_EVENT')).toBe(true);
    expect(isVeilError(await fails(s.signEvent({ ...tpl, tags: [[1 as unknown as string]] })), 'INVALID_EVENT')).toBe(true);
    expect(isVeilError(await fails(s.signEvent({ ...tpl, content: 'x'.repeat(300_000) })), 'TOO_LARGE')).toBe(true);
  });

  it('signs on the curve it is given, and never returns a signature that curve does not verify', async () => {
    const sk = generateSecretKey();
    const s = new LocalSigner(sk);
    const calls = { sign: 0, verify: 0 };
    s.useCurve({
      signSchnorr: (m, k, a) => (calls.sign++, jsCurve.signSchnorr(m, k, a)),
      verifySchnorr: (g, m, p) => (calls.verify++, jsCurve.verifySchnorr(g, m, p))
    });
    const ev = await s.signEvent(tpl);
    expect(ntVerify({ ...ev })).toBe(true);
    expect(calls).toEqual({ sign: 1, verify: 1 });
    // Two signatures of one template differ (fresh aux randomness), both valid.
    const again = await s.signEvent(tpl);
    expect(again.id).toBe(ev.id);
    expect(again.sig).not.toBe(ev.sig);
    // A faulty signer (a flipped bit, as a fault would give) is caught before the event leaves.
    s.useCurve({ signSchnorr: (m, k, a) => Uint8Array.from(jsCurve.signSchnorr(m, k, a), (b, i) => (i === 63 ? b ^ 1 : b)), verifySchnorr: jsCurve.verifySchnorr });
    expect(isVeilError(await fails(s.signEvent(tpl)), 'INVALID_SIGNATURE')).toBe(true);
  });
});

describe('Nip07Signer', () => {
  it('an honest extension: verified event, NIP-44 through the extension', async () => {
    const sk = generateSecretKey();
    const peer = generateSecretKey();
    const s = new Nip07Signer(fakeExtension(sk));
    const ev = await s.signEvent(tpl);
    expect(ev.pubkey).toBe(pk(sk));
    expect(ntVerify({ ...ev })).toBe(true);
    const ct = await s.nip44Encrypt!(pk(peer), 'hi');
    expect(await new LocalSigner(peer).nip44Decrypt(pk(sk), ct)).toBe('hi');
    expect(await s.nip44Decrypt!(pk(peer), await new LocalSigner(peer).nip44Encrypt(pk(sk), 'yo'))).toBe('yo');
  });

  it('an extension without nip44 exposes no nip44 methods', () => {
    const { nip44: _omit, ...rest } = fakeExtension(generateSecretKey());
    const s = new Nip07Signer(rest);
    expect(s.nip44Encrypt).toBeUndefined();
    expect(s.nip44Decrypt).toBeUndefined();
  });

  it('a lying extension is caught: other key → INVALID_SIGNATURE, altered event → INVALID_EVENT, forged sig → INVALID_SIGNATURE', async () => {
    const sk = generateSecretKey();
    const other = new Nip07Signer(fakeExtension(sk, undefined, generateSecretKey()));
    expect(isVeilError(await fails(other.signEvent(tpl)), 'INVALID_SIGNATURE')).toBe(true);
    const altered = new Nip07Signer(fakeExtension(sk, (t) => ({ ...t, content: 'pwned' })));
    expect(isVeilError(await fails(altered.signEvent(tpl)), 'INVALID_EVENT')).toBe(true);
    const forged: Nip07Like = {
      getPublicKey: async () => pk(sk),
      signEvent: async (t) => ({ ...finalizeEvent(t, sk), sig: 'ab'.repeat(64) })
    };
    expect(isVeilError(await fails(new Nip07Signer(forged).signEvent(tpl)), 'INVALID_SIGNATURE')).toBe(true);
    const junk: Nip07Like = { getPublicKey: async () => pk(sk), signEvent: async () => 'not an event' };
    expect(isVeilError(await fails(new Nip07Signer(junk).signEvent(tpl)), 'INVALID_EVENT')).toBe(true);
    const badPk: Nip07Like = { getPublicKey: async () => 'zz', signEvent: async () => ({}) };
    expect(isVeilError(await fails(new Nip07Signer(badPk).getPublicKey()), 'INVALID_KEY')).toBe(true);
  });

  it('a refusal maps to SIGNER_REJECTED, silence to SIGNER_TIMEOUT, no extension to SIGNER_UNAVAILABLE', async () => {
    const sk = generateSecretKey();
    const refusing: Nip07Like = { getPublicKey: async () => pk(sk), signEvent: async () => Promise.reject(new Error('User rejected')) };
    expect(isVeilError(await fails(new Nip07Signer(refusing).signEvent(tpl)), 'SIGNER_REJECTED')).toBe(true);
    const silent: Nip07Like = { getPublicKey: () => new Promise(() => {}), signEvent: () => new Promise(() => {}) };
    expect(isVeilError(await fails(new Nip07Signer(silent, { timeoutMs: 30 }).getPublicKey()), 'SIGNER_TIMEOUT')).toBe(true);
    const throwing: Nip07Like = {
      getPublicKey: () => {
        throw new Error('sync throw');
      },
      signEvent: async () => ({})
    };
    expect(isVeilError(await fails(new Nip07Signer(throwing).getPublicKey()), 'SIGNER_REJECTED')).toBe(true);
    expect(() => new Nip07Signer(undefined as unknown as Nip07Like)).toThrow(/NIP-07/);
  });
});

describe('parseBunkerUrl', () => {
  const remote = pk(generateSecretKey());
  it('accepts a bunker:// URL with relays and secret, normalizing relays', () => {
    const u = parseBunkerUrl(` bunker://${remote}?relay=wss%3A%2F%2FRelay.Example%2F&relay=ws://127.0.0.1:7777&secret=abc `);
    expect(u).toEqual({ pubkey: remote, relays: ['wss://relay.example', 'ws://127.0.0.1:7777'], secret: 'abc' });
    expect(parseBunkerUrl(`bunker://${remote}?relay=wss://r.example`)).toEqual({ pubkey: remote, relays: ['wss://r.example'], secret: null });
  });
  it('rejects NIP-05 names (no network lookups here), bad pubkeys, no relays, bad relays', () => {
    for (const bad of [
      'alice@example.com',
      `bunker://${'f'.repeat(64)}?relay=wss://r.example`,
      `bunker://${remote}`,
      `bunker://${remote}?relay=https://r.example`,
      'bunker://' + 'x'.repeat(3000)
    ]) {
      let e: unknown = null;
      try {
        parseBunkerUrl(bad);
      } catch (err) {
        e = err;
      }
      expect(isVeilError(e, 'INVALID_INPUT')).toBe(true);
    }
  });
});
