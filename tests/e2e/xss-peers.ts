/**
 * The other side of the XSS spec (tests/e2e/xss.spec.ts): people on another Nostr client, played by
 * the test process with nostr-tools and the local relay. They publish what a real peer publishes:
 * a kind 10050 DM-relay list, kind 0 profiles, and NIP-17 gift wraps (kind 14 text, kind 15 file)
 * sealed to the Veil user.
 */
import { finalizeEvent, generateSecretKey, getPublicKey, nip19, type NostrEvent } from 'nostr-tools';
import * as nip59 from 'nostr-tools/nip59';
import { parseNip17Rumor } from '../../src/lib/crypto/nip17-rumor';
import { bytesToHex } from '../../src/lib/shared/bytes';
import { parseProfileContent } from '../../src/lib/sync/profile';
import { nowSec } from '../helpers/events';
import type { RawClient } from '../helpers/raw-ws';

export interface Peer {
  sk: Uint8Array;
  pubkey: string;
  npub: string;
}

async function publish(raw: RawClient, ev: NostrEvent): Promise<void> {
  const [ok, reason] = await raw.publish(ev);
  if (ok !== true) throw new Error(`relay refused kind ${ev.kind}: ${String(reason)}`);
}

/** A new key whose kind 10050 list names `dmRelays`. */
export async function newPeer(raw: RawClient, dmRelays: readonly string[]): Promise<Peer> {
  const sk = generateSecretKey();
  await publish(raw, finalizeEvent({ kind: 10050, created_at: nowSec(), tags: dmRelays.map((r) => ['relay', r]), content: '' }, sk));
  const pubkey = getPublicKey(sk);
  return { sk, pubkey, npub: nip19.npubEncode(pubkey) };
}

/** Every profile field a client may show, each set to `text`. */
export function profileContent(text: string): string {
  const fields = ['name', 'display_name', 'about', 'picture', 'banner', 'website', 'nip05', 'lud16'];
  return JSON.stringify(Object.fromEntries(fields.map((f) => [f, f === 'picture' || f === 'banner' ? `https://img.example/${text}` : text])));
}

/** The name Veil would show for a profile with this content (sync/profile.ts), or undefined. */
export function shownName(content: string): string | undefined {
  const p = parseProfileContent(content);
  return p?.displayName ?? p?.name;
}

/** Publishes `from`'s kind 0 with every field set to `text`, at `createdAt`. */
export async function publishProfile(raw: RawClient, from: Uint8Array, text: string, createdAt: number): Promise<string> {
  const content = profileContent(text);
  await publish(raw, finalizeEvent({ kind: 0, created_at: createdAt, tags: [], content }, from));
  return content;
}

/** A kind 14 DM with `text`, gift-wrapped to `to`. */
export async function publishText(raw: RawClient, from: Peer, to: string, text: string, createdAt: number): Promise<void> {
  await publish(raw, nip59.wrapEvent({ kind: 14, created_at: createdAt, tags: [['p', to]], content: text }, from.sk, to));
}

const hex = (n: number): string => bytesToHex(crypto.getRandomValues(new Uint8Array(n)));

/**
 * A kind 15 file message carrying `text` everywhere a file has words or an address: the URL's path,
 * file-type, subject, name, alt, summary and thumb. True when Veil's parser keeps it (so it shows as
 * a message); a file message the parser refuses is dropped, which the spec counts too.
 */
export async function publishFile(raw: RawClient, from: Peer, to: string, text: string, createdAt: number): Promise<boolean> {
  const words = text.slice(0, 2000);
  const rumor = nip59.createRumor(
    {
      kind: 15,
      created_at: createdAt,
      content: `https://files.example/${createdAt % 2 === 0 ? words : encodeURIComponent(words)}`,
      tags: [
        ['p', to],
        ['file-type', words],
        ['encryption-algorithm', 'aes-gcm'],
        ['decryption-key', hex(32)],
        ['decryption-nonce', hex(12)],
        ['x', hex(32)],
        ['subject', words],
        ['name', words],
        ['alt', words],
        ['summary', words],
        ['thumb', `https://files.example/${words}`]
      ]
    },
    from.sk
  );
  await publish(raw, nip59.createWrap(nip59.createSeal(rumor, from.sk, to), to));
  try {
    parseNip17Rumor(rumor);
    return true;
  } catch {
    return false;
  }
}
