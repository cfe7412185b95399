/**
 * Identities on this device: create, import, sign in with an extension or a bunker, unlock.
 * Combines the store (vault, accounts, devices) with the crypto leaf (keys, NIP-19/49, signers).
 *
 * At rest (docs/storage.md): the identity key is an ncryptsec (NIP-49) inside the vault, unlocked by
 * the passphrase. "Remember on this device" additionally keeps the key sealed under the vault key,
 * which a non-extractable WebCrypto key unwraps; it is opt-in. Each device has its own envelope key
 * (EK), sealed in the vault, certified by the identity in the inbox record (kind 11067).
 */
import { bytesToHex, hexToBytes, wipe } from '../shared/bytes';
import { VeilError, userError } from '../shared/errors';
import { envelopeKey, type EnvelopeKey } from '../crypto/envelope';
import { generateSecretKey, getXOnlyPublicKey } from '../crypto/keys';
import { decodeNsec, encodeNpub, encodeNsec } from '../crypto/nip19';
import { DEFAULT_LOG_N, MIN_STORED_LOG_N, decryptNcryptsec, encryptNcryptsec, inspectNcryptsec, needsReencryption, type KeySecurity } from '../crypto/nip49';
import { parseBunkerUrl } from '../crypto/nip46';
import { LocalSigner, Nip07Signer, Nip46Signer, type Nip07Like, type Signer } from '../crypto/signer';
import { Nip46RelayTransport } from '../relay/nip46-transport';
import type { WebSocketConstructor } from '../relay/types';
import type { Account, AccountInput, VeilStore } from '../store';
import { m } from '../paraglide/messages';

/** What a platform (page, service worker, Node test) passes in. */
export interface AccountPlatform {
  WebSocket?: unknown;
  /** `window.nostr`, when present. */
  nostr?: Nip07Like;
  /** Called when a bunker asks the user to approve in a browser. */
  onBunkerAuth?: (url: string) => void;
}

export interface Session {
  account: Account;
  signer: Signer;
  deviceId: string;
  deviceLabel: string;
  ek: EnvelopeKey;
}

export interface Backup {
  nsec: string;
  ncryptsec: string;
  npub: string;
}

/** Settings key prefix of a remembered identity key (a backup leaves it out: sync/backup.ts). */
export const SECRET_SETTING_PREFIX = 'identity-secret:';
const SECRET_SETTING = (accountId: string) => `${SECRET_SETTING_PREFIX}${accountId}`;
const ACTIVE_ACCOUNT = 'active-account';
/** The passphrase minimum, on every path that sets the vault passphrase (create, import of an nsec or an ncryptsec, extension, bunker). */
export const MIN_PASSPHRASE = 8;

function checkPassphrase(p: string, problem?: string): void {
  if (typeof p !== 'string' || p.normalize('NFKC').length < MIN_PASSPHRASE) throw userError('INVALID_INPUT', problem ?? m.onb_short_passphrase({ min: MIN_PASSPHRASE }));
}

/** A default label for this device, shown to the user's other devices ("Chrome on Linux"). */
export function defaultDeviceLabel(userAgent = ''): string {
  const browser = /Firefox\//.test(userAgent) ? 'Firefox' : /Edg\//.test(userAgent) ? 'Edge' : /Chrom/.test(userAgent) ? 'Chrome' : /Safari\//.test(userAgent) ? 'Safari' : 'Browser';
  const os = /Android/.test(userAgent) ? 'Android' : /iPhone|iPad/.test(userAgent) ? 'iOS' : /Mac OS/.test(userAgent) ? 'macOS' : /Windows/.test(userAgent) ? 'Windows' : /Linux/.test(userAgent) ? 'Linux' : '';
  return os ? `${browser} on ${os}` : browser;
}

