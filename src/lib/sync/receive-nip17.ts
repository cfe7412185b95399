/**
 * The gift-wrap receiver (issue 5): a kind 1059 wrap (or legacy kind 4) from the DM-read pool,
 * verified by the pool, opened with the signer and turned into an IncomingMessage for the inbound
 * pipeline. Failures are one of two typed outcomes (issue 11):
 * - SIGNER_UNAVAILABLE: the signer could not answer NOW (timed out, locked, the user said no): not
 *   marked seen, so the next subscription retries it;
 * - DECRYPT_FAILED: the wrap is not for me or is garbage (a rejection while the signer is known to
 *   work counts as this: signer-check.ts). Never retried: remembered in the store when a remote
 *   signer was asked (each try is a prompt), else in the pipeline's memory LRU.
 */
import type { TrustedEvent } from '../shared/trusted-event';
import type { SyncContext } from './context';
import type { IncomingMessage, InboundPipeline, Opened } from './inbound';
import { outerEvent } from './outer';
import { markIncoming } from './disappearing';
import { GIFT_WRAP_KIND, LEGACY_DM_KIND, legacyNip04, openIncomingGiftWrap, type Nip17Message, type Nip17Stats } from './nip17';
import { SEEN_FALLBACK_MS } from './receive-envelope';
import { SignerCheck } from './signer-check';
import { fileMessage } from './stored-content';

/** An opened NIP-17 (or NIP-04) message as an IncomingMessage. */
function nip17Message(m: Nip17Message): IncomingMessage {
  const out: IncomingMessage = { id: m.id, protocol: 'nip17', sender: m.sender, peer: m.peer, direction: m.direction, kind: m.kind, createdAt: m.createdAt, body: m.text };
  if (m.replyTo) out.replyTo = m.replyTo;
  if (m.subject !== undefined) out.subject = m.subject;
  if (m.reaction) out.reaction = m.reaction;
  if (m.kind === 15 && m.file) Object.assign(out, fileMessage(m.file));
  return out;
}

/** `relay`: where the wrap came from (what relays saw of it is kept with the message). */
export function nip17Receiver(
  ctx: SyncContext,
  deps: { pipeline: InboundPipeline; stats: Nip17Stats; check?: SignerCheck }
): (ev: TrustedEvent, relay?: string) => Promise<void> {
  const check = deps.check ?? new SignerCheck(ctx.me, ctx.now);
  return async (ev, relay) => {
    if (ev.kind !== GIFT_WRAP_KIND && ev.kind !== LEGACY_DM_KIND) {
      ctx.counters.invalidEvents++;
      return;
    }
    await deps.pipeline.receive(ev.id, ctx.now() + SEEN_FALLBACK_MS, async (): Promise<Opened> => {
      const open = ev.kind === GIFT_WRAP_KIND ? openIncomingGiftWrap : legacyNip04;
      let asked = false;
      const r = await open(ev, check.watch(ctx.signer, () => (asked = true)), ctx.me, deps.stats);
      if (!r.ok) {
        const code = r.reason === 'signer' ? 'SIGNER_UNAVAILABLE' : r.reason === 'signer-rejected' ? await check.rejection(ctx.signer) : 'DECRYPT_FAILED';
        return code === 'SIGNER_UNAVAILABLE' ? { ok: false, code } : { ok: false, code, remember: asked && ctx.signer.kind !== 'local' };
      }
      const m = nip17Message(r.message);
      // The rumor's expiration, or the wrap's (NIP-17 "disappearing messages" puts it on the wrap).
      markIncoming(m, r.message.tags ?? [], ev.tags);
      m.outer = outerEvent(ev, 'recipient', r.message.createdAt, relay ? [relay] : []);
      return { ok: true, message: m };
    });
  };
}
