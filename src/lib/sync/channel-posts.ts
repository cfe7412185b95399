/**
 * Broadcast channels in the sync layer (spec docs/proposals/0011-channels.md, issue 15 §3): where a
 * post goes on each relay, sealing one post for every relay, and recognising and opening the posts of
 * the channels one follows among the other envelopes of a shared bucket. Not wired into the
 * Messenger yet (no store of channels, no screens); the crypto is crypto/channel.ts.
 *
 * Recognising costs one HMAC per followed channel epoch and bucket day (the tag key, cached) plus one
 * per envelope and epoch (the tag), and no curve operation, as pair envelopes (sync/pair-keys.ts).
 */
import { finalizeEvent } from 'nostr-tools/pure';
import { bucketPoint, pairBucketIndex, pairTag } from '../crypto/bucket';
import { channelBucketKey, channelPostTemplate, channelTagKey, finishChannelOpen, sealChannelPost, trialOpenChannel, type OpenedChannelPost } from '../crypto/channel';
import { envelopePairTag } from '../crypto/envelope-open';
import { epochDay } from '../crypto/mailbox';
import { equalBytes, hexToBytes, wipe } from '../shared/bytes';
import { VeilError } from '../shared/errors';
import type { NostrEventJson } from '../shared/nostr';
import type { TrustedEvent } from '../shared/trusted-event';

/** One epoch of a channel this device can read. */
export interface ChannelEpoch {
  epoch: number;
  /** CK of the epoch (secret). */
  key: Uint8Array;
}

/** A channel as this device holds it: readers hold its epochs, owner devices also the owner secret. */
export interface HeldChannel {
  /** The owner key O, 64 hex: the channel's id. */
  owner: string;
  /** Every epoch still held, the newest last (older ones read posts still at the relays). */
  epochs: readonly ChannelEpoch[];
  /** Owner devices only: O's secret, which signs posts. */
  ownerSecret?: Uint8Array;
}

/** Where a post of one epoch goes on `relay` on `day` at bucket `level` (spec 0011 §A post is an envelope). */
export function channelPlacement(key: Uint8Array, relay: string, day: number, level: number): { index: number; mailbox: string } {
  const bucketKey = channelBucketKey(key);
  try {
    const index = pairBucketIndex(bucketKey, relay, day, level);
    return { index, mailbox: bucketPoint(relay, day, level, index) };
  } finally {
    wipe(bucketKey);
  }
}

/**
 * Seals one post of the channel's newest epoch for each relay (its own bucket and tag there; a fresh
 * ephemeral key, session key and created_at offset each). Owner devices only. Errors: INVALID_INPUT
 * (not an owner device, no epoch, text too long for an envelope: TOO_LARGE), the sealer's.
 */
export async function sealPostForRelays(
  channel: HeldChannel,
  post: { text: string; name?: string; about?: string; rotated?: number },
  relays: readonly string[],
  nowS: number,
  levelOf: (relay: string) => number = () => 0
): Promise<{ relay: string; event: NostrEventJson }[]> {
  if (!channel.ownerSecret) throw new VeilError('INVALID_INPUT', 'only an owner device posts');
  const current = channel.epochs.at(-1);
  if (!current) throw new VeilError('INVALID_INPUT', 'the channel has no key');
  const day = epochDay(nowS);
  const inner = finalizeEvent(channelPostTemplate({ ...post, epoch: current.epoch, createdAt: nowS }), channel.ownerSecret) as unknown as NostrEventJson;
  if (inner.pubkey !== channel.owner) throw new VeilError('INVALID_INPUT', 'the owner secret is not this channel’s');
  const tagKey = channelTagKey(current.key, day);
  try {
    const out: { relay: string; event: NostrEventJson }[] = [];
    for (const relay of relays) {
      const { mailbox } = channelPlacement(current.key, relay, day, levelOf(relay));
      out.push({ relay, event: await sealChannelPost({ channelKey: current.key, mailbox, tagKey, payload: { type: 'event', event: inner }, nowSeconds: nowS }) });
    }
    return out;
  } finally {
    wipe(tagKey);
  }
}

/** A post recognised by its tag: whose channel and which epoch's key opens it. */
export interface ChannelMatch {
  owner: string;
  epoch: ChannelEpoch;
}

/** The tag keys of the followed channels, per epoch and bucket day, and the check of an envelope's nonce against them. */
export class ChannelTags {
  #channels: readonly HeldChannel[] = [];
  readonly #keys = new Map<string, Uint8Array>();

  /** The channels followed now; tag keys of channels or epochs no longer held are wiped. */
  follow(channels: readonly HeldChannel[]): void {
    this.#channels = channels;
    const live = new Set(channels.flatMap((c) => c.epochs.map((e) => `${c.owner}/${e.epoch}`)));
    for (const [id, k] of this.#keys) {
      if (live.has(id.slice(0, id.lastIndexOf('@')))) continue;
      wipe(k);
      this.#keys.delete(id);
    }
  }

  /**
   * Which followed channel epoch sealed this envelope of a shared bucket of `day` (the bucket's day,
   * from the read plan): the one whose tag of the ephemeral key is the envelope's nonce. Reads only
   * the content and pubkey, so it may run before the signature check; never throws.
   */
  match(outer: Readonly<{ pubkey: string; content: string; kind: number; tags: string[][] }>, day: number): ChannelMatch | undefined {
    if (this.#channels.length === 0) return undefined;
    const nonce = envelopePairTag(outer);
    if (!nonce || !/^[0-9a-f]{64}$/.test(outer.pubkey)) return undefined;
    const ephemeral = hexToBytes(outer.pubkey, 32);
    for (const c of this.#channels) {
      for (const e of c.epochs) {
        if (equalBytes(pairTag(this.#tagKey(c.owner, e, day), ephemeral), nonce)) return { owner: c.owner, epoch: e };
      }
    }
    return undefined;
  }

  /** Drops tag keys of days before `minDay`. */
  prune(minDay: number): void {
    for (const [id, k] of this.#keys) {
      if (Number(id.slice(id.lastIndexOf('@') + 1)) >= minDay) continue;
      wipe(k);
      this.#keys.delete(id);
    }
  }

  clear(): void {
    for (const k of this.#keys.values()) wipe(k);
    this.#keys.clear();
    this.#channels = [];
  }

  #tagKey(owner: string, e: ChannelEpoch, day: number): Uint8Array {
    const id = `${owner}/${e.epoch}@${day}`;
    let k = this.#keys.get(id);
    if (!k) {
      k = channelTagKey(e.key, day);
      this.#keys.set(id, k);
    }
    return k;
  }
}

/**
 * Opens a recognised post of a verified outer event: the epoch's key unwraps it and the inner is the
 * owner's kind 1069 of that epoch. Null when it is not (a tag collision, a forgery); cover is
 * returned as such, for the caller to drop.
 */
export async function openChannelPost(outer: TrustedEvent, match: ChannelMatch): Promise<OpenedChannelPost | null> {
  const u = trialOpenChannel(outer, match.epoch.key);
  if (!u) return null;
  return finishChannelOpen(u, match.owner, match.epoch.epoch).catch(() => null);
}
