/**
 * The local Blossom server (scripts/blossom.mjs, docs/blossom.md) over real HTTP: BUD-02 upload with a
 * kind 24242 authorization, BUD-01 GET/HEAD, DELETE by an owner, CORS, size limit. The stored files
 * under --dir are read directly to check they hold exactly the uploaded bytes.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finalizeEvent, generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import { randomBytes } from '../../src/lib/shared/bytes';
import { startBlossom, type TestBlossom } from '../helpers/blossom';

const MAX_BYTES = 64 * 1024;
const now = () => Math.floor(Date.now() / 1000);
const sha256Hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const owner = generateSecretKey();
const stranger = generateSecretKey();

interface AuthOpts { kind?: number; verb?: string; x?: string; expiration?: number; createdAt?: number; key?: Uint8Array }
function authEvent(o: AuthOpts = {}) {
  const tags = [['t', o.verb ?? 'upload'], ['expiration', String(o.expiration ?? now() + 300)]];
  if (o.x) tags.push(['x', o.x]);
  const ev = finalizeEvent({ kind: o.kind ?? 24242, tags, content: 'Veil test', created_at: o.createdAt ?? now() }, o.key ?? owner);
  return JSON.parse(JSON.stringify(ev)) as typeof ev;
}
const header = (ev: object) => `Nostr ${Buffer.from(JSON.stringify(ev)).toString('base64')}`;
const auth = (o: AuthOpts = {}) => header(authEvent(o));

describe('local Blossom server', () => {
  let server: TestBlossom;
  const blobDir = () => join(server.dir, 'blobs');
  const storedFiles = () => readdirSync(blobDir());
  const fileOf = (sha: string) => storedFiles().find((f) => f.startsWith(sha));

  const put = (body: Uint8Array<ArrayBuffer>, authorization?: string, type = 'application/octet-stream') =>
    fetch(`${server.url}/upload`, {
      method: 'PUT',
      body,
      headers: { 'content-type': type, ...(authorization ? { authorization } : {}) }
    });

  beforeAll(async () => {
    server = await startBlossom({ maxBytes: MAX_BYTES });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('stores an authorized upload and serves the same bytes back', async () => {
    const body = randomBytes(5000);
    const sha = sha256Hex(body);
    const res = await put(body, auth({ x: sha }));
    expect(res.status).toBe(200);
    const desc = await res.json();
    expect(desc).toEqual({ url: `${server.url}/${sha}`, sha256: sha, size: 5000, type: 'application/octet-stream', uploaded: expect.any(Number) });
    expect(Math.abs(desc.uploaded - now())).toBeLessThan(60);

    const got = await fetch(desc.url);
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe('application/octet-stream');
    expect(new Uint8Array(await got.arrayBuffer())).toEqual(body);

    const withExt = await fetch(`${server.url}/${sha}.bin`);
    expect(new Uint8Array(await withExt.arrayBuffer())).toEqual(body);

    const head = await fetch(desc.url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('5000');
    expect((await head.arrayBuffer()).byteLength).toBe(0);

    const file = fileOf(sha);
    expect(file).toBeDefined();
    expect(new Uint8Array(readFileSync(join(blobDir(), file!)))).toEqual(body);
  });

  it('accepts an upload without an x tag and keeps the Content-Type', async () => {
    const body = new TextEncoder().encode('not really a png');
    const res = await put(body, auth(), 'image/png');
    expect(res.status).toBe(200);
    const desc = await res.json();
    expect(desc.sha256).toBe(sha256Hex(body));
    expect(desc.type).toBe('image/png');
    const got = await fetch(desc.url);
    expect(got.headers.get('content-type')).toBe('image/png');
    expect(new Uint8Array(await got.arrayBuffer())).toEqual(body);
  });

  it('refuses uploads whose authorization is missing or invalid, and stores nothing', async () => {
    const body = randomBytes(1000);
    const sha = sha256Hex(body);
    const tampered = authEvent({ x: sha });
    const flipped = tampered.sig[0] === '0' ? '1' : '0';
    const badSig = { ...tampered, sig: flipped + tampered.sig.slice(1) };
    // Each refusal says why, in X-Reason and in the JSON body alike.
    const cases: [string, string | undefined, RegExp][] = [
      ['missing', undefined, /^Missing Authorization header/],
      ['wrong kind', auth({ x: sha, kind: 24243 }), /must be kind 24242/],
      ['wrong verb', auth({ x: sha, verb: 'delete' }), /"t" tag of "upload"/],
      ['expired', auth({ x: sha, expiration: now() - 10 }), /has expired/],
      ['future created_at', auth({ x: sha, createdAt: now() + 3600 }), /created in the future/],
      ['wrong x', auth({ x: sha256Hex(randomBytes(8)) }), /"x" tag .* does not match the blob sha256/],
      ['bad signature', header(badSig), /invalid id or signature/],
      ['not base64 JSON', 'Nostr !!!', /must be "Nostr <base64 event>"/]
    ];
    for (const [name, authorization, reason] of cases) {
      const res = await put(body, authorization);
      expect(res.status, name).toBe(401);
      expect(res.headers.get('x-reason'), name).toMatch(reason);
      expect((await res.json()).message, name).toBe(res.headers.get('x-reason'));
    }
    expect(fileOf(sha)).toBeUndefined();
    expect((await fetch(`${server.url}/${sha}`)).status).toBe(404);
  });

  it('refuses a blob over --max-bytes with 413 and stores nothing', async () => {
    const body = randomBytes(MAX_BYTES + 1);
    const sha = sha256Hex(body);
    const before = storedFiles().length;
    const res = await put(body, auth({ x: sha }));
    expect(res.status).toBe(413);
    expect(res.headers.get('x-reason')).toMatch(/larger/);
    expect(storedFiles().length).toBe(before);
    expect(fileOf(sha)).toBeUndefined();
    expect((await fetch(`${server.url}/${sha}`)).status).toBe(404);

    const atLimit = randomBytes(MAX_BYTES);
    expect((await put(atLimit, auth())).status).toBe(200);
  });

  it('answers 404 for an unknown hash and 400 for a path that is not a sha256', async () => {
    const missing = await fetch(`${server.url}/${sha256Hex(randomBytes(16))}`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('x-reason')).toBe('Blob not found.');
    expect((await fetch(`${server.url}/${sha256Hex(randomBytes(16)).toUpperCase()}`)).status).toBe(400);
    expect((await fetch(`${server.url}/not-a-hash`)).status).toBe(400);
  });

  it('answers a CORS preflight with 204 and the allowed methods and headers', async () => {
    const res = await fetch(`${server.url}/upload`, {
      method: 'OPTIONS',
      headers: { origin: 'http://example.test', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'authorization' }
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const allowHeaders = res.headers.get('access-control-allow-headers')!.toLowerCase();
    for (const h of ['authorization', 'content-type', 'content-length', 'x-sha-256', 'x-content-type', 'x-content-length']) expect(allowHeaders).toContain(h);
    const methods = res.headers.get('access-control-allow-methods')!;
    for (const m of ['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']) expect(methods).toContain(m);
    const missing = await fetch(`${server.url}/${sha256Hex(randomBytes(16))}`);
    expect(missing.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('lists the blobs a key owns (BUD-02 /list)', async () => {
    const body = randomBytes(300);
    const desc = await (await put(body, auth({ key: stranger }))).json();
    const listed = await (await fetch(`${server.url}/list/${getPublicKey(stranger)}`)).json();
    expect(listed).toEqual([desc]);
  });

  it('deletes a blob for its owner only', async () => {
    const body = randomBytes(2000);
    const sha = sha256Hex(body);
    expect((await put(body, auth({ x: sha }))).status).toBe(200);
    const del = (authorization?: string) => fetch(`${server.url}/${sha}`, { method: 'DELETE', headers: authorization ? { authorization } : {} });

    expect((await del()).status).toBe(401);
    expect((await del(auth({ verb: 'delete' }))).status).toBe(401); // no x tag naming the blob
    expect((await del(auth({ verb: 'upload', x: sha }))).status).toBe(401);
    expect((await del(auth({ verb: 'delete', x: sha, key: stranger }))).status).toBe(403);
    expect(fileOf(sha)).toBeDefined();
    expect((await fetch(`${server.url}/${sha}`)).status).toBe(200);

    const ok = await del(auth({ verb: 'delete', x: sha }));
    expect(ok.status).toBe(200);
    expect((await fetch(`${server.url}/${sha}`)).status).toBe(404);
    expect(fileOf(sha)).toBeUndefined();
    expect((await del(auth({ verb: 'delete', x: sha }))).status).toBe(404);
  });

  it('keeps a blob two keys uploaded until both have deleted it', async () => {
    const body = randomBytes(700);
    const sha = sha256Hex(body);
    expect((await put(body, auth({ x: sha }))).status).toBe(200);
    expect((await put(body, auth({ x: sha, key: stranger }))).status).toBe(200);
    const del = (key: Uint8Array) => fetch(`${server.url}/${sha}`, { method: 'DELETE', headers: { authorization: auth({ verb: 'delete', x: sha, key }) } });
    expect((await del(owner)).status).toBe(200);
    expect(new Uint8Array(await (await fetch(`${server.url}/${sha}`)).arrayBuffer())).toEqual(body);
    expect((await del(owner)).status).toBe(403);
    expect((await del(stranger)).status).toBe(200);
    expect((await fetch(`${server.url}/${sha}`)).status).toBe(404);
    expect(fileOf(sha)).toBeUndefined();
  });
});
