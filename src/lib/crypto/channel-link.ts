/**
 * A channel link (spec docs/proposals/0011-channels.md §Link): owner key, epoch, channel key,
 * relays and a suggested name, carried as `https://<origin>/#ch=<base64url>` (the fragment never
 * reaches a web server) and as a QR code of that link. Holding it is being able to read the epoch:
 * it is a secret.
 *
 * Binary layout v1 (integers big-endian):
 *   u8 version=1 ‖ owner[32] ‖ u32 epoch ‖ key[32]
 *   u8 nRelays (1..8) ‖ nRelays × (u8 scheme: 0 wss, 1 ws ‖ u8 len ‖ URL after "scheme://")
 *   u8 len ‖ name (UTF-8, ≤ 64 bytes, no control characters)
 * Nothing may follow; at most MAX_LINK_BYTES.
 */
import { bytesToHex, concatBytes, hexToBytes, utf8Decode, utf8Encode } from '../shared/bytes';
import { VeilError } from '../shared/errors';
import { normalizeRelayUrl } from '../shared/relay-url';
import { base64UrlDecode, base64UrlEncode } from './card';
import { assertEpoch, be32, CHANNEL_KEY_BYTES } from './channel';
import { isSafeDisplayText } from './inbox';
import { parsePublicKey } from './keys';

export const CHANNEL_LINK_VERSION = 1;
export const MAX_LINK_BYTES = 512;
export const MAX_LINK_CHARS = Math.ceil((MAX_LINK_BYTES * 4) / 3);
export const MAX_CHANNEL_RELAYS = 8;
export const MAX_CHANNEL_NAME_BYTES = 64;
/** The fragment key of a channel link: `#ch=…`. */
export const LINK_FRAGMENT = 'ch';

export interface ChannelLink {
  /** The owner key O, 64 hex: the channel's id. */
  owner: string;
  epoch: number;
  /** CK of that epoch (secret). */
  key: Uint8Array;
  /** Normalised, distinct, 1..8. */
  relays: string[];
  /** A suggestion until an owner-signed post names the channel; '' when absent. */
  name: string;
}

function bad(msg: string, cause?: unknown): never {
  throw new VeilError('INVALID_INPUT', `channel link: ${msg}`, cause === undefined ? undefined : { cause });
}

function checkedName(name: string): Uint8Array {
  const bytes = utf8Encode(name);
  if (bytes.length > MAX_CHANNEL_NAME_BYTES) bad('name too long');
  if (!isSafeDisplayText(name)) bad('name has control characters');
  return bytes;
}

function checkedOwner(hex: string): Uint8Array {
  let owner: Uint8Array;
  try {
    owner = hexToBytes(hex, 32);
    parsePublicKey(owner, 'owner key');
  } catch (cause) {
    bad('owner is not a valid x-only key', cause);
  }
  return owner;
}

/** The payload (base64url) of a link. Errors: INVALID_INPUT (a field out of bounds), TOO_LARGE. */
export function encodeChannelLink(link: ChannelLink): string {
  const owner = checkedOwner(link.owner);
  assertEpoch(link.epoch);
  if (!(link.key instanceof Uint8Array) || link.key.length !== CHANNEL_KEY_BYTES) bad('key must be 32 bytes');
  if (link.relays.length < 1 || link.relays.length > MAX_CHANNEL_RELAYS) bad('1 to 8 relays');
  const relays = link.relays.map((r) => normalizeRelayUrl(r));
  if (new Set(relays).size !== relays.length) bad('relays repeat');
  const parts: Uint8Array[] = [Uint8Array.of(CHANNEL_LINK_VERSION), owner, be32(link.epoch), link.key, Uint8Array.of(relays.length)];
  for (const r of relays) {
    const wss = r.startsWith('wss://');
    const rest = utf8Encode(r.slice(wss ? 6 : 5));
    if (rest.length > 255) throw new VeilError('TOO_LARGE', 'relay URL too long for a channel link');
    parts.push(Uint8Array.of(wss ? 0 : 1, rest.length), rest);
  }
  const name = checkedName(link.name);
  parts.push(Uint8Array.of(name.length), name);
  const bin = concatBytes(...parts);
  if (bin.length > MAX_LINK_BYTES) throw new VeilError('TOO_LARGE', `channel link is ${bin.length} bytes; the limit is ${MAX_LINK_BYTES}`);
  return base64UrlEncode(bin);
}

/** Decodes a link payload, strictly: version 1, bounded counts, normal distinct relays, a valid owner key, nothing after. Errors: INVALID_INPUT, TOO_LARGE. */
export function decodeChannelLink(payload: string): ChannelLink {
  if (typeof payload !== 'string') bad('not text');
  if (payload.length > MAX_LINK_CHARS) throw new VeilError('TOO_LARGE', 'channel link is too large');
  let bin: Uint8Array;
  try {
    bin = base64UrlDecode(payload);
  } catch (cause) {
    bad('not base64url', cause);
  }
  let off = 0;
  const take = (n: number): Uint8Array => {
    if (off + n > bin.length) bad('truncated');
    off += n;
    return bin.subarray(off - n, off);
  };
  const text = (b: Uint8Array): string => {
    try {
      return utf8Decode(b);
    } catch (cause) {
      bad('invalid UTF-8', cause);
    }
  };
  if (take(1)[0] !== CHANNEL_LINK_VERSION) bad('unsupported version');
  const owner = bytesToHex(take(32));
  checkedOwner(owner);
  const e = take(4);
  const epoch = new DataView(e.buffer, e.byteOffset, 4).getUint32(0, false);
  const key = take(CHANNEL_KEY_BYTES).slice();
  const n = take(1)[0]!;
  if (n < 1 || n > MAX_CHANNEL_RELAYS) bad('relay count out of range');
  const relays: string[] = [];
  for (let i = 0; i < n; i++) {
    const scheme = take(1)[0]!;
    if (scheme > 1) bad('unknown relay scheme');
    const url = (scheme === 0 ? 'wss://' : 'ws://') + text(take(take(1)[0]!));
    let normal: string;
    try {
      normal = normalizeRelayUrl(url);
    } catch (cause) {
      bad('relay is not a relay URL', cause);
    }
    if (normal !== url || relays.includes(url)) bad('relay not in normal form or repeated');
    relays.push(url);
  }
  const name = text(take(take(1)[0]!));
  checkedName(name);
  if (off !== bin.length) bad('trailing bytes');
  return { owner, epoch, key, relays, name };
}

/** `https://<origin>/#ch=<payload>`. */
export function channelLinkUrl(origin: string, link: ChannelLink): string {
  return `${origin.replace(/\/+$/, '')}/#${LINK_FRAGMENT}=${encodeChannelLink(link)}`;
}

/** The payload of a pasted channel link (`…#ch=…`), or null when it is none. */
export function channelLinkPayload(text: string): string | null {
  const m = /#ch=([A-Za-z0-9_-]+)\s*$/.exec(text.trim());
  return m ? m[1]! : null;
}
