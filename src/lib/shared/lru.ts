/**
 * A set of at most `capacity` keys that forgets the least recently used one first. For state that
 * someone else decides the size of (ids of relay events that were junk): memory stays bounded
 * however many arrive; forgetting one only costs doing its (cheap, idempotent) work again.
 */
import { VeilError } from './errors';

export class LruSet<K> {
  readonly capacity: number;
  // A Map keeps insertion order: the first key is the least recently used.
  readonly #keys = new Map<K, true>();

  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new VeilError('INVALID_INPUT', 'capacity must be a positive integer');
    this.capacity = capacity;
  }

  get size(): number {
    return this.#keys.size;
  }

  /** Whether `key` is in the set; a hit makes it the most recently used. */
  has(key: K): boolean {
    if (!this.#keys.delete(key)) return false;
    this.#keys.set(key, true);
    return true;
  }

  /** Adds `key` (or refreshes it), forgetting the least recently used key beyond the capacity. */
  add(key: K): void {
    this.#keys.delete(key);
    this.#keys.set(key, true);
    if (this.#keys.size > this.capacity) this.#keys.delete(this.#keys.keys().next().value as K);
  }

  delete(key: K): boolean {
    return this.#keys.delete(key);
  }
}
