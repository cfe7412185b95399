/** Signed test events as plain wire JSON (no nostr-tools `verified` symbol attached). */
import { finalizeEvent, generateSecretKey } from 'nostr-tools/pure';
import type { NostrEvent } from '../../src/lib/relay/types';

export const nowSec = (): number => Math.floor(Date.now() / 1000);

export function signedEvent(
  kind = 1,
  tags: string[][] = [],
  content = 'hello',
  created_at = nowSec(),
  sk: Uint8Array = generateSecretKey()
): NostrEvent {
  return JSON.parse(JSON.stringify(finalizeEvent({ kind, tags, content, created_at }, sk))) as NostrEvent;
}

/** Same id, pubkey and content, but a signature that does not verify. */
export function forgedCopy(ev: NostrEvent): NostrEvent {
  const last = ev.sig.slice(-1);
  return { ...ev, sig: ev.sig.slice(0, -1) + (last === '0' ? '1' : '0') };
}
