/**
 * Random reals for delays and sampling (docs/design.md §5): from the CSPRNG, never Math.random,
 * because an observer sees every delay. A `Random` is injectable so statistical tests can run a
 * fixed seed; production code always uses `cryptoRandom`.
 */
import { randomBytes } from './bytes';

/** A source of uniform reals in (0, 1]. */
export type Random = () => number;

/** A uniform real in (0, 1] from the CSPRNG (53 bits). */
export const cryptoRandom: Random = () => {
  const w = new Uint32Array(randomBytes(8).buffer);
  return ((w[0]! >>> 5) * 2 ** 26 + (w[1]! >>> 6) + 1) / 2 ** 53;
};

/** Uniform in [min, max]. */
export function uniformIn(min: number, max: number, random: Random = cryptoRandom): number {
  return min + (max - min) * random();
}

/** Exponential with the given mean (the gaps of a Poisson process), never below `min`. */
export function exponential(mean: number, min = 0, random: Random = cryptoRandom): number {
  return Math.max(min, -Math.log(random()) * mean);
}
