/**
 * Encrypted backup (issue 16 §3, docs/proposals/0007-backup.md): export everything to one file sealed under a
 * passphrase, restore it on any device. The store's records (store/backup.ts) are framed as NDJSON and sealed
 * chunk by chunk (crypto/backup.ts); a restore opens the file chunk by chunk into a fresh temporary database,
 * then moves it into the real one in one transaction (copyProfile), so it lands whole or not at all.
 *
 * The identity key travels as the account needs it to sign in again: a local key as its secret (re-encrypted
 * on restore as an ncryptsec under this device's passphrase), an extension (NIP-07) account as its pubkey only
 * (the extension signs in again), a bunker (NIP-46) account as its bunker address and client key.
 */
import { BACKUP_HEADER_LEN, BackupReader, BackupWriter, type SealOptions } from '../crypto/backup';
import { getXOnlyPublicKey } from '../crypto/keys';
import { DEFAULT_LOG_N, decryptNcryptsec, encryptNcryptsec } from '../crypto/nip49';
import { bytesToHex, hexToBytes, utf8Encode, wipe } from '../shared/bytes';
import { VeilError, isVeilError, userError } from '../shared/errors';
import {
  BackupImporter, VeilStore, backupRecords, copyProfile, deleteVeilDatabase, emptyCounts, profileInUse,
  type BackupCounts, type BackupRecord, type IdbPlatform
} from '../store';
import { MIN_PASSPHRASE, SECRET_SETTING_PREFIX } from './account';

export const BACKUP_FORMAT = 'veil-backup';
export const BACKUP_PAYLOAD_VERSION = 1;
/** Largest file a restore reads (a restore holds every record once in memory for its final copy). */
export const MAX_BACKUP_FILE_BYTES = 256 * 2 ** 20;
/** Longest payload line (one record): a message is at most a few hundred KiB. */
export const MAX_RECORD_CHARS = 4 * 2 ** 20;
/** Plaintext handed to the sealer at once. */
const WRITE_BATCH_CHARS = 60_000;

/** The identity in the file: what signing in again needs (see the file comment). */
export type BackupSigner =
  | { type: 'local'; /** hex */ secretKey: string }
  | { type: 'nip07' }
  | { type: 'nip46'; bunkerUrl: string; clientSecretKey?: string; relays?: string[] };

/** One payload line. */
export type FileRecord =
  | { t: 'meta'; format: typeof BACKUP_FORMAT; version: number; exportedAt: number }
  | Exclude<BackupRecord, { t: 'account' }>
  | { t: 'account'; id: string; pubkey: string; signer: BackupSigner; profile?: NonNullable<Extract<BackupRecord, { t: 'account' }>['profile']> }
  | { t: 'end'; records: number; counts: BackupCounts };

/** A file to restore, read a range at a time (a browser File, or bytes in tests). */
export interface ByteSource {
  size: number;
  read(start: number, end: number): Promise<Uint8Array>;
}

/** 'key': the passphrase KDF, `done` of 1; 'records': records written or read so far, `total` = their count when known. */
export interface BackupProgress {
  phase: 'key' | 'records';
  done: number;
  total?: number;
}

export interface BackupOptions {
  /** scrypt cost and chunk size of the file (tests: a cheap log_n). */
  seal?: Pick<SealOptions, 'logN' | 'chunkSize'>;
  onProgress?: (p: BackupProgress) => void;
}

export interface RestoreOptions {
  /** The temporary database (default `<name>-restore`). */
  tempName?: string;
  /** PBKDF2 iterations of the new vault and log_n of the new ncryptsec (tests: cheap ones). */
  iterations?: number;
  logN?: number;
  onProgress?: (p: BackupProgress) => void;
}

function checkNewPassphrase(p: string, what: 'backup' | 'device'): void {
  if (typeof p !== 'string' || p.normalize('NFKC').length < MIN_PASSPHRASE)
    throw userError('INVALID_INPUT', `Choose ${what === 'backup' ? 'a backup passphrase' : 'a passphrase for Veil on this device'} of at least ${MIN_PASSPHRASE} characters.`, { key: `err_backup_short_${what}`, values: { min: MIN_PASSPHRASE } });
}

