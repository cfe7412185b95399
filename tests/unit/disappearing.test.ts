/**
 * Disappearing messages (issue 15 §2): the relay expiration grid never later than the expiry; the
 * envelope and the gift wrap carry it and still open; control messages and expiries read back from
 * tags; the sweeper deletes due messages and outbox entries, keeps the rest, and arms ONE timer for
 * the next deadline (a fake Timers in the messenger's clock), none when nothing is due.
 */
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../../src/lib/shared/bytes';
import { chatMessageTemplate, envelopeKey, openEnvelope, sealEnvelope } from '../../src/lib/crypto/envelope';
import { generateSecretKey, getXOnlyPublicKey } from '../../src/lib/crypto/keys';
import { finalizeEvent } from 'nostr-tools/pure';
import { LocalSigner } from '../../src/lib/crypto/signer';
import { wrapNip17Message } from '../../src/lib/crypto/nip17-send';
import { nip17ChatTemplate } from '../../src/lib/crypto/nip17-send';
import { openIncomingGiftWrap } from '../../src/lib/sync/nip17';
import { TIMER_CHOICES, applyExtras, markIncoming, readDisappearing, relayExpiration, timerLine, type TimerSeconds } from '../../src/lib/sync/disappearing';
import { Disappearing } from '../../src/lib/sync/disappearing-timer';
import type { IncomingMessage } from '../../src/lib/sync/inbound';
import { SYSTEM_KIND, isSystemLine } from '../../src/lib/sync/stored-content';
import type { Timers } from '../../src/lib/sync/timing';
import type { MessengerEvent } from '../../src/lib/sync/types';
import { hexId, storeWithChat } from '../helpers/store-idb';
import { testSyncContext } from '../helpers/sync-context';

const NOW = 1_760_000_000;
const MAILBOX = 'ab'.repeat(32);

describe('relay expiration grid', () => {
  it('is never later than the expiry, always after the send, and keeps at least 3/4 of the timer', () => {
    for (const timer of TIMER_CHOICES.filter((t) => t > 0)) {
      for (let k = 0; k < 500; k++) {
        const nowS = NOW + k * 7919; // many phases against every grid step
        const createdAt = nowS + (k % 3); // sendCreatedAt may put it a little ahead
        const expiry = createdAt + timer;
        const exp = relayExpiration(expiry, timer, nowS);
        expect(exp).toBeLessThanOrEqual(expiry);
        expect(exp - nowS).toBeGreaterThanOrEqual(Math.floor(timer * 0.75));
      }
    }
    expect(relayExpiration(NOW + 60, 60, NOW) % 15).toBe(0);
    expect(relayExpiration(NOW + 86_400, 86_400, NOW) % 3_600).toBe(0);
  });

  it('applyExtras: a timer adds the inner expiration and the rounded relay expiration; a control message adds its tag only', () => {
    const tags: string[][] = [];
    const x = applyExtras(tags, NOW, NOW, { timer: 60 });
    expect(tags).toEqual([['expiration', String(NOW + 60)]]);
    expect(x.expiresAtMs).toBe((NOW + 60) * 1000);
    expect(x.relayExpiration!).toBeLessThanOrEqual(NOW + 60);
    const ctl: string[][] = [];
    const c = applyExtras(ctl, NOW, NOW, { control: 300 });
    expect(ctl).toEqual([['veil-timer', '300']]);
    expect(c.expiresAtMs).toBeUndefined();
    expect(isSystemLine(c.stored!.kind, c.stored!.tags)).toBe(true);
    expect(applyExtras([], NOW, NOW, { timer: 0 })).toEqual({});
  });
});

