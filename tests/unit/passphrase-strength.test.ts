import { describe, expect, test } from 'vitest';
import { passphraseStrength } from '../../src/lib/app/passphrase-strength';

describe('passphrase strength hint', () => {
  test('short, repeated, runs, words', () => {
    expect(passphraseStrength('abc').strength).toBe('too short');
    expect(passphraseStrength('aaaaaaaaaaaa').strength).toBe('weak');
    expect(passphraseStrength('12345678901234').strength).toBe('weak');
    expect(passphraseStrength('password').strength).toBe('weak');
    expect(passphraseStrength('Tr0ub4dor&3x').strength).toBe('fair');
    expect(passphraseStrength('correct horse battery staple').strength).toBe('strong');
    expect(passphraseStrength('correct horse battery staple').label).toBe('Strong');
  });
});
