/**
 * "What relays saw" in plain words (src/lib/app/relay-view.ts): the outer event of an envelope and of
 * a NIP-17 gift wrap, sent and received, each set beside NIP-17.
 */
import { describe, expect, it } from 'vitest';
import { relayViewText, span } from '../../src/lib/app/relay-view';
import { relayView } from '../../src/lib/sync/outer';
import type { RelayView } from '../../src/lib/sync/types';

const RELAY = 'wss://relay.example.com';
const detail = (v: RelayView, dir: 'in' | 'out') => Object.fromEntries(relayViewText(v, dir).rows.map((r) => [r.term, r.detail]));

describe('relayViewText', () => {
  it('an envelope I sent: the shared bucket, its size class, the backdating, the publish socket, and NIP-17 beside it', () => {
    const v = relayView({ kind: 1067, tag: 'bucket', bytes: 1368, createdAtOffset: 2 * 3600 + 5 * 60, relays: [RELAY, 'wss://two.example.org'] }, 'out');
    expect(v.socket).toBe('envelopePublish');
    expect(detail(v, 'out')).toEqual({
      Event: 'kind 1067, a Veil envelope: sealed, and signed by a one-time key',
      'p tag': 'a shared bucket, where many people’s envelopes go each day: it names neither you nor your contact',
      Size: '1,368 bytes, size 1 of the 4 sizes every envelope is padded to',
      created_at: '2 h 5 min before the real time (set back at random, up to two days)',
      Relays: `${RELAY}, wss://two.example.org`,
      Connection: 'the envelope-publish connection, which publishes envelopes only and reads nothing'
    });
    expect(relayViewText(v, 'out').compare).toMatch(/^As NIP-17, the same message would be a kind 1059 gift wrap whose p tag is the recipient’s npub, visible to every relay/);
  });

  it('an envelope from the intro bucket, received: read on the envelope-read socket', () => {
    const v = relayView({ kind: 1067, tag: 'intro', bytes: 2732, createdAtOffset: 0, relays: [RELAY] }, 'in');
    expect(v.readBy).toBe('envelopeRead');
    const d = detail(v, 'in');
    expect(d['p tag']).toMatch(/^the intro bucket .* it names no one$/);
    expect(d.Size).toBe('2,732 bytes, size 2 of the 4 sizes every envelope is padded to');
    expect(d.created_at).toBe('the real time');
    expect(d.Connection).toMatch(/envelope-read connection, which reads buckets only and never signs in/);
  });

  it('a NIP-17 message says so, and that every relay sees the recipient', () => {
    const sent = relayView({ kind: 1059, tag: 'recipient', bytes: 1200, createdAtOffset: 86_400 + 4 * 3600, relays: [] }, 'out');
    expect(sent.socket).toBe('nip17Publish');
    expect(detail(sent, 'out')).toMatchObject({
      Event: 'kind 1059, a NIP-17 gift wrap: sealed, and signed by a one-time key',
      'p tag': 'your contact’s npub, in the clear: every relay sees who it is for',
      Size: '1,200 bytes of encrypted content; the size hints at how long the message is',
      created_at: '1 day 4 h before the real time (set back at random, up to two days)',
      Relays: 'not recorded',
      Connection: 'the NIP-17 publish connection, which publishes gift wraps only'
    });
    const got = relayView({ kind: 1059, tag: 'recipient', bytes: 1200, createdAtOffset: -90, relays: [RELAY] }, 'in');
    expect(detail(got, 'in')).toMatchObject({ 'p tag': 'your npub, in the clear: every relay sees who it is for', created_at: '1 min after the real time (the sender’s clock)' });
    expect(detail(got, 'in').Connection).toMatch(/DM connection, signed in to your DM relays as you/);
    expect(relayViewText(got, 'in').compare).toMatch(/^This is a NIP-17 message: the recipient’s npub is in its p tag, visible to every relay/);
    expect(relayViewText({ ...got, kind: 4 }, 'in').compare).toMatch(/legacy NIP-04/);
  });

  it('durations in plain units', () => {
    expect([45, 12 * 60, 3 * 3600, 3 * 3600 + 60, 2 * 86_400, -30].map(span)).toEqual(['45 s', '12 min', '3 h', '3 h 1 min', '2 days', '30 s']);
  });
});
