/**
 * Starts the real local Blossom server (scripts/blossom.mjs, docs/blossom.md) for integration and
 * end-to-end tests: a free port and a fresh temp data dir (blobs in `<dir>/blobs`, one file per blob
 * named by its sha256), removed by stop().
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startReadyProcess } from './proc';

export interface TestBlossom {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** The server's --dir; the blob files are in `join(dir, 'blobs')`. */
  dir: string;
  /** SIGTERM, wait for the exit, delete the data dir. Safe to call twice. */
  stop(): Promise<void>;
}

const SCRIPT = resolve(process.cwd(), 'scripts/blossom.mjs');

export async function startBlossom(opts: { maxBytes?: number } = {}): Promise<TestBlossom> {
  const dir = mkdtempSync(join(tmpdir(), 'veil-blossom-'));
  const extra = opts.maxBytes !== undefined ? ['--max-bytes', String(opts.maxBytes)] : [];
  const proc = await startReadyProcess(SCRIPT, ['--port', '0', '--dir', dir, ...extra], 15_000).catch((err: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });
  return {
    url: proc.address,
    dir,
    async stop() {
      await proc.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  };
}
