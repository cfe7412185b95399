/**
 * "What relays saw" of a message in plain words (issue 10 item 3): the outer event as relays stored
 * it (sync/outer.ts), set beside how the same message would look as NIP-17. Runs (and is tested) in Node.
 */
import { CLASS_COUNT, classOfContentLength } from '../camouflage/classes';
import type { RelayView } from '$lib/sync/types';
import { m } from '../paraglide/messages';
import { getLocale } from '../paraglide/runtime';

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
  return `${m.span_days({ count: d })}${h % 24 ? ` ${h % 24} h` : ''}`;
}

function eventText(kind: number): string {
  if (kind === 1067) return m.rv_kind_1067();
  if (kind === 1059) return m.rv_kind_1059();
  if (kind === 4) return m.rv_kind_4();
  return m.rv_kind_other({ kind });
}

function tagText(v: RelayView, outgoing: boolean): string {
  if (v.tag === 'bucket') return m.rv_tag_bucket();
  if (v.tag === 'intro') return m.rv_tag_intro();
  return outgoing ? m.rv_tag_contact_npub() : m.rv_tag_my_npub();
}

function sizeText(v: RelayView): string {
  const k = v.kind === 1067 ? classOfContentLength(v.bytes) : -1;
  const bytes = m.rv_bytes({ bytes: v.bytes.toLocaleString(getLocale()) });
  if (k >= 0) return m.rv_size_class({ bytes, k: k + 1, n: CLASS_COUNT });
  return m.rv_size_plain({ bytes });
}

function timeText(offset: number): string {
  if (offset === 0) return m.rv_time_real();
  if (offset > 0) return m.rv_time_before({ span: span(offset) });
  return m.rv_time_after({ span: span(offset) });
}

function socketText(v: RelayView, outgoing: boolean): string {
  if (!outgoing) {
    return v.readBy === 'dmRead'
      ? m.rv_read_dm()
      : m.rv_read_envelope();
  }
  return v.socket === 'envelopePublish'
    ? m.rv_publish_envelope()
    : m.rv_publish_nip17();
}

function compareText(v: RelayView): string {
  if (v.kind === 1067)
    return m.rv_compare_1067();
  if (v.kind === 4) return m.rv_compare_4();
  return m.rv_compare_nip17();
}

export function relayViewText(v: RelayView, direction: 'in' | 'out'): RelayViewText {
  const outgoing = direction === 'out';
  return {
    rows: [
      { term: m.rv_term_event(), detail: eventText(v.kind) },
      { term: m.rv_term_p(), detail: tagText(v, outgoing) },
      { term: m.rv_term_size(), detail: sizeText(v) },
      { term: m.rv_term_created(), detail: timeText(v.createdAtOffset) },
      { term: m.rv_term_relays(), detail: v.relays.length > 0 ? v.relays.join(', ') : m.rv_not_recorded() },
      { term: m.rv_term_connection(), detail: socketText(v, outgoing) }
    ],
    compare: compareText(v)
  };
}
