/**
 * Encryption at rest (docs/design.md §1: a stolen disk learns "that the app is installed, encrypted
 * blobs, never keys or history in plaintext").
 *
 * Key hierarchy:
 * - vault master key M: 32 random bytes, made once, never stored in plain;
 * - M wrapped by (a) a passphrase key: PBKDF2-HMAC-SHA256 (WebCrypto), 600 000 iterations by
 *   default (OWASP 2023 figure; ~220 ms in Node 20 on the CI machine), AES-256-GCM wrap; and
 *   optionally (b) a non-extractable WebCrypto AES-GCM key kept in IndexedDB ("remember on this
 *   device", opt-in; see docs/storage.md for what it gives up);
 * - from M, by HKDF-SHA256 with distinct labels, two non-extractable working keys: the record key
 *   (AES-256-GCM for sealed fields) and the blind-index key (HMAC-SHA256 for ids that name people
 *   or appear on relays). M itself is wiped as soon as they exist.
 *
 * Sealed field = 0x01 ‖ nonce(12, random) ‖ AES-256-GCM(recordKey, nonce, plaintext, aad) with
 * aad = "veil/store/v1" ‖ 0 ‖ store ‖ 0 ‖ record key ‖ 0 ‖ field: a blob copied to another record
 * or field fails authentication.
 *
 * Only WebCrypto globals are used (Node 20, pages and service workers); no window.
 */
import { abytes, concatBytes, randomBytes, utf8Decode, utf8Encode, wipe, bytesToHex } from '../shared/bytes';
import { VeilError } from '../shared/errors';
import type { VaultDeviceRecord, VaultPassphraseRecord, Sealed } from './schema';

/** The interface the rest of the store encrypts through; `Vault` implements it. */
export interface AtRestCipher {
  encrypt(plain: Uint8Array, aad: Uint8Array): Promise<Uint8Array>;
  decrypt(ct: Uint8Array, aad: Uint8Array): Promise<Uint8Array>;
}

/** PBKDF2 iterations for new wraps (OWASP Password Storage Cheat Sheet, 2023, PBKDF2-HMAC-SHA256). */
export const DEFAULT_KDF_ITERATIONS = 600_000;
/** Below this a wrap is refused: it would make offline guessing of a stolen vault cheap. */
export const MIN_KDF_ITERATIONS = 100_000;
/** Above this an unlock is refused (KDF_TOO_COSTLY): a tampered record must not hang the app. */
export const MAX_KDF_ITERATIONS = 5_000_000;
/** Passphrase length bound, in UTF-16 code units after NFKC. */
export const MAX_PASSPHRASE_LENGTH = 1024;
/** Largest plaintext sealed into one field. Bodies are bounded well below by the sync layer. */
export const MAX_SEALED_PLAINTEXT = 1 << 20;

const SEAL_VERSION = 0x01;
const NONCE_LEN = 12;
const TAG_LEN = 16;
const KEY_LEN = 32;
const enc = (s: string): Uint8Array<ArrayBuffer> => utf8Encode(s);
const buf = (b: Uint8Array): Uint8Array<ArrayBuffer> => b as Uint8Array<ArrayBuffer>;

/**
 * NFKC-normalizes and bounds a passphrase (as NIP-49 does), so the same words typed on two
 * keyboards give the same key. Empty passphrases are refused.
 */
export function normalizePassphrase(passphrase: string): Uint8Array<ArrayBuffer> {
  if (typeof passphrase !== 'string') throw new VeilError('INVALID_INPUT', 'passphrase must be a string');
  const n = passphrase.normalize('NFKC');
  if (n.length === 0) throw new VeilError('INVALID_INPUT', 'passphrase must not be empty');
  if (n.length > MAX_PASSPHRASE_LENGTH) throw new VeilError('TOO_LARGE', 'passphrase too long');
  return enc(n);
}

function wrapAad(rec: { id: string; iterations?: number; salt?: Uint8Array }): Uint8Array<ArrayBuffer> {
  // Binds the wrap to its kind and KDF parameters.
  return enc(
    rec.id === 'passphrase'
      ? `veil/vault/v1\0passphrase\0PBKDF2-SHA256\0${rec.iterations}\0${bytesToHex(rec.salt ?? new Uint8Array(0))}`
      : 'veil/vault/v1\0device'
  );
}

async function passphraseKek(passphrase: string, salt: Uint8Array, iterations: number): Promise<CryptoKey> {
  const pw = normalizePassphrase(passphrase);
  try {
    const base = await crypto.subtle.importKey('raw', pw, 'PBKDF2', false, ['deriveKey']);
    return await crypto.subtle.deriveKey(
      { name: 'PBKDF2', hash: 'SHA-256', salt: buf(salt), iterations },
      base,
      { name: 'AES-GCM', length: 256 },
      false,
      ['encrypt', 'decrypt']
    );
  } finally {
    wipe(pw);
  }
}

