/**
 * A rough strength hint for a new passphrase (Settings → Backup): an upper bound of its entropy from its length
 * and the kinds of characters in it, with the repeats and runs that make it guessable counted down. A hint for
 * people, not a guarantee: a known phrase scores high and is still weak, and the hint says so.
 */
import { m } from '../paraglide/messages';

export type Strength = 'too short' | 'weak' | 'fair' | 'strong';

export interface StrengthHint {
  strength: Strength;
  /** 'Too short', 'Weak', 'Fair', 'Strong'. */
  label: string;
  /** Estimated bits, rounded. */
  bits: number;
  /** The sentence after the label. */
  text: string;
}

export function passphraseStrength(p: string, min = 8): StrengthHint {
  const s = p.normalize('NFKC');
  const chars = [...s];
  if (chars.length < min) return { strength: 'too short', label: m.ps_too_short(), bits: 0, text: m.ps_at_least({ min }) };
  let pool = 0;
  if (/[a-z]/.test(s)) pool += 26;
  if (/[A-Z]/.test(s)) pool += 26;
  if (/[0-9]/.test(s)) pool += 10;
  if (/[^a-zA-Z0-9]/.test(s)) pool += 33;
  // Each character adds less when it repeats the previous one or continues a run (aaaa, 1234, abcd).
  let effective = 0;
  chars.forEach((c, i) => {
    const prev = chars[i - 1]?.codePointAt(0);
    const cur = c.codePointAt(0)!;
    effective += prev === undefined ? 1 : prev === cur || Math.abs(prev - cur) === 1 ? 0.25 : 1;
  });
  const unique = new Set(chars).size;
  const bits = Math.round(Math.min(effective, unique * 2) * Math.log2(Math.max(pool, 2)));
  const strength: Strength = bits < 50 ? 'weak' : bits < 80 ? 'fair' : 'strong';
  const words = {
    weak: [m.ps_weak, m.ps_weak_text],
    fair: [m.ps_fair, m.ps_fair_text],
    strong: [m.ps_strong, m.ps_strong_text]
  }[strength];
  return { strength, label: words[0]!(), bits, text: words[1]!() };
}
