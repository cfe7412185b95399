/**
 * Fuzzing NIP-49 ncryptsec parsing (nip49.ts). The decoding step (`inspectNcryptsec`, the same
 * `decodeData` that `decryptNcryptsec` runs first) gets the full run count; full decrypts, which run
 * scrypt, get a few hundred at the smallest log_n with a tiny `maxLogN`, so a mutated log_n byte is
 * refused before any work. Property: only the typed codes escape, and a changed byte never decrypts.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { bech32Decode, bech32Encode } from '../../../src/lib/crypto/bech32';
import { MIN_LOG_N, decryptNcryptsec, encryptNcryptsec, inspectNcryptsec } from '../../../src/lib/crypto/nip49';
import { generateSecretKey } from '../../../src/lib/crypto/keys';
import { equalBytes } from '../../../src/lib/shared/bytes';
import type { VeilErrorCode } from '../../../src/lib/shared/errors';
import { FUZZ_RUNS, edits, mutateBytes, mutateString, outcome, outcomeAsync, timed } from '../../helpers/fuzz';

const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const PASS = 'correct horse battery staple';
/** Full decrypts (scrypt at log_n = MIN_LOG_N): cheap only while that minimum is tiny. */
const DECRYPT_RUNS = MIN_LOG_N <= 4 ? 300 : 3;
const MAX_LOG_N = Math.max(MIN_LOG_N, 4);

const sk = generateSecretKey();
const valid = await Promise.all([0, 1, 2].map((ksb) => encryptNcryptsec(sk, PASS, { logN: MIN_LOG_N, keySecurity: ksb as 0 | 1 | 2 })));
const validBytes = valid.map((s) => bech32Decode(s, 200).bytes);

/** Character edits of a valid ncryptsec, and byte edits of its payload under a fresh checksum. */
const input = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...valid), edits(3)).map(([s, es]) => ({ s, mutated: mutateString(s, es, CHARSET + '1 I') })) },
  {
    weight: 5,
    arbitrary: fc.tuple(fc.nat(valid.length - 1), edits(2), fc.constantFrom('ncryptsec', 'ncryptsec', 'nsec', 'ncryptsed')).map(([i, es, hrp]) => ({
      s: valid[i]!,
      mutated: bech32Encode(hrp, mutateBytes(validBytes[i]!, es))
    }))
  },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...CHARSET), minLength: 150, maxLength: 156 }).map((d) => ({ s: '', mutated: `ncryptsec1${d}` })) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }).map((d) => ({ s: '', mutated: d })) }
);

describe('NIP-49 ncryptsec fuzz', () => {
  it(
    `inspectNcryptsec (${FUZZ_RUNS} runs): INVALID_KEY, or version 2 with a known key-security byte and log_n ≥ MIN_LOG_N`,
    () => {
      timed('inspectNcryptsec', () =>
        fc.assert(
          fc.property(input, ({ mutated }) => {
            const r = outcome(() => inspectNcryptsec(mutated), ['INVALID_KEY']);
            if (!r.ok) return;
            const b = bech32Decode(mutated.trim(), 200).bytes;
            expect(b.length).toBe(91);
            expect(b[0]).toBe(2);
            expect(r.value.logN).toBe(b[1]);
            expect(r.value.logN).toBeGreaterThanOrEqual(MIN_LOG_N);
            expect([0, 1, 2]).toContain(r.value.keySecurity);
          }),
          { numRuns: FUZZ_RUNS }
        )
      );
    },
    180_000
  );

  it(
    `decryptNcryptsec (${DECRYPT_RUNS} runs, log_n ${MIN_LOG_N}, maxLogN ${MAX_LOG_N}): typed codes only; a changed byte never decrypts`,
    async () => {
      const allowed: VeilErrorCode[] = ['INVALID_KEY', 'KDF_TOO_COSTLY', 'WRONG_PASSPHRASE'];
      await timed('decryptNcryptsec', () =>
        fc.assert(
          fc.asyncProperty(input, fc.constantFrom(PASS, PASS, 'wrong', ''), async ({ s, mutated }, pw) => {
            const r = await outcomeAsync(() => decryptNcryptsec(mutated, pw, { maxLogN: MAX_LOG_N }), allowed);
            if (!r.ok) return;
            expect(pw).toBe(PASS);
            expect(equalBytes(r.value, sk)).toBe(true);
            // Every byte is authenticated (log_n and salt through the KDF, ksb as AAD): only the unchanged payload opens.
            expect(bech32Decode(mutated.trim(), 200).bytes).toEqual(bech32Decode(s, 200).bytes);
          }),
          { numRuns: DECRYPT_RUNS }
        )
      );
    },
    180_000
  );
});
