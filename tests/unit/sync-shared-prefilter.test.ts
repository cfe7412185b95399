/**
 * Someone else's mail in a shared bucket is dropped before its signature check (issue 12 §3,
 * receive-envelope.ts `mayBeMine`, the pool's `prefilter`), and nothing else is: a RelayPool on
 * scripted sockets with a counting verifier, the prefilter the Messenger wires, and real v3
 * envelopes (pair-tagged by their sender's tag key, as send-envelope.ts seals them).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { getEventHash } from 'nostr-tools/pure';
import { bucketPoint } from '../../src/lib/crypto/bucket';
import { chatMessageTemplate, envelopeKey, sealEnvelope, type EnvelopeKey } from '../../src/lib/crypto/envelope';
import { generateSecretKey, getXOnlyPublicKey } from '../../src/lib/crypto/keys';
import { epochDay, introMailbox } from '../../src/lib/crypto/mailbox';
import { LocalSigner } from '../../src/lib/crypto/signer';
import { RelayPool } from '../../src/lib/relay/pool';
import type { NostrEvent } from '../../src/lib/relay/types';
import { verifyEventSignature } from '../../src/lib/shared/trusted-event';
import { bytesToHex } from '../../src/lib/shared/bytes';
import type { SyncContext } from '../../src/lib/sync/context';
import { PairKeys } from '../../src/lib/sync/pair-keys';
import type { PlanEntry } from '../../src/lib/sync/plan';
import { mayBeMine, sortEnvelope } from '../../src/lib/sync/receive-envelope';
import type { VeilStore } from '../../src/lib/store/db';
import { mockSockets } from '../helpers/mock-ws';
import { testSyncContext } from '../helpers/sync-context';

const RELAY = 'wss://shared.example';
const NOW_S = Math.floor(Date.now() / 1000);
const DAY = epochDay(NOW_S);
const BUCKET = bucketPoint(RELAY, DAY, 0, 0);

const meSk = generateSecretKey();
const me = bytesToHex(getXOnlyPublicKey(meSk));
const myEk = envelopeKey(generateSecretKey());
const bobEk = envelopeKey(generateSecretKey());
const bob = new LocalSigner(generateSecretKey());
const INTRO = introMailbox(myEk.publicKey, RELAY, DAY);

/** A pair envelope from the device `fromEk` to `toEk` in the shared bucket, its nonce the pair tag. */
async function pairEnvelope(fromEk: EnvelopeKey, toEk: EnvelopeKey, text: string): Promise<NostrEvent> {
  const inner = await bob.signEvent(chatMessageTemplate({ text, recipients: [me], createdAt: NOW_S - 5 }));
  const tagKey = new PairKeys(fromEk).tagKey(bytesToHex(fromEk.publicKey), bytesToHex(toEk.publicKey), DAY)!;
  return (await sealEnvelope({ recipientEk: toEk.publicKey, mailbox: BUCKET, payload: { type: 'event', event: inner }, nowSeconds: NOW_S, pairTagKey: tagKey })) as unknown as NostrEvent;
}

async function introEnvelope(to: EnvelopeKey, text: string): Promise<NostrEvent> {
  const inner = await bob.signEvent(chatMessageTemplate({ text, recipients: [me], createdAt: NOW_S - 5 }));
  return (await sealEnvelope({ recipientEk: to.publicKey, mailbox: INTRO, payload: { type: 'event', event: inner }, nowSeconds: NOW_S })) as unknown as NostrEvent;
}

/** The same envelope with a signature that does not verify (id unchanged: the id does not cover `sig`). */
const badSig = (ev: NostrEvent): NostrEvent => ({ ...ev, sig: ev.sig.startsWith('00') ? '11'.repeat(64) : '00'.repeat(64) });

let ctx: SyncContext;
const classify = (_relay: string, tag: string): PlanEntry | undefined =>
  tag === BUCKET ? { kind: 'bucket', relay: RELAY, day: DAY } : tag === INTRO ? { kind: 'intro', relay: RELAY, day: DAY } : undefined;
