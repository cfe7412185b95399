/**
 * The account for the components (issue 14 §4): making or opening an identity, and the controls of
 * Settings → Account: a lock that really locks (it forgets "remember on this device"), forget this
 * device, show the key again, change the passphrase, the blocked list with unblock, remove one of my
 * other devices, and sign out and wipe. VeilApp (veil.svelte.ts) hosts it: it owns the store, the
 * messenger and the tabs. Errors are VeilErrors (errors.ts words them).
 */
import { VeilError, userError } from '../shared/errors';
import { encodeNpub, parseContactInput } from '../crypto/nip19';
import { deleteVeilDatabase, type Contact, type VeilStore } from '../store';
import {
  bunkerIdentity,
  changePassphrase,
  createLocalIdentity,
  defaultDeviceLabel,
  extensionIdentity,
  forgetDevice,
  importIdentity,
  keyLocation,
  revealKey,
  unlockSession,
  type AccountPlatform,
  type Backup,
  type Session
} from '../sync/account';
import { npubFingerprint } from '../sync/profile';
import type { IdentityInfo, SignerKind } from '../sync/types';

export type { Backup };

/** A blocked contact as Settings lists it: my nickname or their public name when known, else the short npub. */
export interface BlockedContact {
  pubkey: string;
  npub: string;
  name: string;
}

/** What the messenger offers (sync/messenger.ts). */
export interface AccountCommands {
  unblock(peer: string): Promise<void>;
  removeDevice(id: string): Promise<void>;
}

/** What VeilApp gives the account. */
export interface AccountHost {
  store(): VeilStore | null;
  messenger(): AccountCommands | null;
  platform(): AccountPlatform;
  /** Starts the messenger for a session (with the backup to show first, for a new identity). */
  begin(session: Session, backup?: Backup): Promise<void>;
  /** Locks this tab and the others. */
  lock(): Promise<void>;
  /** Where the store lives, to delete it. */
  database(): { indexedDB: IDBFactory; name: string };
  /** Closes the messenger and the store and tells the other tabs; the caller deletes the database. */
  close(): Promise<void>;
  /** After the database is gone: a fresh empty store, and onboarding. */
  restart(): Promise<void>;
  /** The chat list must be read again. */
  changed(): void;
}

/** "npub1abcdefg…uvwxyz": enough to tell two apart at a glance. */
export function shortNpub(npub: string): string {
  return npub.length > 20 ? `${npub.slice(0, 12)}…${npub.slice(-6)}` : npub;
}

/** What the components show of the signed-in identity. */
export function identityInfo(session: Session): IdentityInfo {
  const npub = encodeNpub(session.account.pubkey);
  const { deviceId, deviceLabel } = session;
  return { pubkey: session.account.pubkey, npub, signer: session.signer.kind, fingerprint: npubFingerprint(npub), deviceId, deviceLabel };
}

export function blockedView(c: Contact): BlockedContact {
  const npub = encodeNpub(c.pubkey);
  return { pubkey: c.pubkey, npub, name: c.petname ?? c.profile?.displayName ?? c.profile?.name ?? shortNpub(npub) };
}

export class AccountControls {
  /** True while "remember on this device" is on (the vault opens without the passphrase). */
  remembered = $state(false);
  /** Where the identity key lives: 'local' (here), 'nip07' (an extension), 'nip46' (a bunker); null until read. */
  keyLocation = $state<SignerKind | null>(null);
  blocked = $state<BlockedContact[]>([]);

  readonly #h: AccountHost;

  constructor(host: AccountHost) {
    this.#h = host;
  }

