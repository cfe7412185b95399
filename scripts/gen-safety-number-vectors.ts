/**
 * Writes tests/vectors/safety-number.json: published vectors of Veil safety numbers
 * (docs/proposals/0006-safety-numbers.md). The values are computed here from the spec text with
 * node:crypto (an implementation separate from src/lib/crypto/safety-number.ts), and the script refuses
 * to write when the app's module disagrees. Every key is derived from a fixed label with SHA-256, so
 * running this again produces the same file byte for byte.
 * Run: node --import tsx scripts/gen-safety-number-vectors.ts
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { bytesToHex, hexToBytes } from '../src/lib/shared/bytes';
import { getXOnlyPublicKey } from '../src/lib/crypto/keys';
import {
  encodeVerifyPayload,
  keySetId,
  safetyNumber,
  safetyParty,
  SAFETY_DOMAIN,
  SAFETY_NUMBER_ITERATIONS,
  SAFETY_NUMBER_VERSION,
  KEY_SET_ID_DOMAIN,
  VERIFY_PAYLOAD_PREFIX
} from '../src/lib/crypto/safety-number';

const sha = (alg: 'sha256' | 'sha512', ...parts: Uint8Array[]) => {
  const h = createHash(alg);
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};
const key = (label: string) => bytesToHex(getXOnlyPublicKey(sha('sha256', Buffer.from(`veil-vectors/safety/${label}`))));

interface Keys { identity: string; eks: string[] }

/** §Inputs, §Fingerprint, §Digits — straight from the spec. */
function reference(p: Keys) {
  const eks = [...new Set(p.eks)].sort();
  const encoding = Buffer.concat([Buffer.from(p.identity, 'hex'), Buffer.from([eks.length]), ...eks.map((e) => Buffer.from(e, 'hex'))]);
  let h: Uint8Array = Buffer.concat([Buffer.from([SAFETY_NUMBER_VERSION >> 8, SAFETY_NUMBER_VERSION & 0xff]), Buffer.from(SAFETY_DOMAIN, 'ascii'), encoding]);
  for (let i = 0; i < SAFETY_NUMBER_ITERATIONS; i++) h = sha('sha512', h, encoding);
  const f = h.slice(0, 32);
  let digits = '';
  for (let j = 0; j < 6; j++) digits += String(Number(BigInt('0x' + bytesToHex(f.slice(5 * j, 5 * j + 5))) % 100000n)).padStart(5, '0');
  const id = bytesToHex(sha('sha256', Buffer.from(KEY_SET_ID_DOMAIN, 'ascii'), encoding));
  return { identity: p.identity, eks, encoding: bytesToHex(encoding), fingerprint: bytesToHex(f), digits, key_set_id: id };
}

const b64url = (b: Uint8Array) => Buffer.from(b).toString('base64url');

function check(what: string, got: string, want: string): void {
  if (got !== want) throw new Error(`${what}: the module gives ${got}, the spec ${want}`);
}

const people: Record<string, Keys> = {
  alice: { identity: key('alice/identity'), eks: [key('alice/ek')] },
  'alice-two-devices': { identity: key('alice/identity'), eks: [key('alice/ek-phone'), key('alice/ek'), key('alice/ek-phone')] },
  bob: { identity: key('bob/identity'), eks: [key('bob/ek')] },
  'bob-new-phone': { identity: key('bob/identity'), eks: [key('bob/ek-new')] },
  'carol-nip17': { identity: key('carol/identity'), eks: [] },
  'dave-16-devices': { identity: key('dave/identity'), eks: Array.from({ length: 16 }, (_, i) => key(`dave/ek-${i}`)) }
};

