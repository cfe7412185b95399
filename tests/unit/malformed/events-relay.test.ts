/**
 * Named malformed inputs for the event checkers (crypto/nostr-event.ts, relay/verify.ts), relay
 * URLs, NIP-11 documents and relay frames (relay/connection.ts, whose typed failure is the counter
 * a bad frame lands in), each with the exact typed failure.
 */
import { describe, expect, it } from 'vitest';
import { finalizeEvent, generateSecretKey, getEventHash } from 'nostr-tools/pure';
import { checkRumor, parseJsonBounded, verifyEvent } from '../../../src/lib/crypto/nostr-event';
import { copyEventShape } from '../../helpers/fuzz';
import { verifyRelayEvent } from '../../../src/lib/relay/verify';
import { normalizeRelayUrl } from '../../../src/lib/relay/url';
import { parseRelayInfo } from '../../../src/lib/relay/nip11';
import { RelayConnection, type ConnectionCounters } from '../../../src/lib/relay/connection';
import { mockSockets } from '../../helpers/mock-ws';
import { signedEvent } from '../../helpers/events';
import { malformed, type MalformedCase } from '../../helpers/malformed';

const sk = generateSecretKey();
const ev = JSON.parse(JSON.stringify(finalizeEvent({ kind: 1, created_at: 1_700_000_000, tags: [['p', 'ab'.repeat(32)]], content: 'hello' }, sk))) as Record<string, unknown>;
const other = signedEvent(1, [], 'hello', 1_700_000_000);
const { sig: _sig, ...rumor } = ev;
const w = (over: Record<string, unknown>) => ({ ...ev, ...over });
/** Re-hashed so only the named defect remains. */
const rehashed = (over: Record<string, unknown>) => {
  const e = w(over);
  return { ...e, id: getEventHash(e as never) };
};
const without = (k: string) => Object.fromEntries(Object.entries(ev).filter(([key]) => key !== k));

/** Defects every event checker must refuse, with the verifier's code. */
const shapeDefects: [string, unknown, 'INVALID_EVENT' | 'TOO_LARGE' | 'INVALID_SIGNATURE'][] = [
  ['event id not hex', w({ id: 'z'.repeat(64) }), 'INVALID_EVENT'],
  ['event id in upper-case hex', w({ id: (ev.id as string).toUpperCase() }), 'INVALID_EVENT'],
  ['event id of 63 characters', w({ id: (ev.id as string).slice(1) }), 'INVALID_EVENT'],
  ['event id a number', w({ id: 1 }), 'INVALID_EVENT'],
  ['event without id', without('id'), 'INVALID_EVENT'],
  ['event pubkey not hex', w({ pubkey: 'g'.repeat(64) }), 'INVALID_EVENT'],
  ['event pubkey of 66 characters (compressed form)', w({ pubkey: '02' + (ev.pubkey as string) }), 'INVALID_EVENT'],
  ['event sig of 127 characters', w({ sig: (ev.sig as string).slice(1) }), 'INVALID_EVENT'],
  ['event sig in upper-case hex', w({ sig: (ev.sig as string).toUpperCase() }), 'INVALID_EVENT'],
  ['event without sig', without('sig'), 'INVALID_EVENT'],
  ['event created_at negative', w({ created_at: -1 }), 'INVALID_EVENT'],
  ['event created_at a float', w({ created_at: 1.5 }), 'INVALID_EVENT'],
  ['event created_at a string', w({ created_at: '1700000000' }), 'INVALID_EVENT'],
  ['event created_at beyond 2^53', w({ created_at: 2 ** 53 }), 'INVALID_EVENT'],
  ['event kind -1', w({ kind: -1 }), 'INVALID_EVENT'],
  ['event kind 65536', w({ kind: 65536 }), 'INVALID_EVENT'],
  ['event kind 1.5', w({ kind: 1.5 }), 'INVALID_EVENT'],
  ['event kind a string', w({ kind: '1' }), 'INVALID_EVENT'],
  ['event content a number', w({ content: 5 }), 'INVALID_EVENT'],
  ['event content of 256 KiB + 1', w({ content: 'x'.repeat(256 * 1024 + 1) }), 'TOO_LARGE'],
  ['event tags an object', w({ tags: {} }), 'INVALID_EVENT'],
  ['event tag not an array', w({ tags: ['p'] }), 'INVALID_EVENT'],
  ['event tag item a number', w({ tags: [['p', 1]] }), 'INVALID_EVENT'],
  ['event with 2001 tags', w({ tags: Array.from({ length: 2001 }, () => ['t']) }), 'INVALID_EVENT'],
  ['event tag item of 4097 characters', w({ tags: [['t', 'x'.repeat(4097)]] }), 'INVALID_EVENT'],
  ['event that is an array', [ev], 'INVALID_EVENT'],
  ['event that is null', null, 'INVALID_EVENT'],
  ['event that is a JSON string', JSON.stringify(ev), 'INVALID_EVENT'],
  ['event id does not match its content', w({ content: 'hellO' }), 'INVALID_EVENT'],
  ['event signed by another key', w({ sig: other.sig }), 'INVALID_SIGNATURE'],
  ['event sig with one flipped bit', w({ sig: (ev.sig as string).slice(0, -1) + ((ev.sig as string).endsWith('0') ? '1' : '0') }), 'INVALID_SIGNATURE'],
  ['event pubkey replaced (id recomputed)', rehashed({ pubkey: other.pubkey }), 'INVALID_SIGNATURE'],
  ['event pubkey not a curve point (id recomputed)', rehashed({ pubkey: '00'.repeat(31) + '05' }), 'INVALID_SIGNATURE']
];

