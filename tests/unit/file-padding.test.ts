/**
 * Padded file sizes (issue 15 §1, docs/proposals/0010-files.md): a file for a Veil contact is padded
 * with zeros to its Padmé length before encryption, so the file server sees a rounded size; the
 * envelope's `plain-size` tells the receiver where the file ends. The padding must be zeros, the size
 * in range, and a padded file never goes to a NIP-17 client (which knows no `plain-size`).
 */
import { describe, expect, it } from 'vitest';
import { decryptNip17File, encryptFile, padmeLength } from '../../src/lib/crypto/file';
import { fileEventTags, parseFile, type Nip17File } from '../../src/lib/crypto/nip17';
import { randomBytes } from '../../src/lib/shared/bytes';
import { isVeilError } from '../../src/lib/shared/errors';
import { fileMessage, storedFile } from '../../src/lib/sync/stored-content';

/** Padmé as the paper writes it, with bit operations (n < 2^31). */
function padmeReference(n: number): number {
  if (n < 2) return n;
  const e = 31 - Math.clz32(n);
  const s = 32 - Math.clz32(e);
  const mask = (1 << (e - s)) - 1;
  return (n + mask) & ~mask;
}

describe('Padmé lengths', () => {
  it('matches the paper, never shrinks, adds at most 12%, and leaves few distinct sizes', () => {
    const sizes = new Set<number>();
    for (let n = 0; n < 300_000; n++) {
      const p = padmeLength(n);
      expect(p).toBe(padmeReference(n));
      if (n > 0) expect(p / n).toBeLessThanOrEqual(1.12);
      expect(p).toBeGreaterThanOrEqual(n);
      if (n >= 100_000) sizes.add(p);
    }
    // 200,000 file sizes between 100 kB and 300 kB become this few padded ones.
    expect(sizes.size).toBeLessThan(100);
    for (const n of [5 * 1024 * 1024 + 12_345, 25 * 1024 * 1024 - 16, 2 ** 30 + 1]) expect(padmeLength(n)).toBe(padmeReference(n));
    expect((padmeLength(5 * 1024 * 1024 + 12_345) - (5 * 1024 * 1024 + 12_345)) / (5 * 1024 * 1024)).toBeLessThan(0.025);
    expect(() => padmeLength(-1)).toThrow();
    expect(() => padmeLength(1.5)).toThrow();
  });
});

describe('padded files', () => {
  const asFile = (sealed: Awaited<ReturnType<typeof encryptFile>>['file']): Nip17File => ({ ...sealed, url: 'https://files.example/x', fallbacks: [] });

  it('the ciphertext has the padded size; the receiver gets the file back exactly, through the tags and the store', async () => {
    const plain = randomBytes(100_003);
    const { ciphertext, file } = await encryptFile(plain, { pad: true });
    expect(ciphertext.length).toBe(padmeLength(plain.length) + 16);
    expect(ciphertext.length).toBeGreaterThan(plain.length + 16);
    expect(file.plainSize).toBe(plain.length);
    const sent = asFile(file);
    // Over the envelope's tags, and back out of the store.
    const received = parseFile({ content: sent.url, tags: fileEventTags(sent, { veil: true }) });
    expect(received.plainSize).toBe(plain.length);
    expect(storedFile(fileMessage(received).tags!)?.plainSize).toBe(plain.length);
    expect((await decryptNip17File(ciphertext, received)).bytes).toEqual(plain);
    // Unpadded (a NIP-17 contact): the exact size, no plain-size tag.
    const plainFile = await encryptFile(plain);
    expect(plainFile.ciphertext.length).toBe(plain.length + 16);
    expect(plainFile.file.plainSize).toBeUndefined();
    expect(fileEventTags(sent).some((t) => t[0] === 'plain-size')).toBe(false);
  });

  it('refuses a plain-size beyond the file, padding that is not zeros, and a malformed plain-size', async () => {
    const plain = randomBytes(70_001);
    plain[plain.length - 1] = 7; // not a zero: cut off as padding, it must be refused
    const { ciphertext, file } = await encryptFile(plain, { pad: true });
    const sent = asFile(file);
    const refused = async (f: Nip17File, ct = ciphertext) => isVeilError(await decryptNip17File(ct, f).catch((e: unknown) => e), 'DECRYPT_FAILED');
    expect(await refused({ ...sent, plainSize: padmeLength(plain.length) + 1 })).toBe(true);
    // A sender that put bytes in the padding (cut off, they would be hidden data): refused. The ox
    // check would not catch it, as ox covers the first plainSize bytes only.
    const { originalSha256: _, ...noOx } = sent;
    expect(await refused({ ...noOx, plainSize: plain.length - 1 })).toBe(true);
    expect(() => parseFile({ content: sent.url, tags: [...fileEventTags(sent), ['plain-size', '-1']] })).toThrow();
    expect(() => parseFile({ content: sent.url, tags: [...fileEventTags(sent), ['plain-size', '1e3']] })).toThrow();
  });
});
