/**
 * The Veil backup file, format v1 (docs/proposals/0007-backup.md): one file sealed under a passphrase.
 * Pure functions over bytes (no I/O): the sync layer reads the store and the file, this only seals and opens.
 *
 *   header (73 bytes) = "VEILBKUP" ‖ version 0x01 ‖ kdf 0x01 (scrypt) ‖ log_n ‖ r ‖ p ‖ aead 0x01 (AES-256-GCM)
 *                       ‖ chunk_size u32be ‖ salt(16) ‖ nonce_prefix(7) ‖ check(32)
 *   M = scrypt(NFKC(passphrase), salt, N = 2^log_n, r, p, dkLen 64);  key = M[0..32],  check = M[32..64]
 *   body = chunk_0 ‖ … ‖ chunk_last,  chunk_i = AES-256-GCM(key, nonce_prefix ‖ u32be(i) ‖ last?1:0, AAD = header)
 *
 * Every chunk but the last holds exactly chunk_size plaintext bytes; the last holds 0..chunk_size and its nonce
 * ends in 0x01 (the STREAM construction, Hoang et al. 2015), so a file cut at a chunk boundary, chunks swapped or
 * dropped, or any header byte changed fails to open. `check` says "wrong passphrase" apart from "damaged file"
 * (it is no better an oracle than the first tag) and commits the file to one key. The KDF cost an untrusted
 * header may ask for is bounded (MAX_BACKUP_KDF_MEMORY, MAX_BACKUP_KDF_COST) before scrypt runs.
 */
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { concatBytes, equalBytes, randomBytes, utf8Encode, wipe } from '../shared/bytes';
import { VeilError, userError } from '../shared/errors';
import { aesGcmDecrypt, aesGcmEncrypt } from './aes';

export const BACKUP_MAGIC = utf8Encode('VEILBKUP');
export const BACKUP_VERSION = 1;
export const BACKUP_HEADER_LEN = 73;
const TAG_LEN = 16;
/** scrypt log_n Veil writes: 2^17 · 1 KiB = 128 MiB, about 1–2 s in a browser (figures in the proposal). */
export const DEFAULT_BACKUP_LOG_N = 17;
export const DEFAULT_BACKUP_R = 8;
export const DEFAULT_BACKUP_P = 1;
/** Plaintext bytes per chunk Veil writes (64 KiB). Readers accept 16 B .. 1 MiB. */
export const DEFAULT_CHUNK_SIZE = 65_536;
export const MIN_CHUNK_SIZE = 16;
export const MAX_CHUNK_SIZE = 1 << 20;
/** Largest scrypt memory (128 · r · N) a file may ask for: 256 MiB (log_n 18 at r = 8). */
export const MAX_BACKUP_KDF_MEMORY = 2 ** 28;
/** Largest scrypt work (N · r · p) a file may ask for: twice what Veil writes. */
export const MAX_BACKUP_KDF_COST = 2 ** 21;
const MAX_PASSPHRASE_CHARS = 1024;

export interface BackupParams {
  logN: number;
  r: number;
  p: number;
  chunkSize: number;
}

export interface BackupHeader extends BackupParams {
  salt: Uint8Array;
  noncePrefix: Uint8Array;
  check: Uint8Array;
  /** The 73 header bytes, the AAD of every chunk. */
  bytes: Uint8Array;
}

export interface SealOptions extends Partial<BackupParams> {
  /** Fixed salt (16) and nonce prefix (7) for test vectors only; random otherwise. */
  salt?: Uint8Array;
  noncePrefix?: Uint8Array;
  onProgress?: (p: number) => void;
}

const notBackup = () => userError('INVALID_INPUT', 'This file is not a Veil backup.', { key: 'err_backup_not_veil' });
const damaged = (cause?: unknown) =>
  userError('DECRYPT_FAILED', 'This backup is damaged or incomplete (changed or cut short). Nothing was restored.', { cause, key: 'err_backup_damaged' });

function checkParams(x: BackupParams): void {
  const { logN, r, p, chunkSize } = x;
  if (![logN, r, p, chunkSize].every(Number.isSafeInteger) || logN < 1 || logN > 40 || r < 1 || p < 1) throw notBackup();
  if (128 * r * 2 ** logN > MAX_BACKUP_KDF_MEMORY || 2 ** logN * r * p > MAX_BACKUP_KDF_COST)
    throw userError('KDF_TOO_COSTLY', 'This backup asks for more memory or time to open than Veil allows. Veil does not write such files: it was changed or made elsewhere.', { key: 'err_backup_too_costly' });
  if (chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE) throw notBackup();
}

