/**
 * The NIP-01 event shape as JSON, shared by the leaves that may not import each other (relay, store).
 * Holding this type says nothing about trust: only trustEvent (./trusted-event.ts) makes a TrustedEvent.
 */
export interface NostrEventJson {
  id: string;
  pubkey: string;
  created_at: number;
  kind: number;
  tags: string[][];
  content: string;
  sig: string;
}
