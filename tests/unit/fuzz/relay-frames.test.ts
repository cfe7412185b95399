/**
 * Fuzzing the relay message parser: RelayConnection's frame handling is private, so frames go in
 * through the public socket (tests/helpers/mock-ws.ts) of an open connection with two live
 * subscriptions, a pending publish and a NIP-42 signer. For any frame (mutated valid frames of every
 * NIP-01 type, random arrays, non-JSON text, non-string data, oversized text) nothing throws, the
 * socket stays open, the counters follow a model of the parser's first checks, an event reaches a
 * handler only from a well-formed EVENT for a live subscription, and relay text is kept bounded and
 * without control characters. Also the other relay-text parsers: parseRejection, normalizeRelayUrl
 * and parseRelayInfo.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RelayConnection } from '../../../src/lib/relay/connection';
import { MAX_RELAY_TEXT, parseRejection } from '../../../src/lib/relay/reasons';
import { normalizeRelayUrl } from '../../../src/lib/relay/url';
import { parseRelayInfo } from '../../../src/lib/relay/nip11';
import type { RelayRejection } from '../../../src/lib/relay/types';
import { mockSockets } from '../../helpers/mock-ws';
import { signedEvent } from '../../helpers/events';
import { FUZZ_RUNS, edits, jsonValue, mutateString, outcome, smallValue, timed } from '../../helpers/fuzz';

const TIMEOUT = 180_000;
const MAX_FRAME = 4000;
const EXTRA_RUNS = 10_000;
const REASONS = ['duplicate', 'pow', 'blocked', 'rate-limited', 'invalid', 'restricted', 'mute', 'auth-required', 'error', 'unknown'];
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

const ev = signedEvent(1, [['p', 'ab'.repeat(32)]], 'hi');
const authEvent = signedEvent(22242, [['challenge', 'c']], '');
const texts = ['auth-required: log in', 'ERROR: auth-required: requested filter requires authentication', 'duplicate: have it', 'rate-limited:', ': x', 'blocked', 'x'.repeat(400), 'a\u0000b\u001fc\u007f', 'Invalid: bad'];
const subIds = ['s1', 's2', 'gone', '', 'S1'];
const TYPES = ['EVENT', 'EOSE', 'OK', 'CLOSED', 'NOTICE', 'AUTH', 'COUNT', 'NEG-MSG', 'event', ''];

const arg = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom<unknown>(...subIds) },
  { weight: 2, arbitrary: fc.constantFrom<unknown>(ev, { ...ev, id: 1 }, {}, [], null, true, false, ev.id, authEvent.id) },
  { weight: 2, arbitrary: fc.constantFrom<unknown>(...texts) },
  { weight: 2, arbitrary: fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.double(), fc.boolean(), fc.constantFrom<unknown>(null, [], {}, [[]], -0)) }
);
const structured = fc.tuple(fc.oneof(fc.constantFrom(...TYPES), fc.string({ maxLength: 6 })), fc.array(arg, { maxLength: 4 })).map(([t, a]) => JSON.stringify([t, ...a]));
const validFrames = [['EVENT', 's1', ev], ['EOSE', 's2'], ['OK', ev.id, false, 'auth-required: x'], ['CLOSED', 's1', 'error: x'], ['NOTICE', 'hi'], ['AUTH', 'challenge']].map((f) => JSON.stringify(f));
const frame = fc.oneof(
  { weight: 5, arbitrary: structured },
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom(...validFrames), edits(3)).map(([f, es]) => mutateString(f, es, '[]{}",:0123456789 tfnul\\')) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: jsonValue.map((v) => JSON.stringify(v) ?? '') },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(undefined, null, 42, new ArrayBuffer(8), new Uint8Array(4), { data: 'x' }, ['EVENT', 's1', ev]) },
  { weight: 1, arbitrary: fc.nat(3).map((n) => JSON.stringify(['NOTICE', 'x'.repeat(MAX_FRAME + n)])) }
);

/** The parser's first checks, as the model the counters must follow. */
function expectedGarbage(data: unknown): 'garbage' | 'oversized' | 'parsed' {
  if (typeof data !== 'string') return 'garbage';
  if (data.length > MAX_FRAME) return 'oversized';
  let msg: unknown;
  try {
    msg = JSON.parse(data);
  } catch {
    return 'garbage';
  }
  return Array.isArray(msg) && typeof msg[0] === 'string' ? 'parsed' : 'garbage';
}

