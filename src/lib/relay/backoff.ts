/** Reconnection backoff of a relay socket (./connection.ts). */

export interface BackoffOptions {
  /** First retry delay cap in ms. Default 1000. */
  baseMs?: number;
  /** Largest delay in ms. Default 60000. */
  maxMs?: number;
  /** A connection open at least this long resets the backoff. Default 10000. */
  stableMs?: number;
}

/**
 * Delay before reconnection attempt `attempt` (0-based): "equal jitter" over a capped exponential,
 * i.e. uniform in [cap/2, cap) with cap = min(maxMs, baseMs * 2^attempt). The jitter keeps many
 * clients (and our own sockets) from retrying in lockstep; it comes from the CSPRNG because the
 * timing is visible to relays.
 */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  const cap = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(cap / 2 + random() * (cap / 2));
}
