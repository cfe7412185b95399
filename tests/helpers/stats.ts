/**
 * Small statistics for the camouflage tests (issue 10): a seeded PRNG (tests only: production
 * randomness is the CSPRNG), the one-sample Kolmogorov–Smirnov test against an exponential law and
 * the chi-square test of homogeneity for two histograms, with their p-values.
 */

/** mulberry32: a fixed-seed uniform in (0, 1], for reproducible statistical tests. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 1) / 4294967297;
  };
}

/** Kolmogorov's limiting distribution: P(K > λ). */
function kolmogorovQ(lambda: number): number {
  if (lambda < 0.2) return 1;
  let sum = 0;
  for (let k = 1; k <= 100; k++) sum += (k % 2 === 1 ? 1 : -1) * Math.exp(-2 * k * k * lambda * lambda);
  return Math.min(1, Math.max(0, 2 * sum));
}

/** One-sample KS test of `xs` against the exponential CDF with `mean`: statistic D and p-value. */
export function ksExponential(xs: readonly number[], mean: number): { d: number; p: number } {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = 1 - Math.exp(-s[i]! / mean);
    d = Math.max(d, (i + 1) / n - f, f - i / n);
  }
  const sq = Math.sqrt(n);
  return { d, p: kolmogorovQ((sq + 0.12 + 0.11 / sq) * d) };
}

/** Regularized upper incomplete gamma Q(a, x) by series / continued fraction (Numerical Recipes). */
function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  const lnGa = lnGamma(a);
  if (x < a + 1) {
    let sum = 1 / a;
    let term = sum;
    for (let n = 1; n < 500; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-15) break;
    }
    return 1 - sum * Math.exp(-x + a * Math.log(x) - lnGa);
  }
  let b = x + 1 - a;
  let c = 1e300;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 500; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < 1e-300) d = 1e-300;
    c = b + an / c;
    if (Math.abs(c) < 1e-300) c = 1e-300;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return Math.exp(-x + a * Math.log(x) - lnGa) * h;
}

function lnGamma(z: number): number {
  const g = [76.18009172947146, -86.50532032941678, 24.01409824083091, -1.231739572450155, 0.001208650973866179, -0.000005395239384953];
  const x = z;
  let y = z;
  let tmp = x + 5.5;
  tmp -= (x + 0.5) * Math.log(tmp);
  let ser = 1.000000000190015;
  for (const c of g) ser += c / ++y;
  return -tmp + Math.log((2.5066282746310002 * ser) / x);
}

/** Chi-square test of homogeneity of two histograms over the same bins: statistic, df, p-value. */
export function chiSquareTwoSample(a: readonly number[], b: readonly number[]): { chi2: number; df: number; p: number } {
  const na = a.reduce((s, v) => s + v, 0);
  const nb = b.reduce((s, v) => s + v, 0);
  let chi2 = 0;
  let bins = 0;
  for (let i = 0; i < a.length; i++) {
    const col = a[i]! + b[i]!;
    if (col === 0) continue;
    bins++;
    const ea = (col * na) / (na + nb);
    const eb = (col * nb) / (na + nb);
    chi2 += (a[i]! - ea) ** 2 / ea + (b[i]! - eb) ** 2 / eb;
  }
  const df = bins - 1;
  return { chi2, df, p: gammaQ(df / 2, chi2 / 2) };
}