describe('relay message parser fuzz', () => {
  it(
    `RelayConnection frames (${FUZZ_RUNS} runs): never throws, stays open, counters follow the model, events only from live subscriptions`,
    async () => {
      const m = mockSockets();
      const conn = new RelayConnection('wss://relay.test', {
        WebSocket: m.WebSocket,
        random: () => 0.5,
        maxMessageLength: MAX_FRAME,
        auth: () => Promise.resolve(authEvent)
      });
      const delivered: unknown[] = [];
      const rejections: RelayRejection[] = [];
      const sub = (id: string) =>
        conn.subscribe(id, [{ kinds: [1] }], {
          onevent: (e) => delivered.push(e),
          onclosed: (r) => {
            rejections.push(r);
            sub(id);
          }
        });
      sub('s1');
      sub('s2');
      m.last().accept();
      const published = conn.publish(ev, 600_000);
      const socket = m.last();
      timed('relay frames', () =>
        fc.assert(
          fc.property(frame, (data) => {
            const before = conn.status().counters;
            const n = delivered.length;
            outcome(() => (typeof data === 'string' ? socket.frame(data) : (socket.onmessage as ((e: unknown) => void) | null)?.({ data })), []);
            const s = conn.status();
            if (s.state !== 'open' || m.sockets.length !== 1 || s.counters.handlerErrors !== 0) return false;
            const kind = typeof data === 'string' ? expectedGarbage(data) : 'garbage';
            const garbage = s.counters.garbage - before.garbage;
            if (kind === 'garbage' ? garbage !== 1 : garbage > (kind === 'parsed' ? 1 : 0)) return false;
            if (s.counters.oversized - before.oversized !== (kind === 'oversized' ? 1 : 0)) return false;
            if (delivered.length > n) {
              const msg = JSON.parse(data as string) as unknown[];
              if (msg[0] !== 'EVENT' || (msg[1] !== 's1' && msg[1] !== 's2') || typeof delivered.at(-1) !== 'object') return false;
            }
            return s.lastNotice === undefined || (s.lastNotice.length <= MAX_RELAY_TEXT && !CONTROL.test(s.lastNotice));
          }),
          { numRuns: FUZZ_RUNS }
        )
      );
      for (const r of rejections) {
        expect(REASONS).toContain(r.reason);
        expect(r.message.length).toBeLessThanOrEqual(MAX_RELAY_TEXT);
        expect(r.message).not.toMatch(CONTROL);
      }
      conn.close();
      const result = await published;
      expect(['ok', 'rejected', 'unreachable']).toContain(result.status);
    },
    TIMEOUT
  );

  it(
    `parseRejection (${EXTRA_RUNS} runs; it also runs inside the frame fuzz, on every OK and CLOSED): any value gives a known reason and bounded clean text`,
    () => {
      const msg = fc.oneof(fc.constantFrom<unknown>(...texts), fc.tuple(fc.constantFrom(...REASONS), fc.string({ maxLength: 20 })).map(([r, t]) => `${r}:${t}`), fc.string(), smallValue);
      timed('parseRejection', () =>
        fc.assert(
          fc.property(msg, (v) => {
            const r = outcome(() => parseRejection(v), []);
            if (!r.ok) return;
            expect(REASONS).toContain(r.value.reason);
            expect(r.value.message.length).toBeLessThanOrEqual(MAX_RELAY_TEXT);
            expect(r.value.message).not.toMatch(CONTROL);
          }),
          { numRuns: EXTRA_RUNS }
        )
      );
    },
    TIMEOUT
  );

  it(
    `normalizeRelayUrl (${EXTRA_RUNS} runs): RELAY_URL_INVALID, or a ws/wss URL that normalizes to itself`,
    () => {
      const urls = ['wss://relay.example', 'ws://127.0.0.1:7777', 'wss://Relay.Example:443/path/?q=1#f', 'wss://[::1]:8080/'];
      const url = fc.oneof(
        fc.tuple(fc.constantFrom(...urls), edits(3)).map(([u, es]) => mutateString(u, es, 'ws:/.@[]%?#:\u0000 \u00e9xn-1')),
        fc.webUrl().map((u) => u.replace(/^https?/, 'wss')),
        fc.string({ maxLength: 30 }),
        jsonValue
      );
      timed('normalizeRelayUrl', () =>
        fc.assert(
          fc.property(url, (u) => {
            const r = outcome(() => normalizeRelayUrl(u), ['RELAY_URL_INVALID']);
            if (!r.ok) return;
            expect(r.value).toMatch(/^wss?:\/\/[^\s]+$/);
            expect(normalizeRelayUrl(r.value)).toBe(r.value);
          }),
          { numRuns: EXTRA_RUNS }
        )
      );
    },
    TIMEOUT
  );

  it(
    `parseRelayInfo (${EXTRA_RUNS} runs): RELAY_PROTOCOL, or only well-typed fields`,
    () => {
      const doc = fc.oneof(
        jsonValue,
        fc.record({ name: jsonValue, supported_nips: jsonValue, limitation: fc.oneof(jsonValue, fc.dictionary(fc.constantFrom('max_limit', 'auth_required', 'max_message_length', 'x'), jsonValue)) }, { requiredKeys: [] })
      );
      timed('parseRelayInfo', () =>
        fc.assert(
          fc.property(doc, (d) => {
            const r = outcome(() => parseRelayInfo(d), ['RELAY_PROTOCOL']);
            if (!r.ok) return;
            for (const n of r.value.supported_nips) expect(Number.isSafeInteger(n) && n >= 0).toBe(true);
            for (const [k, v] of Object.entries(r.value.limitation)) expect(typeof v === 'boolean' || (Number.isSafeInteger(v) && (v as number) >= 0), k).toBe(true);
            if (r.value.name !== undefined) expect(r.value.name).not.toMatch(CONTROL);
          }),
          { numRuns: EXTRA_RUNS }
        )
      );
    },
    TIMEOUT
  );
});