/** Parses and bounds a header; INVALID_INPUT (not a backup, another version), KDF_TOO_COSTLY. */
export function parseBackupHeader(bytes: Uint8Array): BackupHeader {
  if (!(bytes instanceof Uint8Array) || bytes.length < BACKUP_HEADER_LEN || !equalBytes(bytes.subarray(0, 8), BACKUP_MAGIC)) throw notBackup();
  if (bytes[8] !== BACKUP_VERSION || bytes[9] !== 1 || bytes[13] !== 1)
    throw userError('INVALID_INPUT', 'This backup was made by another version of Veil and cannot be read here.', { key: 'err_backup_version' });
  const h = bytes.slice(0, BACKUP_HEADER_LEN);
  const view = new DataView(h.buffer);
  const params = { logN: h[10]!, r: h[11]!, p: h[12]!, chunkSize: view.getUint32(14) };
  checkParams(params);
  return { ...params, salt: h.slice(18, 34), noncePrefix: h.slice(34, 41), check: h.slice(41, 73), bytes: h };
}

async function deriveKeys(passphrase: string, salt: Uint8Array, x: BackupParams, onProgress?: (p: number) => void): Promise<Uint8Array> {
  if (typeof passphrase !== 'string' || passphrase.length === 0) throw userError('WRONG_PASSPHRASE', 'Enter the passphrase of this backup.', { key: 'err_backup_enter_passphrase' });
  if (passphrase.length > MAX_PASSPHRASE_CHARS) throw new VeilError('TOO_LARGE', 'passphrase is too long');
  const pw = utf8Encode(passphrase.normalize('NFKC'));
  try {
    return await scryptAsync(pw, salt, {
      N: 2 ** x.logN,
      r: x.r,
      p: x.p,
      dkLen: 64,
      asyncTick: 10,
      maxmem: 128 * x.r * 2 ** x.logN + 4096,
      ...(onProgress ? { onProgress } : {})
    });
  } finally {
    wipe(pw);
  }
}

function chunkNonce(prefix: Uint8Array, index: number, last: boolean): Uint8Array {
  const n = new Uint8Array(12);
  n.set(prefix, 0);
  new DataView(n.buffer).setUint32(7, index);
  n[11] = last ? 1 : 0;
  return n;
}

/** Seals a backup chunk by chunk: `write` returns the chunks it completed, `finish` the last one. One use only. */
export class BackupWriter {
  readonly header: Uint8Array;
  readonly #key: Uint8Array;
  readonly #prefix: Uint8Array;
  readonly #chunkSize: number;
  #pending: Uint8Array[] = [];
  #pendingLen = 0;
  #index = 0;
  #done = false;

  private constructor(header: Uint8Array, key: Uint8Array, prefix: Uint8Array, chunkSize: number) {
    this.header = header;
    this.#key = key;
    this.#prefix = prefix;
    this.#chunkSize = chunkSize;
  }

  /** Derives the key (scrypt) and builds the header. INVALID_INPUT for out-of-range options. */
  static async create(passphrase: string, opts: SealOptions = {}): Promise<BackupWriter> {
    const params: BackupParams = {
      logN: opts.logN ?? DEFAULT_BACKUP_LOG_N,
      r: opts.r ?? DEFAULT_BACKUP_R,
      p: opts.p ?? DEFAULT_BACKUP_P,
      chunkSize: opts.chunkSize ?? DEFAULT_CHUNK_SIZE
    };
    if (params.logN > 255 || params.r > 255 || params.p > 255) throw new VeilError('INVALID_INPUT', 'scrypt parameter out of range');
    checkParams(params);
    const salt = opts.salt ?? randomBytes(16);
    const prefix = opts.noncePrefix ?? randomBytes(7);
    if (salt.length !== 16 || prefix.length !== 7) throw new VeilError('INVALID_INPUT', 'salt must be 16 bytes, nonce prefix 7');
    const m = await deriveKeys(passphrase, salt, params, opts.onProgress);
    const head = new Uint8Array(18);
    head.set(BACKUP_MAGIC, 0);
    head.set([BACKUP_VERSION, 1, params.logN, params.r, params.p, 1], 8);
    new DataView(head.buffer).setUint32(14, params.chunkSize);
    const header = concatBytes(head, salt, prefix, m.subarray(32, 64));
    const key = m.slice(0, 32);
    wipe(m);
    return new BackupWriter(header, key, prefix, params.chunkSize);
  }

  async #seal(plain: Uint8Array, last: boolean): Promise<Uint8Array> {
    const out = await aesGcmEncrypt(this.#key, chunkNonce(this.#prefix, this.#index, last), plain, this.header);
    this.#index++;
    return out;
  }

  #take(n: number): Uint8Array {
    const all = concatBytes(...this.#pending);
    const head = all.slice(0, n);
    const rest = all.slice(n);
    this.#pending = rest.length ? [rest] : [];
    this.#pendingLen = rest.length;
    wipe(all);
    return head;
  }

