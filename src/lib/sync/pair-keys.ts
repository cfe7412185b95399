/**
 * Pair keys and pair-tag keys of this device (docs/proposals/0004-envelope-v2.md §Pair tag), cached:
 * one ECDH per contact device per session, one HMAC per direction and day, then one HMAC per
 * candidate sender per envelope to recognise my mail in a shared bucket without any curve operation.
 */
import { bytesToHex, equalBytes, hexToBytes, wipe } from '../shared/bytes';
import { pairTag, pairTagKey } from '../crypto/bucket';
import type { EnvelopeKey } from '../crypto/envelope';
import { xOnlyFromHex } from '../crypto/keys';
import { derivePairKey } from '../crypto/mailbox';

export class PairKeys {
  readonly #ek: EnvelopeKey;
  readonly #me: string;
  readonly #pair = new Map<string, Uint8Array | null>();
  readonly #tag = new Map<string, Uint8Array>();

  constructor(ek: EnvelopeKey) {
    this.#ek = ek;
    this.#me = bytesToHex(ek.publicKey);
  }

  /** The symmetric pair key with another EK (hex); null for an invalid key or my own. */
  pairKey(otherHex: string): Uint8Array | null {
    let k = this.#pair.get(otherHex);
    if (k === undefined) {
      try {
        k = otherHex === this.#me ? null : derivePairKey(this.#ek.secret, xOnlyFromHex(otherHex, 'device EK'));
      } catch {
        k = null;
      }
      this.#pair.set(otherHex, k);
    }
    return k;
  }

  /** The tag key of direction from → to on `day`; one end must be me. Null when no pair key. */
  tagKey(fromHex: string, toHex: string, day: number): Uint8Array | null {
    const id = `${fromHex}>${toHex}@${day}`;
    const hit = this.#tag.get(id);
    if (hit) return hit;
    const other = fromHex === this.#me ? toHex : toHex === this.#me ? fromHex : null;
    const pk = other ? this.pairKey(other) : null;
    if (!pk) return null;
    const k = pairTagKey(pk, hexToBytes(fromHex, 32), hexToBytes(toHex, 32), day);
    this.#tag.set(id, k);
    return k;
  }

  /**
   * Which of `senders` (EK hex) sealed this envelope to me on `day`: the one whose pair tag of the
   * ephemeral key equals the envelope's nonce. One HMAC per candidate; no curve operation.
   */
  matchSender(senders: readonly string[], day: number, ephemeral: Uint8Array, nonce: Uint8Array): string | undefined {
    for (const s of senders) {
      const k = this.tagKey(s, this.#me, day);
      if (k && equalBytes(pairTag(k, ephemeral), nonce)) return s;
    }
    return undefined;
  }

  /** Drops tag keys of days before `minDay` (they are never needed again). */
  prune(minDay: number): void {
    for (const [id, k] of this.#tag) {
      if (Number(id.slice(id.lastIndexOf('@') + 1)) < minDay) {
        wipe(k);
        this.#tag.delete(id);
      }
    }
  }

  /** Forgets one device (blocked or removed). */
  forget(otherHex: string): void {
    wipe(this.#pair.get(otherHex) ?? undefined);
    this.#pair.delete(otherHex);
    for (const [id, k] of this.#tag) {
      if (!id.startsWith(`${otherHex}>`) && !id.includes(`>${otherHex}@`)) continue;
      wipe(k);
      this.#tag.delete(id);
    }
  }

  clear(): void {
    for (const k of this.#pair.values()) wipe(k ?? undefined);
    for (const k of this.#tag.values()) wipe(k);
    this.#pair.clear();
    this.#tag.clear();
  }
}
