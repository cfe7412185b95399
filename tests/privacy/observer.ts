/**
 * The observing relay (DESIGN.md §8): a `ws` proxy in front of real local relays that forwards every
 * frame both ways unchanged and logs, per client connection, what an operator who logs everything
 * sees: the client IP, open/close times, every REQ (sub id + filters), CLOSE, published EVENT, AUTH,
 * and every event delivered to the connection (id, sub id, size). Times come from the world's clock
 * (clock.ts). The log is plain data; attacks.ts reads nothing else.
 *
 * `refuseKinds` is a world-model switch, not an observation: the NIP-17 baseline world refuses
 * Veil's inbox records (kind 11067) so its users are clients without one; refused publishes are
 * answered `OK false` and never logged or forwarded.
 */
import { WebSocketServer, WebSocket } from 'ws';
import type { AddressInfo } from 'node:net';

export interface LoggedEvent {
  id: string;
  pubkey: string;
  kind: number;
  created_at: number;
  tags: string[][];
  content: string;
}
export type Filter = Record<string, unknown>;

export type LogRecord =
  | { t: 'open'; conn: number; relay: string; ip: string; ms: number }
  | { t: 'close'; conn: number; ms: number }
  | { t: 'req'; conn: number; sub: string; filters: Filter[]; ms: number }
  | { t: 'unsub'; conn: number; sub: string; ms: number }
  | { t: 'publish'; conn: number; event: LoggedEvent; bytes: number; ms: number }
  | { t: 'auth'; conn: number; event: LoggedEvent; ms: number }
  | { t: 'deliver'; conn: number; sub: string; id: string; kind: number; bytes: number; ms: number };

export interface Observer {
  /** Proxy URLs, one per upstream relay, in the same order. */
  urls: string[];
  log: LogRecord[];
  /** Real ms (Date.now()) of the last frame in either direction: for waiting until the network is quiet. */
  lastFrameAt(): number;
  /** Frames in flight that the upstream has not opened for yet. */
  pending(): number;
  close(): Promise<void>;
}

function parse(data: string): unknown[] | null {
  try {
    const v: unknown = JSON.parse(data);
    return Array.isArray(v) ? v : null;
  } catch {
    return null;
  }
}

/** Starts one proxy per upstream relay URL; `clock` stamps the log (virtual ms). */
export async function startObserver(upstreams: string[], opts: { clock: () => number; refuseKinds?: number[] }): Promise<Observer> {
  const log: LogRecord[] = [];
  const refuse = new Set(opts.refuseKinds ?? []);
  let nextConn = 1;
  let last = Date.now();
  let waiting = 0;
  const servers: WebSocketServer[] = [];
  const sockets = new Set<WebSocket>();

  const attach = (relay: string, upstream: string, client: WebSocket, ip: string): void => {
    const conn = nextConn++;
    const ms = opts.clock;
    log.push({ t: 'open', conn, relay, ip, ms: ms() });
    const up = new WebSocket(upstream);
    sockets.add(up);
    sockets.add(client);
    const queue: string[] = [];
    const toUpstream = (s: string): void => {
      if (up.readyState === WebSocket.OPEN) up.send(s);
      else {
        queue.push(s);
        waiting++;
      }
    };
    up.on('open', () => {
      waiting -= queue.length;
      for (const s of queue.splice(0)) up.send(s);
    });
    client.on('message', (raw) => {
      last = Date.now();
      const s = raw.toString();
      const m = parse(s);
      if (m && m[0] === 'EVENT' && typeof m[1] === 'object' && m[1] !== null) {
        const ev = m[1] as LoggedEvent;
        if (refuse.has(ev.kind)) return void client.send(JSON.stringify(['OK', ev.id, false, 'blocked: not in this world']));
        log.push({ t: 'publish', conn, event: ev, bytes: Buffer.byteLength(s), ms: ms() });
      } else if (m && m[0] === 'REQ') log.push({ t: 'req', conn, sub: String(m[1]), filters: m.slice(2) as Filter[], ms: ms() });
      else if (m && m[0] === 'CLOSE') log.push({ t: 'unsub', conn, sub: String(m[1]), ms: ms() });
      else if (m && m[0] === 'AUTH') log.push({ t: 'auth', conn, event: m[1] as LoggedEvent, ms: ms() });
      toUpstream(s);
    });
    up.on('message', (raw) => {
      last = Date.now();
      const s = raw.toString();
      if (s.startsWith('["EVENT"')) {
        const m = parse(s);
        const ev = m?.[2] as LoggedEvent | undefined;
        if (ev) log.push({ t: 'deliver', conn, sub: String(m?.[1]), id: ev.id, kind: ev.kind, bytes: Buffer.byteLength(s), ms: ms() });
      }
      if (client.readyState === WebSocket.OPEN) client.send(s);
    });
    let closed = false;
    const end = (): void => {
      if (closed) return;
      closed = true;
      last = Date.now();
      waiting -= queue.length;
      queue.length = 0;
      log.push({ t: 'close', conn, ms: ms() });
      client.close();
      up.close();
      sockets.delete(up);
      sockets.delete(client);
    };
    client.on('close', end);
    up.on('close', end);
    client.on('error', end);
    up.on('error', end);
  };

  const urls: string[] = [];
  for (const upstream of upstreams) {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
    wss.on('connection', (client, req) => attach(url, upstream, client, (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '')));
    servers.push(wss);
    urls.push(url);
  }
  return {
    urls,
    log,
    lastFrameAt: () => last,
    pending: () => waiting,
    async close() {
      for (const s of sockets) s.terminate();
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    }
  };
}

/** A `ws` WebSocket class whose sockets leave from `ip` (any of 127.0.0.0/8 on Linux loopback). */
export function webSocketFrom(ip: string): typeof WebSocket {
  return class extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols, { localAddress: ip });
    }
  } as unknown as typeof WebSocket;
}
