/**
 * A file server's base URL (docs/proposals/0010-files.md): `https://host[:port][/path]`, or plain
 * http to this machine only (a local Blossom server), with no credentials, query or fragment, and
 * no trailing slash. Shared by the runtime config and the upload. Errors: INVALID_INPUT.
 */
import { VeilError } from './errors';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Plain http to this machine: the one http a file URL or server may use (a local Blossom server). */
export function isLoopbackHttp(u: URL): boolean {
  return u.protocol === 'http:' && LOOPBACK.has(u.hostname);
}

export function blossomServerUrl(input: string): string {
  let u: URL;
  try {
    u = new URL(input.trim());
  } catch (cause) {
    throw new VeilError('INVALID_INPUT', 'not a file server address', { cause });
  }
  if ((u.protocol !== 'https:' && !isLoopbackHttp(u)) || u.username || u.password || u.search || u.hash) throw new VeilError('INVALID_INPUT', 'a file server address is https://…');
  return u.href.replace(/\/+$/, '');
}
