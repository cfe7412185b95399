/**
 * Bounded inbound work (issue 11): what junk costs the pipeline. A real VeilStore on fake-indexeddb
 * and the two receivers, no relay (events handed in the way the pools hand verified events over).
 * - junk (envelopes for another EK, garbage wraps, cover) never writes the seen store;
 * - a garbage gift wrap costs a NIP-07 user one decrypt prompt, ever (not one at every start);
 * - a signer that is unavailable (says no to everything, times out) leaves the wrap for later.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { finalizeEvent } from 'nostr-tools/pure';
import { bytesToHex } from '../../src/lib/shared/bytes';
import { VeilError } from '../../src/lib/shared/errors';
import { chatMessageTemplate, envelopeKey, sealEnvelope, type EnvelopeKey } from '../../src/lib/crypto/envelope';
import { generateSecretKey, getXOnlyPublicKey } from '../../src/lib/crypto/keys';
import { epochDay, introMailbox } from '../../src/lib/crypto/mailbox';
import { getConversationKey, nip44Decrypt, nip44Encrypt } from '../../src/lib/crypto/nip44';
import { nip17ChatTemplate, wrapNip17Message } from '../../src/lib/crypto/nip17';
import { LocalSigner, Nip07Signer, type Nip07Like, type Signer } from '../../src/lib/crypto/signer';
import type { TrustedEvent } from '../../src/lib/shared/trusted-event';
import { VeilStore } from '../../src/lib/store/db';
import { InboundPipeline } from '../../src/lib/sync/inbound';
import { Peers, storePeerRepo } from '../../src/lib/sync/peers';
import { envelopeReceiver } from '../../src/lib/sync/receive-envelope';
import { nip17Receiver } from '../../src/lib/sync/receive-nip17';
import { newNip17Stats } from '../../src/lib/sync/nip17';
import { PROBE_RETRY_MS, WORKS_FOR_MS } from '../../src/lib/sync/signer-check';
import { freshPlatform, rawDump, TEST_ITERATIONS } from '../helpers/store-idb';
import { testSyncContext } from '../helpers/sync-context';

const RELAY = 'wss://relay.example';
const DB = 'veil-bounds';
const NOW_S = Math.floor(Date.now() / 1000);

let platform: ReturnType<typeof freshPlatform>;
let store: VeilStore;
let meSk: Uint8Array;
let me: string;
let myEk: EnvelopeKey;

beforeEach(async () => {
  platform = freshPlatform();
  store = await VeilStore.open(platform, DB);
  await store.setupVault('correct horse battery staple', { iterations: TEST_ITERATIONS });
  meSk = generateSecretKey();
  me = bytesToHex(getXOnlyPublicKey(meSk));
  myEk = envelopeKey(generateSecretKey());
});

/** One app session: a context and a pipeline over the same store (a restart is a new session). */
function session(signer: Signer, nowMs: () => number = Date.now) {
  const ctx = testSyncContext({ store, signer, me, ek: myEk, nowMs });
  const pipeline = new InboundPipeline(ctx, { peers: new Peers(storePeerRepo(store)), lookup: { applyRecord: async () => true, refreshLater: () => {} } });
  const intro = { kind: 'intro' as const, relay: RELAY, day: epochDay(NOW_S) };
  return {
    ctx,
    pipeline,
    envelope: envelopeReceiver(ctx, { pipeline, classify: () => intro, senders: () => [] }),
    wrap: nip17Receiver(ctx, { pipeline, stats: newNip17Stats() })
  };
}

async function seenRecords(): Promise<number> {
  return (await rawDump(platform, DB)).filter((r) => r.store === 'seen').length;
}

/** A gift wrap tagged to me whose content is a well-formed NIP-44 payload under someone else's key: garbage to me. */
function junkWrap(): TrustedEvent {
  const wrapSk = generateSecretKey();
  const stranger = bytesToHex(getXOnlyPublicKey(generateSecretKey()));
  const content = nip44Encrypt(JSON.stringify({ kind: 13, junk: true }), getConversationKey(wrapSk, stranger));
  return finalizeEvent({ kind: 1059, created_at: NOW_S - 60, tags: [['p', me]], content }, wrapSk) as unknown as TrustedEvent;
}