const verifierCases: MalformedCase[] = [
  ...shapeDefects.map(([name, raw, code]): MalformedCase => [`verifyEvent: ${name}`, () => verifyEvent(raw), code]),
  ['copyEventShape: event tag with 17 items', () => copyEventShape(w({ tags: [Array.from({ length: 17 }, () => 'x')] })), 'INVALID_EVENT'],
  ['checkRumor: rumor id does not match', () => checkRumor({ ...rumor, content: 'other' }), 'INVALID_EVENT'],
  ['checkRumor: rumor without id', () => checkRumor(Object.fromEntries(Object.entries(rumor).filter(([k]) => k !== 'id'))), 'INVALID_EVENT'],
  ['checkRumor: rumor pubkey upper-case', () => checkRumor({ ...rumor, pubkey: (rumor.pubkey as string).toUpperCase() }), 'INVALID_EVENT'],
  ['parseJsonBounded: truncated JSON', () => parseJsonBounded(JSON.stringify(ev).slice(0, -1), 10_000), 'INVALID_EVENT'],
  ['parseJsonBounded: JSON with a trailing comma', () => parseJsonBounded('{"a":1,}', 100), 'INVALID_EVENT'],
  ['parseJsonBounded: text longer than the bound', () => parseJsonBounded('[1]', 2), 'TOO_LARGE'],
  ['parseJsonBounded: not text', () => parseJsonBounded(5 as unknown as string, 100), 'INVALID_EVENT']
];

/** The relay door reports failure as null, for the same defects. */
const relayCases: MalformedCase[] = shapeDefects.map(([name, raw]): MalformedCase => [`verifyRelayEvent: ${name}`, () => verifyRelayEvent(raw), 'null']);

