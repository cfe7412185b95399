/**
 * When in a session cover goes out (issue 10). People send most right after they open the app (they
 * answer what came in while they were away), so a cover process that is flat over the session is told
 * apart by position alone: a relay counts the envelopes a socket published before this one, and real
 * ones come early. This learns, per device, how its real sends spread over time since the session
 * started, and gives the cover schedule a rate multiplier for each moment, so cover spreads the same
 * way.
 *
 * Time since the session started falls into SESSION_BINS_MS. Per bin it keeps the real sends and the
 * time spent in that bin over past sessions (both decayed, so it follows the device's habits). The
 * multiplier of a bin is its send rate over the device's overall send rate, starting from a prior
 * (PRIOR_SHAPE: most sends in the first minutes, as people answer what came in while they were away)
 * worth PRIOR_SESSIONS sessions of 90 minutes, normalised so that the mean over the time spent is 1 (the
 * schedule's mean rate and daily budget stay as set), and kept within [1 / MAX_BOOST, MAX_BOOST].
 * `prior: 'flat'` starts from 1 everywhere (with nothing learned, the plain Poisson process).
 */

/** Upper edges (ms since the session started) of the bins; the last is open. */
export const SESSION_BINS_MS: readonly number[] = [30_000, 60_000, 120_000, 240_000, 480_000, 960_000, 1_920_000, 3_840_000, Infinity];
/** The largest multiplier (and the thinning rate of the schedule: candidates at MAX_BOOST × the rate). */
export const MAX_BOOST = 6;
/** Rate multipliers a new device starts from, per bin (front-loaded; learned away from as it sends). */
export const PRIOR_SHAPE: readonly number[] = [3, 3, 2.5, 2.5, 2, 1.3, 0.9, 0.6, 0.5];
/** The prior counts as this many sessions of PRIOR_SESSION_MS. */
export const PRIOR_SESSIONS = 3;
export const PRIOR_SESSION_MS = 90 * 60_000;
/** Weight kept per new real send (older sends and exposure fade). */
export const DECAY = 0.995;

export interface SessionShapeState {
  sends: number[];
  exposure: number[];
}

const BINS = SESSION_BINS_MS.length;

function binOf(t: number): number {
  const i = SESSION_BINS_MS.findIndex((edge) => t < edge);
  return i < 0 ? BINS - 1 : i;
}

/** `[from, to)` of bin `b`. */
function binRange(b: number): [number, number] {
  return [b === 0 ? 0 : SESSION_BINS_MS[b - 1]!, SESSION_BINS_MS[b]!];
}

function valid(s: unknown): s is SessionShapeState {
  const ok = (a: unknown): a is number[] => Array.isArray(a) && a.length === BINS && a.every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0);
  return typeof s === 'object' && s !== null && ok((s as SessionShapeState).sends) && ok((s as SessionShapeState).exposure);
}

export class SessionShape {
  readonly #prior: readonly number[];
  #sends = new Array<number>(BINS).fill(0);
  #exposure = new Array<number>(BINS).fill(0);
  #start: number | null = null;
  /** Multipliers for the learned state plus the current session up to `#cachedAt`. */
  #ratios: number[] | null = null;

  constructor(opts: { prior?: 'front' | 'flat' } = {}) {
    this.#prior = opts.prior === 'flat' ? PRIOR_SHAPE.map(() => 1) : PRIOR_SHAPE;
  }

  /** A saved state (settings); ignored when malformed. */
  restore(state: unknown): void {
    if (!valid(state)) return;
    this.#sends = [...state.sends];
    this.#exposure = [...state.exposure];
    this.#ratios = null;
  }

  state(): SessionShapeState {
    return { sends: [...this.#sends], exposure: [...this.#exposure] };
  }

  /** A session starts now (the app opened). */
  begin(now: number): void {
    if (this.#start !== null) this.end(now);
    this.#start = now;
    this.#ratios = null;
  }

  /** The session ends now: its time is added to the exposure. */
  end(now: number): void {
    if (this.#start === null) return;
    this.#addExposure(now - this.#start);
    this.#start = null;
    this.#ratios = null;
  }

  /** A real send now (once per message, not per relay copy). */
  realSend(now: number): void {
    if (this.#start === null) return;
    for (let b = 0; b < BINS; b++) {
      this.#sends[b]! *= DECAY;
      this.#exposure[b]! *= DECAY;
    }
    this.#sends[binOf(now - this.#start)]! += 1;
    this.#ratios = null;
  }

  /** The rate multiplier for cover at `now` (1 outside a session or with nothing learned). */
  multiplier(now: number): number {
    if (this.#start === null) return 1;
    this.#ratios ??= this.#compute();
    return this.#ratios[binOf(now - this.#start)]!;
  }

  #addExposure(duration: number): void {
    for (let b = 0; b < BINS; b++) {
      const [from, to] = binRange(b);
      const spent = Math.max(0, Math.min(duration, to) - from);
      this.#exposure[b]! += spent;
    }
  }

  #compute(): number[] {
    // The prior as pseudo-sessions: exposure of PRIOR_SESSIONS sessions of PRIOR_SESSION_MS, with sends
    // at the prior multipliers of the overall rate.
    const priorExposure = SESSION_BINS_MS.map((_, b) => {
      const [from, to] = binRange(b);
      return PRIOR_SESSIONS * Math.max(0, Math.min(PRIOR_SESSION_MS, to) - from);
    });
    const exposure = this.#exposure.map((e, b) => e + priorExposure[b]!);
    const total = exposure.reduce((a, b) => a + b, 0);
    const sends = this.#sends.reduce((a, b) => a + b, 0);
    const priorSends = priorExposure.reduce((acc, e, b) => acc + e * this.#prior[b]!, 0);
    // The overall rate (sends per ms), with the prior's sends at one per PRIOR_SESSION_MS per session.
    const overall = (sends + PRIOR_SESSIONS) / total;
    const scale = PRIOR_SESSIONS / priorSends; // prior sends per (ms × multiplier)
    const raw = exposure.map((e, b) => {
      const priorPart = priorExposure[b]! * this.#prior[b]! * scale;
      return e > 0 ? (this.#sends[b]! + priorPart) / (e * overall) : this.#prior[b]!;
    });
    // Normalise: the time-weighted mean multiplier is 1, so the mean rate stays the schedule's; the
    // bounds clip, so normalise and clip again until the mean holds.
    const meanOf = (r: readonly number[]): number => r.reduce((acc, x, b) => acc + x * exposure[b]!, 0) / total;
    let r = raw;
    for (let i = 0; i < 100; i++) {
      const mean = meanOf(r);
      r = r.map((x) => Math.min(MAX_BOOST, Math.max(1 / MAX_BOOST, x / mean)));
      if (Math.abs(meanOf(r) - 1) < 1e-6) break;
    }
    // A bin never reached has no weight in the mean: it keeps the one before it rather than a scaled prior.
    return r.map((x, b) => (exposure[b]! > 0 || b === 0 ? x : r[b - 1]!));
  }
}
