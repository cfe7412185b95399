/**
 * NIP-49 `ncryptsec`: the identity key at rest (docs/design.md §2), encrypted under a passphrase with
 * scrypt (r = 8, p = 1, N = 2^log_n) and XChaCha20-Poly1305, the key-security byte as AAD.
 *
 * Layout (NIP-49 "Encryption"): version 0x02 ‖ log_n ‖ salt(16) ‖ nonce(24) ‖ ksb(1) ‖ ciphertext(32+16),
 * bech32 with HRP "ncryptsec". scrypt runs asynchronously (`scryptAsync`, yielding every
 * `asyncTick` ms) so the page stays responsive, and the cost an untrusted ncryptsec may ask for is
 * capped: scrypt needs 128·r·N = 2^(log_n + 10) bytes of memory (log_n 16 = 64 MiB, 18 = 256 MiB,
 * 20 = 1 GiB, 22 = 4 GiB), so a hostile log_n of 30+ would freeze the tab or exhaust memory.
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { concatBytes, randomBytes, utf8Encode, wipe } from '../shared/bytes';
import { VeilError } from '../shared/errors';
import { bech32Decode, bech32Encode } from './bech32';
import { assertSecretKey } from './keys';

/**
 * Default cap on log_n when decrypting: 2^20 · 1 KiB = 1 GiB of scrypt memory. Measured with the
 * async KDF in Node on a busy 2-core box: log_n 16 ≈ 1 s, 18 ≈ 3.8 s, so 20 ≈ 15 s. A phone may
 * prefer `maxLogN: 18` (256 MiB); nothing above 20 is ever accepted by default.
 */
export const DEFAULT_MAX_LOG_N = 20;
/** Default log_n when encrypting: 64 MiB, about 1 s with the async KDF (NIP-49's own example value). */
export const DEFAULT_LOG_N = 16;
/**
 * Smallest log_n decrypt and encrypt accept at all (NIP-49 allows any; other clients' ncryptsecs are
 * read as they are). Far too cheap to keep: see MIN_STORED_LOG_N.
 */
export const MIN_LOG_N = 1;
/**
 * Smallest log_n of an ncryptsec Veil keeps or hands out (issue 11): anything cheaper, e.g. an
 * imported log_n 1, is re-encrypted at DEFAULT_LOG_N before it is stored or exported again.
 */
export const MIN_STORED_LOG_N = 16;

/** True when an ncryptsec must be re-encrypted before Veil stores or exports it (log_n below MIN_STORED_LOG_N). */
export function needsReencryption(ncryptsec: string): boolean {
  return inspectNcryptsec(ncryptsec).logN < MIN_STORED_LOG_N;
}
const NCRYPTSEC_LEN = 162; // "ncryptsec1" + ceil(91·8/5) + 6
const DATA_LEN = 91;

/**
 * NIP-49 key security byte: 0x00 the key is known to have been handled insecurely (e.g. pasted
 * unencrypted), 0x01 it is not known to have been, 0x02 the client does not track this.
 */
export type KeySecurity = 0 | 1 | 2;

/** scrypt memory in bytes for a given log_n (r = 8): 128 · 8 · 2^log_n. */
export function scryptMemoryBytes(logN: number): number {
  return 1024 * 2 ** logN;
}

export interface Nip49Options {
  /** scrypt cost exponent (encrypt). Default 16. */
  logN?: number;
  /** Key security byte (encrypt). Default 0x02 (not tracked). */
  keySecurity?: KeySecurity;
  /** Highest log_n decrypt accepts before throwing KDF_TOO_COSTLY. Default 20 (1 GiB). */
  maxLogN?: number;
  /** Longest the KDF may block the event loop between yields, in ms. Default 10. */
  asyncTick?: number;
  /** Progress 0..1, for a progress bar. */
  onProgress?: (p: number) => void;
}

async function deriveKey(passphrase: string, salt: Uint8Array, logN: number, opts: Nip49Options): Promise<Uint8Array> {
  if (typeof passphrase !== 'string') throw new VeilError('INVALID_INPUT', 'passphrase must be a string');
  if (passphrase.length > 1024) throw new VeilError('TOO_LARGE', 'passphrase is too long');
  // NIP-49: "the password … should be unicode normalized to NFKC format".
  const pw = utf8Encode(passphrase.normalize('NFKC'));
  try {
    return await scryptAsync(pw, salt, {
      N: 2 ** logN,
      r: 8,
      p: 1,
      dkLen: 32,
      asyncTick: opts.asyncTick ?? 10,
      maxmem: 1024 * (2 ** logN + 2),
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {})
    });
  } finally {
    wipe(pw);
  }
}

