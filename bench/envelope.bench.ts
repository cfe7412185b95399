/**
 * Envelope costs (docs/proposals/0001-envelope.md §Costs), all in one process:
 * - seal+open of a Veil envelope vs NIP-17 (nostr-tools nip17.wrapEvent + nip59.unwrapEvent);
 * - rejecting a foreign envelope (trialOpen, the intro-mailbox scan) vs raw ECDH;
 * - outer event verification (id + BIP-340), which every event from a relay pays first.
 */
import * as secp from '@noble/secp256k1';
import { schnorr, secp256k1 as curves } from '@noble/curves/secp256k1.js';
import { finalizeEvent, getPublicKey, verifyEvent, type NostrEvent, type VerifiedEvent } from 'nostr-tools/pure';
import * as nip17 from 'nostr-tools/nip17';
import * as nip59 from 'nostr-tools/nip59';
import { getEventHash } from 'nostr-tools/pure';
import { hexToBytes } from '../src/lib/shared/bytes';
import { ecdh, generateSecretKey } from '../src/lib/crypto/keys';
import { chatMessageTemplate, envelopeKey, openEnvelope, sealEnvelope, trialOpen } from '../src/lib/crypto/envelope';
import { introMailbox } from '../src/lib/crypto/mailbox';
import { measure, type BenchResult } from './types';

const TEXT = 'Hello Bob — are we still on for tomorrow at 10? 🙂';
const N_FULL = 60;
const N_SCAN = 300;

