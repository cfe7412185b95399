/**
 * Starts the real local relay (scripts/relay.mjs, docs/relay.md) for integration tests.
 * Default: a free port and an in-memory database. Pass `db` (a file path, e.g. from
 * `tempRelayDb()`) when the data must survive `restart()`.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startReadyProcess, type Started } from './proc';

export interface TestRelay {
  /** `ws://127.0.0.1:<port>`; stays the same across restart(). */
  url: string;
  port: number;
  /** SIGTERM and wait for the process to exit. Safe to call twice. */
  stop(): Promise<void>;
  /** Stop (if running) and start again on the same port with the same db ("relay restarted"). */
  restart(): Promise<void>;
}

const SCRIPT = resolve(process.cwd(), 'scripts/relay.mjs');

/** `strict: true` starts it in strfry-like strict mode (docs/relay.md, "Strict mode"). */
/** `maxLimit`: every filter's `limit` capped at it (NIP-11 `max_limit` says so). */
export async function startRelay(opts: { db?: string; port?: number; strict?: boolean; maxLimit?: number } = {}): Promise<TestRelay> {
  const db = opts.db ?? ':memory:';
  const launch = (port: number): Promise<Started> =>
    startReadyProcess(SCRIPT, ['--port', String(port), '--db', db, ...(opts.strict ? ['--strict'] : []), ...(opts.maxLimit ? ['--max-limit', String(opts.maxLimit)] : [])], 15_000);
  let proc: Started | null = await launch(opts.port ?? 0);
  const url = proc.address;
  const port = Number(new URL(url).port);
  const stop = async (): Promise<void> => {
    const p = proc;
    proc = null;
    await p?.stop();
  };
  return {
    url,
    port,
    stop,
    async restart() {
      await stop();
      proc = await launch(port);
      if (proc.address !== url) throw new Error(`relay came back at ${proc.address}, expected ${url}`);
    }
  };
}

/** A fresh sqlite file path in a new temp directory (the relay creates the file). */
export function tempRelayDb(): string {
  return join(mkdtempSync(join(tmpdir(), 'veil-relay-')), 'relay.sqlite');
}
