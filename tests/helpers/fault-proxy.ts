/**
 * A WebSocket proxy in front of the real local relay that misbehaves on purpose (issue 11, fault
 * injection with real sockets). Every client connection gets its own upstream socket; frames are
 * forwarded with the faults of the current profile, which a test may change at any time. The
 * faults are what lossy networks and hostile relays do: drop, duplicate, reorder, delay, cut the
 * connection, refuse with each OK prefix, lie about or never send EOSE, send forged copies first,
 * replay old events, send 1 MB frames, flood AUTH and NOTICE. Randomness is seeded, so a failing
 * run can be repeated.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer, type RawData } from 'ws';
import { seeded } from './stats';

export interface FaultProfile {
  name: string;
  /** Probability that a frame (either way) is dropped. */
  drop?: number;
  /** Probability that a relay frame is sent twice. */
  duplicate?: number;
  /** Relay frames are held and sent in a random order, this many at most (flushed after 20 ms). */
  reorderWindow?: number;
  /** Each relay frame waits a uniform random delay in this range (ms); frames overtake each other. */
  delayMs?: [number, number];
  /** Every this many relay frames (counted over all connections), the connection carrying the last one is cut. */
  disconnectEvery?: number;
  /** `OK true` becomes `OK false "<prefix>: …"` (a random one of these) with probability `okFalseRate` (the event was stored). */
  okFalsePrefix?: readonly string[];
  okFalseRate?: number;
  /** EOSE is sent at once for every REQ, before the stored events. */
  lyingEose?: boolean;
  /** EOSE is never sent. */
  noEose?: boolean;
  /** Every EVENT is preceded by a forged copy (same id, other content, so a bad id and signature). */
  forgedFirst?: boolean;
  /** Probability that an EVENT frame is sent again later (after 5–50 more frames). */
  replay?: number;
  /** Probability, per relay frame, of a 1 MB garbage frame before it. */
  bigFrame?: number;
  /** A NOTICE / an AUTH challenge every this many ms. */
  noticeEveryMs?: number;
  authEveryMs?: number;
}

export interface FaultStats {
  connections: number;
  forwarded: number;
  dropped: number;
  duplicated: number;
  disconnects: number;
  okFalse: number;
  forged: number;
  replayed: number;
  bigFrames: number;
  notices: number;
  auths: number;
  delayed: number;
  /** Frames from the relay, over all connections. */
  relayFrames: number;
  reordered: number;
  eoseLies: number;
  eoseDropped: number;
}

export interface FaultProxy {
  /** `ws://127.0.0.1:<port>` */
  url: string;
  profile: FaultProfile;
  stats: FaultStats;
  setProfile(p: FaultProfile): void;
  stop(): Promise<void>;
}

const NONE: FaultProfile = { name: 'none' };
const BIG = 'x'.repeat(1024 * 1024);

