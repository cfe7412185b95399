/** Serves the built app (`build/`) with scripts/serve.mjs on a free port. */
import { startReadyProcess } from './proc';

export interface WebServer {
  url: string;
  stop(): Promise<void>;
}

/** `relays` go into /veil-config.json; `lookupRelays` too, and are the `relays` when not given. */
export async function startWeb(opts: { relays?: string[]; lookupRelays?: string[]; fileServer?: string; port?: number; dir?: string } = {}): Promise<WebServer> {
  const args = ['--port', String(opts.port ?? 0)];
  if (opts.dir) args.push('--dir', opts.dir);
  if (opts.relays?.length) args.push('--relays', opts.relays.join(','));
  if (opts.lookupRelays?.length) args.push('--lookup-relays', opts.lookupRelays.join(','));
  if (opts.fileServer) args.push('--file-server', opts.fileServer);
  const p = await startReadyProcess('scripts/serve.mjs', args);
  return { url: p.address, stop: () => p.stop() };
}
