/**
 * Contacts known to a second device (issue 14 §4). A device that signs in to an account that already
 * talks to people knew nobody: the first message of an old contact showed as a request from a
 * stranger. Now, when my inbox record names a device of mine this device has not told yet, it sends
 * that device my contacts: who is accepted and who is blocked (requests are not sent: the other
 * device gets their messages as requests itself), with the protocol of each.
 *
 * - Carried like any message copy to my own devices: an inner kind 14 signed by me, naming only me
 *   (`p`), with the tag `veil-contacts`, sealed to that device's EK in our pair bucket (plan.ts
 *   sendTargets), queued in the outbox (no message row). A device without this code drops it as a
 *   note to itself. The envelope's size classes bound one list to CONTACTS_PER_ENVELOPE entries;
 *   longer lists go in several envelopes.
 * - Believed only from my own devices: the author must be me and the pair tag must name an EK my
 *   record lists (receive-envelope.ts checks both before calling here).
 * - Merged, never undone: an unknown contact is created in the sent state; a request becomes
 *   accepted; blocked wins (a block is never lifted by a sync, and a sync can block).
 * - Which devices were told is kept sealed (`sync.contacts-told`), so each new device is told once.
 */
import { hexToBytes } from '../shared/bytes';
import { sealEnvelope } from '../crypto/envelope';
import type { InboxDevice } from '../crypto/inbox';
import type { TrustedEvent } from '../shared/trusted-event';
import type { OutboxInput } from '../store';
import { HEX64, type SyncContext } from './context';
import { settleContact } from './contact-state';
import { entryId } from './outbox';
import type { OwnRecord } from './own-record';
import { sendTargets } from './plan';
import { CONTACTS_TAG, EK_TAG } from './receive-envelope';
import type { Protocol } from './types';

/** Entries per envelope: ~80 characters each, inside the largest envelope class with the signed event around them. */
export const CONTACTS_PER_ENVELOPE = 60;
/** Contacts sent at most (the newest first by the store's order). */
export const MAX_SYNCED_CONTACTS = 3_000;
const SETTING_TOLD = 'sync.contacts-told';
/** EKs remembered as told (a device list is bounded far below). */
const MAX_TOLD = 64;

/** One contact: pubkey, accepted 'a' or blocked 'b', protocol 'v' (Veil) or 'n' (NIP-17). */
type Entry = [string, 'a' | 'b', 'v' | 'n'];

export interface ContactSyncDeps {
  own: OwnRecord;
  relays: () => readonly string[];
  /** Queues the entry's relay copies in the outbox and publishes when it may. */
  enqueue: (entry: OutboxInput) => Promise<void>;
  /** A contact was added or accepted: follow its records, read its buckets. */
  follow: (pubkey: string) => Promise<void>;
  /** A contact was blocked: stop following it. */
  unfollow: (pubkey: string) => void;
}

export class ContactSync {
  readonly #ctx: SyncContext;
  readonly #d: ContactSyncDeps;
  #running: Promise<void> = Promise.resolve();

  constructor(ctx: SyncContext, deps: ContactSyncDeps) {
    this.#ctx = ctx;
    this.#d = deps;
  }

  /** My record changed: tells each device of mine not told yet (one run at a time). */
  devicesChanged(): Promise<void> {
    this.#running = this.#running.then(() => this.#tellNew()).catch(this.#ctx.fail);
    return this.#running;
  }

  async #tellNew(): Promise<void> {
    const { store } = this.#ctx;
    const told = new Set((await store.getSetting<string[]>(SETTING_TOLD)) ?? []);
    const fresh = this.#d.own.otherDevices().filter((d) => !told.has(d.ek));
    if (fresh.length === 0) return;
    for (const dev of fresh) {
      await this.#tell(dev);
      told.add(dev.ek);
    }
    await store.setSetting(SETTING_TOLD, [...told].slice(-MAX_TOLD));
  }

  async #tell(dev: InboxDevice): Promise<void> {
    const ctx = this.#ctx;
    const contacts = (await ctx.store.listContacts()).filter((c) => c.state !== 'request' && c.pubkey !== ctx.me).slice(0, MAX_SYNCED_CONTACTS);
    const entries: Entry[] = contacts.map((c) => [c.pubkey, c.state === 'blocked' ? 'b' : 'a', c.protocol === 'nip17' ? 'n' : 'v']);
    // An empty list is sent too: the other device then knows it was told.
    for (let i = 0; i === 0 || i < entries.length; i += CONTACTS_PER_ENVELOPE) {
      const nowS = ctx.nowS();
      const inner = await ctx.signer.signEvent({ kind: 14, created_at: nowS, tags: [['p', ctx.me], [EK_TAG, ctx.ekHex], [CONTACTS_TAG, '1']], content: JSON.stringify(entries.slice(i, i + CONTACTS_PER_ENVELOPE)) });
      const targets = sendTargets({ me: ctx.ek, pairKeys: ctx.pairKeys, peerDevices: [], pairReady: new Set(), ownDevices: [dev], fallbackRelays: this.#d.relays(), nowSeconds: nowS });
      const items = await Promise.all(
        targets.map(async (t) => ({
          relay: t.relay,
          event: await sealEnvelope({ recipientEk: hexToBytes(t.ek, 32), mailbox: t.mailbox, payload: { type: 'event', event: inner }, nowSeconds: nowS, ...(t.tagKey ? { pairTagKey: t.tagKey } : {}) }, this.#ctx.curve)
        }))
      );
      if (items.length > 0) await this.#d.enqueue({ id: entryId(inner.id, 'self', 0), items, nextAttemptAt: 0 });
    }
  }

  /** A contact list from my other device (already checked to be mine): merged (see the module comment). Returns how many changed. */
  async receive(inner: TrustedEvent): Promise<number> {
    const ctx = this.#ctx;
    let list: unknown;
    try {
      list = JSON.parse(inner.content);
    } catch {
      return 0;
    }
    if (!Array.isArray(list)) return 0;
    let changed = 0;
    for (const e of list.slice(0, CONTACTS_PER_ENVELOPE)) {
      if (!Array.isArray(e) || typeof e[0] !== 'string' || !HEX64.test(e[0]) || e[0] === ctx.me) continue;
      const pubkey = e[0];
      const protocol: Protocol = e[2] === 'n' ? 'nip17' : 'veil';
      const before = await ctx.store.getContact(pubkey);
      if (e[1] === 'b') {
        if (before?.state === 'blocked') continue;
        if (before) await ctx.store.blockContact(pubkey);
        else await ctx.store.upsertContact({ pubkey, state: 'blocked', protocol });
        this.#d.unfollow(pubkey);
        changed++;
      } else if (e[1] === 'a') {
        if (before && before.state !== 'request') continue;
        await settleContact(ctx.store, pubkey, { outgoing: true, protocol });
        await this.#d.follow(pubkey);
        changed++;
      }
    }
    if (changed > 0) {
      ctx.resubscribe();
      ctx.emit({ type: 'chats' });
    }
    return changed;
  }
}
