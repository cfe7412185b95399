/**
 * A hostile relay for tests: just enough NIP-01 over `ws` to be connected to, and every text it can
 * write filled from a list (XSS payloads in tests/e2e/xss.spec.ts). On each connection it sends one
 * NOTICE per text; every REQ gets an EOSE and then a CLOSED whose reason is the next text (and the
 * rest of the texts as CLOSED for the same id, which a client must treat as unknown); every EVENT
 * gets `OK false` with the next text; NIP-11 (an HTTP GET with Accept: application/nostr+json)
 * answers a document whose name, description, software and contact are texts too.
 * It stores nothing and sends no events.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export interface HostileRelay {
  /** `ws://127.0.0.1:<port>` */
  url: string;
  /** Frames sent so far, by type, and what the clients sent. */
  sent: { NOTICE: number; CLOSED: number; OK: number; EOSE: number; nip11: number };
  received: { REQ: number; EVENT: number; AUTH: number; CLOSE: number; other: number };
  /** Events the clients published (their ids), e.g. to wait for a message to have been tried. */
  eventIds: string[];
  stop(): Promise<void>;
}

export async function startHostileRelay(texts: readonly string[]): Promise<HostileRelay> {
  if (texts.length === 0) throw new Error('startHostileRelay needs at least one text');
  let next = 0;
  const text = (): string => texts[next++ % texts.length]!;
  const sent = { NOTICE: 0, CLOSED: 0, OK: 0, EOSE: 0, nip11: 0 };
  const received = { REQ: 0, EVENT: 0, AUTH: 0, CLOSE: 0, other: 0 };
  const eventIds: string[] = [];

  const http: Server = createServer((req, res) => {
    sent.nip11++;
    const doc = {
      name: text(),
      description: text(),
      software: text(),
      version: text(),
      contact: text(),
      supported_nips: [1, 11],
      limitation: { max_message_length: 65536 }
    };
    res.writeHead(200, { 'content-type': 'application/nostr+json', 'access-control-allow-origin': '*' });
    res.end(JSON.stringify(doc));
  });
  const wss = new WebSocketServer({ server: http, maxPayload: 1 << 20 });
  const send = (ws: WebSocket, frame: unknown[]): void => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
  };

  wss.on('connection', (ws) => {
    for (const t of texts) {
      send(ws, ['NOTICE', t]);
      sent.NOTICE++;
    }
    ws.on('message', (data) => {
      let msg: unknown;
      try {
        msg = JSON.parse(data.toString());
      } catch {
        received.other++;
        return;
      }
      if (!Array.isArray(msg)) return void received.other++;
      const [type, a] = msg as [unknown, unknown];
      if (type === 'REQ' && typeof a === 'string') {
        received.REQ++;
        send(ws, ['EOSE', a]);
        sent.EOSE++;
        // The first CLOSED ends the subscription; the others are for an id the client no longer has.
        for (let i = 0; i < texts.length; i++) {
          send(ws, ['CLOSED', a, i % 2 === 0 ? text() : `error: ${text()}`]);
          sent.CLOSED++;
        }
      } else if (type === 'EVENT' && a && typeof a === 'object' && typeof (a as { id?: unknown }).id === 'string') {
        received.EVENT++;
        const id = (a as { id: string }).id;
        eventIds.push(id);
        send(ws, ['OK', id, false, text()]);
        sent.OK++;
      } else if (type === 'AUTH') received.AUTH++;
      else if (type === 'CLOSE') received.CLOSE++;
      else received.other++;
    });
  });

  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}`,
    sent,
    received,
    eventIds,
    async stop() {
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
  };
}
