/** v0 → v1: every store of the first release. */
import { setSchemaVersion, type MigrationStep } from './step';

export const toV1: MigrationStep = (db, tx, now) => {
  db.createObjectStore('meta', { keyPath: 'key' });
  db.createObjectStore('vault', { keyPath: 'id' });
  db.createObjectStore('accounts', { keyPath: 'id' });
  db.createObjectStore('devices', { keyPath: 'id' });
  const contacts = db.createObjectStore('contacts', { keyPath: 'id' });
  contacts.createIndex('by-state', 'state');
  const conversations = db.createObjectStore('conversations', { keyPath: 'id' });
  conversations.createIndex('by-activity', 'lastActivity');
  const messages = db.createObjectStore('messages', { keyPath: 'id' });
  // Paging a conversation newest-first reads only one page through this index.
  messages.createIndex('by-conversation', ['conversationId', 'sortKey']);
  const outbox = db.createObjectStore('outbox', { keyPath: 'id' });
  outbox.createIndex('by-due', 'nextAttemptAt');
  const seen = db.createObjectStore('seen', { keyPath: 'id' });
  seen.createIndex('by-expiry', 'expiresAt');
  db.createObjectStore('relays', { keyPath: 'url' });
  db.createObjectStore('settings', { keyPath: 'key' });
  void tx.objectStore('meta').put({ key: 'created', value: now, updatedAt: now });
  setSchemaVersion(tx, 1, now);
};