export async function startFaultProxy(upstream: string, seed = 1): Promise<FaultProxy> {
  const rnd = seeded(seed);
  const chance = (p: number | undefined): boolean => p !== undefined && p > 0 && rnd() < p;
  const stats: FaultStats = { connections: 0, forwarded: 0, dropped: 0, duplicated: 0, disconnects: 0, okFalse: 0, forged: 0, replayed: 0, bigFrames: 0, notices: 0, auths: 0, delayed: 0, relayFrames: 0, reordered: 0, eoseLies: 0, eoseDropped: 0 };
  const server: Server = createServer();
  const wss = new WebSocketServer({ server, maxPayload: 4 * 1024 * 1024 });
  const sockets = new Set<WebSocket>();
  /** Per live connection: restarts its NOTICE/AUTH flood timers for the current profile. */
  const floods = new Set<() => void>();
  const proxy: FaultProxy = {
    url: '',
    profile: NONE,
    stats,
    setProfile: (p) => {
      proxy.profile = p;
      for (const f of floods) f();
    },
    stop: async () => {
      for (const s of sockets) s.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
      await new Promise<void>((r) => server.close(() => r()));
    }
  };

  wss.on('connection', (client) => {
    stats.connections++;
    sockets.add(client);
    const up = new WebSocket(upstream);
    sockets.add(up);
    const pendingUp: string[] = [];
    let frames = 0;
    let held: string[] = [];
    let heldTimer: ReturnType<typeof setTimeout> | undefined;
    const replays: { frame: string; after: number }[] = [];
    let timers: ReturnType<typeof setInterval>[] = [];
    const end = (): void => {
      floods.delete(applyFloods);
      for (const t of timers) clearInterval(t);
      clearTimeout(heldTimer);
      client.terminate();
      up.terminate();
      sockets.delete(client);
      sockets.delete(up);
    };

    /** Sends one frame to the client now. */
    const toClient = (frame: string): void => {
      if (client.readyState !== WebSocket.OPEN) return;
      client.send(frame);
      stats.forwarded++;
    };

    const flushHeld = (): void => {
      clearTimeout(heldTimer);
      heldTimer = undefined;
      const batch = held;
      held = [];
      for (let i = batch.length - 1; i > 0; i--) {
        const j = Math.floor(rnd() * (i + 1));
        [batch[i], batch[j]] = [batch[j]!, batch[i]!];
      }
      if (batch.length > 1) stats.reordered += batch.length;
      for (const f of batch) toClient(f);
    };

    /** Delay and reorder stages, then the socket. */
    const emit = (frame: string): void => {
      const p = proxy.profile;
      if (p.delayMs) {
        const [lo, hi] = p.delayMs;
        stats.delayed++;
        setTimeout(() => toClient(frame), lo + rnd() * (hi - lo));
        return;
      }
      if (p.reorderWindow && p.reorderWindow > 1) {
        held.push(frame);
        if (held.length >= p.reorderWindow) flushHeld();
        else heldTimer ??= setTimeout(flushHeld, 20);
        return;
      }
      toClient(frame);
    };

    const fromRelay = (data: RawData): void => {
      const p = proxy.profile;
      let frame = data.toString();
      if (chance(p.drop)) return void stats.dropped++;
      let msg: unknown[] | null;
      try {
        msg = JSON.parse(frame) as unknown[];
      } catch {
        msg = null;
      }
      const type = Array.isArray(msg) ? msg[0] : undefined;
      if (type === 'EOSE' && (p.noEose || p.lyingEose)) return void stats.eoseDropped++;
      if (type === 'OK' && msg![2] === true && p.okFalsePrefix && chance(p.okFalseRate ?? 1)) {
        const prefix = p.okFalsePrefix[Math.floor(rnd() * p.okFalsePrefix.length)];
        frame = JSON.stringify(['OK', msg![1], false, `${prefix}: injected by the fault proxy`]);
        stats.okFalse++;
      }
      if (chance(p.bigFrame)) {
        stats.bigFrames++;
        emit(JSON.stringify(['NOTICE', BIG]));
      }
      if (type === 'EVENT' && p.forgedFirst) {
        const ev = msg![2] as Record<string, unknown>;
        emit(JSON.stringify(['EVENT', msg![1], { ...ev, content: `${String(ev.content)}forged` }]));
        stats.forged++;
      }
      emit(frame);
      if (chance(p.duplicate)) {
        stats.duplicated++;
        emit(frame);
      }
      frames++;
      for (const r of replays.filter((x) => x.after <= frames)) {
        replays.splice(replays.indexOf(r), 1);
        stats.replayed++;
        emit(r.frame);
      }
      if (type === 'EVENT' && chance(p.replay)) replays.push({ frame, after: frames + 5 + Math.floor(rnd() * 45) });
      stats.relayFrames++;
      if (p.disconnectEvery && stats.relayFrames % p.disconnectEvery === 0) {
        stats.disconnects++;
        flushHeld();
        end();
      }
    };

    const fromClient = (data: RawData): void => {
      const p = proxy.profile;
      const frame = data.toString();
      if (chance(p.drop)) return void stats.dropped++;
      if (p.lyingEose) {
        try {
          const m = JSON.parse(frame) as unknown[];
          if (m[0] === 'REQ') {
            stats.eoseLies++;
            toClient(JSON.stringify(['EOSE', m[1]]));
          }
        } catch {
          // not JSON: forwarded as it is
        }
      }
      if (up.readyState === WebSocket.OPEN) up.send(frame);
      else pendingUp.push(frame);
    };

    up.on('open', () => {
      for (const f of pendingUp.splice(0)) up.send(f);
    });
    up.on('message', fromRelay);
    up.on('close', end);
    up.on('error', end);
    client.on('message', fromClient);
    client.on('close', end);
    client.on('error', end);

    function applyFloods(): void {
      for (const t of timers) clearInterval(t);
      timers = [];
      const p = proxy.profile;
      if (p.noticeEveryMs)
        timers.push(
          setInterval(() => {
            stats.notices++;
            toClient(JSON.stringify(['NOTICE', 'flood: this relay says something again']));
          }, p.noticeEveryMs)
        );
      if (p.authEveryMs)
        timers.push(
          setInterval(() => {
            stats.auths++;
            toClient(JSON.stringify(['AUTH', `challenge-${stats.auths}`]));
          }, p.authEveryMs)
        );
    }
    floods.add(applyFloods);
    applyFloods();
  });

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  proxy.url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}