describe('outer events of a disappearing message', () => {
  it('an envelope sealed with an expiry carries expiration ≤ it, and still opens', async () => {
    const sk = generateSecretKey();
    const me = bytesToHex(getXOnlyPublicKey(sk));
    const peerEk = envelopeKey(generateSecretKey());
    const template = chatMessageTemplate({ text: 'gone soon', recipients: [me], createdAt: NOW });
    const inner = finalizeEvent(template, sk);
    const expiresAt = relayExpiration(NOW + 60, 60, NOW);
    const outer = await sealEnvelope({ recipientEk: peerEk.publicKey, mailbox: MAILBOX, payload: { type: 'event', event: inner }, nowSeconds: NOW, expiresAt });
    const exp = Number(outer.tags.find((t) => t[0] === 'expiration')![1]);
    expect(exp).toBe(expiresAt);
    expect(exp).toBeGreaterThan(outer.created_at);
    expect(outer.tags.map((t) => t[0])).toEqual(['p', 'expiration']); // the usual outer shape
    expect((await openEnvelope(outer, peerEk, me)).type).toBe('message');
    // Without one: created_at + 30 days, as before.
    const usual = await sealEnvelope({ recipientEk: peerEk.publicKey, mailbox: MAILBOX, payload: { type: 'event', event: inner }, nowSeconds: NOW });
    expect(Number(usual.tags[1]![1]) - usual.created_at).toBe(30 * 86_400);
    await expect(sealEnvelope({ recipientEk: peerEk.publicKey, mailbox: MAILBOX, payload: { type: 'event', event: inner }, nowSeconds: NOW, expiresAt: NOW })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('a gift wrap carries the NIP-40 expiration; the rumor its expiry, read back on opening', async () => {
    const aliceSk = generateSecretKey();
    const bobSk = generateSecretKey();
    const alice = bytesToHex(getXOnlyPublicKey(aliceSk));
    const bob = bytesToHex(getXOnlyPublicKey(bobSk));
    const rumor = nip17ChatTemplate({ text: 'bye', recipients: [bob], createdAt: NOW });
    rumor.tags.push(['expiration', String(NOW + 300)]);
    const wrapped = await wrapNip17Message({ rumor, recipients: [bob], signer: new LocalSigner(aliceSk), nowSeconds: NOW, selfCopy: false, expiresAt: NOW + 240 });
    const wrap = wrapped.copies[0]!.wrap;
    expect(wrap.tags).toEqual([['p', bob], ['expiration', String(NOW + 240)]]);
    const opened = await openIncomingGiftWrap(wrap, bobSk, bob);
    if (!opened.ok) throw new Error('did not open');
    expect(opened.message.sender).toBe(alice);
    const m: IncomingMessage = { id: opened.message.id, protocol: 'nip17', sender: alice, peer: alice, direction: 'in', kind: 14, createdAt: NOW, body: 'bye' };
    markIncoming(m, opened.message.tags ?? [], wrap.tags);
    expect(m.expiresAt).toBe((NOW + 300) * 1000);
  });
});

describe('reading tags', () => {
  const base = (): IncomingMessage => ({ id: hexId(1), protocol: 'veil', sender: hexId(2), peer: hexId(2), direction: 'in', kind: 14, createdAt: NOW, body: 'x' });

  it('a control message becomes a system line that sets the timer and does not expire', () => {
    const m = base();
    markIncoming(m, [['veil-timer', '60'], ['expiration', String(NOW + 60)]]);
    expect(m).toMatchObject({ timer: 60, kind: SYSTEM_KIND });
    expect(m.expiresAt).toBeUndefined();
    expect(isSystemLine(m.kind, m.tags!)).toBe(true);
    expect(timerLine('You', 60)).toBe('You set messages to disappear after 1 minute');
    expect(timerLine('Alice', 0)).toBe('Alice turned off disappearing messages');
  });

  it('the wrap expiration is the fallback; nonsense is ignored', () => {
    const m = base();
    markIncoming(m, [], [['p', hexId(3)], ['expiration', String(NOW + 99)]]);
    expect(m.expiresAt).toBe((NOW + 99) * 1000);
    expect(readDisappearing([['expiration', String(NOW - 1)]], NOW)).toEqual({});
    expect(readDisappearing([['expiration', '1e9']], NOW)).toEqual({});
    expect(readDisappearing([['veil-timer', '61']], NOW)).toEqual({});
  });
});

/** A Timers that only records: the test fires the armed callback itself. */
function fakeTimers() {
  const armed = new Map<number, { fn: () => void; ms: number }>();
  let n = 0;
  const timers: Timers = {
    setTimeout: (fn, ms) => (armed.set(++n, { fn, ms }), n),
    clearTimeout: (h) => void armed.delete(h as number)
  };
  const only = () => (expect(armed.size).toBe(1), [...armed.entries()][0]!);
  /** Fires the one armed timer, as a real one would: once, then it is gone. */
  const fire = () => {
    const [h, t] = only();
    armed.delete(h);
    t.fn();
  };
  return { timers, armed, only: () => only()[1], fire };
}

describe('the sweeper', () => {
  it('deletes due messages and their outbox entries, keeps the rest, and arms one timer for the next deadline', async () => {
    const sk = generateSecretKey();
    const me = bytesToHex(getXOnlyPublicKey(sk));
    const { store, cid } = await storeWithChat('veil-sweeper-test', hexId(0xb0b));
    let now = NOW * 1000;
    const events: MessengerEvent[] = [];
    const fake = fakeTimers();
    const ctx = { ...testSyncContext({ store, signer: new LocalSigner(sk), me, ek: envelopeKey(generateSecretKey()), nowMs: () => now, emit: (e) => events.push(e) }), timers: fake.timers };
    const sent: [string, TimerSeconds][] = [];
    const d = new Disappearing(ctx, { sendControl: async (c, s) => (sent.push([c, s]), hexId(99)) });

    const msg = (n: number, expiresAt?: number) => ({
      id: hexId(n),
      conversationId: cid,
      createdAt: NOW + n,
      direction: 'out' as const,
      status: 'sending' as const,
      content: { body: `m${n}`, sender: me, kind: 14 },
      ...(expiresAt !== undefined ? { expiresAt } : {})
    });
    const wrap = { id: hexId(7, 'e'), pubkey: hexId(7, 'f'), created_at: NOW, kind: 1067, tags: [], content: 'AQID', sig: 'ab'.repeat(64) };
    await store.addOutgoing(msg(1, now + 10_000), [{ id: 'm1', items: [{ relay: 'wss://r.example', event: wrap }] }]);
    await store.addMessage(msg(2, now + 20_000));
    await store.addMessage(msg(3)); // no timer

    await d.start();
    expect(fake.only().ms).toBe(10_000);
    // A sooner message re-arms for it; a later one does not.
    d.due(now + 5_000);
    expect(fake.only().ms).toBe(5_000);
    d.due(now + 50_000);
    expect(fake.only().ms).toBe(5_000);

    now += 10_000;
    fake.fire();
    await d.sweep(); // waits for the sweep the timer started
    expect(await store.getMessage(hexId(1))).toBeUndefined();
    expect(await store.getOutbox('m1')).toBeUndefined();
    expect(await store.getMessage(hexId(2))).toBeDefined();
    expect(fake.only().ms).toBe(10_000); // next: message 2
    expect(events).toContainEqual({ type: 'messages', conversationId: cid });

    now += 10_000;
    fake.fire();
    await d.sweep();
    expect(await store.getMessage(hexId(2))).toBeUndefined();
    expect((await store.pageMessages(cid, { limit: 10 })).messages.map((m) => m.id)).toEqual([hexId(3)]);
    expect(fake.armed.size).toBe(0); // nothing left to wait for: no timer at all

    d.stop();
    d.due(now + 1_000);
    expect(fake.armed.size).toBe(0);
  });

  it('set() sends a control message and adopts the setting; an older control message from the peer does not override it', async () => {
    const sk = generateSecretKey();
    const me = bytesToHex(getXOnlyPublicKey(sk));
    const peer = hexId(0xb0b);
    const { store, cid } = await storeWithChat('veil-timer-setting-test', peer);
    const ctx = testSyncContext({ store, signer: new LocalSigner(sk), me, ek: envelopeKey(generateSecretKey()), nowMs: () => NOW * 1000 });
    const sent: [string, TimerSeconds][] = [];
    const d = new Disappearing(ctx, { sendControl: async (c, s) => (sent.push([c, s]), hexId(99)) });
    expect(await d.get(cid)).toEqual({ seconds: 0, at: 0 });
    await d.set(cid, 60);
    expect(sent).toEqual([[cid, 60]]);
    expect(await d.get(cid)).toEqual({ seconds: 60, by: me, at: NOW });
    await d.adopt(cid, 3_600, peer, NOW - 5);
    expect(await d.seconds(cid)).toBe(60);
    await d.adopt(cid, 0, peer, NOW + 5);
    expect(await d.get(cid)).toEqual({ seconds: 0, by: peer, at: NOW + 5 });
    await expect(d.set(cid, 61 as TimerSeconds)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});
