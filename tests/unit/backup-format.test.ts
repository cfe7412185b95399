/**
 * The backup file format (src/lib/crypto/backup.ts, docs/proposals/0007-backup.md): round trips at several chunk
 * sizes, the published vectors (checked again with node:crypto's own scrypt and AES-GCM, an independent
 * implementation), and every way a file can be wrong: passphrase, a flipped byte anywhere, too costly KDF
 * parameters, a cut, dropped or swapped chunk, not a backup at all.
 */
import { createDecipheriv, scryptSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  BACKUP_HEADER_LEN, BackupReader, BackupWriter, MAX_BACKUP_KDF_MEMORY, openBackup, parseBackupHeader, sealBackup
} from '../../src/lib/crypto/backup';
import { bytesToHex, concatBytes, hexToBytes, randomBytes, utf8Decode, utf8Encode } from '../../src/lib/shared/bytes';
import { errorCode } from '../helpers/error-code';
import { checkedOwnVectors, vectorPath } from '../helpers/vectors';

const FAST = { logN: 10 } as const;
const PASS = 'correct horse battery staple';

interface Vector {
  passphrase: string; salt: string; noncePrefix: string; logN: number; r: number; p: number; chunkSize: number; plaintext: string; file: string;
}
const VECTORS = checkedOwnVectors<{ vectors: Vector[] }>('backup-v1.json', readFileSync(vectorPath('backup-v1.json'))).vectors;


/** Opens a vector with node:crypto alone: scrypt, then AES-256-GCM per chunk, as the proposal describes. */
function nodeOpen(file: Uint8Array, passphrase: string): Uint8Array {
  const h = file.subarray(0, BACKUP_HEADER_LEN);
  const [logN, r, p] = [h[10]!, h[11]!, h[12]!];
  const chunk = new DataView(h.buffer, h.byteOffset).getUint32(14);
  const m = scryptSync(Buffer.from(passphrase.normalize('NFKC'), 'utf8'), h.subarray(18, 34), 64, { N: 2 ** logN, r, p, maxmem: 2 ** 30 });
  expect(bytesToHex(m.subarray(32))).toBe(bytesToHex(h.subarray(41, 73)));
  const out: Uint8Array[] = [];
  let i = 0;
  for (let at = BACKUP_HEADER_LEN; at < file.length; at += chunk + 16, i++) {
    const c = file.subarray(at, Math.min(at + chunk + 16, file.length));
    const last = at + chunk + 16 >= file.length;
    const nonce = Buffer.alloc(12);
    Buffer.from(h.subarray(34, 41)).copy(nonce, 0);
    nonce.writeUInt32BE(i, 7);
    nonce[11] = last ? 1 : 0;
    const d = createDecipheriv('aes-256-gcm', m.subarray(0, 32), nonce);
    d.setAAD(h);
    d.setAuthTag(c.subarray(c.length - 16));
    out.push(Uint8Array.from(Buffer.concat([d.update(c.subarray(0, c.length - 16)), d.final()])));
  }
  return concatBytes(...out);
}