/** Makes a fresh 32-byte vault master key from the CSPRNG. The caller wipes it after wrapping. */
export function newMasterKey(): Uint8Array<ArrayBuffer> {
  return randomBytes(KEY_LEN);
}

/** Wraps the master key under a passphrase: the 'passphrase' vault record. */
export async function wrapWithPassphrase(
  master: Uint8Array,
  passphrase: string,
  iterations: number = DEFAULT_KDF_ITERATIONS,
  now: number = Date.now()
): Promise<VaultPassphraseRecord> {
  abytes(master, KEY_LEN, 'vault key');
  if (!Number.isSafeInteger(iterations) || iterations < MIN_KDF_ITERATIONS || iterations > MAX_KDF_ITERATIONS)
    throw new VeilError('INVALID_INPUT', 'KDF iterations out of range');
  const salt = randomBytes(16);
  const nonce = randomBytes(NONCE_LEN);
  const kek = await passphraseKek(passphrase, salt, iterations);
  const aad = wrapAad({ id: 'passphrase', iterations, salt });
  const wrapped = new Uint8Array(
    await crypto.subtle.encrypt({ name: 'AES-GCM', iv: nonce, additionalData: aad }, kek, buf(master))
  );
  return { id: 'passphrase', kdf: 'PBKDF2-SHA256', iterations, salt, nonce, wrapped, createdAt: now, updatedAt: now };
}

/**
 * Unwraps the master key with a passphrase. A wrong passphrase (or a damaged record) fails the
 * GCM tag: WRONG_PASSPHRASE, with no lockout and nothing written.
 */
export async function unwrapWithPassphrase(rec: VaultPassphraseRecord, passphrase: string): Promise<Uint8Array<ArrayBuffer>> {
  if (rec.kdf !== 'PBKDF2-SHA256') throw new VeilError('STORAGE_FAILED', 'unknown vault KDF');
  if (!Number.isSafeInteger(rec.iterations) || rec.iterations < 1) throw new VeilError('WRONG_PASSPHRASE', 'wrong passphrase');
  if (rec.iterations > MAX_KDF_ITERATIONS) throw new VeilError('KDF_TOO_COSTLY', 'vault KDF cost too high');
  const kek = await passphraseKek(passphrase, rec.salt, rec.iterations);
  try {
    const pt = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: buf(rec.nonce), additionalData: wrapAad(rec) },
      kek,
      buf(rec.wrapped)
    );
    const out = new Uint8Array(pt);
    if (out.length !== KEY_LEN) throw new Error('bad length');
    return out;
  } catch (cause) {
    throw new VeilError('WRONG_PASSPHRASE', 'wrong passphrase', { cause });
  }
}

/**
 * Wraps the master key under a fresh non-extractable AES key meant to be stored in IndexedDB
 * (structured clone keeps a CryptoKey; JS can use it but never read its bytes).
 */
export async function wrapWithDevice(master: Uint8Array, now: number = Date.now()): Promise<VaultDeviceRecord> {
  abytes(master, KEY_LEN, 'vault key');
  const deviceKey = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
  const nonce = randomBytes(NONCE_LEN);
  const wrapped = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv: nonce, additionalData: wrapAad({ id: 'device' }) },
      deviceKey,
      buf(master)
    )
  );
  return { id: 'device', deviceKey, nonce, wrapped, createdAt: now };
}

/** Unwraps the master key with the device key. Failure (another browser profile, damage): DECRYPT_FAILED. */
export async function unwrapWithDevice(rec: VaultDeviceRecord): Promise<Uint8Array<ArrayBuffer>> {
  try {
    const pt = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: buf(rec.nonce), additionalData: wrapAad({ id: 'device' }) },
      rec.deviceKey,
      buf(rec.wrapped)
    );
    const out = new Uint8Array(pt);
    if (out.length !== KEY_LEN) throw new Error('bad length');
    return out;
  } catch (cause) {
    throw new VeilError('DECRYPT_FAILED', 'device unlock failed', { cause });
  }
}

/** AAD of one sealed field: store, record key and field name. */
export function fieldAad(store: string, key: string, field: string): Uint8Array<ArrayBuffer> {
  return enc(`veil/store/v1\0${store}\0${key}\0${field}`);
}

/**
 * The unlocked vault: holds the two working keys in memory and nothing else. Every method throws
 * VAULT_LOCKED while locked. `lock()` drops the keys (CryptoKeys cannot be zeroed from JS; they are
 * non-extractable and unreachable once dropped).
 */
export class Vault implements AtRestCipher {
  #recordKey: CryptoKey | null = null;
  #indexKey: CryptoKey | null = null;

  /** True until `load` succeeds, and again after `lock`. */
  get locked(): boolean {
    return this.#recordKey === null;
  }

