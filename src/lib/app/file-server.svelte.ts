/**
 * The file server attachments are uploaded to (issue 15 §1, docs/proposals/0010-files.md): the
 * person's own choice, kept in sealed settings, else the host's (`fileServer` in /veil-config.json),
 * else none (no attach button). Downloads do not depend on it: a file message names its own URL.
 */
import { blossomServerUrl } from '../shared/file-server';
import { VeilError, userError } from '../shared/errors';
import { m as words } from '../paraglide/messages';

/** Sealed setting: '' or absent = the host's server; else the person's server (a blossomServerUrl). */
export const SETTING_FILE_SERVER = 'app.file-server';

/** Sealed settings (VeilStore's getSetting/setSetting). */
export interface FileServerStore {
  getSetting(key: string): Promise<unknown>;
  setSetting(key: string, value: string): Promise<void>;
}

/** Asks a server whether it answers from this page: any HTTP answer with CORS counts (HEAD /upload, BUD-06). */
export type ServerProbe = (base: string) => Promise<boolean>;

/** The real probe: `fetch` without credentials; a network or CORS failure is "no answer". */
export function fetchProbe(fetchImpl: typeof fetch = fetch, timeoutMs = 10_000): ServerProbe {
  return async (base) => {
    try {
      await fetchImpl(`${base}/upload`, { method: 'HEAD', credentials: 'omit', referrerPolicy: 'no-referrer', signal: AbortSignal.timeout(timeoutMs) });
      return true;
    } catch {
      return false;
    }
  };
}

export class FileServerChoice {
  /** The host's server ('' = none). */
  host = $state('');
  /** The person's own server ('' = they use the host's). */
  own = $state('');
  /** Where uploads go now ('' = nowhere: no attach button). */
  readonly current = $derived(this.own || this.host);

  readonly #store: () => FileServerStore | null;
  readonly #probe: ServerProbe;
  readonly #changed: () => void;

  /** `changed` tells the other tabs (they load the choice again). */
  constructor(store: () => FileServerStore | null, probe: ServerProbe = fetchProbe(), changed: () => void = () => {}) {
    this.#store = store;
    this.#probe = probe;
    this.#changed = changed;
  }

  /** Reads the person's choice for this session; never throws (an unreadable or unusable value: the host's server). */
  async load(): Promise<void> {
    const saved = await Promise.resolve(this.#store()?.getSetting(SETTING_FILE_SERVER)).catch(() => undefined);
    this.own = typeof saved === 'string' && saved ? usable(saved) : '';
  }

  /** Forgets the session's choice (locking, signing out). */
  clear(): void {
    this.own = '';
  }

  /**
   * Uses the person's server from now on, once it answers from this page. Returns the address as
   * saved. Errors: INVALID_INPUT (not https://…, or http beyond this machine), FILE_UNAVAILABLE
   * (nothing answers there, or it refuses this page: CORS), VAULT_LOCKED.
   */
  async choose(input: string): Promise<string> {
    let base: string;
    try {
      base = blossomServerUrl(input);
    } catch {
      throw userError('INVALID_INPUT', words.fs_bad_address());
    }
    if (base.length > 512) throw userError('INVALID_INPUT', words.fs_bad_address());
    const store = this.#requireStore();
    if (!(await this.#probe(base))) throw userError('FILE_UNAVAILABLE', words.fs_no_answer({ server: base }));
    await store.setSetting(SETTING_FILE_SERVER, base);
    this.own = base;
    this.#changed();
    return base;
  }

  /** Goes back to the host's server. Errors: VAULT_LOCKED. */
  async useHost(): Promise<void> {
    await this.#requireStore().setSetting(SETTING_FILE_SERVER, '');
    this.own = '';
    this.#changed();
  }

  #requireStore(): FileServerStore {
    const store = this.#store();
    if (!store) throw new VeilError('VAULT_LOCKED', 'Veil is locked');
    return store;
  }
}

function usable(saved: string): string {
  try {
    return blossomServerUrl(saved);
  } catch {
    return '';
  }
}
