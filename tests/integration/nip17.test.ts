/**
 * NIP-17 against the real local relay (scripts/relay.mjs): kind 10050 lists are published and read
 * back; our wraps are published to the peer's DM relay and the self copy to mine; both arrive on
 * gift-wrap subscriptions (stored and live) and open to one message id; a DM made by nostr-tools
 * and published to the relay opens too.
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { wrapEvent as ntWrapDm } from 'nostr-tools/nip17';
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import * as ntNip04 from 'nostr-tools/nip04';
import { finalizeEvent } from 'nostr-tools/pure';
import { LocalSigner } from '../../src/lib/crypto/signer';
import { connectBunker } from '../../src/lib/sync/account';
import { RelayPool } from '../../src/lib/relay/pool';
import type { NostrEvent, VerifiedEvent as RelayVerifiedEvent } from '../../src/lib/relay/types';
import {
  createDmRelayPool,
  createNip17PublishPool,
  fetchDmRelays,
  giftWrapSince,
  openIncomingGiftWrap,
  planNip17Send,
  legacyNip04,
  publishDmRelayList,
  subscribeGiftWraps,
  newNip17Stats,
  type Nip17Message
} from '../../src/lib/sync/nip17';
import { startRelay } from '../helpers/relay';
import { startBunker } from '../helpers/bunker';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const nowSec = () => Math.floor(Date.now() / 1000);
const poolOpts = { WebSocket, backoff: { baseMs: 100, maxMs: 400 }, publishTimeoutMs: 5000, eoseTimeoutMs: 5000 };

function track<T extends { close(): void }>(p: T): T {
  cleanups.push(() => p.close());
  return p;
}

/** Collects opened messages from a gift-wrap subscription; `until` resolves once `pred` holds. */
function inbox(pool: RelayPool, signer: LocalSigner, me: string, since?: number) {
  const messages: Nip17Message[] = [];
  const stats = newNip17Stats();
  const waiters: { pred: () => boolean; resolve: () => void }[] = [];
  let eose = false;
  const check = () => {
    for (const w of [...waiters]) {
      if (!w.pred()) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };
  const sub = subscribeGiftWraps(
    pool,
    me,
    {
      onevent: (ev: RelayVerifiedEvent) => {
        void openIncomingGiftWrap(ev, signer, me, stats).then((r) => {
          if (r.ok) messages.push(r.message);
          check();
        });
      },
      oneose: () => {
        eose = true;
        check();
      }
    },
    since !== undefined ? { since } : {}
  );
  cleanups.push(() => sub.close());
  const until = (pred: () => boolean, what: string) =>
    new Promise<void>((resolve, reject) => {
      if (pred()) return resolve();
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), 10_000);
      waiters.push({ pred, resolve: () => (clearTimeout(timer), resolve()) });
    });
  return { messages, stats, until, eosed: () => eose };
}

