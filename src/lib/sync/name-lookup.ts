/**
 * A name for a key typed or scanned in New chat, before the chat starts (issue 14 §5), asked for
 * only when the person presses "Look up their name".
 *
 * What this device already knows is used first and reveals nothing: my nickname for them, the
 * profile stored with the contact, or a profile the live subscription delivered (PeerLookup keeps
 * those of Veil users who are not contacts yet). Only then is the public pool asked for their kind 0
 * BY AUTHOR, which tells the lookup relays that someone is interested in this key: so it is a
 * person's explicit action (the New chat box says so), and it runs through the identity gate like
 * every lookup by author (identity-gate.ts).
 */
import type { TrustedEvent } from '../shared/trusted-event';
import { HEX64 } from './context';
import { VeilError } from '../shared/errors';
import type { RelayPool } from '../relay/pool';
import type { Contact } from '../store';
import type { IdentityGate } from './identity-gate';
import { parseProfileContent, PROFILE_KIND } from './profile';

/** The name a profile event gives (display name first), null when none. */
export function profileName(ev: TrustedEvent | undefined): string | null {
  if (!ev || ev.kind !== PROFILE_KIND) return null;
  const p = parseProfileContent(ev.content);
  return p?.displayName ?? p?.name ?? null;
}

/** The name stored for a contact (my nickname first, as the chat list shows it), null when none. */
export function contactName(contact: Contact | undefined): string | null {
  return contact?.petname ?? contact?.profile?.displayName ?? contact?.profile?.name ?? null;
}

/**
 * The newest kind 0 of `pubkey` on `pool` (verified by the pool), asked of `relays`; null when none
 * answers with one. Resolves after EOSE of every relay (or the pool's EOSE timeout).
 */
export async function fetchProfile(pool: RelayPool, pubkey: string, relays?: readonly string[]): Promise<TrustedEvent | null> {
  if (!HEX64.test(pubkey)) throw new VeilError('INVALID_INPUT', 'pubkey must be 64 hex');
  let best: TrustedEvent | null = null;
  await new Promise<void>((resolve) => {
    const sub = pool.subscribe(
      [{ kinds: [PROFILE_KIND], authors: [pubkey], limit: 1 }],
      {
        onevent: (ev) => {
          if (ev.pubkey !== pubkey || ev.kind !== PROFILE_KIND || !parseProfileContent(ev.content)) return;
          if (!best || ev.created_at > best.created_at) best = ev;
        },
        oneose: () => {
          sub.close();
          resolve();
        }
      },
      relays ? { relays: [...relays] } : {}
    );
  });
  return best;
}

export interface NameLookupDeps {
  getContact(pubkey: string): Promise<Contact | undefined>;
  /** A profile the live subscription delivered for a Veil user who is no contact yet (memory only). */
  keptProfile(pubkey: string): TrustedEvent | undefined;
  /** Runs `task` through the identity gate, on open public sockets; resolves with its result. */
  gated<T>(task: () => Promise<T>): Promise<T>;
  publicPool(): RelayPool;
  /** The lookup relays with `hints` (an nprofile's, a card's) added, bounded. */
  lookupRelays(hints: readonly string[]): string[];
}

/**
 * See the module comment: what is known here first, then (with `ask`) one lookup by author. Null
 * when no name is found. Without `ask` nothing leaves the device, so it may run as the person types.
 */
export async function lookupName(deps: NameLookupDeps, pubkey: string, hints: readonly string[] = [], ask = true): Promise<string | null> {
  const local = contactName(await deps.getContact(pubkey)) ?? profileName(deps.keptProfile(pubkey));
  if (local || !ask) return local;
  return profileName((await deps.gated(() => fetchProfile(deps.publicPool(), pubkey, deps.lookupRelays(hints)))) ?? undefined);
}

/** `gated` for NameLookupDeps: the task through `gate` after `prepare` (opening the public sockets). */
export function throughGate(gate: Pick<IdentityGate, 'run'>, prepare: () => Promise<void>): NameLookupDeps['gated'] {
  return <T>(task: () => Promise<T>) => new Promise<T>((resolve, reject) => gate.run(async () => resolve(await task()), 0, reject, { prepare }));
}
