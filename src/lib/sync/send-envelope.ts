/**
 * The envelope sender (docs/design.md §4 "Sending"): the inner kind 14 is signed by the identity (with
 * my contact card while the contact may not know us yet, and my EK), sealed once per recipient
 * device and relay plus copies for my other devices, and grouped into one outbox entry per device.
 * Sealing happens first: a message too large for an envelope fails before anything is stored.
 */
import { hexToBytes } from '../shared/bytes';
import { encodeContactCard } from '../crypto/card';
import { chatMessageTemplate, innerTemplateFits, sealEnvelope } from '../crypto/envelope';
import { asFileMessage, type Nip17File } from '../crypto/nip17';
import type { OutboxInput } from '../store';
import { sendCreatedAt, type SyncContext } from './context';
import { entryId } from './outbox';
import { outerEvent } from './outer';
import type { Outgoing } from './outbox-queue';
import type { OwnRecord } from './own-record';
import type { PeerRouting } from './peers';
import { sendTargets } from './plan';
import { CARD_TAG, EK_TAG } from './receive-envelope';
import { applyExtras, type SendExtras } from './disappearing';
import { storedBody } from './stored-content';

export interface EnvelopeSend {
  conversationId: string;
  lastActivity: number;
  peer: PeerRouting;
  text: string;
  replyTo?: string;
  /** A kind 15 file message instead of text (its URL is the content; `text` is ignored). */
  file?: Nip17File;
  /** A control message, or the chat's timer (disappearing.ts). */
  extras?: SendExtras;
}

/** The message and its entries; `cardSentAt` is set when the envelope carries my card. */
export async function prepareEnvelopeSend(
  ctx: SyncContext,
  deps: { own: OwnRecord; relays: readonly string[] },
  s: EnvelopeSend
): Promise<Outgoing & { cardSentAt?: number }> {
  const nowS = ctx.nowS();
  const own = deps.own.current();
  const targets = sendTargets({
    me: ctx.ek,
    pairKeys: ctx.pairKeys,
    peerDevices: s.peer.devices,
    pairReady: new Set(s.peer.pairReady),
    ownDevices: deps.own.otherDevices(),
    fallbackRelays: deps.relays,
    nowSeconds: nowS
  });
  const template = chatMessageTemplate({ text: s.text, recipients: [s.peer.pubkey], createdAt: sendCreatedAt(s.lastActivity, nowS), ...(s.replyTo ? { replyTo: s.replyTo } : {}) });
  if (s.file) asFileMessage(template, s.file, { veil: true });
  template.tags.push([EK_TAG, ctx.ekHex]);
  const ext = applyExtras(template.tags, template.created_at, nowS, s.extras);
  const withCard = !!own && (targets.some((t) => t.to === 'peer' && t.via === 'intro') || s.peer.cardSentAt < own.createdAt);
  if (withCard && own) template.tags.push([CARD_TAG, encodeContactCard(own.event)]);
  // A thumbnail is a nicety: when it would make the envelope too large (beside my card, say), it is left out.
  if (s.file?.inlineThumb && !innerTemplateFits(template)) template.tags = template.tags.filter((t) => t[0] !== 'thumb');
  const inner = await ctx.signer.signEvent(template);

  const byEk = new Map<string, { to: 'peer' | 'self'; items: OutboxInput['items'] }>();
  const sealed = await Promise.all(
    targets.map(async (t) => ({ t, event: await sealEnvelope({
        recipientEk: hexToBytes(t.ek, 32),
        mailbox: t.mailbox,
        payload: { type: 'event', event: inner },
        nowSeconds: nowS,
        ...(t.tagKey ? { pairTagKey: t.tagKey } : {}),
        ...(ext.relayExpiration !== undefined ? { expiresAt: ext.relayExpiration } : {})
      }, ctx.curve) }))
  );
  for (const { t, event } of sealed) {
    const e = byEk.get(t.ek) ?? { to: t.to, items: [] };
    e.items.push({ relay: t.relay, event });
    byEk.set(t.ek, e);
  }
  // What relays see of the copies to the contact: the shared bucket (or the intro bucket for a device not yet pair-ready).
  const toPeer = sealed.filter((x) => x.t.to === 'peer');
  const first = toPeer[0] ?? sealed[0];
  const tag = toPeer.length > 0 && toPeer.every((x) => x.t.via === 'pair') ? 'bucket' : 'intro';
  const outer = first ? { outer: outerEvent(first.event, tag, inner.created_at, sealed.map((x) => x.t.relay)) } : {};
  const counters = { peer: 0, self: 0 };
  const entries = [...byEk.values()].map((e) => ({ id: entryId(inner.id, e.to, counters[e.to]++), messageId: inner.id, items: e.items, nextAttemptAt: 0 }));
  return {
    message: {
      id: inner.id,
      conversationId: s.conversationId,
      createdAt: inner.created_at,
      direction: 'out',
      status: 'sending',
      ...(ext.expiresAtMs !== undefined ? { expiresAt: ext.expiresAtMs } : {}),
      content: { ...storedBody(s, ext.stored), sender: ctx.me, ...(s.replyTo ? { replyTo: s.replyTo } : {}), ...outer }
    },
    entries,
    ...(withCard && own ? { cardSentAt: own.createdAt } : {})
  };
}