const urlCases: MalformedCase[] = [
  ['relay URL with http scheme', () => normalizeRelayUrl('http://relay.example'), 'RELAY_URL_INVALID'],
  ['relay URL with credentials', () => normalizeRelayUrl('wss://user:pw@relay.example'), 'RELAY_URL_INVALID'],
  ['relay URL with a space', () => normalizeRelayUrl('wss://relay .example'), 'RELAY_URL_INVALID'],
  ['relay URL with a control character', () => normalizeRelayUrl('wss://relay.example/\u0007'), 'RELAY_URL_INVALID'],
  ['relay URL empty', () => normalizeRelayUrl('   '), 'RELAY_URL_INVALID'],
  ['relay URL without host', () => normalizeRelayUrl('wss://'), 'RELAY_URL_INVALID'],
  ['relay URL of 513 characters', () => normalizeRelayUrl('wss://r.example/' + 'a'.repeat(497)), 'RELAY_URL_INVALID'],
  ['relay URL javascript:', () => normalizeRelayUrl('javascript:alert(1)'), 'RELAY_URL_INVALID'],
  ['relay URL not a string', () => normalizeRelayUrl(['wss://relay.example']), 'RELAY_URL_INVALID'],
  ['NIP-11 document that is an array', () => parseRelayInfo([]), 'RELAY_PROTOCOL'],
  ['NIP-11 document that is null', () => parseRelayInfo(null), 'RELAY_PROTOCOL'],
  ['NIP-11 document that is a string', () => parseRelayInfo('{"name":"x"}'), 'RELAY_PROTOCOL']
];

describe('malformed events: verifyEvent and friends', () => malformed(verifierCases));
describe('malformed events: verifyRelayEvent', () => malformed(relayCases));
describe('malformed relay URLs and NIP-11 documents', () => malformed(urlCases));

/** A bad frame is counted, never delivered, and the socket stays open. */
const frames: [string, unknown, keyof ConnectionCounters][] = [
  ['frame that is not JSON', '["EVENT", "s",', 'garbage'],
  ['frame that is a JSON object', '{"type":"EVENT"}', 'garbage'],
  ['frame that is an empty array', '[]', 'garbage'],
  ['frame whose type is a number', '[1,"s",{}]', 'garbage'],
  ['frame that is binary', new ArrayBuffer(4), 'garbage'],
  ['EVENT frame without an event', '["EVENT","s"]', 'garbage'],
  ['EVENT frame whose event is a string', JSON.stringify(['EVENT', 's', JSON.stringify(other)]), 'garbage'],
  ['EVENT frame whose event is null', '["EVENT","s",null]', 'garbage'],
  ['EVENT frame with a numeric subscription id', JSON.stringify(['EVENT', 1, other]), 'garbage'],
  ['EVENT frame for an unknown subscription', JSON.stringify(['EVENT', 'nope', other]), 'unknownSubscription'],
  ['EOSE frame without a subscription id', '["EOSE"]', 'garbage'],
  ['EOSE frame for an unknown subscription', '["EOSE","nope"]', 'unknownSubscription'],
  ['OK frame with a string for the boolean', JSON.stringify(['OK', other.id, 'true', '']), 'garbage'],
  ['OK frame without an event id', '["OK"]', 'garbage'],
  ['CLOSED frame with an object for the id', '["CLOSED",{},"error: x"]', 'garbage'],
  ['CLOSED frame for an unknown subscription', '["CLOSED","nope","error: x"]', 'unknownSubscription'],
  ['frame longer than the size bound', JSON.stringify(['NOTICE', 'x'.repeat(2000)]), 'oversized']
];

describe('malformed relay frames', () => {
  for (const [name, data, counter] of frames) {
    it(`${name} → counted as ${counter}, not delivered`, () => {
      const m = mockSockets();
      const conn = new RelayConnection('wss://relay.test', { WebSocket: m.WebSocket, random: () => 0.5, maxMessageLength: 1000 });
      const got: unknown[] = [];
      conn.subscribe('s', [{}], { onevent: (e) => got.push(e) });
      m.last().accept();
      (m.last().onmessage as unknown as (e: { data: unknown }) => void)({ data });
      const s = conn.status();
      expect(s.counters[counter]).toBe(1);
      expect(got).toEqual([]);
      expect(s.state).toBe('open');
      conn.close();
    });
  }
});
