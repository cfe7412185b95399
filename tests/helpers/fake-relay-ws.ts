/**
 * An in-process fake relay behind a WebSocket class, for tests that run a whole Messenger without a
 * relay process: sockets open asynchronously, a REQ gets EOSE, an EVENT gets the OK that `answer`
 * picks (default accepted), an AUTH gets OK true. It can send a NOTICE every `noticeEveryMs` on each
 * open socket and close each socket `flapAfterMs` after it opened. Every EVENT frame is recorded.
 */
import type { NostrEvent } from '../../src/lib/relay/types';

export interface FakeRelayOptions {
  /** OK for an EVENT: [accepted, message]. */
  answer?(event: NostrEvent): [boolean, string];
  noticeEveryMs?: number;
  flapAfterMs?: number;
}

type Handler = ((ev: unknown) => unknown) | null;

export interface FakeRelay {
  WebSocket: new (url: string) => unknown;
  /** Every EVENT frame received, in order, with the socket's url. */
  events: { url: string; event: NostrEvent }[];
  /** Sockets opened so far. */
  opened(): number;
  /** Stops every timer and closes every socket. */
  stop(): void;
}

export function fakeRelay(opts: FakeRelayOptions = {}): FakeRelay {
  const events: { url: string; event: NostrEvent }[] = [];
  const live = new Set<FakeSocket>();
  let opened = 0;
  let stopped = false;

  class FakeSocket {
    readyState = 0;
    onopen: Handler = null;
    onclose: Handler = null;
    onerror: Handler = null;
    onmessage: Handler = null;
    readonly #timers: ReturnType<typeof setTimeout>[] = [];

    constructor(readonly url: string) {
      live.add(this);
      this.#later(0, () => {
        if (stopped) return this.#end();
        this.readyState = 1;
        opened++;
        this.onopen?.({});
        if (opts.noticeEveryMs) {
          const t = setInterval(() => this.#frame(['NOTICE', 'slow down']), opts.noticeEveryMs);
          this.#timers.push(t);
        }
        if (opts.flapAfterMs !== undefined) this.#later(opts.flapAfterMs, () => this.#end());
      });
    }

    send(data: string): void {
      if (this.readyState !== 1) throw new Error('send on a socket that is not open');
      const msg = JSON.parse(data) as unknown[];
      if (msg[0] === 'REQ') this.#later(0, () => this.#frame(['EOSE', msg[1]]));
      if (msg[0] === 'EVENT') {
        const event = msg[1] as NostrEvent;
        events.push({ url: this.url, event });
        const [ok, text] = opts.answer?.(event) ?? [true, ''];
        this.#later(0, () => this.#frame(['OK', event.id, ok, text]));
      }
      if (msg[0] === 'AUTH') this.#later(0, () => this.#frame(['OK', (msg[1] as NostrEvent).id, true, '']));
    }

    close(): void {
      this.#stopTimers();
      this.readyState = 3;
      live.delete(this);
    }

    /** The relay closes the connection. */
    #end(): void {
      this.#stopTimers();
      this.readyState = 3;
      live.delete(this);
      this.onclose?.({ code: 1001 });
    }

    #frame(msg: unknown[]): void {
      if (this.readyState === 1) this.onmessage?.({ data: JSON.stringify(msg) });
    }

    #later(ms: number, fn: () => void): void {
      this.#timers.push(setTimeout(fn, ms));
    }

    #stopTimers(): void {
      for (const t of this.#timers) clearTimeout(t);
    }
  }

  return {
    WebSocket: FakeSocket,
    events,
    opened: () => opened,
    stop() {
      stopped = true;
      for (const s of [...live]) s.close();
    }
  };
}
