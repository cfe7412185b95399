/**
 * Download progress, Cancel and the silence timeout of sync/file-download.ts (issue 15 §1), through
 * Node's real fetch against a local HTTP server that sends the ciphertext in parts the test releases.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encryptFile } from '../../src/lib/crypto/file';
import type { Nip17File } from '../../src/lib/crypto/nip17';
import { downloadNip17File, type FileFetch } from '../../src/lib/sync/file-download';
import { randomBytes } from '../../src/lib/shared/bytes';
import { isVeilError } from '../../src/lib/shared/errors';

const PART = 64 * 1024;

/** A file server whose `/f` sends `body` one part per `release()`; `/whole` sends it at once, `/gone` is 404. */
interface SlowServer {
  base: string;
  requests: string[];
  /** Sends the next part of the open response (or the end after the last). */
  release(): void;
  /** Resolves when a response to /f is open. */
  opened: Promise<void>;
  /** Resolves when the client has gone away from /f. */
  closed: Promise<void>;
  stop(): Promise<void>;
}

async function slowServer(body: Uint8Array, opts: { length?: boolean } = {}): Promise<SlowServer> {
  let res: ServerResponse | null = null;
  let sent = 0;
  let markOpen!: () => void;
  let markClosed!: () => void;
  const opened = new Promise<void>((r) => (markOpen = r));
  const closed = new Promise<void>((r) => (markClosed = r));
  const requests: string[] = [];
  const server: Server = createServer((req, out) => {
    requests.push(req.url ?? '');
    if (req.url === '/gone') return void out.writeHead(404).end();
    const head: Record<string, string> = { 'content-type': 'application/octet-stream' };
    if (opts.length !== false) head['content-length'] = String(body.length);
    out.writeHead(200, head);
    if (req.url === '/whole') return void out.end(body);
    res = out;
    out.on('close', markClosed);
    out.flushHeaders();
    markOpen();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    requests,
    opened,
    closed,
    release() {
      if (!res) throw new Error('no open response');
      if (sent >= body.length) return void res.end();
      res.write(body.subarray(sent, sent + PART));
      sent += PART;
    },
    stop: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      })
  };
}

const realFetch = fetch as unknown as FileFetch;
const code = (e: unknown) => (isVeilError(e) ? `${e.code}: ${e.message}` : e);

let plain: Uint8Array;
let sealed: Awaited<ReturnType<typeof encryptFile>>;
let server: SlowServer;

beforeEach(async () => {
  plain = randomBytes(300_000);
  sealed = await encryptFile(plain, { mimeType: 'application/octet-stream' });
});

afterEach(async () => {
  await server?.stop();
});

function fileAt(url: string, fallbacks: string[] = [], withSize = true): Nip17File {
  const { size, ...rest } = sealed.file;
  return { ...rest, ...(withSize ? { size } : {}), url, fallbacks };
}

describe('file download progress and Cancel', () => {
  it('reports bytes received against the message size, part by part, and decrypts the whole', async () => {
    server = await slowServer(sealed.ciphertext);
    const seen: [number, number | undefined][] = [];
    const got = downloadNip17File(fileAt(`${server.base}/f`), realFetch, {
      onProgress: (received, total) => {
        seen.push([received, total]);
        if (received < sealed.ciphertext.length) server.release(); // the next part once this one is counted
      }
    });
    await server.opened;
    server.release();
    const { bytes } = await got;
    expect(bytes).toEqual(plain);
    expect(seen[0]).toEqual([0, sealed.ciphertext.length]);
    expect(seen.at(-1)).toEqual([sealed.ciphertext.length, sealed.ciphertext.length]);
    const received = seen.map(([r]) => r);
    expect(received).toEqual([...received].sort((a, b) => a - b));
    expect(new Set(received).size).toBeGreaterThanOrEqual(Math.floor(sealed.ciphertext.length / PART)); // one report per part at least
  });

  it('without a size in the message the total is the server’s Content-Length, and without both it is unknown', async () => {
    server = await slowServer(sealed.ciphertext);
    const totals = new Set<number | undefined>();
    await downloadNip17File(fileAt(`${server.base}/whole`, [], false), realFetch, { onProgress: (_r, t) => totals.add(t) });
    expect([...totals]).toEqual([sealed.ciphertext.length]);
    await server.stop();
    server = await slowServer(sealed.ciphertext, { length: false });
    totals.clear();
    await downloadNip17File(fileAt(`${server.base}/whole`, [], false), realFetch, { onProgress: (_r, t) => totals.add(t) });
    expect([...totals]).toEqual([undefined]);
  });

  it('Cancel stops the transfer at once, closes the connection and tries no fallback', async () => {
    server = await slowServer(sealed.ciphertext);
    const ctl = new AbortController();
    let last = 0;
    let cancelledAt = 0;
    const got = downloadNip17File(fileAt(`${server.base}/f`, [`${server.base}/whole`]), realFetch, {
      signal: ctl.signal,
      onProgress: (received) => {
        last = received;
        if (received >= 2 * PART && !cancelledAt) {
          cancelledAt = received; // the person presses Cancel after two parts
          ctl.abort();
        } else if (received > 0 && !cancelledAt) server.release();
      }
    });
    await server.opened;
    server.release();
    expect(await got.catch(code)).toBe('FILE_UNAVAILABLE: download cancelled');
    await server.closed;
    expect(cancelledAt).toBeGreaterThanOrEqual(2 * PART);
    expect(cancelledAt).toBeLessThan(sealed.ciphertext.length);
    expect(last).toBe(cancelledAt); // nothing reported after the Cancel
    expect(server.requests).toEqual(['/f']); // the fallback was not asked
  });

  it('a Cancel pressed before the answer arrives stops it too', async () => {
    server = await slowServer(sealed.ciphertext);
    const ctl = new AbortController();
    ctl.abort();
    expect(await downloadNip17File(fileAt(`${server.base}/whole`), realFetch, { signal: ctl.signal }).catch(code)).toBe('FILE_UNAVAILABLE: download cancelled');
  });

  it('a server that goes silent mid-file is given up on for the next copy', async () => {
    server = await slowServer(sealed.ciphertext);
    const reports: number[] = [];
    // /f sends one part and then nothing: after 0.5 s of silence the fallback (/whole) is fetched and used
    const got = downloadNip17File(fileAt(`${server.base}/f`, [`${server.base}/whole`]), realFetch, { idleMs: 500, onProgress: (r) => reports.push(r) });
    await server.opened;
    server.release();
    expect((await got).bytes).toEqual(plain);
    expect(server.requests).toEqual(['/f', '/whole']);
    expect(reports).toContain(PART);
  });

  it('a 404 on the only copy is FILE_UNAVAILABLE, not a cancel', async () => {
    server = await slowServer(sealed.ciphertext);
    expect(await downloadNip17File(fileAt(`${server.base}/gone`), realFetch, { signal: new AbortController().signal }).catch(code)).toBe('FILE_UNAVAILABLE: file server answered 404');
  });
});