const damaged = (cause?: unknown) => userError('INVALID_INPUT', 'This backup is damaged or was not made by Veil. Nothing was restored.', { cause, key: 'err_backup_damaged_or_foreign' });

/**
 * Seals every record of the unlocked store into a backup file (returned as parts, for a Blob). The Veil
 * passphrase is asked again (WRONG_PASSPHRASE otherwise): it opens a local identity key, and nobody at an
 * unlocked screen carries everything away under a passphrase of their own.
 */
export async function exportBackup(
  store: VeilStore,
  veilPassphrase: string,
  backupPassphrase: string,
  opts: BackupOptions = {}
): Promise<{ parts: Uint8Array[]; bytes: number; counts: BackupCounts }> {
  checkNewPassphrase(backupPassphrase, 'backup');
  if (!veilPassphrase) throw userError('WRONG_PASSPHRASE', 'Enter your Veil passphrase to export.', { key: 'err_backup_export_passphrase' });
  const accounts = await store.listAccounts();
  const secrets = new Map<string, string>();
  for (const a of accounts)
    if (a.signer.type === 'local') {
      const sk = await decryptNcryptsec(a.signer.ncryptsec, veilPassphrase);
      secrets.set(a.id, bytesToHex(sk));
      wipe(sk);
    }
  if (secrets.size === 0) await store.unlock(veilPassphrase); // checks it; the vault key is the same
  const progress = opts.onProgress ?? (() => {});
  const writer = await BackupWriter.create(backupPassphrase, { ...opts.seal, onProgress: (p) => progress({ phase: 'key', done: p, total: 1 }) });
  const parts: Uint8Array[] = [writer.header];
  let text = '';
  let records = 0;
  const emit = async (r: FileRecord, force = false) => {
    text += `${JSON.stringify(r)}\n`;
    records++;
    if (text.length < WRITE_BATCH_CHARS && !force) return;
    parts.push(...(await writer.write(utf8Encode(text))));
    text = '';
    progress({ phase: 'records', done: records });
  };
  const counts = emptyCounts();
  await emit({ t: 'meta', format: BACKUP_FORMAT, version: BACKUP_PAYLOAD_VERSION, exportedAt: Math.floor(Date.now() / 1000) });
  for await (const r of backupRecords(store, counts, (key) => key.startsWith(SECRET_SETTING_PREFIX))) {
    if (r.t !== 'account') await emit(r);
    else {
      const s = r.signer;
      const signer: BackupSigner = s.type === 'local' ? { type: 'local', secretKey: secrets.get(r.id)! } : s;
      await emit({ ...r, signer });
    }
  }
  secrets.clear();
  await emit({ t: 'end', records: records + 1, counts }, true);
  parts.push(await writer.finish());
  return { parts, bytes: parts.reduce((n, p) => n + p.length, 0), counts };
}

/**
 * Restores a backup into the EMPTY profile `dbName` (INVALID_INPUT otherwise, checked first). The passphrases
 * are checked before anything is written (WRONG_PASSPHRASE, KDF_TOO_COSTLY, INVALID_INPUT); a damaged file
 * (DECRYPT_FAILED, INVALID_INPUT) or a full disk leaves `dbName` as it was. `vaultPassphrase` protects the
 * restored profile on this device. Unlock `target` with it afterwards (sync/account.ts unlockSession).
 */