async function newDevice(store: VeilStore, accountId: string, label: string): Promise<{ id: string; ek: EnvelopeKey }> {
  const secret = generateSecretKey();
  const id = await store.putDevice({ label, secretKey: secret, accountId });
  return { id, ek: envelopeKey(secret) };
}

async function finish(store: VeilStore, accountId: string, signer: Signer, label: string): Promise<Session> {
  await store.setSetting(ACTIVE_ACCOUNT, accountId);
  const account = (await store.getAccount(accountId))!;
  const device = await newDevice(store, accountId, label);
  return { account, signer, deviceId: device.id, deviceLabel: label, ek: device.ek };
}

/** Makes a new identity key, the vault, and this device's EK. Returns the session and the backup to show. */
export async function createLocalIdentity(
  store: VeilStore,
  passphrase: string,
  opts: { remember?: boolean; deviceLabel?: string; logN?: number } = {}
): Promise<{ session: Session; backup: Backup }> {
  checkPassphrase(passphrase);
  const sk = generateSecretKey();
  try {
    return await storeLocalIdentity(store, sk, passphrase, opts);
  } finally {
    wipe(sk);
  }
}

async function storeLocalIdentity(
  store: VeilStore,
  sk: Uint8Array,
  passphrase: string,
  opts: { remember?: boolean; deviceLabel?: string; logN?: number; ncryptsec?: string; keySecurity?: KeySecurity }
): Promise<{ session: Session; backup: Backup }> {
  const pubkey = bytesToHex(getXOnlyPublicKey(sk));
  // What is kept (and shown as the backup) is never cheaper than log_n 16, whatever was asked or imported.
  const logN = Math.max(opts.logN ?? DEFAULT_LOG_N, MIN_STORED_LOG_N);
  const ncryptsec = opts.ncryptsec ?? (await encryptNcryptsec(sk, passphrase, { logN, ...(opts.keySecurity !== undefined ? { keySecurity: opts.keySecurity } : {}) }));
  await store.setupVault(passphrase, { rememberDevice: !!opts.remember });
  const accountId = await store.putAccount({ pubkey, signer: { type: 'local', ncryptsec } });
  if (opts.remember) await store.setSetting(SECRET_SETTING(accountId), bytesToHex(sk));
  const session = await finish(store, accountId, new LocalSigner(sk), opts.deviceLabel ?? 'This device');
  return { session, backup: { nsec: encodeNsec(sk), ncryptsec, npub: encodeNpub(pubkey) } };
}

/**
 * Imports an nsec or an ncryptsec. For an ncryptsec the passphrase is the one it was made with
 * (WRONG_PASSPHRASE otherwise); it then also protects the vault on this device, unless
 * `newPassphrase` is given. Either way the vault passphrase meets MIN_PASSPHRASE (INVALID_INPUT,
 * checked before any work), and the ncryptsec kept is re-encrypted (log_n 16, the vault passphrase,
 * the same key security byte) when its log_n is below MIN_STORED_LOG_N or its passphrase changes.
 */
export async function importIdentity(
  store: VeilStore,
  keyText: string,
  passphrase: string,
  opts: { remember?: boolean; deviceLabel?: string; newPassphrase?: string } = {}
): Promise<Session> {
  const text = (keyText ?? '').trim();
  const { newPassphrase, ...rest } = opts;
  if (text.toLowerCase().startsWith('ncryptsec1')) {
    if (!passphrase) throw userError('INVALID_INPUT', m.onb_ncryptsec_enter());
    const vaultPassphrase = newPassphrase || passphrase;
    checkPassphrase(
      vaultPassphrase,
      newPassphrase
        ? m.onb_short_new_passphrase({ min: MIN_PASSPHRASE })
        : m.err_ncryptsec_short_veil({ min: MIN_PASSPHRASE })
    );
    const { logN, keySecurity } = inspectNcryptsec(text);
    const sk = await decryptNcryptsec(text, passphrase);
    const keep = logN >= MIN_STORED_LOG_N && vaultPassphrase === passphrase ? text : undefined;
    try {
      return (await storeLocalIdentity(store, sk, vaultPassphrase, { ...rest, keySecurity, ...(keep ? { ncryptsec: keep } : {}) })).session;
    } finally {
      wipe(sk);
    }
  }
  if (text.toLowerCase().startsWith('npub1'))
    throw userError('INVALID_KEY', m.err_is_npub());
  const vaultPassphrase = newPassphrase || passphrase;
  checkPassphrase(vaultPassphrase);
  let sk: Uint8Array;
  if (/^[0-9a-f]{64}$/i.test(text)) sk = hexToBytes(text.toLowerCase(), 32);
  else sk = decodeNsec(text);
  try {
    return (await storeLocalIdentity(store, sk, vaultPassphrase, rest)).session;
  } finally {
    wipe(sk);
  }
}

