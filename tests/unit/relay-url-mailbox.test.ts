/**
 * Mailbox derivation hashes the normalized relay URL (spec 0003 §Relay URL), so two spellings of
 * one relay must give the same mailboxes, or a message lands where its reader never looks. These
 * tests prove that the one normaliser (shared/relay-url.ts) is idempotent, that mailboxes are
 * stable under it, and that the published vectors (tests/vectors/relay-url-v1.json) still hold.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes, utf8Encode } from '../../src/lib/shared/bytes';
import { isVeilError } from '../../src/lib/shared/errors';
import { isNormalRelayUrl, normalizeRelayUrl } from '../../src/lib/shared/relay-url';
import { normalizeRelayUrl as relayLayerNormalize } from '../../src/lib/relay/url';
import { normalizeRelayUrl as mailboxNormalize, derivePairKey, introMailbox, pairMailbox, selfMailbox } from '../../src/lib/crypto/mailbox';
import { getXOnlyPublicKey } from '../../src/lib/crypto/keys';

interface VectorFile {
  day: number;
  keys: { a_ek_secret: string; a_ek: string; b_ek_secret: string; b_ek: string };
  valid: { input: string; normalized: string; place: string; mailboxes: Record<'pair_a_to_b' | 'intro_b_k0' | 'intro_b_k8' | 'self_a', string> }[];
  invalid: { input: string; error: string }[];
}
const V = JSON.parse(readFileSync(new URL('../vectors/relay-url-v1.json', import.meta.url), 'utf8')) as VectorFile;

const a = hexToBytes(V.keys.a_ek_secret, 32);
const b = hexToBytes(V.keys.b_ek_secret, 32);
const A = getXOnlyPublicKey(a);
const B = getXOnlyPublicKey(b);
const pairAB = derivePairKey(a, B);

function mailboxes(relay: string, day: number) {
  return {
    pair_a_to_b: pairMailbox(pairAB, A, B, relay, day),
    intro_b_k0: introMailbox(B, relay, day, 0),
    intro_b_k8: introMailbox(B, relay, day, 8),
    self_a: selfMailbox(a, relay, day)
  };
}

function rejects(input: unknown): boolean {
  try {
    normalizeRelayUrl(input);
    return false;
  } catch (e) {
    if (isVeilError(e, 'RELAY_URL_INVALID')) return true;
    throw e;
  }
}

describe('relay-url-v1 vectors', () => {
  it('the vector keys are the ones derived from their secrets', () => {
    expect(bytesToHex(A)).toBe(V.keys.a_ek);
    expect(bytesToHex(B)).toBe(V.keys.b_ek);
    expect(V.valid.length).toBeGreaterThan(15);
    expect(V.invalid.length).toBeGreaterThan(10);
  });

  it.each(V.valid.map((v) => [v.input, v] as const))('%j normalizes and gives the published mailboxes', (_, v) => {
    expect(normalizeRelayUrl(v.input)).toBe(v.normalized);
    expect(normalizeRelayUrl(v.normalized)).toBe(v.normalized);
    expect(isNormalRelayUrl(v.normalized)).toBe(true);
    expect(isNormalRelayUrl(v.input)).toBe(v.input === v.normalized);
    // The bytes the mailbox HMAC covers: be32(day) ‖ be16(len) ‖ url.
    const url = utf8Encode(v.normalized);
    expect(v.place).toBe(V.day.toString(16).padStart(8, '0') + url.length.toString(16).padStart(4, '0') + bytesToHex(url));
    expect(mailboxes(v.input, V.day)).toEqual(v.mailboxes);
    expect(mailboxes(v.normalized, V.day)).toEqual(v.mailboxes);
  });

  it('inputs that normalize alike share every mailbox, and different URLs do not', () => {
    const byUrl = new Map<string, string>();
    for (const v of V.valid) {
      const key = JSON.stringify(v.mailboxes);
      const seen = byUrl.get(v.normalized);
      if (seen) expect(key).toBe(seen);
      else byUrl.set(v.normalized, key);
    }
    expect(new Set(byUrl.values()).size).toBe(byUrl.size);
    expect(byUrl.size).toBeLessThan(V.valid.length); // some inputs are spellings of one relay
  });

  it.each(V.invalid.map((v) => [v.input, v] as const))('%j is rejected with RELAY_URL_INVALID', (_, v) => {
    expect(v.error).toBe('RELAY_URL_INVALID');
    expect(rejects(v.input)).toBe(true);
    expect(isNormalRelayUrl(v.input)).toBe(false);
    expect(() => introMailbox(B, v.input, V.day)).toThrow(expect.objectContaining({ code: 'RELAY_URL_INVALID' }));
  });

  it('the relay layer and the mailbox module use the one normaliser', () => {
    expect(relayLayerNormalize).toBe(normalizeRelayUrl);
    expect(mailboxNormalize).toBe(normalizeRelayUrl);
  });
});

// ------------------------------------------------------------------------------- properties

const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?$/).filter((l) => !l.startsWith('xn--'));
const host = fc.oneof(
  fc.array(label, { minLength: 1, maxLength: 3 }).map((ls) => [...ls, 'example'].join('.')),
  fc.ipV4(),
  fc.constantFrom('[::1]', '[2001:db8::7]', 'localhost', 'bücher.example')
);
const relayParts = fc.record({
  scheme: fc.constantFrom('ws', 'wss'),
  host,
  port: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
  segments: fc.array(fc.stringMatching(/^[A-Za-z0-9_~-]{1,8}$/), { maxLength: 3 }),
  query: fc.option(fc.stringMatching(/^[A-Za-z0-9=&]{1,10}$/), { nil: undefined })
});
type Parts = typeof relayParts extends fc.Arbitrary<infer T> ? T : never;

function build(p: Parts, o: { upper?: boolean[]; defaultPort?: string; slashes?: number } = {}): string {
  const caseOf = (s: string, offset: number) => [...s].map((c, i) => (o.upper?.[(offset + i) % o.upper.length] ? c.toUpperCase() : c)).join('');
  const port = p.port !== undefined ? `:${p.port}` : (o.defaultPort ?? '');
  const path = p.segments.map((s) => `/${s}`).join('') + '/'.repeat(o.slashes ?? 0);
  return `${caseOf(p.scheme, 0)}://${caseOf(p.host, 3)}${port}${path}${p.query !== undefined ? `?${p.query}` : ''}`;
}

/** A spelling of the same relay: case of scheme and host, explicit default port, trailing slashes, whitespace, fragment, empty query. */
const variant = fc
  .record({
    parts: relayParts,
    upper: fc.array(fc.boolean(), { minLength: 1, maxLength: 16 }),
    defaultPort: fc.constantFrom('', 'plain', 'zeros'),
    slashes: fc.integer({ min: 0, max: 3 }),
    before: fc.stringMatching(/^[ \t\n\r\u00a0\ufeff]{0,3}$/),
    after: fc.stringMatching(/^[ \t\n\r\u00a0]{0,3}$/),
    fragment: fc.option(fc.stringMatching(/^[A-Za-z0-9]{0,6}$/), { nil: undefined }),
    emptyQuery: fc.boolean()
  })
  .map((v) => {
    const dp = v.parts.scheme === 'ws' ? '80' : '443';
    const defaultPort = v.defaultPort === 'plain' ? `:${dp}` : v.defaultPort === 'zeros' ? `:00${dp}` : '';
    let url = build(v.parts, { upper: v.upper, defaultPort, slashes: v.slashes });
    if (v.emptyQuery && v.parts.query === undefined) url += '?';
    if (v.fragment !== undefined) url += `#${v.fragment}`;
    return { plain: build(v.parts), spelled: v.before + url + v.after };
  });

