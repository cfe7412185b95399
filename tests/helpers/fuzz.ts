/**
 * Shared pieces of the fuzz tests (tests/unit/fuzz): the run count, outcome classifiers that let
 * only the project's typed VeilError through (anything else, a TypeError, RangeError, SyntaxError,
 * a thrown string, fails the property), and cheap mutators of valid inputs, which reach the deep
 * code of a parser far more often than uniform garbage does.
 */
import fc from 'fast-check';
import { isVeilError, VeilError, type VeilErrorCode } from '../../src/lib/shared/errors';
import { checkEventShape } from '../../src/lib/shared/event-shape';
import type { NostrEventJson } from '../../src/lib/shared/nostr';
import { DEFAULT_EVENT_LIMITS } from '../../src/lib/crypto/nostr-event';

/** Runs per parser per CI run (issue 11 item 5). */
export const FUZZ_RUNS = 50_000;

/** Why a fuzz case failed: an escape of something that is not a VeilError with an allowed code. */
export class Escaped extends Error {
  constructor(readonly thrown: unknown, allowed: readonly VeilErrorCode[]) {
    super(
      `expected a VeilError with code in [${allowed.join(', ')}], got ` +
        (isVeilError(thrown) ? `VeilError ${thrown.code}` : thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : `a thrown ${typeof thrown}`)
    );
  }
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; code: VeilErrorCode };

/** Runs `f`; a VeilError with a code in `allowed` is a typed failure, anything else escapes (re-thrown as Escaped). */
export function outcome<T>(f: () => T, allowed: readonly VeilErrorCode[]): Outcome<T> {
  try {
    return { ok: true, value: f() };
  } catch (e) {
    if (isVeilError(e) && allowed.includes(e.code)) return { ok: false, code: e.code };
    throw new Escaped(e, allowed);
  }
}

/** `outcome` for async functions. */
export async function outcomeAsync<T>(f: () => Promise<T>, allowed: readonly VeilErrorCode[]): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await f() };
  } catch (e) {
    if (isVeilError(e) && allowed.includes(e.code)) return { ok: false, code: e.code };
    throw new Escaped(e, allowed);
  }
}

/** One edit of a sequence: kind, position (taken modulo the length) and a value. */
export type Edit = [kind: number, pos: number, value: number];
const edit = fc.tuple(fc.nat(5), fc.nat(), fc.nat(0xffff));

/** One to `max` edits. */
export const edits = (max = 3): fc.Arbitrary<Edit[]> => fc.array(edit, { minLength: 1, maxLength: max });

/**
 * Applies edits to a string: replace a character (from `alphabet` when given, else any UTF-16
 * unit), insert, delete, truncate, duplicate a slice, swap case. May still return the input unchanged.
 */
export function mutateString(s: string, es: readonly Edit[], alphabet?: string): string {
  let out = s;
  for (const [kind, p, v] of es) {
    const pick = alphabet ? alphabet[v % alphabet.length]! : String.fromCharCode(v);
    const i = out.length === 0 ? 0 : p % out.length;
    switch (kind) {
      case 0:
        out = out.slice(0, i) + pick + out.slice(i + 1);
        break;
      case 1:
        out = out.slice(0, i) + pick + out.slice(i);
        break;
      case 2:
        out = out.slice(0, i) + out.slice(i + 1);
        break;
      case 3:
        out = out.slice(0, i);
        break;
      case 4:
        out = out.slice(0, i) + out.slice(i, i + 1 + (v % 16)) + out.slice(i);
        break;
      default: {
        // Swap case; where that changes nothing (a digit), insert instead, so an edit is rarely neutral.
        const c = out.charAt(i);
        const sw = c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase();
        out = sw === c ? out.slice(0, i) + pick + out.slice(i) : out.slice(0, i) + sw + out.slice(i + 1);
      }
    }
  }
  return out;
}

/** Applies edits to bytes: flip one bit, set a byte, insert, delete, truncate, append. */
export function mutateBytes(b: Uint8Array, es: readonly Edit[]): Uint8Array {
  let out = Array.from(b);
  for (const [kind, p, v] of es) {
    const i = out.length === 0 ? 0 : p % out.length;
    switch (kind) {
      case 0:
        if (out.length) out[i]! ^= 1 << (v % 8);
        break;
      case 1:
        if (out.length) out[i] = v & 0xff;
        break;
      case 2:
        out.splice(i, 0, v & 0xff);
        break;
      case 3:
        out.splice(i, 1);
        break;
      case 4:
        out = out.slice(0, i);
        break;
      default:
        out.push(v & 0xff, v >>> 8);
    }
  }
  return Uint8Array.from(out);
}

