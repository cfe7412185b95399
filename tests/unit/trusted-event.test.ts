/**
 * shared/trusted-event.ts and shared/event-shape.ts: the one verifier and the one shape checker
 * every layer uses. A TrustedEvent is a frozen copy whose id names its content and whose
 * signature verified; nothing a hostile object carries (extra keys, nostr-tools' cached flag,
 * getters) survives the copy.
 */
import fc from 'fast-check';
import { finalizeEvent, generateSecretKey, verifiedSymbol, verifyEvent as ntVerify } from 'nostr-tools/pure';
import { describe, expect, it } from 'vitest';
import { checkEventShape, RELAY_EVENT_LIMITS } from '../../src/lib/shared/event-shape';
import { eventId, trustEvent, verifyEventSignature } from '../../src/lib/shared/trusted-event';
import { verifyEvent } from '../../src/lib/crypto/nostr-event';
import { verifyRelayEvent } from '../../src/lib/relay/verify';
import { forgedCopy, signedEvent } from '../helpers/events';

describe('trustEvent', () => {
  it('returns a deeply frozen copy of exactly the seven fields', () => {
    const ev = signedEvent(14, [['p', 'ab'.repeat(32)]], 'hi');
    const r = trustEvent({ ...ev, extra: 1 });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.event).toEqual(ev);
    expect(Object.keys(r.event).sort()).toEqual(['content', 'created_at', 'id', 'kind', 'pubkey', 'sig', 'tags']);
    expect(Object.isFrozen(r.event) && Object.isFrozen(r.event.tags) && Object.isFrozen(r.event.tags[0])).toBe(true);
    expect(() => (r.event.tags as string[][]).push(['x'])).toThrow(TypeError);
  });

  it('ignores nostr-tools’ cached "verified" flag on a forged event', () => {
    const forged = { ...forgedCopy(signedEvent()), [verifiedSymbol]: true };
    expect(ntVerify(forged)).toBe(true); // the trap: nostr-tools believes the flag
    expect(trustEvent(forged)).toMatchObject({ ok: false, code: 'INVALID_SIGNATURE' });
  });

  it('names why: id mismatch, bad signature, bad shape, too large', () => {
    const ev = signedEvent();
    expect(trustEvent({ ...ev, content: 'changed' })).toMatchObject({ ok: false, code: 'INVALID_EVENT' });
    expect(trustEvent(forgedCopy(ev))).toMatchObject({ ok: false, code: 'INVALID_SIGNATURE' });
    expect(trustEvent({ ...ev, kind: -1 })).toMatchObject({ ok: false, code: 'INVALID_EVENT' });
    expect(trustEvent({ ...ev, content: 'x'.repeat(RELAY_EVENT_LIMITS.maxContentChars + 1) })).toMatchObject({ ok: false, code: 'TOO_LARGE' });
    // A key that is not a curve point fails as a signature, without throwing.
    expect(trustEvent({ ...ev, pubkey: 'f'.repeat(64) })).toMatchObject({ ok: false });
  });

  it('recomputes the id around an injected BIP-340 implementation; a whole-event verifier replaces both checks', () => {
    const ev = signedEvent();
    const changed = { ...ev, content: 'changed' };
    let calls = 0;
    const yes = () => (calls++, true);
    expect(trustEvent(changed, { schnorr: yes })).toMatchObject({ ok: false, code: 'INVALID_EVENT' });
    expect(calls).toBe(0); // the id failed first
    expect(trustEvent(forgedCopy(ev), { schnorr: yes }).ok).toBe(true);
    expect(trustEvent(changed, { verifier: yes }).ok).toBe(true); // its contract: it checks the id itself
    const boom = () => {
      throw new Error('boom');
    };
    expect(trustEvent(ev, { verifier: boom })).toMatchObject({ ok: false, code: 'INVALID_SIGNATURE' });
    expect(trustEvent(ev, { schnorr: boom })).toMatchObject({ ok: false, code: 'INVALID_SIGNATURE' });
  });

  it('reads each field once: a getter cannot show the checker one value and the caller another', () => {
    const ev = signedEvent();
    let reads = 0;
    const tricky = { ...ev };
    Object.defineProperty(tricky, 'content', { enumerable: true, get: () => (reads++ === 0 ? ev.content : 'swapped') });
    const r = trustEvent(tricky);
    expect(r.ok && r.event.content).toBe(ev.content);
  });

  it('agrees with nostr-tools on valid and on single-character-forged events', () => {
    const sk = generateSecretKey();
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.array(fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }), { maxLength: 3 }), fc.nat(127), (content, tags, pos) => {
        const ev = JSON.parse(JSON.stringify(finalizeEvent({ kind: 1, created_at: 1_700_000_000, tags, content }, sk)));
        expect(trustEvent(ev).ok).toBe(true);
        expect(verifyEventSignature(ev)).toBe(true);
        expect(eventId(ev)).toBe(ev.id);
        const c = ev.sig[pos];
        const bad = { ...ev, sig: ev.sig.slice(0, pos) + (c === '0' ? '1' : '0') + ev.sig.slice(pos + 1) };
        expect(trustEvent(bad).ok).toBe(ntVerify({ ...bad }));
        expect(trustEvent(bad).ok).toBe(false);
      }),
      { numRuns: 25 }
    );
  });

  it('the relay and crypto layers give the same TrustedEvent and verdict', () => {
    const ev = signedEvent();
    const fromRelay = verifyRelayEvent(ev);
    const fromCrypto = verifyEvent(ev);
    expect(fromRelay).toEqual(fromCrypto);
    expect(verifyRelayEvent(forgedCopy(ev))).toBeNull();
    expect(() => verifyEvent(forgedCopy(ev))).toThrow(expect.objectContaining({ code: 'INVALID_SIGNATURE' }));
  });
});