/** An envelope in my intro mailbox sealed to another EK (everyone's junk to me). */
async function foreignEnvelope(text: string): Promise<TrustedEvent> {
  const other = envelopeKey(generateSecretKey());
  const inner = await new LocalSigner(generateSecretKey()).signEvent(chatMessageTemplate({ text, recipients: [me], createdAt: NOW_S }));
  return (await sealEnvelope({ recipientEk: other.publicKey, mailbox: introMailbox(myEk.publicKey, RELAY, epochDay(NOW_S)), payload: { type: 'event', event: inner }, nowSeconds: NOW_S })) as unknown as TrustedEvent;
}

/**
 * A NIP-07 extension holding my key, as real ones behave: a failed decryption (bad MAC) rejects
 * with a plain Error, the same way a "no" from the user does. Records the peer key of every decrypt.
 */
function extension(opts: { refuse?: boolean; hang?: boolean } = {}): { signer: Nip07Signer; decrypts: string[] } {
  // `opts` is read at each call: a test may revoke or grant permission midway.
  const decrypts: string[] = [];
  const nostr: Nip07Like = {
    getPublicKey: async () => me,
    signEvent: async (t) => finalizeEvent(t, meSk),
    nip44: {
      encrypt: async (pk, pt) => nip44Encrypt(pt, getConversationKey(meSk, pk)),
      decrypt: async (pk, ct) => {
        decrypts.push(pk);
        if (opts.hang) return new Promise<string>(() => {});
        if (opts.refuse) throw new Error('user rejected');
        try {
          return nip44Decrypt(ct, getConversationKey(meSk, pk));
        } catch {
          throw new Error('invalid MAC');
        }
      }
    },
    nip04: {
      decrypt: async (pk) => {
        decrypts.push(pk);
        throw new Error('bad padding');
      }
    }
  };
  return { signer: new Nip07Signer(nostr, { timeoutMs: 50 }), decrypts };
}

describe('junk never writes the seen store', () => {
  it('envelopes for another EK, garbage wraps and cover to me: counted, remembered in memory, nothing in IndexedDB', async () => {
    const s = session(new LocalSigner(meSk));
    const junk = [...(await Promise.all(Array.from({ length: 30 }, (_, i) => foreignEnvelope(`junk ${i}`))))];
    for (const ev of junk) await s.envelope(ev, RELAY);
    const wraps = Array.from({ length: 30 }, junkWrap);
    for (const w of wraps) await s.wrap(w, RELAY);
    const cover = (await sealEnvelope({ recipientEk: myEk.publicKey, mailbox: introMailbox(myEk.publicKey, RELAY, epochDay(NOW_S)), payload: { type: 'cover', bytes: new Uint8Array(16) }, nowSeconds: NOW_S })) as unknown as TrustedEvent;
    await s.envelope(cover, RELAY);
    expect(s.ctx.counters.openFailures).toBe(60);
    expect(await seenRecords()).toBe(0);
    // The same junk again in this session: a memory hit, not another open.
    for (const ev of junk) await s.envelope(ev, RELAY);
    expect(s.ctx.counters.duplicates).toBe(30);
    expect(s.ctx.counters.openFailures).toBe(60);
    expect(s.pipeline.stats().done).toBe(61);
    expect(await seenRecords()).toBe(0);
  });
});

