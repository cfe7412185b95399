/**
 * A scriptable fake WebSocket for relay-layer unit tests: each test gets its own class
 * (`mockSockets()`), sees every socket the code under test created, and plays the relay:
 * open, send frames (valid or garbage), fail, close.
 */
import type { WebSocketLike } from '../../src/lib/relay/types';

type Fire = ((ev: unknown) => unknown) | null;

export class MockSocket implements WebSocketLike {
  readyState = 0;
  onopen: ((ev: never) => unknown) | null = null;
  onclose: ((ev: never) => unknown) | null = null;
  onerror: ((ev: never) => unknown) | null = null;
  onmessage: ((ev: never) => unknown) | null = null;
  /** Frames the client sent, parsed. */
  readonly sent: unknown[][] = [];
  closedByClient = false;

  constructor(readonly url: string) {}

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('send on a socket that is not open');
    this.sent.push(JSON.parse(data) as unknown[]);
  }

  close(): void {
    this.closedByClient = true;
    this.readyState = 3;
  }

  // --- the relay's side ---
  /** Completes the handshake. */
  accept(): void {
    this.readyState = 1;
    (this.onopen as Fire)?.({});
  }
  /** Sends a frame: arrays/objects as JSON, strings and other values as they are. */
  frame(msg: unknown): void {
    (this.onmessage as Fire)?.({ data: Array.isArray(msg) ? JSON.stringify(msg) : msg });
  }
  /** The connection fails (refused, reset): error then close 1006. */
  fail(): void {
    this.readyState = 3;
    (this.onerror as Fire)?.({});
    (this.onclose as Fire)?.({ code: 1006 });
  }
  /** The relay closes the connection. */
  serverClose(code = 1001): void {
    this.readyState = 3;
    (this.onclose as Fire)?.({ code });
  }
  /** Frames of one type the client sent. */
  sentOf(type: string): unknown[][] {
    return this.sent.filter((m) => m[0] === type);
  }
}

/** A fresh WebSocket class whose instances are recorded in `sockets` (in creation order). */
export function mockSockets(): { WebSocket: new (url: string) => MockSocket; sockets: MockSocket[]; last(): MockSocket } {
  const sockets: MockSocket[] = [];
  class Recorded extends MockSocket {
    constructor(url: string) {
      super(url);
      sockets.push(this);
    }
  }
  return {
    WebSocket: Recorded,
    sockets,
    last() {
      const s = sockets.at(-1);
      if (!s) throw new Error('no socket was created');
      return s;
    }
  };
}
