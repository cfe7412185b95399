import { describe, expect, it } from 'vitest';
import { defaultVerifier, parseEventShape, rememberingVerifier, verifyRelayEvent, EVENT_LIMITS } from '../../src/lib/relay/verify';
import type { NostrEvent } from '../../src/lib/relay/types';
import { parseRejection, publishError, closedError } from '../../src/lib/relay/reasons';
import { isVeilError } from '../../src/lib/shared/errors';
import { forgedCopy, signedEvent } from '../helpers/events';

describe('verifyRelayEvent', () => {
  it('accepts a valid event and returns a frozen clean copy', () => {
    const ev = signedEvent(1067, [['p', 'ab'.repeat(32)]], 'AQ==');
    const v = verifyRelayEvent({ ...ev, extra: 'dropped' });
    expect(v).toEqual(ev);
    expect(Object.isFrozen(v)).toBe(true);
    expect(Object.isFrozen(v!.tags[0])).toBe(true);
    expect('extra' in v!).toBe(false);
  });

  it('rejects a bad signature, a wrong id and changed content', () => {
    const ev = signedEvent();
    expect(verifyRelayEvent(forgedCopy(ev))).toBeNull();
    expect(verifyRelayEvent({ ...ev, content: 'changed' })).toBeNull();
    expect(verifyRelayEvent({ ...ev, id: 'f'.repeat(64) })).toBeNull();
    expect(verifyRelayEvent({ ...ev, tags: [['p', 'x']] })).toBeNull();
  });

  it('rejects wrong shapes and sizes without throwing', () => {
    const ev = signedEvent();
    const bad: unknown[] = [
      null,
      'string',
      [ev],
      { ...ev, id: ev.id.toUpperCase() },
      { ...ev, pubkey: 123 },
      { ...ev, sig: ev.sig.slice(2) },
      { ...ev, created_at: -1 },
      { ...ev, created_at: 1.5 },
      { ...ev, kind: 70000 },
      { ...ev, tags: [[1]] },
      { ...ev, tags: 'p' },
      { ...ev, content: 'x'.repeat(EVENT_LIMITS.maxContentChars + 1) },
      { ...ev, tags: Array.from({ length: EVENT_LIMITS.maxTags + 1 }, () => ['t', 'x']) }
    ];
    for (const b of bad) expect(verifyRelayEvent(b)).toBeNull();
    expect(parseEventShape(ev)).toEqual(ev);
  });

  it('uses an injected verifier and treats a throwing one as failure', () => {
    const ev = signedEvent();
    expect(verifyRelayEvent(ev, () => false)).toBeNull();
    expect(
      verifyRelayEvent(ev, () => {
        throw new Error('boom');
      })
    ).toBeNull();
    let seen: unknown;
    expect(verifyRelayEvent(forgedCopy(ev), (e) => ((seen = e), true))).not.toBeNull();
    expect(seen).toEqual(forgedCopy(ev));
  });
});

describe('rememberingVerifier: one signature check per signed event, the id every time', () => {
  it('checks a signature once, yet refuses a changed content, id or signature of a remembered event', () => {
    let calls = 0;
    const v = rememberingVerifier((e) => (calls++, defaultVerifier(e)));
    const e = signedEvent() as unknown as NostrEvent;
    expect(v(e)).toBe(true);
    expect(v({ ...e })).toBe(true);
    expect(calls).toBe(1);
    expect(v({ ...e, content: e.content + 'x' })).toBe(false); // id no longer matches: no signature check needed
    expect(calls).toBe(1);
    const flipped = (e.sig[0] === '0' ? '1' : '0') + e.sig.slice(1);
    expect(v({ ...e, sig: flipped })).toBe(false); // an unseen (id, sig) pair is checked, and fails
    expect(calls).toBe(2);
    const forged = forgedCopy(e as never) as unknown as NostrEvent;
    expect(v(forged)).toBe(defaultVerifier(forged));
  });

  it('forgets the oldest pairs beyond its bound, and never throws', () => {
    let calls = 0;
    const v = rememberingVerifier((e) => (calls++, defaultVerifier(e)), 2);
    const [a, b, c] = [signedEvent(), signedEvent(), signedEvent()] as unknown as NostrEvent[];
    for (const e of [a!, b!, c!, a!]) expect(v(e)).toBe(true);
    expect(calls).toBe(4); // a was forgotten when c came
    expect(v(null as unknown as NostrEvent)).toBe(false);
  });
});

describe('relay reasons', () => {
  it.each([
    ['duplicate: already have it', 'duplicate'],
    ['pow: difficulty 25 < 30', 'pow'],
    ['blocked: you are banned', 'blocked'],
    ['rate-limited: slow down', 'rate-limited'],
    ['invalid: bad sig', 'invalid'],
    ['restricted: not allowed', 'restricted'],
    ['auth-required: log in', 'auth-required'],
    ['error: db down', 'error'],
    ['mute: no one listens', 'mute'],
    ['something else', 'unknown'],
    ['', 'unknown'],
    // strfry writes its own "ERROR: " before the NIP-01 prefix
    ['ERROR: auth-required: requested filter requires authentication', 'auth-required'],
    ['  error:AUTH-REQUIRED: x', 'auth-required'],
    ['ERROR: restricted: members only', 'restricted'],
    ['ERROR: bad req: too many tags in filter', 'error'],
    ['ERROR: error: twice', 'error'],
    ['blocked: auth-required: not a prefix here', 'blocked']
  ])('%j -> %s', (msg, reason) => {
    expect(parseRejection(msg).reason).toBe(reason);
  });

  it('bounds and cleans relay text', () => {
    const r = parseRejection('blocked: \u0000' + 'x'.repeat(1000));
    expect(r.message.length).toBeLessThanOrEqual(300);
    expect(r.message.includes('\u0000')).toBe(false);
    expect(parseRejection(42).reason).toBe('unknown');
  });

  it('maps results to typed errors', () => {
    expect(publishError({ relay: 'ws://a', status: 'ok', duplicate: false, message: '' })).toBeNull();
    expect(isVeilError(publishError({ relay: 'ws://a', status: 'rejected', reason: 'pow', message: '' }), 'RELAY_REJECTED')).toBe(true);
    expect(isVeilError(publishError({ relay: 'ws://a', status: 'timeout' }), 'RELAY_TIMEOUT')).toBe(true);
    expect(isVeilError(publishError({ relay: 'ws://a', status: 'unreachable', message: '' }), 'RELAY_UNREACHABLE')).toBe(true);
    expect(isVeilError(closedError({ reason: 'auth-required', message: '' }), 'RELAY_CLOSED')).toBe(true);
  });
});