const deps = { classify, senders: () => [bytesToHex(bobEk.publicKey)] };

function harness() {
  const m = mockSockets();
  let verified = 0;
  const delivered: string[] = [];
  const pool = new RelayPool([RELAY], {
    WebSocket: m.WebSocket,
    verify: (ev) => (verified++, verifyEventSignature(ev)),
    prefilter: (relay, event) => mayBeMine(ctx, deps, event, relay)
  });
  pool.subscribe([{ kinds: [1067], '#p': [BUCKET, INTRO] }], {
    onevent: (ev, relays) => {
      // What the Messenger does next with a verified envelope (wiring.ts): sort it again.
      if (sortEnvelope(ctx, deps, ev, [...relays][0]!)) delivered.push(ev.id);
    }
  });
  const socket = m.last();
  socket.accept();
  const subId = socket.sentOf('REQ').at(-1)![1] as string;
  const send = (ev: NostrEvent) => socket.frame(['EVENT', subId, ev]);
  return { pool, send, delivered, verified: () => verified, status: () => pool.status().find((s) => s.url === RELAY)! };
}

beforeEach(() => {
  ctx = testSyncContext({ store: {} as VeilStore, signer: new LocalSigner(meSk), me, ek: myEk });
});

describe('the shared-bucket prefilter', () => {
  it('drops other pairs’ envelopes unverified and verifies mine before anything else sees them', async () => {
    const h = harness();
    const carolEk = envelopeKey(generateSecretKey());
    const daveEk = envelopeKey(generateSecretKey());
    const others = [await pairEnvelope(carolEk, daveEk, 'not yours'), await pairEnvelope(bobEk, daveEk, 'Bob to Dave'), await pairEnvelope(carolEk, myEk, 'an unknown sender')];
    for (const ev of others) h.send(ev);
    expect(h.verified()).toBe(0);
    expect(h.status().skippedEvents).toBe(3);
    expect(ctx.counters.notMine).toBe(3);
    expect(h.delivered).toEqual([]);

    const mine = await pairEnvelope(bobEk, myEk, 'hi');
    h.send(badSig(mine)); // passes the prefilter, fails the signature check: never delivered
    expect(h.verified()).toBe(1);
    expect(h.status().invalidEvents).toBe(1);
    expect(h.delivered).toEqual([]);
    h.send(mine);
    expect(h.verified()).toBe(2);
    expect(h.delivered).toEqual([mine.id]);
    h.pool.close();
  });

  it('a forged copy under the real envelope’s id, dropped unverified, does not hide the real one', async () => {
    const h = harness();
    const mine = await pairEnvelope(bobEk, myEk, 'the real one');
    const other = await pairEnvelope(envelopeKey(generateSecretKey()), myEk, 'someone else');
    h.send({ ...other, id: mine.id }); // someone else's bytes under my envelope's id
    expect(h.status().skippedEvents).toBe(1);
    h.send(mine);
    expect(h.delivered).toEqual([mine.id]);
  });

  it('leaves intro envelopes, other mailboxes and malformed events to the signature check', async () => {
    const h = harness();
    const intro = await introEnvelope(envelopeKey(generateSecretKey()), 'someone else’s, in my intro bucket');
    h.send(intro);
    expect(h.verified()).toBe(1);
    expect(h.delivered).toEqual([intro.id]); // a candidate: its trial-open decides (one ECDH)
    const elsewhere = { ...(await pairEnvelope(bobEk, myEk, 'x')), tags: [['p', 'f'.repeat(64)], ['expiration', String(NOW_S + 86_400)]] };
    elsewhere.id = getEventHash(elsewhere);
    h.send(elsewhere);
    h.send({ kind: 1067, content: 'not an event' } as unknown as NostrEvent);
    expect(h.status().skippedEvents).toBe(0);
    expect(h.status().invalidEvents).toBe(2); // the bad id of `elsewhere` (its sig no longer matches) and the malformed one
    expect(h.delivered).toEqual([intro.id]);
  });
});