  /** Adds plaintext; returns the sealed chunks now complete (a full chunk goes out only once more follows it). */
  async write(data: Uint8Array): Promise<Uint8Array[]> {
    if (this.#done) throw new VeilError('INTERNAL', 'backup writer already finished');
    this.#pending.push(data.slice());
    this.#pendingLen += data.length;
    const out: Uint8Array[] = [];
    while (this.#pendingLen > this.#chunkSize) {
      const plain = this.#take(this.#chunkSize);
      out.push(await this.#seal(plain, false));
      wipe(plain);
    }
    return out;
  }

  /** Seals what is left as the last chunk and wipes the key. */
  async finish(): Promise<Uint8Array> {
    if (this.#done) throw new VeilError('INTERNAL', 'backup writer already finished');
    const plain = this.#take(this.#pendingLen);
    try {
      return await this.#seal(plain, true);
    } finally {
      this.#done = true;
      wipe(plain, this.#key);
    }
  }
}

/** Where chunk `index` lies in a file of `fileLength` bytes. */
export interface ChunkRange {
  index: number;
  start: number;
  end: number;
  last: boolean;
}

/** Opens a backup chunk by chunk, after the header and passphrase were checked. */
export class BackupReader {
  readonly header: BackupHeader;
  readonly #key: Uint8Array;

  private constructor(header: BackupHeader, key: Uint8Array) {
    this.header = header;
    this.#key = key;
  }

  /** Parses the header, runs the KDF, compares `check`: WRONG_PASSPHRASE before a single chunk is touched. */
  static async open(headerBytes: Uint8Array, passphrase: string, onProgress?: (p: number) => void): Promise<BackupReader> {
    const header = parseBackupHeader(headerBytes);
    const m = await deriveKeys(passphrase, header.salt, header, onProgress);
    try {
      if (!equalBytes(m.subarray(32, 64), header.check))
        throw userError('WRONG_PASSPHRASE', 'That is not the passphrase of this backup. Nothing was changed: try again.', { key: 'err_backup_wrong_passphrase' });
      return new BackupReader(header, m.slice(0, 32));
    } finally {
      wipe(m);
    }
  }

  /** The chunks of a file of this length; DECRYPT_FAILED (damaged) when no layout fits. */
  ranges(fileLength: number): ChunkRange[] {
    const full = this.header.chunkSize + TAG_LEN;
    const body = fileLength - BACKUP_HEADER_LEN;
    if (!Number.isSafeInteger(body) || body < TAG_LEN) throw damaged();
    const count = Math.ceil(body / full);
    if (count > 0xffffffff) throw damaged();
    const out: ChunkRange[] = [];
    for (let i = 0; i < count; i++) {
      const start = BACKUP_HEADER_LEN + i * full;
      out.push({ index: i, start, end: Math.min(start + full, fileLength), last: i === count - 1 });
    }
    if (out[count - 1]!.end - out[count - 1]!.start < TAG_LEN) throw damaged();
    return out;
  }

  /** Opens one chunk (its bytes as `ranges` placed them); DECRYPT_FAILED with a sentence when it was changed. */
  async openChunk(range: ChunkRange, sealed: Uint8Array): Promise<Uint8Array> {
    if (sealed.length !== range.end - range.start) throw damaged();
    try {
      return await aesGcmDecrypt(this.#key, chunkNonce(this.header.noncePrefix, range.index, range.last), sealed, this.header.bytes);
    } catch (e) {
      throw damaged(e);
    }
  }

  /** Wipes the key; the reader is unusable afterwards. */
  close(): void {
    wipe(this.#key);
  }
}

/** The whole file in one call (tests, vectors, small backups). */
export async function sealBackup(plaintext: Uint8Array, passphrase: string, opts: SealOptions = {}): Promise<Uint8Array> {
  const w = await BackupWriter.create(passphrase, opts);
  const chunks = await w.write(plaintext);
  return concatBytes(w.header, ...chunks, await w.finish());
}

/** Opens a whole file: INVALID_INPUT, KDF_TOO_COSTLY, WRONG_PASSPHRASE or DECRYPT_FAILED (damaged, truncated). */
export async function openBackup(file: Uint8Array, passphrase: string): Promise<Uint8Array> {
  const r = await BackupReader.open(file.subarray(0, BACKUP_HEADER_LEN), passphrase);
  try {
    const parts: Uint8Array[] = [];
    for (const range of r.ranges(file.length)) parts.push(await r.openChunk(range, file.subarray(range.start, range.end)));
    return concatBytes(...parts);
  } finally {
    r.close();
  }
}
