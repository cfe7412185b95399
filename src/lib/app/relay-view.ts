/**
 * "What relays saw" of a message in plain words (issue 10 item 3): the outer event as relays stored
 * it (sync/outer.ts), set beside how the same message would look as NIP-17. Runs (and is tested) in Node.
 */
import { CLASS_COUNT, classOfContentLength } from '../camouflage/classes';
import type { RelayView } from '$lib/sync/types';

export interface RelayViewText {
  /** Term and plain description, in the order shown. */
  rows: { term: string; detail: string }[];
  /** How the same message looks (or would look) as NIP-17. */
  compare: string;
}

/** "45 s", "12 min", "3 h 5 min", "1 day 4 h". */
export function span(seconds: number): string {
  const s = Math.abs(Math.round(seconds));
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 24) return `${h} h${min % 60 ? ` ${min % 60} min` : ''}`;
  const d = Math.floor(h / 24);
  return `${d} day${d === 1 ? '' : 's'}${h % 24 ? ` ${h % 24} h` : ''}`;
}

function eventText(kind: number): string {
  if (kind === 1067) return 'kind 1067, a Veil envelope: sealed, and signed by a one-time key';
  if (kind === 1059) return 'kind 1059, a NIP-17 gift wrap: sealed, and signed by a one-time key';
  if (kind === 4) return 'kind 4, a legacy NIP-04 message: signed by its author';
  return `kind ${kind}`;
}

function tagText(v: RelayView, outgoing: boolean): string {
  if (v.tag === 'bucket') return 'a shared bucket, where many people’s envelopes go each day: it names neither you nor your contact';
  if (v.tag === 'intro') return 'the intro bucket of that relay and day, shared by everyone’s first messages: it names no one';
  return `${outgoing ? 'your contact’s npub' : 'your npub'}, in the clear: every relay sees who it is for`;
}

function sizeText(v: RelayView): string {
  const k = v.kind === 1067 ? classOfContentLength(v.bytes) : -1;
  const bytes = `${v.bytes.toLocaleString('en-US')} bytes`;
  if (k >= 0) return `${bytes}, size ${k + 1} of the ${CLASS_COUNT} sizes every envelope is padded to`;
  return `${bytes} of encrypted content; the size hints at how long the message is`;
}

function timeText(offset: number): string {
  if (offset === 0) return 'the real time';
  if (offset > 0) return `${span(offset)} before the real time (set back at random, up to two days)`;
  return `${span(offset)} after the real time (the sender’s clock)`;
}

function socketText(v: RelayView, outgoing: boolean): string {
  if (!outgoing) {
    return v.readBy === 'dmRead'
      ? 'you read it on the DM connection, signed in to your DM relays as you'
      : 'you read it on the envelope-read connection, which reads buckets only and never signs in';
  }
  return v.socket === 'envelopePublish'
    ? 'the envelope-publish connection, which publishes envelopes only and reads nothing'
    : 'the NIP-17 publish connection, which publishes gift wraps only';
}

function compareText(v: RelayView): string {
  if (v.kind === 1067)
    return 'As NIP-17, the same message would be a kind 1059 gift wrap whose p tag is the recipient’s npub, visible to every relay that stores it.';
  if (v.kind === 4) return 'This is a legacy NIP-04 message: its sender, its recipient and the real time are visible to every relay.';
  return 'This is a NIP-17 message: the recipient’s npub is in its p tag, visible to every relay that stores it. A Veil envelope would name only a shared bucket.';
}

export function relayViewText(v: RelayView, direction: 'in' | 'out'): RelayViewText {
  const outgoing = direction === 'out';
  return {
    rows: [
      { term: 'Event', detail: eventText(v.kind) },
      { term: 'p tag', detail: tagText(v, outgoing) },
      { term: 'Size', detail: sizeText(v) },
      { term: 'created_at', detail: timeText(v.createdAtOffset) },
      { term: 'Relays', detail: v.relays.length > 0 ? v.relays.join(', ') : 'not recorded' },
      { term: 'Connection', detail: socketText(v, outgoing) }
    ],
    compare: compareText(v)
  };
}
