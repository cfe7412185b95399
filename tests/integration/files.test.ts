/**
 * Files between two Messengers (issue 15 §1) through a real relay (scripts/relay.mjs) and a real
 * Blossom server (scripts/blossom.mjs): Alice encrypts a file in place, uploads the ciphertext with
 * a throw-away key, and sends its kind 15 by envelope; Bob gets a file message, downloads and
 * decrypts it to the same bytes. The server holds only ciphertext, never the plaintext; the relay's
 * envelopes do not carry the URL in the clear; a blob swapped on the server is refused. To a NIP-17
 * contact (a nostr-tools client) the same file goes as a standard kind 15 rumor in a gift wrap.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import * as nip59 from 'nostr-tools/nip59';
import { finalizeEvent, generateSecretKey as ntSecretKey, getPublicKey, type NostrEvent } from 'nostr-tools/pure';
import { decryptNip17File, padmeLength } from '../../src/lib/crypto/file';
import { MAX_INLINE_THUMB_CHARS, parseFile } from '../../src/lib/crypto/nip17';
import { base64Encode, bytesToHex, randomBytes } from '../../src/lib/shared/bytes';
import { isVeilError } from '../../src/lib/shared/errors';
import { encodeNpub } from '../../src/lib/crypto/nip19';
import { fetchPut } from '../../src/lib/sync/blossom-upload';
import { uploadFile } from '../../src/lib/sync/send-file';
import type { ChatMessage } from '../../src/lib/sync/types';
import { startBlossom, type TestBlossom } from '../helpers/blossom';
import { RawClient } from '../helpers/raw-ws';
import { startRelay, tempRelayDb, type TestRelay } from '../helpers/relay';
import { untilChecked } from '../helpers/until';
import { veilClient, type VeilClient } from '../helpers/veil-client';

let relay: TestRelay;
let blossom: TestBlossom;
const clients: VeilClient[] = [];

async function client(name: string): Promise<VeilClient> {
  const c = await veilClient(`files-${name}`, [relay.url], { fetch });
  clients.push(c);
  return c;
}

const until = <T>(check: () => Promise<T | undefined | false>, what: string) => untilChecked(clients.map((c) => c.m), check, what, 20_000);
const history = async (c: VeilClient, cid: string): Promise<ChatMessage[]> => (await c.m.pageMessages(cid, { limit: 100 })).reverse();
/** The blob files the server wrote (`<dir>/blobs`, each named by its sha256 and an extension). */
const blobFiles = (dir: string): string[] => readdirSync(join(dir, 'blobs')).map((n) => join(dir, 'blobs', n));
const storedBlobs = (dir: string): Buffer[] => blobFiles(dir).map((f) => readFileSync(f));

beforeAll(async () => {
  relay = await startRelay({ db: tempRelayDb() });
  blossom = await startBlossom();
});

afterAll(async () => {
  for (const c of clients) {
    await c.m.stop();
    c.deps.store.close();
  }
  await relay.stop();
  await blossom.stop();
});

