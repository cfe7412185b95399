/**
 * A WebSocket proxy in front of the real local relay that forwards every frame as it comes, except
 * the EOSE of a REQ that `hold` picks while holding is on: that EOSE waits until `release()` (a slow
 * relay that takes its time to say its stored events are all sent). Events are never held, so the
 * client has them all and opens them while the EOSE waits. NIP-11 requests get a 404 at once.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer, type RawData } from 'ws';

export interface EoseHoldProxy {
  /** `ws://127.0.0.1:<port>` */
  url: string;
  /** From now on, the EOSE of each REQ whose filters `pick` accepts waits for release(). */
  hold(pick: (filters: Record<string, unknown>[]) => boolean): void;
  /** Sends the held EOSEs and holds no more. */
  release(): void;
  /** EOSEs held so far (also those released). */
  readonly held: number;
  stop(): Promise<void>;
}

export async function startEoseHoldProxy(upstream: string): Promise<EoseHoldProxy> {
  const server: Server = createServer((_req, res) => {
    res.writeHead(404, { 'access-control-allow-origin': '*' });
    res.end();
  });
  const wss = new WebSocketServer({ server, maxPayload: 4 * 1024 * 1024 });
  const sockets = new Set<WebSocket>();
  let pick: ((filters: Record<string, unknown>[]) => boolean) | null = null;
  let waiting: (() => void)[] = [];
  let held = 0;

  wss.on('connection', (client) => {
    const up = new WebSocket(upstream);
    sockets.add(client);
    sockets.add(up);
    const pendingUp: string[] = [];
    /** Subscription ids (on this connection) whose EOSE is held. */
    const holding = new Set<string>();
    const end = (): void => {
      client.terminate();
      up.terminate();
      sockets.delete(client);
      sockets.delete(up);
    };
    up.on('open', () => {
      for (const f of pendingUp.splice(0)) up.send(f);
    });
    up.on('message', (data: RawData) => {
      const frame = data.toString();
      const msg = JSON.parse(frame) as unknown[];
      if (msg[0] === 'EOSE' && holding.delete(String(msg[1]))) {
        held++;
        waiting.push(() => client.readyState === WebSocket.OPEN && client.send(frame));
        return;
      }
      if (client.readyState === WebSocket.OPEN) client.send(frame);
    });
    client.on('message', (data: RawData) => {
      const frame = data.toString();
      const msg = JSON.parse(frame) as unknown[];
      if (msg[0] === 'REQ' && pick?.(msg.slice(2) as Record<string, unknown>[])) holding.add(String(msg[1]));
      if (up.readyState === WebSocket.OPEN) up.send(frame);
      else pendingUp.push(frame);
    });
    client.on('close', end);
    up.on('close', end);
    client.on('error', end);
    up.on('error', end);
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}`,
    hold: (p) => void (pick = p),
    release: () => {
      pick = null;
      const batch = waiting;
      waiting = [];
      for (const send of batch) send();
    },
    get held() {
      return held;
    },
    stop: async () => {
      for (const s of sockets) s.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
      await new Promise<void>((r) => server.close(() => r()));
    }
  };
}
