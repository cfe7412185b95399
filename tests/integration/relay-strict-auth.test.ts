/**
 * NIP-42 on demand and relay text as a trigger (issue 11) against the real local relay in strict mode
 * (strfry's defaults: kind 1059 reads refused with CLOSED "ERROR: auth-required: …" after a challenge).
 * Veil's sockets are real `ws` sockets; a thin subclass can also hand them frames a hostile relay would
 * send (1,000 AUTH challenges, a NOTICE every 5 ms), and records what Veil sends. Shown: NIP-17 reads
 * work through AUTH with one identity signature per DM socket; the floods add no signature, no REQ and
 * no republish; a copy whose relay is down is retried on its backoff only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { wrapEvent as ntWrapDm } from 'nostr-tools/nip17';
import { finalizeEvent, generateSecretKey, getPublicKey, type NostrEvent } from 'nostr-tools/pure';
import { bytesToHex, randomBytes } from '../../src/lib/shared/bytes';
import { envelopeKey } from '../../src/lib/crypto/envelope';
import { LocalSigner } from '../../src/lib/crypto/signer';
import type { EventTemplate } from '../../src/lib/crypto/signer';
import { VeilStore } from '../../src/lib/store/db';
import { Messenger } from '../../src/lib/sync/messenger';
import { createDmRelayPool, subscribeGiftWraps } from '../../src/lib/sync/nip17';
import type { TrustedEvent } from '../../src/lib/shared/trusted-event';
import { RawClient } from '../helpers/raw-ws';
import { startRelay, type TestRelay } from '../helpers/relay';
import { freshPlatform, TEST_ITERATIONS } from '../helpers/store-idb';
import { FAST_TIMING } from '../helpers/timing';
import { untilChecked } from '../helpers/until';

/** The identity signer, counting what it signs by kind. */
class CountingSigner extends LocalSigner {
  readonly kinds: number[] = [];
  override async signEvent(t: EventTemplate): ReturnType<LocalSigner['signEvent']> {
    this.kinds.push(t.kind);
    return super.signEvent(t);
  }
  auths(): number {
    return this.kinds.filter((k) => k === 22242).length;
  }
}

/** `ws` sockets that record what Veil sends and can be handed frames as if the relay sent them. */
class Tapped extends WebSocket {
  static all: Tapped[] = [];
  readonly sentFrames: unknown[][] = [];
  constructor(url: string) {
    super(url);
    Tapped.all.push(this);
  }
  override send(data: string): void {
    this.sentFrames.push(JSON.parse(data) as unknown[]);
    super.send(data);
  }
  inject(msg: unknown[]): void {
    if (this.readyState === WebSocket.OPEN) (this.onmessage as ((ev: { data: string }) => void) | null)?.({ data: JSON.stringify(msg) });
  }
  static open(url: string): Tapped[] {
    return Tapped.all.filter((s) => s.url.replace(/\/$/, '') === url && s.readyState === WebSocket.OPEN);
  }
  static sentOf(type: string): unknown[][] {
    return Tapped.all.flatMap((s) => s.sentFrames.filter((m) => m[0] === type));
  }
}

const nowSec = () => Math.floor(Date.now() / 1000);
const DEAD = 'ws://127.0.0.1:1';
let relay: TestRelay;
let raw: RawClient;
const stops: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  relay = await startRelay({ strict: true });
  raw = await RawClient.open(relay.url);
});

afterAll(async () => {
  while (stops.length) await stops.pop()!();
  await raw?.close();
  await relay?.stop();
});

/** Floods every open socket to the relay: `challenges` AUTH frames and a NOTICE every 5 ms for `ms`. */
async function flood(url: string, challenges: number, ms: number): Promise<void> {
  for (const s of Tapped.open(url)) for (let i = 0; i < challenges; i++) s.inject(['AUTH', `flood-${i}-${bytesToHex(randomBytes(4))}`]);
  await new Promise<void>((resolve) => {
    const t = setInterval(() => {
      for (const s of Tapped.open(url)) s.inject(['NOTICE', 'slow down']);
    }, 5);
    setTimeout(() => (clearInterval(t), resolve()), ms);
  });
}