describe('a garbage gift wrap costs a NIP-07 user one prompt, not one per start', () => {
  it('20 junk wraps → 20 decrypt attempts (and one self-made probe) across a restart; a real wrap still opens', async () => {
    const ext = extension();
    const wraps = Array.from({ length: 20 }, junkWrap);
    const first = session(ext.signer);
    for (const w of wraps) await first.wrap(w, RELAY);
    const restarted = session(ext.signer);
    for (const w of wraps) await restarted.wrap(w, RELAY);

    const wrapKeys = new Set(wraps.map((w) => w.pubkey));
    expect(ext.decrypts.filter((pk) => wrapKeys.has(pk))).toHaveLength(20);
    expect(ext.decrypts.filter((pk) => !wrapKeys.has(pk))).toHaveLength(1); // the probe
    expect(first.ctx.counters.openFailures).toBe(20);
    expect(restarted.ctx.counters.duplicates).toBe(20);
    // A wrap that cost a prompt is remembered in the store (bounded per session).
    expect(await seenRecords()).toBe(20);

    const carol = new LocalSigner(generateSecretKey());
    const real = await wrapNip17Message({ rumor: nip17ChatTemplate({ text: 'real one', recipients: [me], createdAt: NOW_S }), recipients: [me], signer: carol, nowSeconds: NOW_S, selfCopy: false });
    await restarted.wrap(real.copies[0]!.wrap as unknown as TrustedEvent, RELAY);
    const cid = await store.conversationIdFor([await carol.getPublicKey()]);
    expect((await store.pageMessages(cid, { limit: 5 })).messages.map((m) => m.content.body)).toEqual(['real one']);
  });

  it('a wrap not shaped like NIP-44, or a kind 4 not shaped like NIP-04, is refused without asking the signer', async () => {
    const ext = extension();
    const sk = generateSecretKey();
    const w = finalizeEvent({ kind: 1059, created_at: NOW_S, tags: [['p', me]], content: 'not a payload' }, sk) as unknown as TrustedEvent;
    const dm4 = finalizeEvent({ kind: 4, created_at: NOW_S, tags: [['p', me]], content: 'not?iv=either' }, sk) as unknown as TrustedEvent;
    const s = session(ext.signer);
    await s.wrap(w, RELAY);
    await s.wrap(dm4, RELAY);
    expect(ext.decrypts).toEqual([]);
    expect(s.ctx.counters.openFailures).toBe(2);
    expect(await seenRecords()).toBe(0);
  });
});

describe('signer unavailable: the wrap waits for a later read', () => {
  it('permission revoked later in a session: a real wrap is not taken for garbage on an old proof', async () => {
    const perm = { refuse: false };
    const ext = extension(perm);
    let t = Date.now();
    const s = session(ext.signer, () => t);
    const carol = new LocalSigner(generateSecretKey());
    const dm = async (text: string) =>
      (await wrapNip17Message({ rumor: nip17ChatTemplate({ text, recipients: [me], createdAt: NOW_S }), recipients: [me], signer: carol, nowSeconds: NOW_S, selfCopy: false })).copies[0]!.wrap as unknown as TrustedEvent;
    await s.wrap(await dm('first'), RELAY); // the signer works: proven
    t += WORKS_FOR_MS + 1;
    perm.refuse = true;
    const second = await dm('second');
    await s.wrap(second, RELAY);
    expect(await store.hasSeen(second.id)).toBe(false); // the probe was refused too: unavailable, not garbage
    perm.refuse = false;
    t += PROBE_RETRY_MS + 1;
    await s.wrap(second, RELAY);
    const cid = await store.conversationIdFor([await carol.getPublicKey()]);
    expect((await store.pageMessages(cid, { limit: 5 })).messages.map((m) => m.content.body).sort()).toEqual(['first', 'second']);
  });

  it('a signer that says no to everything (the probe too) leaves every wrap unseen, with one probe', async () => {
    const ext = extension({ refuse: true });
    const wraps = Array.from({ length: 5 }, junkWrap);
    const s = session(ext.signer);
    for (const w of wraps) await s.wrap(w, RELAY);
    expect(ext.decrypts).toHaveLength(6);
    expect(await seenRecords()).toBe(0);
    expect(s.ctx.counters.openFailures).toBe(0);
  });

  it('a signer that does not answer in time leaves the wrap unseen without a probe', async () => {
    const ext = extension({ hang: true });
    const s = session(ext.signer);
    await s.wrap(junkWrap(), RELAY);
    expect(ext.decrypts).toHaveLength(1);
    expect(await seenRecords()).toBe(0);
  });

  it('a locked signer (SIGNER_UNAVAILABLE) likewise', async () => {
    const locked: Signer = {
      kind: 'nip46',
      getPublicKey: async () => me,
      signEvent: async () => {
        throw new VeilError('SIGNER_UNAVAILABLE', 'locked');
      },
      nip44Decrypt: async () => {
        throw new VeilError('SIGNER_UNAVAILABLE', 'locked');
      },
      close: async () => {}
    };
    const s = session(locked);
    await s.wrap(junkWrap(), RELAY);
    expect(await seenRecords()).toBe(0);
    expect(s.ctx.counters.openFailures).toBe(0);
  });
});