/** Flips exactly one bit of a copy of `b` (never a neutral change). */
export function flipBit(b: Uint8Array, bit: number): Uint8Array {
  const out = b.slice();
  const i = Math.floor(bit / 8) % out.length;
  out[i]! ^= 1 << (bit % 8);
  return out;
}

/** Replaces one character of `s` with a different one from `alphabet` (never a neutral change). */
export function replaceChar(s: string, pos: number, v: number, alphabet: string): string {
  const i = pos % s.length;
  const others = alphabet.split('').filter((c) => c !== s[i]);
  return s.slice(0, i) + others[v % others.length]! + s.slice(i + 1);
}

/** Any JSON value, small: what a hostile relay or paste can hand a parser after JSON.parse. */
export const jsonValue: fc.Arbitrary<unknown> = fc.jsonValue({ maxDepth: 3 });

/** Values that are not JSON but reach parsers through JS callers: undefined, bigint, symbols, class instances, arrays with holes. */
export const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(undefined, null, NaN, Infinity, -0, Symbol('x'), 10n, new Uint8Array(3), new Date(0), () => 1, new Array<unknown>(2), Object.create(null)),
  fc.anything({ maxDepth: 2 })
);

/**
 * Cheap replacement values for one field: the interesting constants plus small strings, numbers,
 * booleans and arrays (generating deep random structures costs more than the parsers under test).
 */
export const smallValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom<unknown>(undefined, null, NaN, Infinity, -1, 2 ** 53, 1.5, '', '0', [], {}, [[]], [['p']], Symbol('x'), 10n, new Uint8Array(3)) },
  { weight: 2, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 2, arbitrary: fc.oneof(fc.integer(), fc.double()) },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.array(fc.oneof(fc.string({ maxLength: 4 }), fc.integer()), { maxLength: 3 }) }
);

/**
 * Structural mutations of a JSON-like object (an event): replace a field with another value, delete
 * it, edit a string or number field, or (rarely: such a change is neutral and sends the input down
 * the slow, fully valid path) add an unknown field. `fields` are the keys to aim at.
 */
export function mutatedObject(base: Record<string, unknown>, fields: readonly string[], addField = true): fc.Arbitrary<Record<string, unknown>> {
  type Op = ['replace' | 'delete' | 'edit' | 'add', string, unknown];
  const ops: fc.WeightedArbitrary<Op>[] = [
    { weight: 8, arbitrary: fc.tuple(fc.constant('replace' as const), fc.constantFrom(...fields), smallValue) },
    { weight: 4, arbitrary: fc.tuple(fc.constant('delete' as const), fc.constantFrom(...fields), fc.constant(null)) },
    { weight: 8, arbitrary: fc.tuple(fc.constant('edit' as const), fc.constantFrom(...fields), edits(2)) }
  ];
  if (addField) ops.push({ weight: 1, arbitrary: fc.tuple(fc.constant('add' as const), fc.string({ maxLength: 8 }), smallValue) });
  const one = fc.oneof(...ops);
  return fc.array(one, { minLength: 1, maxLength: 3 }).map((ops) => {
    const o: Record<string, unknown> = { ...base };
    for (const [op, key, v] of ops) {
      if (op === 'delete') delete o[key];
      else if (op === 'edit') {
        const cur = o[key];
        const e = v as Edit[];
        if (typeof cur === 'string') o[key] = mutateString(cur, e);
        else if (typeof cur === 'number') o[key] = cur + e[0]![2] - 0x8000;
        else if (Array.isArray(cur)) o[key] = e[0]![0] % 2 ? cur.slice(1) : [...cur, [String(e[0]![2])]];
      } else o[key] = v;
    }
    return o;
  });
}

/**
 * Wall and CPU time of a block, printed so the report can quote them. CPU time is what the block
 * costs on an idle machine; wall time also counts whatever else the machine was doing.
 */
export function timed<T>(label: string, f: () => T): T {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const done = () => {
    const c = process.cpuUsage(c0);
    console.log(`[fuzz] ${label}: wall ${((performance.now() - t0) / 1000).toFixed(2)} s, cpu ${((c.user + c.system) / 1e6).toFixed(2)} s`);
  };
  const r = f();
  if (r instanceof Promise) return r.finally(done) as T;
  done();
  return r;
}

/** The shared shape checker (shared/event-shape.ts) with crypto's default limits, throwing its typed code. */
export function copyEventShape(raw: unknown): NostrEventJson {
  const r = checkEventShape(raw, DEFAULT_EVENT_LIMITS);
  if (!r.ok) throw new VeilError(r.code, r.reason);
  return r.event;
}