  /** Derives the working keys from the master key, then wipes the master key bytes. */
  async load(master: Uint8Array): Promise<void> {
    try {
      abytes(master, KEY_LEN, 'vault key');
      const ikm = await crypto.subtle.importKey('raw', buf(master), 'HKDF', false, ['deriveKey']);
      const hkdf = (info: string) => ({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: enc(info) });
      const recordKey = await crypto.subtle.deriveKey(hkdf('veil/store/v1/record'), ikm, { name: 'AES-GCM', length: 256 }, false, [
        'encrypt',
        'decrypt'
      ]);
      const indexKey = await crypto.subtle.deriveKey(
        hkdf('veil/store/v1/blind-index'),
        ikm,
        { name: 'HMAC', hash: 'SHA-256', length: 256 },
        false,
        ['sign']
      );
      this.#recordKey = recordKey;
      this.#indexKey = indexKey;
    } finally {
      wipe(master);
    }
  }

  /** Forgets the working keys. Idempotent. */
  lock(): void {
    this.#recordKey = null;
    this.#indexKey = null;
  }

  #key(): CryptoKey {
    if (!this.#recordKey) throw new VeilError('VAULT_LOCKED', 'vault is locked');
    return this.#recordKey;
  }

  /** AtRestCipher: 0x01 ‖ random nonce ‖ AES-256-GCM(plain, aad). */
  async encrypt(plain: Uint8Array, aad: Uint8Array): Promise<Uint8Array> {
    abytes(plain, undefined, 'plaintext');
    abytes(aad, undefined, 'aad');
    if (plain.length > MAX_SEALED_PLAINTEXT) throw new VeilError('TOO_LARGE', 'record too large');
    const key = this.#key();
    const nonce = randomBytes(NONCE_LEN);
    const ct = await crypto.subtle.encrypt({ name: 'AES-GCM', iv: nonce, additionalData: buf(aad) }, key, buf(plain));
    return concatBytes(Uint8Array.of(SEAL_VERSION), nonce, new Uint8Array(ct));
  }

  /** AtRestCipher: authenticates then decrypts; any failure is DECRYPT_FAILED. */
  async decrypt(ct: Uint8Array, aad: Uint8Array): Promise<Uint8Array> {
    abytes(aad, undefined, 'aad');
    const key = this.#key();
    if (!(ct instanceof Uint8Array) || ct.length < 1 + NONCE_LEN + TAG_LEN || ct[0] !== SEAL_VERSION)
      throw new VeilError('DECRYPT_FAILED', 'decryption failed');
    try {
      const pt = await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: ct.slice(1, 1 + NONCE_LEN), additionalData: buf(aad) },
        key,
        ct.slice(1 + NONCE_LEN)
      );
      return new Uint8Array(pt);
    } catch (cause) {
      throw new VeilError('DECRYPT_FAILED', 'decryption failed', { cause });
    }
  }

  /** Seals a JSON value into one field of one record. */
  async seal(store: string, key: string, field: string, value: unknown): Promise<Sealed> {
    const plain = enc(JSON.stringify(value));
    try {
      return await this.encrypt(plain, fieldAad(store, key, field));
    } finally {
      wipe(plain);
    }
  }

  /** Opens a sealed field back into its JSON value. The caller validates the shape. */
  async open<T>(store: string, key: string, field: string, blob: Sealed): Promise<T> {
    const plain = await this.decrypt(blob, fieldAad(store, key, field));
    try {
      return JSON.parse(utf8Decode(plain)) as T;
    } catch (cause) {
      throw new VeilError('DECRYPT_FAILED', 'decryption failed', { cause });
    } finally {
      wipe(plain);
    }
  }

  /**
   * Blind index: hex of the first 16 bytes of HMAC-SHA256(indexKey, domain ‖ 0 ‖ value). Lets the
   * store find a contact or dedupe an envelope id without writing the pubkey or id to disk.
   */
  async blind(domain: string, value: string): Promise<string> {
    return bytesToHex((await this.#mac(domain, value)).subarray(0, 16));
  }

  /**
   * A 64-hex id only this vault can make (the whole HMAC-SHA256 under the blind-index key, in its
   * own domain): for ids Veil makes itself, such as system lines, that must not be derivable from
   * anything public (a thief holding the disk cannot recompute them from relay data).
   */
  async localId(domain: string, value: string): Promise<string> {
    return bytesToHex(await this.#mac(`veil/local-id\0${domain}`, value));
  }

  async #mac(domain: string, value: string): Promise<Uint8Array> {
    if (!this.#indexKey) throw new VeilError('VAULT_LOCKED', 'vault is locked');
    return new Uint8Array(await crypto.subtle.sign('HMAC', this.#indexKey, enc(`${domain}\0${value}`)));
  }
}
