/**
 * The gift-wrap receiver (issue 5): a kind 1059 wrap (or legacy kind 4) from the DM-read pool,
 * verified by the pool, opened with the signer and turned into an IncomingMessage for the inbound
 * pipeline. A wrap the signer could not open NOW (refused, timed out) is not marked seen, so the
 * next subscription retries it; every other failure is counted and dropped.
 */
import type { TrustedEvent } from '../shared/trusted-event';
import type { SyncContext } from './context';
import type { IncomingMessage, InboundPipeline, Opened } from './inbound';
import { outerEvent } from './outer';
import { GIFT_WRAP_KIND, LEGACY_DM_KIND, legacyNip04, openIncomingGiftWrap, type Nip17Message, type Nip17Stats } from './nip17';
import { SEEN_FALLBACK_MS } from './receive-envelope';
import { fileTag } from './stored-content';

/** An opened NIP-17 (or NIP-04) message as an IncomingMessage. */
function nip17Message(m: Nip17Message): IncomingMessage {
  const out: IncomingMessage = { id: m.id, protocol: 'nip17', sender: m.sender, peer: m.peer, direction: m.direction, kind: m.kind, createdAt: m.createdAt, body: m.text };
  if (m.replyTo) out.replyTo = m.replyTo;
  if (m.subject !== undefined) out.subject = m.subject;
  if (m.reaction) out.reaction = m.reaction;
  if (m.kind === 15 && m.file) {
    const tag = fileTag(m.file);
    if (tag) out.tags = [tag];
    out.body = m.file.mimeType ? `File (${m.file.mimeType.slice(0, 100)})` : 'File';
  }
  return out;
}

/** `relay`: where the wrap came from (what relays saw of it is kept with the message). */
export function nip17Receiver(ctx: SyncContext, deps: { pipeline: InboundPipeline; stats: Nip17Stats }): (ev: TrustedEvent, relay?: string) => Promise<void> {
  return async (ev, relay) => {
    if (ev.kind !== GIFT_WRAP_KIND && ev.kind !== LEGACY_DM_KIND) {
      ctx.counters.invalidEvents++;
      return;
    }
    await deps.pipeline.receive(ev.id, ctx.now() + SEEN_FALLBACK_MS, async (): Promise<Opened> => {
      const open = ev.kind === GIFT_WRAP_KIND ? openIncomingGiftWrap : legacyNip04;
      const r = await open(ev, ctx.signer, ctx.me, deps.stats);
      if (!r.ok) return { ok: false, retry: r.reason === 'signer' };
      const m = nip17Message(r.message);
      m.outer = outerEvent(ev, 'recipient', r.message.createdAt, relay ? [relay] : []);
      return { ok: true, message: m };
    });
  };
}
