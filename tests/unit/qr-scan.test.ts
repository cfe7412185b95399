/**
 * Scanning a contact's QR code (app/qr-scan.ts) and what the New chat box shows before the chat
 * starts (app/contact-preview.ts): QR images made with qrcode-generator, read back with jsQR.
 */
import { describe, expect, it } from 'vitest';
import { buildInboxRecord } from '../../src/lib/crypto/inbox';
import { contactCardLink, encodeContactCard } from '../../src/lib/crypto/card';
import { encodeNpub, encodeNprofile, encodeNsec } from '../../src/lib/crypto/nip19';
import { generateSecretKey, getXOnlyPublicKey } from '../../src/lib/crypto/keys';
import { LocalSigner } from '../../src/lib/crypto/signer';
import { bytesToHex, randomBytes } from '../../src/lib/shared/bytes';
import { isVeilError, type VeilErrorCode } from '../../src/lib/shared/errors';
import { describeError } from '../../src/lib/app/errors';
import { cameraError, contactFromQr, decodeQrPixels } from '../../src/lib/app/qr-scan';
import { readContactBox } from '../../src/lib/app/contact-preview';
import { npubFingerprint } from '../../src/lib/sync/profile';
import { qrPixels } from '../helpers/qr-image';

const pk = (sk: Uint8Array) => bytesToHex(getXOnlyPublicKey(sk));

async function cardLink(sk: Uint8Array, name: string): Promise<string> {
  const device = { id: bytesToHex(randomBytes(8)), ek: pk(generateSecretKey()), addedAt: 1_700_000_000, label: '', relays: ['wss://relay.example', 'ws://127.0.0.1:7777'] };
  const record = await new LocalSigner(sk).signEvent(buildInboxRecord({ devices: [device], removed: [] }, 1_700_000_100));
  return contactCardLink('https://veil.example', encodeContactCard(record, name));
}

function codeOf(f: () => unknown): VeilErrorCode | undefined {
  try {
    f();
  } catch (e) {
    if (isVeilError(e)) return e.code;
    throw e;
  }
  return undefined;
}

