/**
 * inbox.ts (kind 11067 record: build, parse, merge, removal, bounds) and card.ts (compact signed
 * contact card: round trip, link found anywhere in text, strict parsing, forgery, size), with
 * fast-check round trips and garbage inputs.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { finalizeEvent } from 'nostr-tools/pure';
import {
  INBOX_RECORD_KIND,
  MAX_DEVICES,
  buildInboxRecord,
  isSafeDisplayText,
  mergeInboxRecords,
  parseInboxRecord,
  removeDevice,
  upsertDevice,
  type InboxDevice,
  type InboxRecordData
} from '../../src/lib/crypto/inbox';
import {
  MAX_CARD_BYTES,
  MAX_CARD_CHARS,
  base64UrlDecode,
  contactCardLink,
  decodeContactCard,
  encodeContactCard,
  findContactCard
} from '../../src/lib/crypto/card';
import { parseContactInput } from '../../src/lib/crypto/nip19';
import { LocalSigner } from '../../src/lib/crypto/signer';
import { generateSecretKey, getXOnlyPublicKey } from '../../src/lib/crypto/keys';
import { bytesToHex, randomBytes } from '../../src/lib/shared/bytes';
import { VeilError, isVeilError } from '../../src/lib/shared/errors';

const pk = (sk: Uint8Array) => bytesToHex(getXOnlyPublicKey(sk));
const ekHex = () => pk(generateSecretKey());
const devId = () => bytesToHex(randomBytes(8));
function device(over: Partial<InboxDevice> = {}): InboxDevice {
  return { id: devId(), ek: ekHex(), addedAt: 1_700_000_000, label: 'laptop', relays: ['wss://relay.example', 'wss://nos.example'], ...over };
}
function err(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return null;
}

describe('inbox record (kind 11067)', () => {
  it('build → sign → parse gives the same data; tags are canonical', async () => {
    const sk = generateSecretKey();
    const a = device({ label: 'phone' });
    const b = device({ label: '' });
    const data: InboxRecordData = { devices: [a, b], removed: [{ id: devId(), removedAt: 1_600_000_000 }] };
    const tpl = buildInboxRecord(data, 1_700_000_100);
    expect(tpl.kind).toBe(INBOX_RECORD_KIND);
    expect(tpl.tags[0]).toEqual(['v', '1']);
    const ev = await new LocalSigner(sk).signEvent(tpl);
    const rec = parseInboxRecord(ev);
    expect(rec.pubkey).toBe(pk(sk));
    expect(rec.devices).toEqual([a, b].sort((x, y) => (x.id < y.id ? -1 : 1)));
    expect(rec.removed).toEqual(data.removed);
  });

  it('rejects bad records: wrong kind, bad EK, unnormalized relay, too many devices, bad signature, control chars', async () => {
    const s = new LocalSigner(generateSecretKey());
    const good = buildInboxRecord({ devices: [device()], removed: [] }, 1_700_000_000);
    const sign = (tags: string[][], kind = INBOX_RECORD_KIND) => s.signEvent({ ...good, kind, tags });
    const d = good.tags[1]!;
    const cases: [Promise<unknown>, string][] = [
      [sign(good.tags, 11068), 'INVALID_EVENT'],
      [sign([['v', '1'], ['device', d[1]!, 'f'.repeat(64), ...d.slice(3)]]), 'INVALID_EVENT'],
      [sign([['v', '1'], ['device', ...d.slice(1, 5), 'wss://Relay.example/']]), 'INVALID_EVENT'],
      [sign([['v', '1'], ['device', ...d.slice(1, 5), 'https://relay.example']]), 'INVALID_EVENT'],
      [sign([['v', '1'], ['device', ...d.slice(1, 5)]]), 'INVALID_EVENT'],
      [sign([['v', '2'], ...good.tags.slice(1)]), 'INVALID_EVENT'],
      [sign([['v', '1'], ['device', d[1]!, d[2]!, '01', ...d.slice(4)]]), 'INVALID_EVENT'],
      [sign([['v', '1'], ['device', d[1]!, d[2]!, d[3]!, 'evil\u202e', ...d.slice(5)]]), 'INVALID_EVENT'],
      [sign([['v', '1'], ...Array.from({ length: MAX_DEVICES + 1 }, () => buildInboxRecord({ devices: [device()], removed: [] }, 1).tags[1]!)]), 'TOO_LARGE']
    ];
    for (const [p, code] of cases) {
      const ev = await p;
      expect(isVeilError(err(() => parseInboxRecord(ev)), code as 'INVALID_EVENT')).toBe(true);
    }
    const ev = await s.signEvent(good);
    expect(isVeilError(err(() => parseInboxRecord({ ...ev, content: 'x' })), 'INVALID_EVENT')).toBe(true);
    expect(isVeilError(err(() => parseInboxRecord({ ...ev, sig: 'ab'.repeat(64) })), 'INVALID_SIGNATURE')).toBe(true);
    expect(isVeilError(err(() => buildInboxRecord({ devices: [], removed: [] }, 1)), 'INVALID_EVENT')).toBe(true);
    const shared = ekHex();
    expect(isVeilError(err(() => buildInboxRecord({ devices: [device({ ek: shared }), device({ ek: shared })], removed: [] }, 1)), 'INVALID_EVENT')).toBe(true);
  });

  it('merge: both devices of one identity appear; newest entry per device wins; order does not matter', () => {
    const laptop = device({ label: 'laptop' });
    const phone = device({ label: 'phone' });
    const phoneRotated = { ...phone, ek: ekHex(), addedAt: phone.addedAt + 10 };
    const fromLaptop: InboxRecordData = { devices: [laptop, phone], removed: [] };
    const fromPhone: InboxRecordData = { devices: [phoneRotated], removed: [] };
    const m1 = mergeInboxRecords(fromLaptop, fromPhone);
    const m2 = mergeInboxRecords(fromPhone, fromLaptop);
    expect(m1).toEqual(m2);
    expect(m1.devices.length).toBe(2);
    expect(m1.devices.find((d) => d.id === phone.id)!.ek).toBe(phoneRotated.ek);
    expect(m1.devices.find((d) => d.id === laptop.id)!.label).toBe('laptop');
  });

  it('removal: a removed device stays removed when merged with an older copy, and can be re-added later', () => {
    const laptop = device();
    const lost = device({ label: 'lost phone' });
    const before: InboxRecordData = { devices: [laptop, lost], removed: [] };
    const after = removeDevice(before, lost.id, lost.addedAt + 100);
    expect(after.devices.map((d) => d.id)).toEqual([laptop.id]);
    expect(after.removed).toEqual([{ id: lost.id, removedAt: lost.addedAt + 100 }]);
    expect(mergeInboxRecords(before, after).devices.map((d) => d.id)).toEqual([laptop.id]);
    const back = upsertDevice(after, { ...lost, ek: ekHex(), addedAt: lost.addedAt + 200 });
    expect(back.devices.length).toBe(2);
    expect(back.removed).toEqual([]);
    expect(isVeilError(err(() => mergeInboxRecords({ devices: Array.from({ length: 5 }, () => device()), removed: [] }, { devices: Array.from({ length: 4 }, () => device()), removed: [] })), 'TOO_LARGE')).toBe(true);
  });
});

describe('contact card', () => {
  async function signedRecord(sk = generateSecretKey(), devices = [device()], removed: InboxRecordData['removed'] = []) {
    return new LocalSigner(sk).signEvent(buildInboxRecord({ devices, removed }, 1_700_000_500));
  }

  it('round trips a signed record plus a name; link is found anywhere in pasted text', async () => {
    const sk = generateSecretKey();
    const ev = await signedRecord(sk, [device({ label: 'téléphone' }), device({ relays: ['ws://127.0.0.1:7777'] })], [{ id: devId(), removedAt: 5 }]);
    const payload = encodeContactCard(ev, 'Alice 🌻');
    const card = decodeContactCard(payload);
    expect(card.pubkey).toBe(pk(sk));
    expect(card.name).toBe('Alice 🌻');
    expect(card.event.id).toBe(ev.id);
    expect([...card.relays].sort()).toEqual(['ws://127.0.0.1:7777', 'wss://nos.example', 'wss://relay.example']);
    expect(card.devices).toEqual(parseInboxRecord(ev).devices);
    const link = contactCardLink('https://veil.example', payload);
    expect(link).toBe(`https://veil.example/#c=${payload}`);
    for (const text of [link, `  Hi! Add me on Veil: ${link} — see you\n`, `web+veil:c=${payload}`]) {
      const parsed = parseContactInput(text);
      expect(parsed.type).toBe('card');
      expect(parsed.pubkey).toBe(pk(sk));
      expect(findContactCard(text)!.event.sig).toBe(ev.sig);
    }
    expect(findContactCard('no card here')).toBeNull();
    expect(isVeilError(err(() => contactCardLink('http://veil.example', payload)), 'INVALID_INPUT')).toBe(true);
  });

  it('a typical card (one device, two relays) is small enough for an easy QR code', async () => {
    const payload = encodeContactCard(await signedRecord(), 'Alice');
    const bytes = base64UrlDecode(payload).length;
    expect(bytes).toBeLessThan(260);
    expect(payload.length).toBeLessThan(350);
  });

  it('detects damage and forgery: any changed character, another key claiming the npub, trailing bytes', async () => {
    const victim = generateSecretKey();
    const payload = encodeContactCard(await signedRecord(victim));
    // Flip every 7th character: each must be rejected (not read as different valid data).
    for (let i = 0; i < payload.length - 1; i += 7) {
      const c = payload[i] === 'A' ? 'B' : 'A';
      const damaged = payload.slice(0, i) + c + payload.slice(i + 1);
      const e = err(() => decodeContactCard(damaged));
      expect(e).toBeInstanceOf(VeilError);
    }
    // Mallory signs a record with her EK and swaps in the victim's pubkey: signature fails.
    const forged = base64UrlDecode(encodeContactCard(await signedRecord(generateSecretKey())));
    forged.set(getXOnlyPublicKey(victim), 1);
    const fe = err(() => decodeContactCard(Buffer.from(forged).toString('base64url')));
    expect(isVeilError(fe, 'INVALID_CONTACT_CARD')).toBe(true);
    expect((fe as Error).message).toMatch(/signature/);
    const longer = Buffer.concat([base64UrlDecode(payload), Buffer.of(0)]).toString('base64url');
    expect(isVeilError(err(() => decodeContactCard(longer)), 'INVALID_CONTACT_CARD')).toBe(true);
    expect(isVeilError(err(() => decodeContactCard('A'.repeat(MAX_CARD_CHARS + 1))), 'TOO_LARGE')).toBe(true);
    expect(isVeilError(err(() => decodeContactCard('')), 'INVALID_CONTACT_CARD')).toBe(true);
  });

  it('refuses to encode a non-canonical record or one that does not fit', async () => {
    const s = new LocalSigner(generateSecretKey());
    const tpl = buildInboxRecord({ devices: [device(), device()], removed: [] }, 1);
    const reordered = await s.signEvent({ ...tpl, tags: [tpl.tags[0]!, tpl.tags[2]!, tpl.tags[1]!] });
    expect(isVeilError(err(() => encodeContactCard(reordered)), 'INVALID_CONTACT_CARD')).toBe(true);
    const longRelays = Array.from({ length: 8 }, (_, i) => `wss://relay-${i}.${'x'.repeat(150)}.example`);
    const big = await s.signEvent(buildInboxRecord({ devices: [device({ relays: longRelays })], removed: [] }, 1));
    const e = err(() => encodeContactCard(big));
    expect(isVeilError(e, 'TOO_LARGE')).toBe(true);
    expect(MAX_CARD_BYTES).toBe(1024);
  });
});

describe('card and inbox properties (fast-check)', () => {
  const labelArb = fc.string({ maxLength: 12 }).filter((s) => isSafeDisplayText(s) && Buffer.byteLength(s) <= 32);
  const relayArb = fc.constantFrom('wss://relay.example', 'wss://nos.lol', 'ws://127.0.0.1:7777', 'wss://r.example/path', 'wss://a.example:444');
  const sk = generateSecretKey();
  const signer = new LocalSigner(sk);
  const eks = Array.from({ length: 40 }, ekHex);

  it('any valid record round trips through a card (1000 runs)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 0, max: 39 }), { minLength: 1, maxLength: 3 }),
        fc.array(labelArb, { minLength: 3, maxLength: 3 }),
        fc.uniqueArray(relayArb, { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        labelArb,
        async (ekIdx, labels, relays, t, name) => {
          const devices = ekIdx.map((i, j) => ({ id: bytesToHex(randomBytes(8)), ek: eks[i]!, addedAt: t, label: labels[j]!, relays }));
          const ev = await signer.signEvent(buildInboxRecord({ devices, removed: [] }, t));
          const card = decodeContactCard(encodeContactCard(ev, name));
          expect(card.event.id).toBe(ev.id);
          expect(card.name).toBe(name);
          expect(card.devices).toEqual([...devices].sort((x, y) => (x.id < y.id ? -1 : 1)));
        }
      ),
      { numRuns: 1000 }
    );
  }, 120_000);

  it('random garbage never throws anything but VeilError (1000 runs)', () => {
    const good = Buffer.from(
      base64UrlDecode(encodeContactCard(finalizeEvent(buildInboxRecord({ devices: [device()], removed: [] }, 1), sk)))
    );
    const garbage = fc.oneof(
      fc.string({ maxLength: 400 }),
      fc.base64String({ maxLength: 400 }).map((s) => s.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')),
      fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b).toString('base64url')),
      fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.concat([Buffer.of(1), b]).toString('base64url')),
      fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 1, max: 255 })).map(([i, x]) => {
        const c = Buffer.from(good);
        c[i] = c[i]! ^ x;
        return c.toString('base64url');
      })
    );
    fc.assert(
      fc.property(garbage, (s) => {
        for (const f of [decodeContactCard, (t: string) => findContactCard('#c=' + t), (t: string) => parseContactInput('https://v.example/#c=' + t)]) {
          try {
            f(s);
          } catch (e) {
            expect(e).toBeInstanceOf(VeilError);
          }
        }
      }),
      { numRuns: 1000 }
    );
  });
});