describe('NIP-17 over the local relay', () => {
  // Strict: strfry's defaults, where reading kind 1059 needs NIP-42 AUTH and is refused with
  // CLOSED "ERROR: auth-required: …" first (docs/relay.md, "Strict mode").
  it.each([
    ['the default relay', false],
    ['a strict relay (strfry defaults)', true]
  ])('10050 lists round-trip; wraps reach the peer and the self copy reaches me, stored and live, with one id, on %s', async (_what, strict) => {
    const relay = await startRelay({ strict });
    cleanups.push(() => relay.stop());
    const aliceSk = generateSecretKey();
    const bobSk = generateSecretKey();
    const A = getPublicKey(aliceSk);
    const B = getPublicKey(bobSk);
    const alice = new LocalSigner(aliceSk);
    const bob = new LocalSigner(bobSk);

    const publicPool = track(new RelayPool([relay.url], poolOpts));
    for (const [signer, who] of [
      [alice, 'alice'],
      [bob, 'bob']
    ] as const) {
      const { results } = await publishDmRelayList(publicPool, signer, [relay.url], { nowSeconds: nowSec() });
      expect(results.map((r) => r.status), who).toEqual(['ok']);
    }
    const lists = await fetchDmRelays(publicPool, [A, B, getPublicKey(generateSecretKey())]);
    expect([...lists.keys()].sort()).toEqual([A, B].sort());
    expect(lists.get(B)!.relays).toEqual([relay.url]);

    // First message: published before anyone listens (stored delivery).
    const first = await planNip17Send({ text: 'first', me: A, peer: B, peerDmRelays: lists.get(B)!.relays, myDmRelays: lists.get(A)!.relays, signer: alice, nowSeconds: nowSec() });
    const publisher = track(createNip17PublishPool(poolOpts));
    for (const p of first.publishes) expect((await publisher.publish(p.event as unknown as NostrEvent, { relays: [p.relay] }))[0]!.status).toBe('ok');

    const bobDm = track(createDmRelayPool(lists.get(B)!.relays, { ...poolOpts, signer: bob }));
    const aliceDm = track(createDmRelayPool(lists.get(A)!.relays, { ...poolOpts, signer: alice }));
    const bobIn = inbox(bobDm, bob, B, giftWrapSince(nowSec()));
    const aliceIn = inbox(aliceDm, alice, A, giftWrapSince(nowSec()));
    await bobIn.until(() => bobIn.messages.length === 1 && bobIn.eosed(), 'stored wrap at Bob');
    await aliceIn.until(() => aliceIn.messages.length === 1 && aliceIn.eosed(), 'stored self copy at Alice');
    expect(bobIn.messages[0]).toMatchObject({ id: first.rumorId, text: 'first', sender: A, peer: A, direction: 'in' });
    // Bob's filter names only him: Alice's self copy (p = Alice) never reached him, and vice versa.
    expect(aliceIn.messages[0]).toMatchObject({ id: first.rumorId, text: 'first', peer: B, direction: 'out' });

    // Second message: a reply, delivered live; then a DM made by nostr-tools, published to the relay.
    const second = await planNip17Send({ text: 'second', replyTo: first.rumorId, me: A, peer: B, peerDmRelays: [relay.url], myDmRelays: [relay.url], signer: alice, nowSeconds: nowSec() });
    for (const p of second.publishes) expect((await publisher.publish(p.event as unknown as NostrEvent, { relays: [p.relay] }))[0]!.status).toBe('ok');
    const foreign = ntWrapDm(aliceSk, { publicKey: B }, 'from nostr-tools');
    expect((await publisher.publish(foreign, { relays: [relay.url] }))[0]!.status).toBe('ok');
    await bobIn.until(() => bobIn.messages.length === 3, 'live wraps at Bob');
    await aliceIn.until(() => aliceIn.messages.length === 2, 'live self copy at Alice');
    const live = bobIn.messages.slice(1).sort((a, b) => a.text.localeCompare(b.text));
    expect(live.map((m) => [m.text, m.replyTo ?? null, m.sender])).toEqual([
      ['from nostr-tools', null, A],
      ['second', first.rumorId, A]
    ]);
    expect(live[1]!.id).toBe(second.rumorId);
    expect(aliceIn.messages[1]!.id).toBe(second.rumorId);
    expect(bobIn.messages.every((m) => m.direction === 'in')).toBe(true);
    expect(aliceIn.messages.every((m) => m.direction === 'out')).toBe(true);
    expect(bobIn.stats.failures).toEqual({});
    expect(aliceIn.stats.failures).toEqual({});
  });
});

describe('NIP-17 and NIP-04 through a NIP-46 bunker', () => {
  it('the bunker user reads a NIP-17 DM and a legacy kind 4, and sends NIP-17 that a local key opens', async () => {
    const relay = await startRelay();
    cleanups.push(() => relay.stop());
    const bunker = await startBunker(relay.url, 'nip17-secret');
    cleanups.push(() => bunker.stop());
    const signer = await connectBunker({ WebSocket }, bunker.url(), { timeoutMs: 15_000 });
    cleanups.push(() => signer.close());
    const B = bunker.userPubkey;
    const aliceSk = generateSecretKey();
    const A = getPublicKey(aliceSk);
    const alice = new LocalSigner(aliceSk);

    const toBob = await planNip17Send({ text: 'to the bunker', me: A, peer: B, peerDmRelays: [relay.url], myDmRelays: [], signer: alice, nowSeconds: nowSec() });
    expect(await openIncomingGiftWrap(toBob.publishes[0]!.event, signer, B)).toMatchObject({ ok: true, message: { id: toBob.rumorId, text: 'to the bunker', sender: A } });

    const kind4 = finalizeEvent({ kind: 4, created_at: nowSec(), tags: [['p', B]], content: ntNip04.encrypt(aliceSk, B, 'legacy hello') }, aliceSk);
    expect(await legacyNip04(kind4, signer, B)).toMatchObject({ ok: true, message: { text: 'legacy hello', legacy: true, peer: A } });

    const fromBob = await planNip17Send({ text: 'from the bunker', replyTo: toBob.rumorId, me: B, peer: A, peerDmRelays: [relay.url], myDmRelays: [relay.url], signer, nowSeconds: nowSec() });
    const forAlice = fromBob.publishes.find((p) => p.to === 'peer')!.event;
    expect(await openIncomingGiftWrap(forAlice, alice, A)).toMatchObject({ ok: true, message: { id: fromBob.rumorId, text: 'from the bunker', sender: B, replyTo: toBob.rumorId } });
    const self = fromBob.publishes.find((p) => p.to === 'self')!.event;
    expect(await openIncomingGiftWrap(self, signer, B)).toMatchObject({ ok: true, message: { id: fromBob.rumorId, direction: 'out', peer: A } });
  });
});