/** Signs in with a NIP-07 extension. The passphrase protects this device's EK and history. */
export async function extensionIdentity(
  store: VeilStore,
  platform: AccountPlatform,
  passphrase: string,
  opts: { remember?: boolean; deviceLabel?: string } = {}
): Promise<Session> {
  checkPassphrase(passphrase);
  if (!platform.nostr) throw userError('SIGNER_UNAVAILABLE', m.err_no_extension());
  const signer = new Nip07Signer(platform.nostr);
  const pubkey = await signer.getPublicKey();
  await store.setupVault(passphrase, { rememberDevice: !!opts.remember });
  const accountId = await store.putAccount({ pubkey, signer: { type: 'nip07' } });
  return finish(store, accountId, signer, opts.deviceLabel ?? 'This device');
}

/** Connects a NIP-46 bunker; its client key is kept in the vault to reconnect later. */
export async function bunkerIdentity(
  store: VeilStore,
  platform: AccountPlatform,
  bunkerUrl: string,
  passphrase: string,
  opts: { remember?: boolean; deviceLabel?: string } = {}
): Promise<Session> {
  checkPassphrase(passphrase);
  const signer = await connectBunker(platform, bunkerUrl);
  const pubkey = await signer.getPublicKey();
  await store.setupVault(passphrase, { rememberDevice: !!opts.remember });
  const accountId = await store.putAccount({
    pubkey,
    signer: { type: 'nip46', bunkerUrl: bunkerUrl.trim(), clientSecretKey: bytesToHex(signer.clientSecretKey) }
  });
  return finish(store, accountId, signer, opts.deviceLabel ?? 'This device');
}

/** 'new' when nothing is set up yet, else 'locked' (call unlockSession). */
export async function vaultState(store: VeilStore): Promise<'new' | 'locked'> {
  return (await store.hasVault()) ? 'locked' : 'new';
}

/**
 * Unlocks the vault (with the passphrase, or with the device key when `passphrase` is null and
 * "remember" was chosen) and rebuilds the session: account, signer and this device's EK.
 * A wrong passphrase throws WRONG_PASSPHRASE and changes nothing.
 */
export async function unlockSession(store: VeilStore, platform: AccountPlatform, passphrase: string | null, opts: { remember?: boolean } = {}): Promise<Session> {
  if (passphrase === null) {
    if (!(await store.unlockWithDevice())) throw userError('VAULT_LOCKED', m.err_enter_to_unlock());
  } else {
    // "Remember on this device" chosen at the lock screen (after Lock now, or a restore) keeps a device wrap.
    await store.unlock(passphrase, { rememberDevice: !!opts.remember });
  }
  try {
    const account = await activeAccount(store);
    const signer = await signerFor(store, platform, account, passphrase, !!opts.remember);
    return { ...(await deviceSession(store, account)), signer };
  } catch (e) {
    store.lock();
    throw e;
  }
}

/**
 * The active account and this device's EK from an unlocked store, without a signer (the service
 * worker reads envelopes with the EK alone). A device is made when the account has none yet.
 */
