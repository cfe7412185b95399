/**
 * Sending files (issue 15 §1), the pure half: a file is encrypted once with a fresh key and nonce,
 * its kind 15 tags read back to the same metadata, its ciphertext decrypts only unchanged; the
 * upload authorization is a kind 24242 by a different throw-away key each time; and a file server's
 * answer is believed only when it names what was sent.
 */
import { describe, expect, it } from 'vitest';
import { sha256 } from '@noble/hashes/sha2.js';
import { verifyEvent } from 'nostr-tools/pure';
import { bytesToHex, randomBytes } from '../../src/lib/shared/bytes';
import { decryptNip17File, encryptFile, MAX_SEND_FILE_BYTES } from '../../src/lib/crypto/file';
import { blossomUploadAuth, BLOSSOM_AUTH_KIND } from '../../src/lib/crypto/blossom-auth';
import { asFileMessage, parseFile } from '../../src/lib/crypto/nip17';
import { blossomServerUrl, uploadEncrypted, type BlobPut } from '../../src/lib/sync/blossom-upload';
import { storedBody, storedFile } from '../../src/lib/sync/stored-content';
import { rejected } from '../helpers/error-code';


const NOW = 1_800_000_000;

describe('encryptFile', () => {
  it('round-trips through the kind 15 tags and decrypts; x, ox and size name the bytes', async () => {
    const plain = randomBytes(70_000);
    const { ciphertext, file } = await encryptFile(plain, { mimeType: 'image/PNG', dim: '640x480' });
    expect(file.sha256).toBe(bytesToHex(sha256(ciphertext)));
    expect(file.originalSha256).toBe(bytesToHex(sha256(plain)));
    expect(file.size).toBe(plain.length + 16);
    expect(file.mimeType).toBe('image/png');
    const template = { kind: 14, content: '', tags: [['p', 'a'.repeat(64)]] };
    asFileMessage(template, { ...file, url: 'https://files.example/' + file.sha256, fallbacks: [] });
    expect(template.kind).toBe(15);
    const back = parseFile(template);
    expect(back).toEqual({ ...file, url: 'https://files.example/' + file.sha256, fallbacks: [] });
    const { bytes } = await decryptNip17File(ciphertext, back);
    expect(bytesToHex(bytes)).toBe(bytesToHex(plain));
  });

  it('uses a fresh key and nonce for every file, even the same bytes', async () => {
    const plain = randomBytes(100);
    const a = await encryptFile(plain);
    const b = await encryptFile(plain);
    expect(a.file.keyHex).not.toBe(b.file.keyHex);
    expect(a.file.nonceHex).not.toBe(b.file.nonceHex);
    expect(bytesToHex(a.ciphertext)).not.toBe(bytesToHex(b.ciphertext));
  });

  it('a changed byte is refused before decryption (hash), and by the tag without the hash', async () => {
    const { ciphertext, file } = await encryptFile(randomBytes(1000));
    const bad = ciphertext.slice();
    bad[500]! ^= 1;
    const f = { ...file, url: 'https://x.example/a', fallbacks: [] };
    expect((await rejected(decryptNip17File(bad, f))).message).toBe('file hash does not match');
    const { sha256: _x, ...noHash } = f;
    expect((await rejected(decryptNip17File(bad, noHash))).code).toBe('DECRYPT_FAILED');
  });

  it('refuses an empty file and one above the limit', async () => {
    expect((await rejected(encryptFile(new Uint8Array(0)))).code).toBe('INVALID_INPUT');
    expect((await rejected(encryptFile(new Uint8Array(MAX_SEND_FILE_BYTES + 1)))).code).toBe('TOO_LARGE');
  });

  it('a sent file message stores kind 15 with its metadata and a label', async () => {
    const { file } = await encryptFile(randomBytes(10), { mimeType: 'text/plain' });
    const full = { ...file, url: 'http://127.0.0.1:3000/' + file.sha256, fallbacks: [] };
    const s = storedBody({ text: '', file: full });
    expect(s.kind).toBe(15);
    expect(s.body).toBe('File (text/plain)');
    expect(storedFile(s.tags ?? [])).toEqual(full);
    expect(storedBody({ text: 'hi' })).toEqual({ body: 'hi', kind: 14 });
  });
});

