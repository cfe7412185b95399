/**
 * Issue 11, suppression: junk cannot make an offline message vanish. Through the real local relay
 * in strict mode (strfry's defaults: `limit` capped at 500, kind 1059 read only after AUTH), a
 * message sent while the reader was offline is buried under more junk than one answer holds, all
 * of it newer. Before catch-up paging (sync/catch-up.ts) the reader's one REQ returned only junk
 * and the message never arrived, for envelopes and for NIP-17 gift wraps alike.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wrapEvent as ntWrapDm } from 'nostr-tools/nip17';
import { finalizeEvent, generateSecretKey as ntSecretKey, getPublicKey, type NostrEvent } from 'nostr-tools/pure';
import { base64Encode, randomBytes } from '../../src/lib/shared/bytes';
import { bucketPoint } from '../../src/lib/crypto/bucket';
import { epochDay, introMailbox } from '../../src/lib/crypto/mailbox';
import { normalizeRelayUrl } from '../../src/lib/relay/url';
import { encodeNpub } from '../../src/lib/crypto/nip19';
import { Messenger } from '../../src/lib/sync/messenger';
import { RawClient } from '../helpers/raw-ws';
import { startRelay, tempRelayDb, type TestRelay } from '../helpers/relay';
import { veilClient, type VeilClient } from '../helpers/veil-client';
import { untilChecked } from '../helpers/until';

type Veil = VeilClient;

const running: Veil[] = [];
let relay: TestRelay;
let alice: Veil;
let bob: Veil;
/** Junk events per flood: more than the strict relay's 500-event answer. */
const JUNK = 600;

async function veil(name: string): Promise<Veil> {
  const v = await veilClient(`catchup-${name}`, [relay.url]);
  running.push(v);
  return v;
}

async function until<T>(check: () => Promise<T | undefined | false>, what: string, timeoutMs = 60_000): Promise<T> {
  return untilChecked(running.map((v) => v.m), check, what, timeoutMs);
}

/** Publishes `events` over a plain socket (all sent, then every OK awaited), every one accepted. */
async function publishAll(events: NostrEvent[]): Promise<void> {
  const raw = await RawClient.open(relay.url);
  try {
    for (const e of events) raw.send(['EVENT', e]);
    const oks = new Map<string, boolean>();
    await raw.waitFor(
      (m) => {
        if (m[0] === 'OK') oks.set(String(m[1]), m[2] === true);
        return oks.size === events.length;
      },
      'every OK',
      60_000
    );
    expect([...oks.values()].every(Boolean)).toBe(true);
  } finally {
    await raw.close();
  }
}

/** `n` signed junk events tagged `tag`, each newer than anything real (created_at up to 12 min ahead). */
function junk(kind: number, tag: string, n: number): NostrEvent[] {
  const sk = ntSecretKey();
  const now = Math.floor(Date.now() / 1000);
  return Array.from({ length: n }, (_, i) =>
    finalizeEvent({ kind, created_at: now + 60 + (i % 700), tags: [['p', tag], ['expiration', String(now + 86_400)]], content: base64Encode(randomBytes(256)) }, sk)
  );
}

/** Stops `v` and starts it again on the same store ("the app was closed, then opened"). */
async function restart(v: Veil, between: () => Promise<void>): Promise<void> {
  await v.m.stop();
  await between();
  v.m = await Messenger.create(v.deps);
  await v.m.start();
}

beforeAll(async () => {
  relay = await startRelay({ strict: true, db: tempRelayDb() });
  alice = await veil('alice');
  bob = await veil('bob');
});

afterAll(async () => {
  for (const v of running) await v.m.stop();
  await relay?.stop();
});

describe('catch-up under a junk flood (strict relay, limit capped at 500)', () => {
  it(`an envelope sent while the reader was offline arrives under ${JUNK} newer junk events in its intro bucket`, async () => {
    const text = 'sent while you were away';
    const conv = await bob.m.startChat(encodeNpub(alice.pubkey));
    await restart(alice, async () => {
      await bob.m.send(conv, text);
      await until(async () => (await bob.m.pageMessages(conv, { limit: 10 })).every((m) => m.status === 'sent') || undefined, 'Bob sees sent');
      const intro = introMailbox(alice.deps.ek.publicKey, relay.url, epochDay(Math.floor(Date.now() / 1000)));
      await publishAll(junk(1067, intro, JUNK));
    });
    const req = await until(async () => (await alice.m.listChats('request')).find((c) => c.peer === bob.pubkey), 'the request at Alice', 120_000);
    expect((await alice.m.pageMessages(req.id, { limit: 10 })).map((m) => m.text)).toEqual([text]);
    await until(async () => (alice.m.stats().openFailures >= JUNK ? true : undefined), 'the junk counted as open failures', 120_000);
    expect(alice.m.relayStatus().find((r) => r.url === relay.url)?.incomplete).toBeUndefined();
  }, 300_000);

  it(`a pair envelope in the shared bucket arrives under ${JUNK} newer envelopes of other people, dropped unverified`, async () => {
    // Alice writes first, so Bob's device knows hers and seals to their pair in the shared bucket.
    const convA = await alice.m.startChat(encodeNpub(bob.pubkey));
    await alice.m.send(convA, 'hi Bob');
    const convB = await bob.m.startChat(encodeNpub(alice.pubkey)); // Bob's chat with Alice (the first test's)
    await until(async () => (await bob.m.pageMessages(convB, { limit: 10 })).some((m) => m.text === 'hi Bob') || undefined, 'Alice’s message at Bob');
    const text = 'in the shared bucket, while you were away';
    await restart(alice, async () => {
      const id = await bob.m.send(convB, text);
      await until(async () => (await bob.m.pageMessages(convB, { limit: 10 })).find((m) => m.id === id && m.status === 'sent'), 'Bob sees sent');
      const bucket = bucketPoint(normalizeRelayUrl(relay.url), epochDay(Math.floor(Date.now() / 1000)), 0, 0);
      await publishAll(junk(1067, bucket, JUNK));
    });
    await until(async () => (await alice.m.pageMessages(convA, { limit: 10 })).some((m) => m.text === text) || undefined, 'the message at Alice', 120_000);
    // The others' envelopes cost no signature check, and still counted for the pages read on.
    await until(async () => (alice.m.stats().skipped >= JUNK ? true : undefined), 'the others’ envelopes skipped', 120_000);
    expect(alice.m.relayStatus().find((r) => r.url === relay.url)?.incomplete).toBeUndefined();
  }, 300_000);

  it(`a NIP-17 message sent while the reader was offline arrives under ${JUNK} newer junk gift wraps`, async () => {
    const carolSk = ntSecretKey();
    const text = 'a DM from another client, under junk';
    await restart(alice, async () => {
      const wrap = ntWrapDm(carolSk, { publicKey: alice.pubkey }, text) as NostrEvent;
      await publishAll([wrap, ...junk(1059, alice.pubkey, JUNK)]);
    });
    const carol = getPublicKey(carolSk);
    const req = await until(async () => (await alice.m.listChats('request')).find((c) => c.peer === carol), 'the DM at Alice', 120_000);
    expect((await alice.m.pageMessages(req.id, { limit: 10 })).map((m) => m.text)).toEqual([text]);
  }, 300_000);
});
