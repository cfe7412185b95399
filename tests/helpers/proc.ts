/**
 * Starts a Node child process that prints `READY <address>` when it is serving, and stops it.
 * Shared by the relay and web-server helpers of the integration and end-to-end tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface Started {
  address: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export function startReadyProcess(script: string, args: string[], timeoutMs = 30_000): Promise<Started> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} did not print READY within ${timeoutMs} ms. stderr:\n${stderr}`));
    }, timeoutMs);
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with code ${code} before READY. stderr:\n${stderr}`));
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /^READY (\S+)/.exec(line);
      if (!m) return;
      clearTimeout(timer);
      resolve({
        address: m[1]!,
        child,
        async stop() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          await exited;
        }
      });
    });
  });
}
