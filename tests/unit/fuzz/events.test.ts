/**
 * Fuzzing the event shape checkers and verifiers: shared/event-shape.ts (checkEventShape, as copyEventShape,
 * verifyEvent, checkRumor, parseJsonBounded) and relay/verify.ts (parseEventShape,
 * verifyRelayEvent). Inputs are structural mutations of signed events (a field replaced by any
 * JSON or JS value, deleted, added, or edited character-wise), their JSON text edited, and plain
 * garbage. Only typed errors escape (relay/verify.ts never throws at all); whatever is accepted
 * has exactly the seven NIP-01 fields, and a verified event is the unmutated one.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { finalizeEvent, generateSecretKey, getEventHash } from 'nostr-tools/pure';
import { checkRumor, parseJsonBounded, verifyEvent } from '../../../src/lib/crypto/nostr-event';
import { copyEventShape } from '../../helpers/fuzz';
import { parseEventShape, verifyRelayEvent } from '../../../src/lib/relay/verify';
import { FUZZ_RUNS, edits, jsonValue, mutateString, mutatedObject, oddValue, outcome, timed } from '../../helpers/fuzz';

const TIMEOUT = 180_000;
const FIELDS = ['id', 'pubkey', 'created_at', 'kind', 'tags', 'content', 'sig'] as const;
const sk = generateSecretKey();
const signed = [
  finalizeEvent({ kind: 1, created_at: 1_700_000_000, tags: [], content: 'hello' }, sk),
  finalizeEvent({ kind: 1059, created_at: 1_700_000_001, tags: [['p', 'ab'.repeat(32)]], content: 'x'.repeat(300) }, sk),
  finalizeEvent({ kind: 14, created_at: 0, tags: [['p', 'cd'.repeat(32)], ['e', 'ef'.repeat(32), '', 'reply'], ['subject', 'hi ☃']], content: 'snow ☃ \u0000 "q"' }, sk)
].map((e) => JSON.parse(JSON.stringify(e)) as Record<string, unknown>);
const rumors = signed.map(({ sig: _sig, ...r }) => r);

const fieldsOf = (o: Record<string, unknown>, keys: readonly string[] = FIELDS) => Object.fromEntries(keys.map((k) => [k, o[k]]));

/** Tag-level mutations: a tag or tag item replaced by a non-string, too many items, nested arrays. */
const tagMutation = fc.tuple(fc.nat(2), fc.oneof(jsonValue, oddValue), fc.nat(40)).map(([i, v, n]) => {
  const base = signed[i]!;
  const tags = (base.tags as string[][]).map((t) => [...t]);
  if (n % 4 === 0 || tags.length === 0) tags.push(Array.from({ length: n }, () => 'x'));
  else if (n % 4 === 1) (tags[0] as unknown[])[n % tags[0]!.length] = v;
  else if (n % 4 === 2) (tags as unknown[]).push(v);
  else tags.splice(0, 1);
  return { base, raw: { ...base, tags } as Record<string, unknown> };
});

const inputWith = (addField: boolean) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.nat(2).chain((i) => mutatedObject(signed[i]!, FIELDS, addField).map((raw) => ({ base: signed[i]!, raw }))) },
    { weight: 2, arbitrary: tagMutation },
    { weight: 1, arbitrary: fc.oneof(jsonValue, oddValue).map((raw) => ({ base: signed[0]!, raw: raw as Record<string, unknown> })) }
  );
/** With unknown fields added: cheap for the shape checks, which must drop them. */
const eventInput = inputWith(true);
/** For the verifiers: an added field is a neutral change that costs a full Schnorr check, left to the shape runs. */
const verifierInput = inputWith(false);
/** The shape checks run inside the verifiers' 50,000 runs too; their own properties (fresh copy, exact fields) get fewer. */
const SHAPE_RUNS = 10_000;

const sameFields = (a: Record<string, unknown>, b: Record<string, unknown>) => JSON.stringify(fieldsOf(a)) === JSON.stringify(fieldsOf(b));

