/**
 * Writes tests/vectors/relay-url-v1.json: how relay URLs normalize (docs/proposals/0003-mailboxes.md
 * §Relay URL) and the mailboxes each one gives for one fixed key pair and day. A sender and a reader
 * who spell a relay differently must still derive the same mailbox, so every input that normalizes
 * to the same URL must give the same mailboxes, byte for byte, in every implementation.
 * Keys are derived from labels with SHA-256: running this again writes the same file.
 * Run: npx tsx scripts/gen-relay-url-vectors.ts
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8Encode } from '../src/lib/shared/bytes';
import { isVeilError } from '../src/lib/shared/errors';
import { normalizeRelayUrl } from '../src/lib/shared/relay-url';
import { getXOnlyPublicKey } from '../src/lib/crypto/keys';
import { derivePairKey, epochDay, introMailbox, pairMailbox, selfMailbox } from '../src/lib/crypto/mailbox';

const secret = (label: string) => sha256(utf8Encode(`veil-vectors/relay-url-v1/${label}`));
const DAY = epochDay(1_767_225_600); // 2026-01-01

const VALID = [
  'wss://relay.example.com',
  'WSS://Relay.Example.COM/',
  '  wss://relay.example.com:443/  ',
  '\twss://relay.example.com//\n',
  'wss://relay.example.com:0443',
  'wss://relay.example.com/#fragment',
  'wss://relay.example.com?',
  'wss://relay.example.com/?key=Value&x=1',
  'wss://relay.example.com:80',
  'ws://127.0.0.1:80/',
  'ws://127.0.0.1:7777',
  'ws://localhost:443',
  'wss://0x7f.1/',
  'ws://[::1]:7777/',
  'ws://[0:0:0:0:0:0:0:1]:7777',
  'wss://nos.example.org/inbox/',
  'wss://nos.example.org/Inbox',
  'wss://nos.example.org/a/../inbox',
  'wss://nos.example.org/a%2fb/',
  'wss://nos.example.org/caf\u00e9%20bar',
  'wss://bücher.example/',
  'wss://relay.example.com./'
];

const INVALID = [
  'https://relay.example.com',
  'relay.example.com',
  'wss:relay.example.com',
  'wss:\\\\relay.example.com',
  'wss://user@relay.example.com',
  'wss://user:pw@relay.example.com',
  'wss://relay.exa\nmple.com',
  'wss://relay.example.com/a b',
  'wss://',
  'wss://relay.example.com:99999',
  '',
  '   ',
  `wss://${'a'.repeat(60)}.${'b'.repeat(60)}.example/${'c'.repeat(500)}`
];

const a = secret('a/ek');
const b = secret('b/ek');
const A = getXOnlyPublicKey(a);
const B = getXOnlyPublicKey(b);
const pairAB = derivePairKey(a, B);

function place(url: string): string {
  const u = utf8Encode(url);
  const out = new Uint8Array(6 + u.length);
  new DataView(out.buffer).setUint32(0, DAY);
  new DataView(out.buffer).setUint16(4, u.length);
  out.set(u, 6);
  return bytesToHex(out);
}

const file = {
  description:
    'Veil relay-URL normalization (docs/proposals/0003-mailboxes.md §Relay URL) and the mailboxes of each input for fixed keys and day. ' +
    'Mailboxes are computed from the raw input: they must equal those of the normalized URL. All secrets are test-only.',
  generator: 'scripts/gen-relay-url-vectors.ts',
  day: DAY,
  keys: { a_ek_secret: bytesToHex(a), a_ek: bytesToHex(A), b_ek_secret: bytesToHex(b), b_ek: bytesToHex(B) },
  valid: VALID.map((input) => {
    const normalized = normalizeRelayUrl(input);
    return {
      input,
      normalized,
      place: place(normalized),
      mailboxes: {
        pair_a_to_b: pairMailbox(pairAB, A, B, input, DAY),
        intro_b_k0: introMailbox(B, input, DAY, 0),
        intro_b_k8: introMailbox(B, input, DAY, 8),
        self_a: selfMailbox(a, input, DAY)
      }
    };
  }),
  invalid: INVALID.map((input) => {
    try {
      normalizeRelayUrl(input);
    } catch (e) {
      if (isVeilError(e, 'RELAY_URL_INVALID')) return { input, error: 'RELAY_URL_INVALID' };
      throw e;
    }
    throw new Error(`accepted: ${JSON.stringify(input)}`);
  })
};

writeFileSync(resolve(import.meta.dirname, '../tests/vectors/relay-url-v1.json'), JSON.stringify(file, null, 2) + '\n');