export async function deviceSession(store: VeilStore, account?: Account): Promise<Omit<Session, 'signer'>> {
  account ??= await activeAccount(store);
  let device = (await store.listDevices()).find((d) => !d.accountId || d.accountId === account.id);
  let ek: EnvelopeKey;
  if (device) ek = envelopeKey(device.secretKey);
  else {
    const made = await newDevice(store, account.id, 'This device');
    device = (await store.getDevice(made.id))!;
    ek = made.ek;
  }
  return { account, deviceId: device.id, deviceLabel: device.label, ek };
}

async function signerFor(store: VeilStore, platform: AccountPlatform, account: Account, passphrase: string | null, remember = false): Promise<Signer> {
  const info = account.signer;
  if (info.type === 'local') {
    const remembered = await store.getSetting<string>(SECRET_SETTING(account.id));
    if (remembered) return signerFromHex(remembered);
    if (passphrase === null) throw userError('VAULT_LOCKED', m.err_enter_to_unlock());
    const sk = await decryptNcryptsec(info.ncryptsec, passphrase);
    try {
      // Kept sealed under the vault key, as at creation, so the device key alone opens a signer.
      if (remember) await store.setSetting(SECRET_SETTING(account.id), bytesToHex(sk));
      // One imported before the log_n floor existed is re-encrypted now, once (issue 11).
      if (needsReencryption(info.ncryptsec)) {
        const { keySecurity } = inspectNcryptsec(info.ncryptsec);
        const ncryptsec = await encryptNcryptsec(sk, passphrase, { logN: DEFAULT_LOG_N, keySecurity });
        await store.putAccount({ id: account.id, pubkey: account.pubkey, signer: { type: 'local', ncryptsec }, ...(account.profile ? { profile: account.profile } : {}) });
      }
      return new LocalSigner(sk);
    } finally {
      wipe(sk);
    }
  }
  if (info.type === 'nip07') {
    if (!platform.nostr) throw userError('SIGNER_UNAVAILABLE', m.err_extension_off());
    const signer = new Nip07Signer(platform.nostr);
    if ((await signer.getPublicKey()) !== account.pubkey)
      throw userError('SIGNER_UNAVAILABLE', m.err_extension_other_key());
    return signer;
  }
  return connectBunker(platform, info.bunkerUrl, info.clientSecretKey ? { clientSecretKey: hexToBytes(info.clientSecretKey, 32) } : {});
}

/**
 * Connects a NIP-46 bunker: crypto's signer seals the requests, the relay layer's transport
 * carries them over the platform's WebSocket. Errors: INVALID_INPUT, SIGNER_UNAVAILABLE,
 * SIGNER_REJECTED, SIGNER_TIMEOUT.
 */
export async function connectBunker(
  platform: AccountPlatform,
  bunkerUrl: string,
  opts: { clientSecretKey?: Uint8Array; timeoutMs?: number } = {}
): Promise<Nip46Signer> {
  const bunker = parseBunkerUrl(bunkerUrl);
  if (typeof platform.WebSocket !== 'function') throw new VeilError('SIGNER_UNAVAILABLE', 'NIP-46 needs a WebSocket constructor');
  const transport = new Nip46RelayTransport(bunker.relays, { WebSocket: platform.WebSocket as WebSocketConstructor });
  return Nip46Signer.connect(bunker, transport, { ...opts, ...(platform.onBunkerAuth ? { onauth: platform.onBunkerAuth } : {}) });
}

function signerFromHex(hex: string): LocalSigner {
  const sk = hexToBytes(hex, 32);
  try {
    return new LocalSigner(sk);
  } finally {
    wipe(sk);
  }
}

// ------------------------------------------------------------------ account controls (issue 14 §4)

async function activeAccount(store: VeilStore): Promise<Account> {
  const activeId = await store.getSetting<string>(ACTIVE_ACCOUNT);
  const accounts = await store.listAccounts();
  const account = accounts.find((a) => a.id === activeId) ?? accounts[0];
  if (!account) throw userError('NOT_FOUND', m.err_no_identity());
  return account;
}