describe('backup format v1', () => {
  test('the published vectors: this code makes the same bytes, and node:crypto opens them', async () => {
    expect(VECTORS.length).toBeGreaterThanOrEqual(2);
    for (const v of VECTORS) {
      const made = await sealBackup(utf8Encode(v.plaintext), v.passphrase, {
        salt: hexToBytes(v.salt), noncePrefix: hexToBytes(v.noncePrefix), logN: v.logN, r: v.r, p: v.p, chunkSize: v.chunkSize
      });
      expect(bytesToHex(made)).toBe(v.file);
      expect(utf8Decode(nodeOpen(hexToBytes(v.file), v.passphrase))).toBe(v.plaintext);
      expect(utf8Decode(await openBackup(hexToBytes(v.file), v.passphrase))).toBe(v.plaintext);
    }
  });

  test('round trip for any payload and chunk size, written in any pieces', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 700 }), fc.integer({ min: 16, max: 300 }), fc.integer({ min: 1, max: 200 }), async (data, chunkSize, piece) => {
        const w = await BackupWriter.create(PASS, { ...FAST, chunkSize });
        const parts = [w.header];
        for (let i = 0; i < data.length; i += piece) parts.push(...(await w.write(data.subarray(i, i + piece))));
        parts.push(await w.finish());
        const file = concatBytes(...parts);
        expect(bytesToHex(await openBackup(file, PASS))).toBe(bytesToHex(data));
      }),
      // One fixed large random case besides the generated ones (their arrays are short and often all zeros).
      { numRuns: 25, examples: [[randomBytes(3000), 64, 37]] }
    );
  });

  test('a wrong passphrase is WRONG_PASSPHRASE, before any chunk is opened', async () => {
    const file = await sealBackup(utf8Encode('hello'), PASS, FAST);
    expect(await errorCode(openBackup(file, 'Correct horse battery staple'))).toBe('WRONG_PASSPHRASE');
    expect(await errorCode(openBackup(file, ''))).toBe('WRONG_PASSPHRASE');
    // The passphrase is NFKC-normalized (as in NIP-49): a composed and a decomposed é are one passphrase.
    const nfkc = await sealBackup(utf8Encode('x'), 'caf\u00e9 au lait', FAST);
    expect(utf8Decode(await openBackup(nfkc, 'cafe\u0301 au lait'))).toBe('x');
  });

  test('one flipped byte anywhere is refused: header bytes as WRONG_PASSPHRASE or bad params, body bytes as damaged', async () => {
    const file = await sealBackup(utf8Encode('a'.repeat(100)), PASS, { ...FAST, chunkSize: 32 });
    const seen = new Set<string>();
    for (let i = 0; i < file.length; i++) {
      const bad = file.slice();
      bad[i]! ^= 0x01;
      const c = await errorCode(openBackup(bad, PASS));
      expect(c, `byte ${i}`).not.toBe('none');
      if (i >= BACKUP_HEADER_LEN) expect(c, `byte ${i}`).toBe('DECRYPT_FAILED');
      seen.add(c);
    }
    expect([...seen].sort()).toEqual(['DECRYPT_FAILED', 'INVALID_INPUT', 'WRONG_PASSPHRASE']);
  }, 60_000);

  test('KDF parameters beyond the bound are refused before scrypt runs (a tampered header cannot hang the app)', async () => {
    const file = await sealBackup(utf8Encode('x'), PASS, FAST);
    // [log_n, r, p]: 512 MiB, 2^30 · 8 KiB, twice the allowed work (p = 3 at log_n 17), 512 MiB through r.
    for (const [logN, r, p] of [[19, 8, 1], [30, 8, 1], [17, 8, 3], [18, 16, 1]] as const) {
      const bad = file.slice();
      bad.set([logN, r, p], 10);
      const t0 = performance.now();
      expect(() => parseBackupHeader(bad)).toThrow(expect.objectContaining({ code: 'KDF_TOO_COSTLY' }));
      expect(await errorCode(openBackup(bad, PASS))).toBe('KDF_TOO_COSTLY');
      expect(performance.now() - t0).toBeLessThan(500);
    }
    expect(128 * 8 * 2 ** 18).toBe(MAX_BACKUP_KDF_MEMORY); // log_n 18 at r 8 is the most accepted
    expect(await errorCode(BackupWriter.create(PASS, { logN: 19 }))).toBe('KDF_TOO_COSTLY');
  });

  test('a cut, a dropped chunk, swapped chunks, a tail added: all refused as damaged', async () => {
    const file = await sealBackup(utf8Encode('b'.repeat(100)), PASS, { ...FAST, chunkSize: 32 });
    const full = 32 + 16;
    const body = (i: number) => file.subarray(BACKUP_HEADER_LEN + i * full, BACKUP_HEADER_LEN + (i + 1) * full);
    expect(file.length).toBe(BACKUP_HEADER_LEN + 3 * full + 4 + 16); // three full chunks and a 4-byte last one
    const cuts = [file.length - 1, file.length - 16, BACKUP_HEADER_LEN + 3 * full, BACKUP_HEADER_LEN + 2 * full, BACKUP_HEADER_LEN + 5, BACKUP_HEADER_LEN];
    for (const n of cuts) expect(await errorCode(openBackup(file.subarray(0, n), PASS)), `cut at ${n}`).toBe('DECRYPT_FAILED');
    const last = file.subarray(BACKUP_HEADER_LEN + 3 * full);
    const dropped = concatBytes(file.subarray(0, BACKUP_HEADER_LEN), body(0), body(2), last);
    const swapped = concatBytes(file.subarray(0, BACKUP_HEADER_LEN), body(1), body(0), body(2), last);
    for (const bad of [dropped, swapped, concatBytes(file, new Uint8Array(1))]) expect(await errorCode(openBackup(bad, PASS))).toBe('DECRYPT_FAILED');
    expect(await errorCode(openBackup(file.subarray(0, 40), PASS))).toBe('INVALID_INPUT');
  });

  test('not a backup, or another version: INVALID_INPUT', async () => {
    const file = await sealBackup(utf8Encode('x'), PASS, FAST);
    expect(await errorCode(openBackup(utf8Encode('{"not":"a backup"}'.padEnd(100)), PASS))).toBe('INVALID_INPUT');
    const v2 = file.slice();
    v2[8] = 2;
    expect(await errorCode(openBackup(v2, PASS))).toBe('INVALID_INPUT');
    const reader = await BackupReader.open(file.subarray(0, BACKUP_HEADER_LEN), PASS);
    expect(() => reader.ranges(BACKUP_HEADER_LEN + 15)).toThrow(expect.objectContaining({ code: 'DECRYPT_FAILED' }));
  });
});