  #store(): VeilStore {
    const s = this.#h.store();
    if (!s) throw new VeilError('VAULT_LOCKED', 'Veil is still opening');
    return s;
  }

  #messenger(): AccountCommands {
    const m = this.#h.messenger();
    if (!m) throw new VeilError('VAULT_LOCKED', 'Veil is locked');
    return m;
  }

  #opts(remember: boolean) {
    return { remember, deviceLabel: defaultDeviceLabel(globalThis.navigator?.userAgent ?? '') };
  }

  // ------------------------------------------------------------------ making or opening an identity

  async create(passphrase: string, remember: boolean): Promise<void> {
    const { session, backup } = await createLocalIdentity(this.#store(), passphrase, this.#opts(remember));
    await this.#h.begin(session, backup);
  }

  async importKey(keyText: string, passphrase: string, remember: boolean, newPassphrase = ''): Promise<void> {
    const opts = { ...this.#opts(remember), ...(newPassphrase ? { newPassphrase } : {}) };
    await this.#h.begin(await importIdentity(this.#store(), keyText, passphrase, opts));
  }

  async useExtension(passphrase: string, remember: boolean): Promise<void> {
    await this.#h.begin(await extensionIdentity(this.#store(), this.#h.platform(), passphrase, this.#opts(remember)));
  }

  async connectBunker(url: string, passphrase: string, remember: boolean): Promise<void> {
    await this.#h.begin(await bunkerIdentity(this.#store(), this.#h.platform(), url, passphrase, this.#opts(remember)));
  }

  async unlock(passphrase: string): Promise<void> {
    await this.#h.begin(await unlockSession(this.#store(), this.#h.platform(), passphrase));
  }

  // ------------------------------------------------------------------ Settings → Account

  /** Reads what Settings shows: remembered or not, where the key lives, the blocked list. */
  async refresh(): Promise<void> {
    const store = this.#h.store();
    if (!store || store.isLocked()) return;
    this.remembered = await store.hasDeviceUnlock();
    this.keyLocation = await keyLocation(store);
    this.blocked = (await store.listContacts('blocked')).map(blockedView).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Lock now: also forgets "remember on this device", so the next open asks for the passphrase. */
  async lockNow(): Promise<void> {
    const store = this.#h.store();
    try {
      if (store) await forgetDevice(store);
      this.remembered = false;
    } finally {
      await this.#h.lock(); // locked even if forgetting failed (a full disk): the error is still shown
    }
  }

  /** Forget this device: the next open asks for the passphrase; this session stays open. */
  async forgetDevice(): Promise<void> {
    await forgetDevice(this.#store());
    this.remembered = false;
  }

  /** The key again, after the passphrase (sync/account.ts revealKey). */
  revealKey(passphrase: string): Promise<Backup> {
    return revealKey(this.#store(), passphrase);
  }

  /** Old passphrase, new one (at least MIN_PASSPHRASE); the vault re-wrapped. */
  changePassphrase(oldPassphrase: string, newPassphrase: string): Promise<void> {
    return changePassphrase(this.#store(), oldPassphrase, newPassphrase);
  }

  /** Starting a chat with someone I blocked says so (it silently did nothing). A bad input is left to the messenger to word. */
  async refuseBlocked(input: string): Promise<void> {
    let pubkey: string;
    try {
      pubkey = parseContactInput(input).pubkey;
    } catch {
      return;
    }
    if ((await this.#h.store()?.getContact(pubkey))?.state === 'blocked')
      throw userError('INVALID_INPUT', 'You blocked this person. Unblock them in Settings → Blocked to write to them again.');
  }

  async unblock(peer: string): Promise<void> {
    await this.#messenger().unblock(peer);
    await this.refresh();
    this.#h.changed();
  }

  async removeDevice(id: string): Promise<void> {
    await this.#messenger().removeDevice(id);
  }

  /**
   * Sign out and wipe: the messenger closes, the whole database goes (messages, contacts, keys, the
   * vault), shown notifications are closed; then onboarding. Veil keeps nothing in localStorage or
   * in caches but the app's own files (docs/storage.md).
   */
  async wipe(): Promise<void> {
    const { indexedDB, name } = this.#h.database();
    await this.#h.close();
    await deleteVeilDatabase({ indexedDB }, name);
    await closeNotifications();
    this.remembered = false;
    this.keyLocation = null;
    this.blocked = [];
    await this.#h.restart();
  }
}

/** Notifications still on screen may show a message preview: closed, with the app badge cleared. */
async function closeNotifications(): Promise<void> {
  try {
    const reg = await globalThis.navigator?.serviceWorker?.getRegistration();
    for (const n of (await reg?.getNotifications()) ?? []) n.close();
    await globalThis.navigator?.clearAppBadge?.();
  } catch {
    // nothing shown, or no permission: nothing to close
  }
}