function checkLogN(logN: number, max: number): void {
  if (!Number.isInteger(logN) || logN < MIN_LOG_N) throw new VeilError('INVALID_KEY', 'ncryptsec: invalid log_n');
  if (logN > max)
    throw new VeilError('KDF_TOO_COSTLY', `ncryptsec asks for scrypt log_n ${logN} (${scryptMemoryBytes(logN) / 2 ** 20} MiB); the limit is ${max}`);
}

/** Encrypts a 32-byte secret key to an `ncryptsec1…` string (NIP-49 "Encryption"). */
export async function encryptNcryptsec(secretKey: Uint8Array, passphrase: string, opts: Nip49Options = {}): Promise<string> {
  assertSecretKey(secretKey);
  const logN = opts.logN ?? DEFAULT_LOG_N;
  if (!Number.isInteger(logN) || logN < MIN_LOG_N || logN > 22) throw new VeilError('INVALID_INPUT', 'log_n must be 1..22');
  const ksb = opts.keySecurity ?? 2;
  if (ksb !== 0 && ksb !== 1 && ksb !== 2) throw new VeilError('INVALID_INPUT', 'key security byte must be 0, 1 or 2');
  const salt = randomBytes(16);
  const nonce = randomBytes(24);
  const aad = Uint8Array.of(ksb);
  const key = await deriveKey(passphrase, salt, logN, opts);
  try {
    const ct = xchacha20poly1305(key, nonce, aad).encrypt(secretKey);
    return bech32Encode('ncryptsec', concatBytes(Uint8Array.of(0x02, logN), salt, nonce, aad, ct));
  } finally {
    wipe(key);
  }
}

/** The parameters of an ncryptsec, read without running the KDF (to show "this will take ~N s"). */
export function inspectNcryptsec(ncryptsec: string): { logN: number; keySecurity: KeySecurity; memoryBytes: number } {
  const b = decodeData(ncryptsec);
  return { logN: b[1]!, keySecurity: b[42] as KeySecurity, memoryBytes: scryptMemoryBytes(b[1]!) };
}

function decodeData(ncryptsec: string): Uint8Array {
  if (typeof ncryptsec !== 'string') throw new VeilError('INVALID_KEY', 'ncryptsec must be a string');
  const s = ncryptsec.trim();
  if (s.length !== NCRYPTSEC_LEN) throw new VeilError('INVALID_KEY', 'ncryptsec has the wrong length');
  let d: { hrp: string; bytes: Uint8Array };
  try {
    d = bech32Decode(s, NCRYPTSEC_LEN);
  } catch (cause) {
    throw new VeilError('INVALID_KEY', 'ncryptsec is malformed (checksum or characters)', { cause });
  }
  if (d.hrp !== 'ncryptsec') throw new VeilError('INVALID_KEY', 'not an ncryptsec');
  const b = d.bytes;
  if (b.length !== DATA_LEN) throw new VeilError('INVALID_KEY', 'ncryptsec has the wrong length');
  if (b[0] !== 0x02) throw new VeilError('INVALID_KEY', 'unsupported ncryptsec version');
  const ksb = b[42]!;
  if (ksb > 2) throw new VeilError('INVALID_KEY', 'ncryptsec has an unknown key security byte');
  if (b[1]! < MIN_LOG_N) throw new VeilError('INVALID_KEY', 'ncryptsec: invalid log_n');
  return b;
}

/**
 * Decrypts an ncryptsec (NIP-49 "Decryption"). Errors: INVALID_KEY (malformed, or the result is not
 * a valid secret key), KDF_TOO_COSTLY (log_n above `maxLogN`, checked before any work),
 * WRONG_PASSPHRASE (authentication failed; the bech32 checksum has ruled out corruption).
 * Returns the 32-byte secret key; `inspectNcryptsec` gives log_n and the key security byte.
 */
export async function decryptNcryptsec(
  ncryptsec: string,
  passphrase: string,
  opts: Nip49Options = {}
): Promise<Uint8Array> {
  const b = decodeData(ncryptsec);
  const logN = b[1]!;
  checkLogN(logN, opts.maxLogN ?? DEFAULT_MAX_LOG_N);
  const salt = b.subarray(2, 18);
  const nonce = b.subarray(18, 42);
  const aad = b.subarray(42, 43);
  const ct = b.subarray(43);
  const key = await deriveKey(passphrase, salt, logN, opts);
  let sk: Uint8Array;
  try {
    sk = xchacha20poly1305(key, nonce, aad).decrypt(ct);
  } catch (cause) {
    throw new VeilError('WRONG_PASSPHRASE', 'wrong passphrase', { cause });
  } finally {
    wipe(key);
  }
  try {
    assertSecretKey(sk);
  } catch (cause) {
    wipe(sk);
    throw new VeilError('INVALID_KEY', 'ncryptsec does not hold a valid secret key', { cause });
  }
  return sk;
}