export async function restoreBackup(
  target: VeilStore,
  platform: IdbPlatform,
  dbName: string,
  source: ByteSource,
  backupPassphrase: string,
  vaultPassphrase: string,
  opts: RestoreOptions = {}
): Promise<BackupCounts> {
  if (await target.hasVault()) throw profileInUse();
  checkNewPassphrase(vaultPassphrase, 'device');
  if (source.size > MAX_BACKUP_FILE_BYTES) throw userError('TOO_LARGE', `This backup is larger than Veil restores (${MAX_BACKUP_FILE_BYTES / 2 ** 20} MiB).`, { key: 'err_backup_too_large', values: { mib: MAX_BACKUP_FILE_BYTES / 2 ** 20 } });
  const progress = opts.onProgress ?? (() => {});
  const reader = await BackupReader.open(await source.read(0, Math.min(source.size, BACKUP_HEADER_LEN)), backupPassphrase, (p) =>
    progress({ phase: 'key', done: p, total: 1 })
  );
  const tempName = opts.tempName ?? `${dbName}-restore`;
  let temp: VeilStore | null = null;
  try {
    const ranges = reader.ranges(source.size);
    await deleteVeilDatabase(platform, tempName);
    temp = await VeilStore.open(platform, tempName);
    await temp.setupVault(vaultPassphrase, opts.iterations ? { iterations: opts.iterations } : {});
    const lines = new LineReader(new BackupImporter(temp), vaultPassphrase, opts.logN ?? DEFAULT_LOG_N);
    for (const range of ranges) {
      await lines.push(await reader.openChunk(range, await source.read(range.start, range.end)), range.last);
      progress({ phase: 'records', done: lines.records });
    }
    const counters = await lines.finish();
    temp.close();
    temp = null;
    await copyProfile(platform, tempName, dbName, counters);
    return lines.importer.counts;
  } finally {
    reader.close();
    temp?.close();
    await deleteVeilDatabase(platform, tempName).catch(() => {});
  }
}

/** Splits opened chunks into records and hands them to the importer, checking the frame (meta first, end last). */
class LineReader {
  readonly importer: BackupImporter;
  records = 0;
  readonly #decoder = new TextDecoder('utf-8', { fatal: true });
  readonly #passphrase: string;
  readonly #logN: number;
  #carry = '';
  #ended = false;

  constructor(importer: BackupImporter, passphrase: string, logN: number) {
    this.importer = importer;
    this.#passphrase = passphrase;
    this.#logN = logN;
  }

  async push(chunk: Uint8Array, last: boolean): Promise<void> {
    let text: string;
    try {
      text = this.#carry + this.#decoder.decode(chunk, { stream: !last });
    } catch (e) {
      throw damaged(e);
    } finally {
      wipe(chunk);
    }
    const lines = text.split('\n');
    this.#carry = lines.pop()!;
    if (this.#carry.length > MAX_RECORD_CHARS) throw damaged();
    for (const line of lines) await this.#record(line);
  }

  async finish() {
    if (this.#carry !== '' || !this.#ended) throw damaged();
    return this.importer.finish();
  }

  async #record(line: string): Promise<void> {
    let r: FileRecord;
    try {
      r = JSON.parse(line) as FileRecord;
    } catch (e) {
      throw damaged(e);
    }
    if (typeof r !== 'object' || r === null || typeof r.t !== 'string' || this.#ended) throw damaged();
    this.records++;
    if (this.records === 1) {
      if (r.t !== 'meta' || r.format !== BACKUP_FORMAT) throw damaged();
      if (r.version !== BACKUP_PAYLOAD_VERSION) throw userError('INVALID_INPUT', 'This backup was made by another version of Veil and cannot be read here.', { key: 'err_backup_version' });
      return;
    }
    if (r.t === 'meta') throw damaged();
    if (r.t === 'end') {
      if (r.records !== this.records) throw damaged();
      this.#ended = true;
      return;
    }
    try {
      await this.importer.add(r.t === 'account' ? await this.#account(r) : r);
    } catch (e) {
      if (isVeilError(e) && (e.user || e.code === 'STORAGE_QUOTA' || e.code === 'STORAGE_FAILED')) throw e;
      throw damaged(e);
    }
  }

  /** The file's identity as the store keeps it: a local key as an ncryptsec under this device's passphrase. */
  async #account(r: Extract<FileRecord, { t: 'account' }>): Promise<BackupRecord> {
    const s = r.signer;
    if (s?.type !== 'local') return r as BackupRecord;
    const sk = hexToBytes(String(s.secretKey), 32);
    try {
      if (bytesToHex(getXOnlyPublicKey(sk)) !== r.pubkey) throw new VeilError('INVALID_KEY', 'backup key does not match its pubkey');
      const ncryptsec = await encryptNcryptsec(sk, this.#passphrase, { logN: this.#logN });
      return { ...r, signer: { type: 'local', ncryptsec } };
    } finally {
      wipe(sk);
    }
  }
}
