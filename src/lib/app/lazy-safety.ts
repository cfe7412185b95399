/**
 * Safety numbers loaded on first use (issue 12 §6): the comparison brings the crypto of
 * sync/verification.ts, which the first screen does not need.
 */
import type { SafetySource, SafetyView, VerifyResult } from './safety';

type SafetyModule = typeof import('./safety');

/** A SafetySource that loads safety.ts on its first call and hands every call to the one `make` builds. */
export function lazySafety(make: (m: SafetyModule) => SafetySource): SafetySource {
  let source: Promise<SafetySource> | null = null;
  const get = () => (source ??= import('./safety').then(make));
  return {
    view: async (peer: string): Promise<SafetyView> => (await get()).view(peer),
    compare: async (view: SafetyView, text: string): Promise<VerifyResult> => (await get()).compare(view, text),
    mark: async (view: SafetyView): Promise<void> => (await get()).mark(view),
    clear: async (peer: string): Promise<void> => (await get()).clear(peer)
  };
}