describe('relay URL normalization properties', () => {
  it('every spelling of a relay normalizes to the plain form, and normalizing is idempotent', () => {
    fc.assert(
      fc.property(variant, ({ plain, spelled }) => {
        const n = normalizeRelayUrl(plain);
        expect(normalizeRelayUrl(spelled)).toBe(n);
        expect(normalizeRelayUrl(n)).toBe(n);
      }),
      { numRuns: 1000 }
    );
  });

  it('mailbox(u) == mailbox(normalize(u)) for every spelling, and spellings share mailboxes', () => {
    fc.assert(
      fc.property(variant, fc.integer({ min: 0, max: 60_000 }), ({ plain, spelled }, day) => {
        const expected = mailboxes(normalizeRelayUrl(plain), day);
        expect(mailboxes(spelled, day)).toEqual(expected);
      }),
      { numRuns: 60 }
    );
  });

  it('any string either is rejected with RELAY_URL_INVALID or normalizes to a bounded ASCII ws(s) URL that is its own normal form', () => {
    const anyInput = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => `wss://${s}`),
      fc.webUrl({ withFragments: true, withQueryParameters: true }).map((u) => u.replace(/^https?/, (m) => (m === 'http' ? 'ws' : 'wss'))),
      variant.map((v) => v.spelled)
    );
    fc.assert(
      fc.property(anyInput, (input) => {
        if (rejects(input)) return;
        const n = normalizeRelayUrl(input);
        expect(n).toMatch(/^wss?:\/\/[\x21-\x7e]+$/);
        expect(n.length).toBeLessThanOrEqual(512);
        expect(n).not.toContain('#');
        expect(n.split('?')[0]).not.toMatch(/\/$/);
        expect(normalizeRelayUrl(n)).toBe(n);
      }),
      { numRuns: 2000 }
    );
  });
});
