/**
 * A bare NIP-01 client over `ws` for tests that talk to the relay directly, without
 * src/lib/relay: send arrays, wait for the first received message that matches.
 */
import WebSocket from 'ws';

export type Msg = unknown[];

export class RawClient {
  readonly received: Msg[] = [];
  private waiters: { pred: (m: Msg) => boolean; resolve: (m: Msg) => void }[] = [];
  /** Resolves with the close code when the socket closes, from either side. */
  readonly closed: Promise<number>;

  private constructor(private readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => ws.once('close', (code) => resolve(code)));
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as Msg;
      this.received.push(m);
      this.waiters = this.waiters.filter((w) => (w.pred(m) ? (w.resolve(m), false) : true));
    });
  }

  static open(url: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.once('open', () => resolve(new RawClient(ws)));
      ws.once('error', reject);
    });
  }

  send(msg: Msg): void {
    this.ws.send(JSON.stringify(msg));
  }

  /** The first message (already received or yet to come) for which `pred` holds. */
  waitFor(pred: (m: Msg) => boolean, what = 'message', timeoutMs = 5000, from = 0): Promise<Msg> {
    const seen = this.received.slice(from).find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
      this.waiters.push({ pred, resolve: (m) => (clearTimeout(timer), resolve(m)) });
    });
  }

  /** Publishes and returns the relay's OK answer `[accepted, reason]`. */
  async publish(event: { id: string }): Promise<[boolean, string]> {
    const from = this.received.length; // an earlier OK for the same id is not this answer
    this.send(['EVENT', event]);
    const ok = await this.waitFor((m) => m[0] === 'OK' && m[1] === event.id, `OK for ${event.id}`, 5000, from);
    return [ok[2] as boolean, ok[3] as string];
  }

  /** REQ until EOSE; returns the stored events (the subscription stays open). */
  async query(subId: string, ...filters: object[]): Promise<{ id: string; [k: string]: unknown }[]> {
    const from = this.received.length;
    this.send(['REQ', subId, ...filters]);
    await this.waitFor((m) => (m[0] === 'EOSE' || m[0] === 'CLOSED') && m[1] === subId, `EOSE for ${subId}`, 5000, from);
    return this.eventsFor(subId);
  }

  /**
   * NIP-42 as strfry asks for it: a REQ for restricted kinds gets AUTH + CLOSED "auth-required"; this
   * answers the challenge with an auth event signed by `sign`, then sends the REQ again and waits for
   * EOSE. Returns the stored events.
   */
  async queryWithAuth(subId: string, sign: (template: { kind: number; created_at: number; tags: string[][]; content: string }) => { id: string }, relayUrl: string, ...filters: object[]): Promise<{ id: string; [k: string]: unknown }[]> {
    const from = this.received.length;
    this.send(['REQ', subId, ...filters]);
    const first = await this.waitFor((m) => (m[0] === 'EOSE' || m[0] === 'CLOSED') && m[1] === subId, `answer for ${subId}`, 5000, from);
    if (first[0] === 'EOSE') return this.eventsFor(subId);
    const challenge = this.received.findLast((m) => m[0] === 'AUTH')?.[1];
    if (typeof challenge !== 'string') throw new Error(`relay closed ${subId} without a challenge: ${String(first[2])}`);
    const auth = sign({ kind: 22242, created_at: Math.floor(Date.now() / 1000), tags: [['relay', relayUrl], ['challenge', challenge]], content: '' });
    const okFrom = this.received.length;
    this.send(['AUTH', auth]);
    const ok = await this.waitFor((m) => m[0] === 'OK' && m[1] === auth.id, 'OK for AUTH', 5000, okFrom);
    if (ok[2] !== true) throw new Error(`AUTH refused: ${String(ok[3])}`);
    return this.query(subId, ...filters);
  }

  eventsFor(subId: string): { id: string; [k: string]: unknown }[] {
    return this.received
      .filter((m) => m[0] === 'EVENT' && m[1] === subId)
      .map((m) => m[2] as { id: string; [k: string]: unknown });
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}
