/**
 * Repository of `peers` (v4): the sync layer's routing state for each contact (PeerRouting), sealed
 * whole under key = blind(pubkey), the contacts' blind index, so no pubkey is ever in clear on disk.
 * Validated on write and again after unsealing.
 *
 * Before v4 the same state lived in the sealed setting `sync.peer.<conversationId>`. A miss here
 * moves that setting over (lazily: the upgrade itself has no vault key), and every write or delete
 * removes it, so no copy of the old state stays behind.
 */
import { VeilError } from '../../shared/errors';
import type { StoreContext } from '../context';
import type { JsonValue } from '../schema';
import type { PeerRouting } from '../types';
import { hex64, legacyPeerRouting, validPeerRouting } from '../validate';
import { contactKey } from './contacts';
import type { ConversationsRepo } from './conversations';

/** The pre-v4 setting key of a peer's routing state (what sync/messenger.ts wrote). */
export const legacyPeerSettingKey = (conversationId: string): string => `sync.peer.${conversationId}`;

export class PeersRepo {
  readonly #c: StoreContext;
  readonly #conversations: ConversationsRepo;

  constructor(c: StoreContext, conversations: ConversationsRepo) {
    this.#c = c;
    this.#conversations = conversations;
  }

  async #keys(pubkey: string): Promise<{ id: string; legacy: string }> {
    hex64(pubkey, 'pubkey');
    const [id, cid] = await Promise.all([contactKey(this.#c, pubkey), this.#conversations.idFor([pubkey])]);
    return { id, legacy: legacyPeerSettingKey(cid) };
  }

  async #open(pubkey: string, id: string, sealed: Uint8Array): Promise<PeerRouting> {
    const peer = validPeerRouting(await this.#c.vault.open<unknown>('peers', id, 'data', sealed));
    if (peer.pubkey !== pubkey) throw new VeilError('DECRYPT_FAILED', 'peer record does not match its key');
    return peer;
  }

  async get(pubkey: string): Promise<PeerRouting | undefined> {
    this.#c.requireUnlocked();
    const { id, legacy } = await this.#keys(pubkey);
    const rec = await this.#c.get('peers', id);
    if (rec) return this.#open(pubkey, id, rec.sealed);
    return this.#moveLegacy(pubkey, id, legacy);
  }

  /** Reads the pre-v4 setting, stores it as a peer record and deletes the setting, in one transaction. */
  async #moveLegacy(pubkey: string, id: string, legacy: string): Promise<PeerRouting | undefined> {
    const old = await this.#c.get('settings', legacy);
    if (!old?.sealed) return undefined;
    const peer = legacyPeerRouting(pubkey, await this.#c.vault.open<JsonValue>('settings', legacy, 'value', old.sealed));
    const sealed = await this.#c.vault.seal('peers', id, 'data', peer);
    const moved = await this.#c.tx(['peers', 'settings'], 'readwrite', async (tx, changes) => {
      const settings = tx.objectStore('settings');
      await settings.delete(legacy);
      changes.push({ store: 'settings', key: legacy });
      // Another tab may have moved (or written) it meanwhile: its record wins.
      if ((await tx.objectStore('peers').getKey(id)) !== undefined) return false;
      await tx.objectStore('peers').add({ id, updatedAt: Date.now(), sealed });
      changes.push({ store: 'peers', key: id });
      return true;
    });
    if (moved) return peer;
    const rec = await this.#c.get('peers', id);
    return rec ? this.#open(pubkey, id, rec.sealed) : undefined;
  }

  async put(input: PeerRouting): Promise<void> {
    const peer = validPeerRouting(input);
    const { id, legacy } = await this.#keys(peer.pubkey);
    const sealed = await this.#c.vault.seal('peers', id, 'data', peer);
    await this.#c.tx(['peers', 'settings'], 'readwrite', async (tx, changes) => {
      await tx.objectStore('peers').put({ id, updatedAt: Date.now(), sealed });
      await tx.objectStore('settings').delete(legacy);
      changes.push({ store: 'peers', key: id }, { store: 'settings', key: legacy });
    });
  }

  async delete(pubkey: string): Promise<void> {
    const { id, legacy } = await this.#keys(pubkey);
    await this.#c.tx(['peers', 'settings'], 'readwrite', async (tx, changes) => {
      await tx.objectStore('peers').delete(id);
      await tx.objectStore('settings').delete(legacy);
      changes.push({ store: 'peers', key: id }, { store: 'settings', key: legacy });
    });
  }
}