describe('files through a real relay and a real Blossom server', () => {
  it('a 1 MB file goes by envelope as ciphertext on the server and arrives as the same bytes; a swapped blob is refused', async () => {
    const alice = await client('alice');
    const bob = await client('bob');
    const convB = await bob.m.startChat(encodeNpub(alice.pubkey));
    await bob.m.send(convB, 'send me the picture');
    const convA = (await until(async () => (await alice.m.listChats('request')).find((c) => c.peer === bob.pubkey), 'request at Alice')).id;
    await alice.m.accept(bob.pubkey);

    const plain = randomBytes(1024 * 1024);
    const progress: number[] = [];
    // A thumbnail as large as one may be: it travels inside the envelope, beside the file's tags.
    const thumb = `data:image/webp;base64,${base64Encode(randomBytes(Math.floor(((MAX_INLINE_THUMB_CHARS - 23) / 4) * 3)))}`;
    const file = await uploadFile(blossom.url, plain, { mimeType: 'image/png', dim: '800x600', inlineThumb: thumb }, fetchPut(fetch), { nowS: Math.floor(Date.now() / 1000), onProgress: (n) => progress.push(n) });
    expect(file.url).toBe(`${blossom.url}/${file.sha256}`);
    expect(progress.at(-1)).toBe(plain.length + 16);

    // The server holds exactly one blob: the ciphertext (its hash is x), not the plaintext.
    const blobs = storedBlobs(blossom.dir);
    expect(blobs.map((b) => bytesToHex(sha256(b)))).toEqual([file.sha256]);
    expect(bytesToHex(sha256(blobs[0]!))).not.toBe(bytesToHex(sha256(plain)));
    expect(blobs[0]!.includes(Buffer.from(plain.subarray(0, 64)))).toBe(false);

    const id = await alice.m.send(convA, '', { file });
    const mine = (await history(alice, convA)).find((m) => m.id === id)!;
    expect(mine.file).toMatchObject({ url: file.url, mimeType: 'image/png', size: plain.length + 16 });
    expect(mine.text).toBe('File (image/png)');
    const atBob = await until(async () => (await history(bob, convB)).find((m) => m.id === id), 'the file message at Bob');
    expect(atBob.file).toMatchObject({ url: file.url, mimeType: 'image/png', thumb, dim: '800x600' });
    expect(mine.file).toMatchObject({ thumb, dim: '800x600' });
    const got = await bob.m.downloadFile(id);
    expect(got.mimeType).toBe('image/png');
    expect(bytesToHex(sha256(got.bytes))).toBe(bytesToHex(sha256(plain)));

    // What the relay stores never carries the file's URL or hash in the clear.
    const raw = await RawClient.open(relay.url);
    const dump = JSON.stringify(await raw.query('audit', { kinds: [1067], limit: 500 }));
    raw.close();
    expect(dump).not.toContain(file.sha256);
    expect(dump).not.toContain(blossom.url.replace(/^http:\/\//, ''));
    expect(dump).not.toContain(thumb.slice(23, 87));

    // Padded for a Veil contact (what the app does for a Veil chat): the server holds a rounded size, Bob the exact file.
    const odd = randomBytes(300_007);
    const padded = await uploadFile(blossom.url, odd, { mimeType: 'application/pdf', pad: true }, fetchPut(fetch), { nowS: Math.floor(Date.now() / 1000) });
    expect(padded.size).toBe(padmeLength(odd.length) + 16);
    expect(storedBlobs(blossom.dir).map((b) => b.length)).toContain(padmeLength(odd.length) + 16);
    const pid = await alice.m.send(convA, '', { file: padded });
    await until(async () => (await history(bob, convB)).find((m) => m.id === pid), 'the padded file at Bob');
    expect(bytesToHex(sha256((await bob.m.downloadFile(pid)).bytes))).toBe(bytesToHex(sha256(odd)));

    // The server swaps the blob: Bob's download is refused before anything is decrypted.
    const path = blobFiles(blossom.dir).find((f) => f.includes(file.sha256!))!;
    const swapped = readFileSync(path);
    swapped[1000]! ^= 1;
    writeFileSync(path, swapped);
    const err = await bob.m.downloadFile(id).then(() => null, (e: unknown) => e);
    expect(isVeilError(err) && err.code).toBe('DECRYPT_FAILED');
  });

  it('to a NIP-17 contact: a standard kind 15 in a gift wrap that a nostr-tools client opens and decrypts', async () => {
    const alice = clients[0]!;
    const carolSk = ntSecretKey();
    const carol = getPublicKey(carolSk);
    const raw = await RawClient.open(relay.url);
    const list = finalizeEvent({ kind: 10050, created_at: Math.floor(Date.now() / 1000), tags: [['relay', relay.url]], content: '' }, carolSk);
    expect((await raw.publish(list))[0]).toBe(true);
    const conv = await alice.m.startChat(encodeNpub(carol));
    const plain = randomBytes(50_000);
    // A thumbnail never goes into a gift wrap: NIP-17 clients read `thumb` as the URL of an encrypted file.
    const inlineThumb = `data:image/webp;base64,${base64Encode(randomBytes(300))}`;
    const file = await uploadFile(blossom.url, plain, { mimeType: 'application/pdf', inlineThumb }, fetchPut(fetch), { nowS: Math.floor(Date.now() / 1000) });
    // A file padded for a Veil contact never goes to a NIP-17 one: it would arrive with its padding.
    const padded = await uploadFile(blossom.url, plain, { mimeType: 'application/pdf', pad: true }, fetchPut(fetch), { nowS: Math.floor(Date.now() / 1000) });
    expect(isVeilError(await alice.m.send(conv, '', { file: padded }).catch((e: unknown) => e), 'INVALID_INPUT')).toBe(true);
    const id = await alice.m.send(conv, '', { file });
    const wraps = await until(async () => {
      const l = (await raw.query('wraps', { kinds: [1059], '#p': [carol] })) as unknown as NostrEvent[];
      return l.length > 0 && l;
    }, 'the gift wrap to Carol');
    raw.close();
    const rumor = nip59.unwrapEvent(wraps[0]!, carolSk);
    expect(rumor.kind).toBe(15);
    expect(rumor.id).toBe(id);
    expect(rumor.content).toBe(file.url);
    expect(rumor.tags.some((t) => t[0] === 'thumb')).toBe(false);
    expect(rumor.tags).toEqual(expect.arrayContaining([['file-type', 'application/pdf'], ['encryption-algorithm', 'aes-gcm'], ['x', file.sha256!], ['p', carol]]));
    // Carol's client fetches the blob and decrypts with the rumor's key and nonce alone.
    const blob = new Uint8Array(await (await fetch(rumor.content)).arrayBuffer());
    const { bytes } = await decryptNip17File(blob, parseFile(rumor));
    expect(bytesToHex(sha256(bytes))).toBe(bytesToHex(sha256(plain)));
  });
});
