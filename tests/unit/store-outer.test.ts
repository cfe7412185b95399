/**
 * A message's outer event ("what the relays saw", issue 10 item 3) in the store: an optional,
 * bounded field of the sealed content. Records written before it existed stay valid; bad values are
 * refused with the store's error codes; the field is sealed at rest like the rest of the content.
 */
import { describe, expect, it } from 'vitest';
import type { MessageInput, OuterEvent } from '../../src/lib/store/db';
import { MAX_OUTBOX_ITEMS, MAX_OUTER_OFFSET_S } from '../../src/lib/store/db';
import { validContent, validOuter } from '../../src/lib/store/validate';
import { isVeilError } from '../../src/lib/shared/errors';
import { findPlaintext, hexId, rawDump, storeWithChat } from '../helpers/store-idb';

const BOB = hexId(0xb0b);
const RELAY = 'wss://bucket-relay.example.com';
const OUTER: OuterEvent = { kind: 1067, tag: 'bucket', bytes: 1368, createdAtOffset: 3_600, relays: [RELAY, 'wss://second.example.org'] };

function msg(n: number, cid: string, outer?: OuterEvent): MessageInput {
  return {
    id: hexId(n),
    conversationId: cid,
    createdAt: 1_000 + n,
    direction: 'in',
    status: 'received',
    content: { body: `message ${n}`, sender: BOB, kind: 14, ...(outer ? { outer } : {}) }
  };
}

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return isVeilError(e) ? e.code : 'not a VeilError';
  }
  return undefined;
}

describe('the outer event of a stored message', () => {
  it('is optional: content without it (every record written before it existed) is still valid, and unchanged', () => {
    const old = { body: 'hi', sender: BOB, kind: 14 };
    expect(validContent(old)).toEqual(old);
    expect(validContent({ ...old, outer: OUTER }).outer).toEqual(OUTER);
  });

  it('keeps only the known fields, and each of the three tag meanings', () => {
    expect(validOuter({ ...OUTER, extra: 'dropped' })).toEqual(OUTER);
    for (const tag of ['bucket', 'intro', 'recipient'] as const) expect(validOuter({ ...OUTER, tag }).tag).toBe(tag);
    expect(validOuter({ ...OUTER, createdAtOffset: -120 }).createdAtOffset).toBe(-120); // a sender's clock ahead
    expect(validOuter({ ...OUTER, relays: [] }).relays).toEqual([]);
  });

  it.each([
    ['not an object', 'outer'],
    ['an unknown tag', { ...OUTER, tag: 'pubkey' }],
    ['a kind out of range', { ...OUTER, kind: 70_000 }],
    ['a fractional kind', { ...OUTER, kind: 1067.5 }],
    ['negative bytes', { ...OUTER, bytes: -1 }],
    ['bytes as text', { ...OUTER, bytes: '1368' }],
    ['an offset beyond a year', { ...OUTER, createdAtOffset: MAX_OUTER_OFFSET_S + 1 }],
    ['a fractional offset', { ...OUTER, createdAtOffset: 1.5 }],
    ['a relay that is not ws/wss', { ...OUTER, relays: ['https://relay.example.com'] }],
    ['relays not a list', { ...OUTER, relays: RELAY }],
    ['too many relays', { ...OUTER, relays: Array.from({ length: MAX_OUTBOX_ITEMS + 1 }, (_, i) => `wss://r${i}.example.com`) }]
  ])('is refused with %s', (_what, outer) => {
    expect(code(() => validContent({ body: 'hi', sender: BOB, kind: 14, outer }))).toBe('INVALID_INPUT');
  });

  it('is stored and read back with the message, sealed at rest; an old record beside it reads without one', async () => {
    const { platform, store, cid } = await storeWithChat('veil-outer', BOB, 'test passphrase');
    expect(await store.addMessage(msg(1, cid))).toBe('added');
    expect(await store.addMessage(msg(2, cid, OUTER))).toBe('added');
    const page = await store.pageMessages(cid, { limit: 10 });
    expect(page.corrupted).toBe(0);
    expect(page.messages.find((m) => m.id === hexId(2))?.content.outer).toEqual(OUTER);
    expect(page.messages.find((m) => m.id === hexId(1))?.content.outer).toBeUndefined();
    // A stolen disk does not show which relays carried it.
    const dump = await rawDump(platform, 'veil-outer');
    expect(dump.length).toBeGreaterThan(0);
    expect(dump.flatMap((r) => findPlaintext(r.value, 'bucket-relay.example.com'))).toEqual([]);
  });

  it('a bad one is refused before anything is written', async () => {
    const { store, cid } = await storeWithChat('veil-outer-bad', BOB, 'test passphrase');
    const err = await store.addMessage(msg(3, cid, { ...OUTER, tag: 'npub' as never })).catch((e: unknown) => e);
    expect(isVeilError(err) && err.code).toBe('INVALID_INPUT');
    expect(await store.getMessage(hexId(3))).toBeUndefined();
  });
});