describe('NIP-42 on demand against the strict relay', () => {
  it('the DM pool reads wraps through AUTH with one signature; 1,000 more challenges and a NOTICE flood add none', async () => {
    const bobSk = generateSecretKey();
    const bob = new CountingSigner(bobSk);
    const B = getPublicKey(bobSk);
    const stored = ntWrapDm(generateSecretKey(), { publicKey: B }, 'stored');
    expect(await raw.publish(stored)).toEqual([true, '']);
    const pool = createDmRelayPool([relay.url], { WebSocket: Tapped, eoseTimeoutMs: 5000, signer: bob });
    stops.push(() => pool.close());
    const got: TrustedEvent[] = [];
    let eose = false;
    const sub = subscribeGiftWraps(pool, B, { onevent: (ev) => got.push(ev), oneose: () => (eose = true) }, { since: nowSec() - 3 * 86_400 });
    stops.push(() => sub.close());
    const waitFor = (pred: () => boolean, what: string) => untilChecked([], async () => pred() || undefined, what, 10_000);
    await waitFor(() => eose && got.length === 1, 'stored wrap through AUTH');
    expect(got[0]!.id).toBe(stored.id);
    expect(bob.auths()).toBe(1);
    const reqs = Tapped.sentOf('REQ').length;

    await flood(relay.url, 1000, 500);
    const live = ntWrapDm(generateSecretKey(), { publicKey: B }, 'live');
    expect(await raw.publish(live)).toEqual([true, '']);
    await waitFor(() => got.length === 2, 'live wrap after the flood');
    expect(got[1]!.id).toBe(live.id);
    console.log(`strict relay: ${bob.auths()} identity signature(s) after 1 real and 1,000 injected AUTH challenges`);
    expect(bob.auths()).toBe(1);
    expect(Tapped.sentOf('AUTH')).toHaveLength(1);
    expect(Tapped.sentOf('REQ')).toHaveLength(reqs);
    expect(pool.status()[0]).toMatchObject({ auth: 'accepted', counters: { authSigned: 1, authChallenges: 1001 } });
  });

  it('a Messenger reads NIP-17 through AUTH; floods cause no extra signature and no republish; a down relay waits for its backoff', { timeout: 60_000 }, async () => {
    const aliceSk = generateSecretKey();
    const alice = new CountingSigner(aliceSk);
    const A = getPublicKey(aliceSk);
    const carolSk = generateSecretKey();
    const carol = getPublicKey(carolSk);
    const dmList = finalizeEvent({ kind: 10050, created_at: nowSec(), tags: [['relay', relay.url]], content: '' }, carolSk);
    expect(await raw.publish(dmList)).toEqual([true, '']);

    const store = await VeilStore.open(freshPlatform(), 'veil-strict-auth-alice');
    await store.setupVault('correct horse battery staple', { iterations: TEST_ITERATIONS });
    const m = await Messenger.create({
      store,
      signer: alice,
      identity: A,
      deviceId: bytesToHex(randomBytes(8)),
      ek: envelopeKey(generateSecretKey()),
      WebSocket: Tapped,
      relays: [relay.url, DEAD],
      queryTimeoutMs: 3000,
      timing: FAST_TIMING
    });
    stops.push(() => store.close(), () => m.stop());
    await m.start();
    const until = <T>(check: () => Promise<T | undefined | false>, what: string) => untilChecked([m], check, what, 15_000);

    expect(await raw.publish(ntWrapDm(carolSk, { publicKey: A }, 'hello from carol'))).toEqual([true, '']);
    const chat = await until(async () => (await m.listChats('request')).find((c) => c.peer === carol), 'NIP-17 request at Alice');
    const authsAfterRead = alice.auths();
    expect(authsAfterRead).toBeGreaterThanOrEqual(1);

    // Alice answers: the wrap for Carol and Alice's self copy go to the strict relay; the self copy
    // for the dead relay in her own DM list fails as unreachable and stays queued.
    await m.accept(carol);
    const sentId = await m.send(chat.id, 'hi carol');
    await until(async () => (await m.pageMessages(chat.id)).find((x) => x.id === sentId && x.status === 'sent'), 'sent');
    const wrapIds = () => Tapped.sentOf('EVENT').map((f) => (f[1] as NostrEvent).id);
    const before = wrapIds().length;
    const deadAttempts = async () => {
      const entries = await store.listOutboxByMessage(sentId);
      return entries.flatMap((e) => e.items).filter((it) => it.relay === DEAD).reduce((n, it) => n + it.attempts, 0);
    };
    const deadBefore = await deadAttempts();

    await flood(relay.url, 1000, 2000);
    expect(await raw.publish(ntWrapDm(carolSk, { publicKey: A }, 'after the flood'))).toEqual([true, '']);
    await until(async () => (await m.pageMessages(chat.id)).some((x) => x.text === 'after the flood'), 'second NIP-17 message');

    const ids = wrapIds();
    const deadAfter = await deadAttempts();
    console.log(`messenger on strict relay: ${alice.auths()} AUTH signature(s); ${ids.length - before} EVENT frames during the flood; dead relay attempts ${deadBefore} → ${deadAfter}`);
    expect(alice.auths()).toBe(authsAfterRead);
    expect(new Set(ids).size, 'every event went out once').toBe(ids.length);
    // the dead relay's copy: its backoff (0.5–1 s, 1–2 s, …) allows at most 3 more attempts in 2 s
    expect(deadAfter - deadBefore).toBeLessThanOrEqual(3);
  });
});
