/**
 * Inline thumbnails of image messages (issue 15 §1): a small picture rides inside the Veil envelope as
 * a `thumb` data URL, so the chat shows it before anything is fetched. What is accepted (a base64
 * WebP, JPEG or PNG within the budget, nothing else), that NIP-17 gift wraps never carry one, that it
 * survives the store and is checked again when read back, and that a sender can tell before signing
 * whether an inner event still fits in an envelope.
 */
import { describe, expect, it } from 'vitest';
import { innerTemplateFits } from '../../src/lib/crypto/envelope';
import { encryptFile } from '../../src/lib/crypto/file';
import { fileEventTags, isInlineThumb, MAX_INLINE_THUMB_CHARS, parseFile, type Nip17File } from '../../src/lib/crypto/nip17';
import { MAX_PAYLOAD_BYTES } from '../../src/lib/crypto/padding';
import { base64Encode, randomBytes } from '../../src/lib/shared/bytes';
import { fileMessage, storedFile } from '../../src/lib/sync/stored-content';

const webp = (n: number): string => `data:image/webp;base64,${base64Encode(randomBytes(n))}`;
const base = { content: 'https://files.example/abc', tags: [['decryption-key', 'ab'.repeat(32)], ['decryption-nonce', 'cd'.repeat(12)]] };

describe('inline thumbnails', () => {
  it('accepts a base64 WebP, JPEG or PNG data URL within the budget, and nothing else', () => {
    expect(isInlineThumb(webp(100))).toBe(true);
    expect(isInlineThumb(`data:image/jpeg;base64,${base64Encode(randomBytes(90))}`)).toBe(true);
    expect(isInlineThumb(`data:image/png;base64,${base64Encode(randomBytes(90))}`)).toBe(true);
    const largest = Math.floor(((MAX_INLINE_THUMB_CHARS - 'data:image/webp;base64,'.length) / 4) * 3);
    expect(isInlineThumb(webp(largest))).toBe(true);
    expect(isInlineThumb(webp(largest + 3))).toBe(false);
    for (const bad of [
      `data:image/svg+xml;base64,${base64Encode(new TextEncoder().encode('<svg onload="alert(1)"/>'))}`,
      'data:text/html;base64,PHNjcmlwdD4=',
      'javascript:alert(1)',
      'data:image/webp,<raw>',
      'data:image/webp;base64,AAAA"onerror="x',
      'https://files.example/thumb.webp',
      '',
      42
    ])
      expect(isInlineThumb(bad)).toBe(false);
  });

  it('parseFile keeps a data thumb as inlineThumb and an https one as thumb; a bad one as neither', () => {
    const t = webp(600);
    expect(parseFile({ ...base, tags: [...base.tags, ['thumb', t]] }).inlineThumb).toBe(t);
    const https = parseFile({ ...base, tags: [...base.tags, ['thumb', 'https://files.example/t']] });
    expect(https.thumb).toBe('https://files.example/t');
    expect(https.inlineThumb).toBeUndefined();
    const svg = parseFile({ ...base, tags: [...base.tags, ['thumb', 'data:image/svg+xml;base64,PHN2Zy8+']] });
    expect(svg.thumb).toBeUndefined();
    expect(svg.inlineThumb).toBeUndefined();
  });

  it('only envelopes carry it: fileEventTags leaves it out unless asked', async () => {
    const t = webp(600);
    const { file: sealed } = await encryptFile(randomBytes(1000), { mimeType: 'image/webp', dim: '640x480', inlineThumb: t });
    const file: Nip17File = { ...sealed, url: 'https://files.example/x', fallbacks: [] };
    expect(file.inlineThumb).toBe(t);
    expect(fileEventTags(file).some((x) => x[0] === 'thumb')).toBe(false);
    expect(fileEventTags(file, { veil: true })).toContainEqual(['thumb', t]);
    // Something that is no thumbnail never gets in, even when asked.
    expect((await encryptFile(randomBytes(10), { inlineThumb: 'javascript:alert(1)' })).file.inlineThumb).toBeUndefined();
  });

  it('survives the store with its dimensions, and is checked again when read back', async () => {
    const t = webp(2000);
    const { file: sealed } = await encryptFile(randomBytes(1000), { mimeType: 'image/png', dim: '800x600', inlineThumb: t });
    const stored = fileMessage({ ...sealed, url: 'https://files.example/x', fallbacks: [] });
    const back = storedFile(stored.tags!);
    expect(back).toMatchObject({ inlineThumb: t, dim: '800x600', mimeType: 'image/png' });
    // A disk writer's swapped thumbnail is not shown.
    const tampered = stored.tags!.map((x) => (x[0] === 'veil-thumb' ? [x[0], 'data:image/svg+xml;base64,PHN2Zy8+'] : x));
    expect(storedFile(tampered)?.inlineThumb).toBeUndefined();
    expect(storedFile(tampered)?.url).toBe('https://files.example/x');
  });

  it('innerTemplateFits tells exactly whether the signed inner event fits in an envelope', () => {
    const template = (content: string) => ({ created_at: 1_780_000_000, kind: 15, tags: [['p', 'ab'.repeat(32)]], content });
    const json = (content: string) =>
      JSON.stringify({ id: '0'.repeat(64), pubkey: '0'.repeat(64), created_at: 1_780_000_000, kind: 15, tags: [['p', 'ab'.repeat(32)]], content, sig: '0'.repeat(128) });
    const room = MAX_PAYLOAD_BYTES - json('').length;
    expect(innerTemplateFits(template('x'.repeat(room)))).toBe(true);
    expect(innerTemplateFits(template('x'.repeat(room + 1)))).toBe(false);
    // Bytes, not characters: a character of three UTF-8 bytes counts three.
    expect(innerTemplateFits(template('€'.repeat(Math.floor(room / 3) + 1)))).toBe(false);
  });
});