export async function run(): Promise<BenchResult[]> {
  const alice = generateSecretKey();
  const bob = generateSecretKey();
  const bobPub = getPublicKey(bob);
  const ekBob = envelopeKey(generateSecretKey());
  const ekOther = envelopeKey(generateSecretKey());
  const mailbox = introMailbox(ekBob.publicKey, 'wss://relay.example.com', 20454);
  const now = Math.floor(Date.now() / 1000);
  const out: BenchResult[] = [];

  // --- 1. message round trip ---
  const veil = await measure(
    'veil: sign inner + seal + open',
    async () => {
      const inner = finalizeEvent(chatMessageTemplate({ text: TEXT, recipients: [bobPub], createdAt: now }), alice);
      const outer = await sealEnvelope({ recipientEk: ekBob.publicKey, mailbox, payload: { type: 'event', event: inner } });
      const o = await openEnvelope(outer, ekBob, bobPub);
      if (o.type !== 'message') throw new Error('bench: open failed');
    },
    N_FULL
  );
  const nip = await measure(
    'nip17: wrapEvent + unwrapEvent',
    () => {
      const wrap = nip17.wrapEvent(alice, { publicKey: bobPub }, TEXT);
      const rumor = nip59.unwrapEvent(wrap, bob);
      if (rumor.content !== TEXT) throw new Error('bench: unwrap failed');
    },
    N_FULL
  );
  const nipVerified = await measure(
    'nip17 + verify the wrap sig',
    () => {
      const wrap = nip17.wrapEvent(alice, { publicKey: bobPub }, TEXT);
      if (!verifyEvent({ ...wrap })) throw new Error('bench: wrap sig');
      const rumor = nip59.unwrapEvent(wrap, bob);
      if (rumor.content !== TEXT) throw new Error('bench: unwrap failed');
    },
    N_FULL
  );
  out.push({ ...veil, note: `${(nip.opsPerSec / veil.opsPerSec).toFixed(2)}× the time of nip17 (unverified), ${(nipVerified.opsPerSec / veil.opsPerSec).toFixed(2)}× of nip17 with wrap verify` });
  out.push({ ...nip, note: 'nostr-tools 2.25.2; unwrapEvent verifies no signature' });
  out.push(nipVerified);

  // --- 2. the scan: raw ECDH rates ---
  const pubs = Array.from({ length: 64 }, () => secp.getPublicKey(generateSecretKey(), true));
  const xonly = pubs.map((p) => p.slice(1));
  const sk = ekBob.secret;
  const nobleSecp = await measure('ECDH @noble/secp256k1 getSharedSecret', (i) => secp.getSharedSecret(sk, pubs[i % 64]!), N_SCAN);
  const nobleCurves = await measure('ECDH @noble/curves getSharedSecret (GLV)', (i) => curves.getSharedSecret(sk, pubs[i % 64]!), N_SCAN);
  const ours = await measure('ECDH keys.ts ecdh (x-only lift + checks)', (i) => ecdh(sk, xonly[i % 64]!), N_SCAN);
  out.push({ ...nobleSecp, note: 'baseline of the scan goal' });
  out.push({ ...nobleCurves, note: `${(nobleCurves.opsPerSec / nobleSecp.opsPerSec).toFixed(2)}× @noble/secp256k1` });
  out.push({ ...ours, note: `${(ours.opsPerSec / nobleSecp.opsPerSec).toFixed(2)}× @noble/secp256k1` });

  // --- 3. the scan: foreign envelopes (sealed to another EK), already verified by the relay layer ---
  const foreign: VerifiedEvent[] = [];
  for (let i = 0; i < 64; i++) {
    const inner = finalizeEvent(chatMessageTemplate({ text: TEXT, recipients: [bobPub], createdAt: now }), alice);
    const ev = await sealEnvelope({ recipientEk: ekOther.publicKey, mailbox, payload: { type: 'event', event: inner } });
    if (!verifyEvent(ev)) throw new Error('bench: seal produced a bad event');
    foreign.push(ev);
  }
  const reject = await measure(
    'trialOpen reject (ECDH + HKDF + GCM unwrap)',
    async (i) => {
      if ((await trialOpen(foreign[i % 64]!, ekBob)) !== null) throw new Error('bench: foreign envelope opened');
    },
    N_SCAN
  );
  out.push({
    ...reject,
    note: `envelopes/s/core; ${(reject.opsPerSec / nobleSecp.opsPerSec).toFixed(2)}× noble-secp ECDH/s; overhead beyond our ecdh ${((ours.opsPerSec / reject.opsPerSec - 1) * 100).toFixed(0)}%`
  });

  // --- 4. outer verification, paid by every event ---
  const fresh = (e: NostrEvent): NostrEvent => ({ id: e.id, pubkey: e.pubkey, created_at: e.created_at, kind: e.kind, tags: e.tags, content: e.content, sig: e.sig });
  const verify = await measure(
    'outer verify: id sha256 + schnorr (nostr-tools)',
    (i) => {
      if (!verifyEvent(fresh(foreign[i % 64]!))) throw new Error('bench: verify');
    },
    N_SCAN
  );
  const raw = foreign.map((e) => ({ sig: hexToBytes(e.sig), id: hexToBytes(e.id), pk: hexToBytes(e.pubkey) }));
  const schnorrOnly = await measure('schnorr.verify only (@noble/curves)', (i) => schnorr.verify(raw[i % 64]!.sig, raw[i % 64]!.id, raw[i % 64]!.pk), N_SCAN);
  const idOnly = await measure('event id only (sha256 of 1.4 KB)', (i) => getEventHash(foreign[i % 64]!), N_SCAN * 10);
  out.push({ ...verify, note: `${(verify.opsPerSec / nobleSecp.opsPerSec).toFixed(2)}× noble-secp ECDH/s` });
  out.push(schnorrOnly, idOnly);
  const full = await measure(
    'scan total: verify + trialOpen reject',
    async (i) => {
      const e = fresh(foreign[i % 64]!);
      if (!verifyEvent(e)) throw new Error('bench: verify');
      if ((await trialOpen(e, ekBob)) !== null) throw new Error('bench: opened');
    },
    N_SCAN
  );
  out.push({ ...full, note: `${(full.opsPerSec / nobleSecp.opsPerSec).toFixed(2)}× noble-secp ECDH/s (goal ≥ 4×)` });
  return out;
}