function main(): void {
  const parties = Object.fromEntries(
    Object.entries(people).map(([name, p]) => {
      const r = reference(p);
      const m = safetyParty(p);
      check(`${name} fingerprint`, bytesToHex(m.fingerprint), r.fingerprint);
      check(`${name} digits`, m.digits, r.digits);
      check(`${name} key-set id`, keySetId(p), r.key_set_id);
      return [name, { ...r, eks_given: p.eks }];
    })
  );
  const pairs: [string, string][] = [
    ['alice', 'bob'],
    ['alice-two-devices', 'bob'],
    ['alice', 'bob-new-phone'],
    ['alice', 'carol-nip17'],
    ['bob', 'dave-16-devices']
  ];
  const codes = pairs.map(([a, b]) => {
    const [pa, pb] = [parties[a]!, parties[b]!];
    const [lo, hi] = pa.identity < pb.identity ? [pa, pb] : [pb, pa];
    const code = lo.digits + hi.digits;
    check(`${a}/${b} code`, safetyNumber(safetyParty(people[a]!), safetyParty(people[b]!)), code);
    check(`${b}/${a} code`, safetyNumber(safetyParty(people[b]!), safetyParty(people[a]!)), code);
    const payload = (s: typeof pa, r: typeof pa) =>
      VERIFY_PAYLOAD_PREFIX + b64url(Buffer.concat([hexToBytes(s.identity), hexToBytes(s.fingerprint), hexToBytes(r.identity), hexToBytes(r.fingerprint)]));
    const ab = payload(pa, pb);
    const ba = payload(pb, pa);
    check(`${a}→${b} payload`, encodeVerifyPayload(safetyParty(people[a]!), safetyParty(people[b]!)), ab);
    return { a, b, code, formatted: code.match(/.{5}/g)!.join(' '), payload_a_to_b: ab, payload_b_to_a: ba };
  });
  const good = codes[0]!.payload_a_to_b;
  const body = good.slice(VERIFY_PAYLOAD_PREFIX.length);
  const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  // The last character carries 4 data bits and 2 bits that must be zero: set the lowest.
  const lastBits = body.slice(0, -1) + B64URL[B64URL.indexOf(body.at(-1)!) | 1]!;
  const invalid_payloads = [
    { name: 'wrong version', text: 'veil-verify:2:' + body },
    { name: 'no prefix', text: body },
    { name: 'upper-case prefix', text: 'VEIL-VERIFY:1:' + body },
    { name: 'one character short', text: good.slice(0, -1) },
    { name: 'one character long', text: good + 'A' },
    { name: 'padding', text: good + '=' },
    { name: 'standard base64 alphabet', text: VERIFY_PAYLOAD_PREFIX + body.slice(0, 10) + '+' + body.slice(11) },
    { name: 'non-canonical last character', text: VERIFY_PAYLOAD_PREFIX + lastBits },
    { name: 'space inside', text: good.slice(0, 40) + ' ' + good.slice(40) },
    { name: 'empty', text: '' }
  ];
  const invalid_digits = [
    { name: '59 digits', text: codes[0]!.code.slice(1) },
    { name: '61 digits', text: codes[0]!.code + '0' },
    { name: 'a letter', text: 'O' + codes[0]!.code.slice(1) },
    { name: 'arabic-indic digits', text: '٠'.repeat(60) }
  ];
  const out = {
    description:
      'Veil safety numbers (docs/proposals/0006-safety-numbers.md): per-party keySet encoding, fingerprint F (5200 rounds of SHA-512), 30 digits and key-set id; 60-digit codes (the same for both argument orders); QR payloads; inputs that must be refused. All hex lowercase; keys are test-only (x-only keys of sha256("veil-vectors/safety/<label>")). eks_given is the list before sorting and removing duplicates.',
    generator: 'scripts/gen-safety-number-vectors.ts',
    version: SAFETY_NUMBER_VERSION,
    iterations: SAFETY_NUMBER_ITERATIONS,
    domain: SAFETY_DOMAIN,
    key_set_id_domain: KEY_SET_ID_DOMAIN,
    payload_prefix: VERIFY_PAYLOAD_PREFIX,
    parties,
    codes,
    invalid_payloads,
    invalid_digits
  };
  const path = resolve(process.cwd(), 'tests/vectors/safety-number.json');
  writeFileSync(path, JSON.stringify(out, null, 2) + '\n');
  console.log(`wrote ${path}: ${Object.keys(parties).length} parties, ${codes.length} codes, ${invalid_payloads.length + invalid_digits.length} invalid inputs`);
}

main();
