/**
 * The account for the components (issue 14 §4): making or opening an identity, and the controls of
 * Settings → Account: a lock that really locks (it forgets "remember on this device"), forget this
 * device, show the key again, change the passphrase, the blocked list with unblock, remove one of my
 * other devices, and sign out and wipe. VeilApp (veil.svelte.ts) hosts it: it owns the store, the
 * messenger and the tabs. Errors are VeilErrors (errors.ts words them).
 */
import { VeilError, userError } from '../shared/errors';
import type { VeilStore } from '../store';
import type { AccountPlatform, Backup, Session } from '../sync/account';
import type { BackupProgress } from '../sync/backup';
import type { SignerKind } from '../sync/types';
import { chooseLanguage } from './language.svelte';
import { m } from '../paraglide/messages';

/** The identity flows, key crypto and npub views: loaded on first use (account-flows.ts). */
const flows = () => import('./account-flows');
/** Backup export and restore: loaded on first use too (backup-flows.ts). */
const backupFlows = () => import('./backup-flows');

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

type Flows = Awaited<ReturnType<typeof flows>>;

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

  #opts(a: Flows, remember: boolean) {
    return { remember, deviceLabel: a.defaultDeviceLabel(globalThis.navigator?.userAgent ?? '') };
  }

  // ------------------------------------------------------------------ making or opening an identity

  async create(passphrase: string, remember: boolean): Promise<void> {
    const a = await flows();
    const { session, backup } = await a.createLocalIdentity(this.#store(), passphrase, this.#opts(a, remember));
    await this.#h.begin(session, backup);
  }

  async importKey(keyText: string, passphrase: string, remember: boolean, newPassphrase = ''): Promise<void> {
    const a = await flows();
    const opts = { ...this.#opts(a, remember), ...(newPassphrase ? { newPassphrase } : {}) };
    await this.#h.begin(await a.importIdentity(this.#store(), keyText, passphrase, opts));
  }

  async useExtension(passphrase: string, remember: boolean): Promise<void> {
    const a = await flows();
    await this.#h.begin(await a.extensionIdentity(this.#store(), this.#h.platform(), passphrase, this.#opts(a, remember)));
  }

  async connectBunker(url: string, passphrase: string, remember: boolean): Promise<void> {
    const a = await flows();
    await this.#h.begin(await a.bunkerIdentity(this.#store(), this.#h.platform(), url, passphrase, this.#opts(a, remember)));
  }

  /** `remember`: from now on this device opens without the passphrase (as chosen at creation). */
  async unlock(passphrase: string, remember = false): Promise<void> {
    const { unlockSession } = await flows();
    await this.#h.begin(await unlockSession(this.#store(), this.#h.platform(), passphrase, { remember }));
  }

  /**
   * Onboarding → Restore from a backup: into this empty profile only (INVALID_INPUT otherwise), then signed in with
   * `passphrase`, the new passphrase of this device. If signing in fails after the restore (an extension that is
   * gone), Veil starts over at the lock screen: the restored profile stays.
   */
  async restoreBackup(file: Blob, backupPassphrase: string, passphrase: string, onProgress?: (p: BackupProgress) => void): Promise<void> {
    const b = await backupFlows();
    const store = this.#store();
    const { indexedDB, name } = this.#h.database();
    await b.restoreBackup(store, { indexedDB, IDBKeyRange: globalThis.IDBKeyRange }, name, b.fileSource(file), backupPassphrase, passphrase, onProgress ? { onProgress } : {});
    try {
      await this.#h.begin(await b.unlockSession(store, this.#h.platform(), passphrase));
    } catch (e) {
      await this.#h.close();
      await this.#h.restart();
      throw e;
    }
  }

  // ------------------------------------------------------------------ Settings → Account

  /** Settings → Backup: everything sealed under `backupPassphrase`, downloaded as one file; the Veil passphrase is asked again. */
  async exportBackup(veilPassphrase: string, backupPassphrase: string, onProgress?: (p: BackupProgress) => void): Promise<{ name: string; bytes: number; messages: number }> {
    const b = await backupFlows();
    const out = await b.exportBackup(this.#store(), veilPassphrase, backupPassphrase, onProgress ? { onProgress } : {});
    return { name: b.saveBackup(out.parts), bytes: out.bytes, messages: out.counts.messages };
  }

  /** Reads what Settings shows: remembered or not, where the key lives, the blocked list. */
  async refresh(): Promise<void> {
    const store = this.#h.store();
    if (!store || store.isLocked()) return;
    const { blockedView, keyLocation } = await flows();
    this.remembered = await store.hasDeviceUnlock();
    this.keyLocation = await keyLocation(store);
    this.blocked = (await store.listContacts('blocked')).map(blockedView).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Lock now: also forgets "remember on this device", so the next open asks for the passphrase. */
  async lockNow(): Promise<void> {
    const store = this.#h.store();
    try {
      if (store) await (await flows()).forgetDevice(store);
      this.remembered = false;
    } finally {
      await this.#h.lock(); // locked even if forgetting failed (a full disk): the error is still shown
    }
  }

  /** Forget this device: the next open asks for the passphrase; this session stays open. */
  async forgetDevice(): Promise<void> {
    await (await flows()).forgetDevice(this.#store());
    this.remembered = false;
  }

  /** The key again, after the passphrase (sync/account.ts revealKey). */
  async revealKey(passphrase: string): Promise<Backup> {
    return (await flows()).revealKey(this.#store(), passphrase);
  }

  /** Old passphrase, new one (at least MIN_PASSPHRASE); the vault re-wrapped. */
  async changePassphrase(oldPassphrase: string, newPassphrase: string): Promise<void> {
    return (await flows()).changePassphrase(this.#store(), oldPassphrase, newPassphrase);
  }

  /** Starting a chat with someone I blocked says so (it silently did nothing). A bad input is left to the messenger to word. */
  async refuseBlocked(input: string): Promise<void> {
    const { parseContactInput } = await flows();
    let pubkey: string;
    try {
      pubkey = parseContactInput(input).pubkey;
    } catch {
      return;
    }
    if ((await this.#h.store()?.getContact(pubkey))?.state === 'blocked')
      throw userError('INVALID_INPUT', m.err_you_blocked());
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
   * vault), shown notifications are closed, the language choice is forgotten; then onboarding. Veil keeps
   * nothing else in localStorage, and nothing in caches but the app's own files (docs/storage.md).
   */
  async wipe(): Promise<void> {
    const { indexedDB, name } = this.#h.database();
    await this.#h.close();
    await (await flows()).deleteVeilDatabase({ indexedDB }, name);
    await closeNotifications();
    chooseLanguage('system');
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
