/**
 * v3 → v4: `peers`, the typed routing state of each contact, keyed by the contact's blind index and
 * sealed (a PeerRouting). It replaces the sealed settings `sync.peer.<conversationId>`, which this
 * step cannot move: they are sealed and the vault key does not exist during an upgrade (and the
 * setting key names a conversation, not the pubkey the new key blinds). They move lazily instead:
 * a `getPeer` miss reads the old setting, writes the peer record and deletes the setting in one
 * transaction (repos/peers.ts).
 */
import { setSchemaVersion, type MigrationStep } from './step';

export const toV4: MigrationStep = (db, tx, now) => {
  db.createObjectStore('peers', { keyPath: 'id' });
  setSchemaVersion(tx, 4, now);
};