describe('checkEventShape', () => {
  const ev = signedEvent(1, [['t', 'x']]);

  it('exactKeys refuses extra keys, nonEmptyTags refuses an empty tag', () => {
    const strict = { ...RELAY_EVENT_LIMITS, exactKeys: true, nonEmptyTags: true };
    expect(checkEventShape({ ...ev, extra: 1 }).ok).toBe(true);
    expect(checkEventShape({ ...ev, extra: 1 }, strict).ok).toBe(false);
    expect(checkEventShape({ ...ev, tags: [[]] }).ok).toBe(true);
    expect(checkEventShape({ ...ev, tags: [[]] }, strict).ok).toBe(false);
    expect(checkEventShape(ev, strict).ok).toBe(true);
  });

  it('an unsigned rumor has no sig, and exactKeys then means six keys', () => {
    const { sig: _sig, ...rumor } = ev;
    expect(checkEventShape(rumor).ok).toBe(false);
    expect(checkEventShape(rumor, RELAY_EVENT_LIMITS, false)).toMatchObject({ ok: true, event: { sig: '' } });
    expect(checkEventShape(rumor, { ...RELAY_EVENT_LIMITS, exactKeys: true }, false).ok).toBe(true);
    expect(checkEventShape(ev, { ...RELAY_EVENT_LIMITS, exactKeys: true }, false).ok).toBe(false);
  });

  it('enforces each limit at its bound', () => {
    const l = { maxContentChars: 3, maxTags: 1, maxTagItems: 2, maxTagItemChars: 2 };
    const base = { ...ev, content: 'abc', tags: [['ab', 'cd']] };
    expect(checkEventShape(base, l).ok).toBe(true);
    expect(checkEventShape({ ...base, content: 'abcd' }, l)).toMatchObject({ code: 'TOO_LARGE' });
    expect(checkEventShape({ ...base, tags: [['a'], ['b']] }, l).ok).toBe(false);
    expect(checkEventShape({ ...base, tags: [['a', 'b', 'c']] }, l).ok).toBe(false);
    expect(checkEventShape({ ...base, tags: [['abc']] }, l).ok).toBe(false);
  });

  it('never throws on arbitrary input', () => {
    fc.assert(
      fc.property(fc.anything(), (x) => {
        const r = checkEventShape(x);
        expect(typeof r.ok).toBe('boolean');
        expect(trustEvent(x).ok).toBe(false);
      }),
      { numRuns: 500 }
    );
  });
});