describe('blossom upload authorization', () => {
  it('is a valid kind 24242 for this hash, expiring in 5 minutes, by a new key each time', () => {
    const x = bytesToHex(randomBytes(32));
    const parse = (h: string) => JSON.parse(atob(h.replace(/^Nostr /, ''))) as Parameters<typeof verifyEvent>[0];
    const a = parse(blossomUploadAuth(x, NOW));
    const b = parse(blossomUploadAuth(x, NOW));
    expect(verifyEvent(a)).toBe(true);
    expect(a.kind).toBe(BLOSSOM_AUTH_KIND);
    expect(a.tags).toEqual([['t', 'upload'], ['x', x], ['expiration', String(NOW + 300)]]);
    expect(a.pubkey).not.toBe(b.pubkey);
    expect(() => blossomUploadAuth('ABC', NOW)).toThrow(/64 lowercase hex/);
  });
});

describe('uploadEncrypted believes only a descriptor of what was sent', () => {
  const answer = (status: number, body: unknown, reason?: string): BlobPut => async () => ({ status, text: typeof body === 'string' ? body : JSON.stringify(body), ...(reason ? { reason } : {}) });
  it('returns the full metadata with the server URL; refuses other hashes, sizes, refusals, bad URLs and garbage', async () => {
    const { ciphertext, file } = await encryptFile(randomBytes(64));
    const url = `https://cdn.example/${file.sha256}`;
    let seen: { url: string; headers: Record<string, string> } | undefined;
    const ok: BlobPut = async (u, body, headers) => {
      seen = { url: u, headers };
      expect(body).toBe(ciphertext);
      return { status: 200, text: JSON.stringify({ url, sha256: file.sha256, size: file.size }) };
    };
    const got = await uploadEncrypted('https://cdn.example/', ciphertext, file, ok, { nowS: NOW });
    expect(got).toEqual({ ...file, url, fallbacks: [] });
    expect(seen?.url).toBe('https://cdn.example/upload');
    expect(seen?.headers.Authorization).toMatch(/^Nostr /);
    const cases: [BlobPut, RegExp][] = [
      [answer(200, { url, sha256: 'f'.repeat(64), size: file.size }), /other than what was sent/],
      [answer(200, { url, sha256: file.sha256, size: file.size + 1 }), /other than what was sent/],
      [answer(401, '', 'auth expired'), /refused the upload \(401: auth expired\)/],
      [answer(200, { url: 'ftp://cdn.example/x', sha256: file.sha256 }), /address receivers cannot use/],
      [answer(200, '<html>'), /not a blob descriptor/],
      [async () => Promise.reject(new TypeError('fetch failed')), /unreachable/]
    ];
    for (const [put, msg] of cases) {
      const e = await rejected(uploadEncrypted('https://cdn.example', ciphertext, file, put, { nowS: NOW }));
      expect(e.code).toBe('FILE_UNAVAILABLE');
      expect(e.message).toMatch(msg);
    }
  });

  it('a cancelled upload says so; server addresses are https or this machine', async () => {
    const { ciphertext, file } = await encryptFile(randomBytes(64));
    const ctl = new AbortController();
    const hang: BlobPut = (_u, _b, _h, o) => new Promise((_, reject) => o.signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));
    const p = rejected(uploadEncrypted('https://cdn.example', ciphertext, file, hang, { nowS: NOW, signal: ctl.signal }));
    ctl.abort();
    expect((await p).message).toBe('upload cancelled');
    expect(blossomServerUrl('http://127.0.0.1:3000/')).toBe('http://127.0.0.1:3000');
    expect(blossomServerUrl('https://blossom.example/files/')).toBe('https://blossom.example/files');
    for (const bad of ['http://blossom.example', 'ftp://x', 'https://u:p@x.example', 'nonsense']) expect(() => blossomServerUrl(bad), bad).toThrow();
  });
});
