/**
 * The size classes of a user's own real envelopes (docs/design.md §5): cover must have the same
 * class distribution as the real traffic of the same device, or a class seen only in real
 * messages would mark them. Counts persist (sync stores them); sampling is smoothed so a new
 * device starts from the common case (chat lines fit class 1).
 */
import { ENVELOPE_CLASS_BYTES, PADDED_CLASS_SIZES, FRAME_HEADER_BYTES } from '../crypto/padding';
import { cryptoRandom, type Random } from '../shared/random';

export const CLASS_COUNT = ENVELOPE_CLASS_BYTES.length;
/**
 * What a device that has sent nothing yet assumes: most chat lines are class 1 (40:4:1:1), weighted
 * as 9.2 sends, so the device's own sizes dominate after a few dozen (at weight 46, cover kept 13%
 * larger classes for long after a user had sent only class-1 lines, and a classifier used it).
 */
export const PRIOR_COUNTS: readonly number[] = [8, 0.8, 0.2, 0.2];

/** The class index (0…3) of a binary envelope length, or -1. */
export function classOfEnvelopeBytes(n: number): number {
  return (ENVELOPE_CLASS_BYTES as readonly number[]).indexOf(n);
}

/** The class index of a base64 `content` length (kind 1067), or -1. */
export function classOfContentLength(chars: number): number {
  return ENVELOPE_CLASS_BYTES.findIndex((n) => Math.ceil(n / 3) * 4 === chars);
}

/** Payload lengths (bytes) that pad to class `k`: (largest of class k−1, largest of class k]. */
export function payloadRange(k: number): { min: number; max: number } {
  const cap = (i: number) => PADDED_CLASS_SIZES[i]! - FRAME_HEADER_BYTES;
  return { min: k === 0 ? 0 : cap(k - 1) + 1, max: cap(k) };
}

export class ClassHistogram {
  readonly #counts: number[];
  constructor(counts: readonly number[] = []) {
    this.#counts = Array.from({ length: CLASS_COUNT }, (_, i) => (Number.isSafeInteger(counts[i]) && counts[i]! >= 0 ? counts[i]! : 0));
  }
  /** One real envelope of class `k` was sent. */
  record(k: number): void {
    if (k >= 0 && k < CLASS_COUNT) this.#counts[k]!++;
  }
  counts(): number[] {
    return [...this.#counts];
  }
  /** A class drawn like the real ones: the counts plus the prior, so early draws follow the common case. */
  sample(random: Random = cryptoRandom): number {
    const w = this.#counts.map((c, i) => c + PRIOR_COUNTS[i]!);
    let u = random() * w.reduce((a, b) => a + b, 0);
    for (let i = 0; i < w.length; i++) if ((u -= w[i]!) <= 0) return i;
    return w.length - 1;
  }
}