describe('decodeQrPixels', () => {
  it('reads back the text of a generated QR code: a card link, an npub, an nprofile, with nostr:', async () => {
    const sk = generateSecretKey();
    const texts = [
      await cardLink(sk, 'Alice'),
      encodeNpub(pk(sk)),
      `nostr:${encodeNpub(pk(sk))}`,
      encodeNprofile({ pubkey: pk(sk), relays: ['wss://relay.example'] })
    ];
    for (const text of texts) expect(await decodeQrPixels(qrPixels(text))).toBe(text);
  });

  it('finds a small code in a large picture, and a light-on-dark code only when thorough', async () => {
    const npub = encodeNpub(pk(generateSecretKey()));
    expect(await decodeQrPixels(qrPixels(npub, { scale: 3, width: 900, height: 700 }))).toBe(npub);
    const img = qrPixels(npub);
    const inverted = { ...img, data: img.data.map((v, i) => (i % 4 === 3 ? v : 255 - v)) };
    expect(await decodeQrPixels(inverted)).toBeNull();
    expect(await decodeQrPixels(inverted, true)).toBe(npub);
  });

  it('is null for a picture without a code, and refuses pixels whose length does not match', async () => {
    const white = { data: new Uint8ClampedArray(200 * 200 * 4).fill(255), width: 200, height: 200 };
    expect(await decodeQrPixels(white, true)).toBeNull();
    await expect(decodeQrPixels({ ...white, width: 199 })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});

describe('contactFromQr', () => {
  it('an npub, an nprofile or a card link (with text around it) is a contact; the text goes in the box', async () => {
    const sk = generateSecretKey();
    const link = await cardLink(sk, 'Alice');
    const card = contactFromQr(`  ${link}\n`);
    expect(card.text).toBe(link);
    expect(card.contact).toMatchObject({ type: 'card', pubkey: pk(sk) });
    expect(contactFromQr(encodeNpub(pk(sk))).contact).toMatchObject({ type: 'npub', pubkey: pk(sk) });
    expect(contactFromQr(`nostr:${encodeNpub(pk(sk))}`).contact.pubkey).toBe(pk(sk));
    expect(contactFromQr(encodeNprofile({ pubkey: pk(sk), relays: ['wss://r.example'] })).contact).toMatchObject({
      type: 'nprofile',
      relays: ['wss://r.example']
    });
  });

  it('anything else is QR_NOT_CONTACT, with the sentence people see', () => {
    for (const text of ['https://example.com/menu', 'WIFI:S:home;T:WPA;P:secret;;', '', 'npub1hello', pk(generateSecretKey()), 'x'.repeat(5000)]) {
      expect(codeOf(() => contactFromQr(text)), text.slice(0, 30)).toBe('QR_NOT_CONTACT');
    }
    let caught: unknown;
    try {
      contactFromQr('hello');
    } catch (e) {
      caught = e;
    }
    expect(describeError(caught)).toMatch(/^That QR code is not a Nostr contact\./);
  });

  it('a secret key keeps its warning, never echoed; a damaged card says it is damaged', async () => {
    const nsec = encodeNsec(generateSecretKey());
    let caught: unknown;
    try {
      contactFromQr(nsec);
    } catch (e) {
      caught = e;
    }
    expect(isVeilError(caught, 'NSEC_WHERE_CONTACT_EXPECTED')).toBe(true);
    expect(describeError(caught)).toMatch(/secret key.*Never share it/);
    expect(String((caught as Error).message) + describeError(caught)).not.toContain(nsec);
    const link = await cardLink(generateSecretKey(), '');
    expect(codeOf(() => contactFromQr(link.slice(0, -10)))).toBe('INVALID_CONTACT_CARD');
  });

  it('the whole path: a card QR image → the link for the box, its key and name', async () => {
    const sk = generateSecretKey();
    const link = await cardLink(sk, 'Bob 🌻');
    const text = await decodeQrPixels(qrPixels(link, { scale: 3 }));
    const scanned = contactFromQr(text!);
    expect(scanned.text).toBe(link);
    const box = readContactBox(scanned.text);
    expect(box).toMatchObject({ kind: 'contact', preview: { pubkey: pk(sk), cardName: 'Bob 🌻', from: 'card' } });
  });
});

describe('cameraError', () => {
  it('tells a refused camera from a missing or busy one', () => {
    expect(cameraError(new DOMException('no', 'NotAllowedError')).code).toBe('CAMERA_DENIED');
    expect(cameraError(new DOMException('no', 'NotFoundError')).code).toBe('CAMERA_UNAVAILABLE');
    const busy = cameraError(new DOMException('busy', 'NotReadableError'));
    expect(busy.code).toBe('CAMERA_UNAVAILABLE');
    expect(describeError(busy)).toMatch(/another app/);
    expect(describeError(cameraError(new DOMException('no', 'NotAllowedError')))).toMatch(/scan from an image/);
  });
});

describe('readContactBox', () => {
  it('shows the fingerprint the chat list shows, and the card name', async () => {
    const sk = generateSecretKey();
    const npub = encodeNpub(pk(sk));
    for (const text of [npub, encodeNprofile({ pubkey: pk(sk), relays: [] }), await cardLink(sk, 'Carol')]) {
      const box = readContactBox(text);
      expect(box.kind).toBe('contact');
      if (box.kind !== 'contact') continue;
      expect(box.preview.npub).toBe(npub);
      expect(box.preview.fingerprint).toBe(npubFingerprint(npub));
      expect(box.preview.fingerprint).toMatch(/^[02-9ac-hj-np-z]{4}·[02-9ac-hj-np-z]{4}$/);
    }
    const card = readContactBox(await cardLink(sk, 'Carol'));
    expect(card.kind === 'contact' && card.preview.cardName).toBe('Carol');
    const plain = readContactBox(npub);
    expect(plain.kind === 'contact' && plain.preview.cardName).toBe('');
  });

  it('empty, half-typed and wrong input is not a preview; a secret key is recognised as one', () => {
    expect(readContactBox('  ').kind).toBe('empty');
    expect(readContactBox('npub1abc').kind).toBe('incomplete');
    expect(readContactBox('bob@example.com').kind).toBe('incomplete');
    const secret = readContactBox(`here: ${encodeNsec(generateSecretKey())}`);
    expect(secret.kind).toBe('secret');
    expect(secret.kind === 'secret' && secret.error.code).toBe('NSEC_WHERE_CONTACT_EXPECTED');
  });
});
