/**
 * Cover payloads made from public notes (docs/design.md §5; the founding document's "randomly
 * encrypting existing messages on the Nostr network"): public kind-1 notes read from the relays are
 * kept in a small pool, and a cover payload of a given size class is cut from them. The payload is
 * encrypted like a message, so a relay sees only its class; what it holds matters if an envelope
 * key ever leaks: then cover reads as ordinary public notes, not as random bytes.
 */
import { randomBytes, utf8Encode } from '../shared/bytes';
import { cryptoRandom, type Random } from '../shared/random';
import { payloadRange } from './classes';

/** Notes kept (the newest). */
export const NOTE_POOL_SIZE = 200;
/** Longest note kept (bytes of its JSON); longer ones are skipped. */
const MAX_NOTE_BYTES = 6000;

export class CoverSampler {
  readonly #notes: Uint8Array[] = [];
  readonly #random: Random;

  constructor(random: Random = cryptoRandom) {
    this.#random = random;
  }

  /** Offers one public note (its JSON); the pool keeps the newest NOTE_POOL_SIZE. */
  offer(noteJson: string): void {
    const b = utf8Encode(noteJson);
    if (b.length === 0 || b.length > MAX_NOTE_BYTES) return;
    this.#notes.push(b);
    if (this.#notes.length > NOTE_POOL_SIZE) this.#notes.shift();
  }

  get size(): number {
    return this.#notes.length;
  }

  #pick(): Uint8Array {
    return this.#notes[Math.floor(this.#random() * this.#notes.length) % this.#notes.length]!;
  }

  /**
   * A payload that pads to class `k`: its length uniform over the class's range, filled with
   * public notes (newline-separated, cut at that length), or random bytes while the pool is empty.
   */
  payload(k: number): Uint8Array {
    const { min, max } = payloadRange(k);
    const len = min + Math.min(max - min, Math.floor(this.#random() * (max - min + 1)));
    if (this.#notes.length === 0) return randomBytes(len);
    const out = new Uint8Array(len);
    let at = 0;
    while (at < len) {
      const n = this.#pick();
      out.set(n.subarray(0, len - at), at);
      at += Math.min(n.length, len - at);
      if (at < len) out[at++] = 0x0a;
    }
    return out;
  }
}