/**
 * Forgets "remember on this device" without locking: the device wrap of the vault key and the
 * identity key kept for it go, so the next open asks for the passphrase. The open session goes on.
 */
export async function forgetDevice(store: VeilStore): Promise<void> {
  await store.forgetDevice(); // first: it alone lets a reload open without the passphrase
  if (store.isLocked()) return;
  for (const a of await store.listAccounts()) await store.deleteSetting(SECRET_SETTING(a.id));
}

/** Where the identity key of this device's account lives: here (an nsec), or in a NIP-07 extension or NIP-46 bunker. */
export async function keyLocation(store: VeilStore): Promise<Account['signer']['type']> {
  return (await activeAccount(store)).signer.type;
}

/**
 * Shows the key again: the passphrase is asked again (WRONG_PASSPHRASE otherwise), also on a
 * remembered device. Returns the nsec and an ncryptsec (log_n ≥ 16) under the Veil passphrase.
 * An extension or bunker identity has no key here: SIGNER_UNAVAILABLE with a sentence.
 */
export async function revealKey(store: VeilStore, passphrase: string): Promise<Backup> {
  const account = await activeAccount(store);
  const info = account.signer;
  if (info.type !== 'local')
    throw userError('SIGNER_UNAVAILABLE', info.type === 'nip07' ? m.err_key_in_extension() : m.err_key_in_bunker());
  if (!passphrase) throw userError('WRONG_PASSPHRASE', m.err_enter_to_show());
  const sk = await decryptNcryptsec(info.ncryptsec, passphrase);
  try {
    const ncryptsec = needsReencryption(info.ncryptsec)
      ? await encryptNcryptsec(sk, passphrase, { logN: DEFAULT_LOG_N, keySecurity: inspectNcryptsec(info.ncryptsec).keySecurity })
      : info.ncryptsec;
    return { nsec: encodeNsec(sk), ncryptsec, npub: encodeNpub(account.pubkey) };
  } finally {
    wipe(sk);
  }
}

/**
 * Changes the passphrase: the old one is required (WRONG_PASSPHRASE), the new one meets
 * MIN_PASSPHRASE (INVALID_INPUT, checked first). The vault key is re-wrapped and a local identity
 * key re-encrypted (NIP-49, log_n 16) in one transaction: afterwards the old passphrase fails and
 * the new one unlocks. "Remember on this device" is not touched.
 */
export async function changePassphrase(
  store: VeilStore,
  oldPassphrase: string,
  newPassphrase: string,
  opts: { iterations?: number; logN?: number } = {}
): Promise<void> {
  checkPassphrase(newPassphrase, m.onb_short_new_passphrase({ min: MIN_PASSPHRASE }));
  if (newPassphrase === oldPassphrase) throw userError('INVALID_INPUT', m.err_same_passphrase());
  const accounts: (AccountInput & { id: string })[] = [];
  for (const a of await store.listAccounts()) {
    if (a.signer.type !== 'local') continue;
    const sk = await decryptNcryptsec(a.signer.ncryptsec, oldPassphrase);
    try {
      const { keySecurity } = inspectNcryptsec(a.signer.ncryptsec);
      const ncryptsec = await encryptNcryptsec(sk, newPassphrase, { logN: Math.max(opts.logN ?? DEFAULT_LOG_N, MIN_STORED_LOG_N), keySecurity });
      accounts.push({ id: a.id, pubkey: a.pubkey, signer: { type: 'local', ncryptsec }, ...(a.profile ? { profile: a.profile } : {}) });
    } finally {
      wipe(sk);
    }
  }
  await store.changePassphrase(oldPassphrase, newPassphrase, { ...(opts.iterations ? { iterations: opts.iterations } : {}), accounts });
}