describe('event validator fuzz', () => {
  it(
    `copyEventShape (${SHAPE_RUNS} runs): INVALID_EVENT / TOO_LARGE, or a fresh object with exactly the seven fields of the input`,
    () => {
      timed('copyEventShape', () =>
        fc.assert(
          fc.property(eventInput, ({ raw }) => {
            const r = outcome(() => copyEventShape(raw), ['INVALID_EVENT', 'TOO_LARGE']);
            if (!r.ok) return;
            expect(Object.keys(r.value).sort()).toEqual([...FIELDS].sort());
            expect(r.value).not.toBe(raw);
            expect(r.value.tags).not.toBe(raw.tags);
            expect(fieldsOf(r.value as unknown as Record<string, unknown>)).toEqual(fieldsOf(raw));
          }),
          { numRuns: SHAPE_RUNS }
        )
      );
    },
    TIMEOUT
  );

  it(
    `verifyEvent (${FUZZ_RUNS} runs): INVALID_EVENT / INVALID_SIGNATURE / TOO_LARGE, or the fields of the unmutated signed event`,
    () => {
      timed('verifyEvent', () =>
        fc.assert(
          fc.property(verifierInput, ({ base, raw }) => {
            const r = outcome(() => verifyEvent(raw), ['INVALID_EVENT', 'INVALID_SIGNATURE', 'TOO_LARGE']);
            if (r.ok) expect(sameFields(r.value as unknown as Record<string, unknown>, base)).toBe(true);
          }),
          { numRuns: FUZZ_RUNS }
        )
      );
    },
    TIMEOUT
  );

  it(
    `checkRumor (${SHAPE_RUNS} runs): INVALID_EVENT / TOO_LARGE, or a rumor whose id is the hash of its fields`,
    () => {
      const rumorInput = fc.nat(2).chain((i) => mutatedObject(rumors[i]!, FIELDS.filter((f) => f !== 'sig')));
      timed('checkRumor', () =>
        fc.assert(
          fc.property(fc.oneof(rumorInput, eventInput.map((x) => x.raw)), (raw) => {
            const r = outcome(() => checkRumor(raw), ['INVALID_EVENT', 'TOO_LARGE']);
            if (r.ok) expect(getEventHash(r.value)).toBe(r.value.id);
          }),
          { numRuns: SHAPE_RUNS }
        )
      );
    },
    TIMEOUT
  );

  it(
    `parseJsonBounded (${SHAPE_RUNS} runs): INVALID_EVENT / TOO_LARGE, or exactly what JSON.parse gives`,
    () => {
      const text = fc.oneof(
        fc.tuple(fc.nat(2), edits(3)).map(([i, es]) => mutateString(JSON.stringify(signed[i]), es, '{}[]",:0123456789.eE+-\\u tfnrl ')),
        fc.string({ maxLength: 64 }),
        jsonValue.map((v) => JSON.stringify(v) ?? 'undefined')
      );
      timed('parseJsonBounded', () =>
        fc.assert(
          fc.property(text, fc.nat(600), (t, max) => {
            const r = outcome(() => parseJsonBounded(t, max), ['INVALID_EVENT', 'TOO_LARGE']);
            if (r.ok) expect(r.value).toEqual(JSON.parse(t));
            else if (r.code === 'TOO_LARGE') expect(t.length).toBeGreaterThan(max);
          }),
          { numRuns: SHAPE_RUNS }
        )
      );
    },
    TIMEOUT
  );

  it(
    `parseEventShape (${SHAPE_RUNS} runs): never throws; null, or a clean copy with exactly the seven fields`,
    () => {
      timed('parseEventShape', () =>
        fc.assert(
          fc.property(eventInput, ({ raw }) => {
            const v = outcome(() => parseEventShape(raw), []);
            if (!v.ok || v.value === null) return;
            expect(Object.keys(v.value).sort()).toEqual([...FIELDS].sort());
            expect(fieldsOf(v.value as unknown as Record<string, unknown>)).toEqual(fieldsOf(raw));
          }),
          { numRuns: SHAPE_RUNS }
        )
      );
    },
    TIMEOUT
  );

  it(
    `verifyRelayEvent (${FUZZ_RUNS} runs): never throws; null, or a frozen copy of the unmutated signed event`,
    () => {
      timed('verifyRelayEvent', () =>
        fc.assert(
          fc.property(verifierInput, ({ base, raw }) => {
            const v = outcome(() => verifyRelayEvent(raw), []);
            if (!v.ok || v.value === null) return;
            expect(Object.isFrozen(v.value) && Object.isFrozen(v.value.tags)).toBe(true);
            expect(sameFields(v.value as unknown as Record<string, unknown>, base)).toBe(true);
          }),
          { numRuns: FUZZ_RUNS }
        )
      );
    },
    TIMEOUT
  );
});
