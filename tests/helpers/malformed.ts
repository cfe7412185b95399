/**
 * Table-driven malformed-input tests (tests/unit/malformed): each case names what is wrong, runs a
 * parser and states the exact typed failure: a VeilError code, or, for the APIs that report
 * failure by value, `null` (verifyRelayEvent, trialOpen, findContactCard) or a relay counter.
 */
import { expect, it } from 'vitest';
import { isVeilError, type VeilErrorCode } from '../../src/lib/shared/errors';

export type Expected = VeilErrorCode | 'null';
export type MalformedCase = [name: string, run: () => unknown, expected: Expected];

/** What a run gave: the VeilError code, 'null' for a null result, or a description of anything else. */
export async function failureOf(run: () => unknown): Promise<string> {
  try {
    const v = await run();
    return v === null ? 'null' : `a result (${typeof v})`;
  } catch (e) {
    if (isVeilError(e)) return e.code;
    return `a non-VeilError: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
  }
}

/** One `it` per case. */
export function malformed(cases: readonly MalformedCase[]): void {
  for (const [name, run, expected] of cases) {
    it(`${name} → ${expected}`, async () => {
      expect(await failureOf(run)).toBe(expected);
    });
  }
}
