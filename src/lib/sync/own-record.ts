/**
 * My own inbox record (kind 11067; docs/design.md §2): every device publishes the merge of what it saw —
 * the relay's newest record, my stored copy and this device's current entry. Kept in the sealed
 * setting `sync.own-record`; the contact card is made from it.
 */
import type { TrustedEvent } from '../shared/trusted-event';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8Encode } from '../shared/bytes';
import { userError } from '../shared/errors';
import { contactCardLink, encodeContactCard } from '../crypto/card';
import {
  buildInboxRecord,
  checkInboxRecordData,
  checkLabel,
  mergeInboxRecords,
  parseInboxRecord,
  removeDevice,
  upsertDevice,
  type InboxDevice,
  type InboxRecord,
  type InboxRecordData
} from '../crypto/inbox';
import type { RelayPool } from '../relay/pool';
import type { JsonValue } from '../store';
import type { SyncContext } from './context';
import type { OwnDevice } from './types';
import { m } from '../paraglide/messages';

const SETTING_OWN_RECORD = 'sync.own-record';

/** An inbox record with the verified event it came from. */
export type SignedRecord = InboxRecord & { event: TrustedEvent };

function recordData(r: InboxRecordData): InboxRecordData {
  return { devices: r.devices, removed: r.removed };
}

function sameData(a: InboxRecordData, b: InboxRecordData): boolean {
  return JSON.stringify(checkInboxRecordData(recordData(a))) === JSON.stringify(checkInboxRecordData(recordData(b)));
}

/** The 16-hex device id of the inbox record: the store's id when it has that form, else a hash of it. */
function recordDeviceId(deviceId: string): string {
  if (/^[0-9a-f]{16}$/.test(deviceId)) return deviceId;
  return bytesToHex(sha256(utf8Encode(`veil/device-id\0${deviceId}`))).slice(0, 16);
}

/** The longest prefix of `label` the record accepts (at most 32 bytes). */
function safeLabel(label: string | undefined): string {
  let s = label ?? '';
  while (s.length > 0) {
    try {
      return checkLabel(s);
    } catch {
      s = s.slice(0, -1);
    }
  }
  return '';
}

export interface OwnRecordDeps {
  deviceId: string;
  deviceLabel?: string;
  origin?: string;
  /** My envelope relays (this device's entry lists them). */
  relays(): readonly string[];
  /** Where my record is published: the lookup relays (spec 0005 §Roles). */
  lookupRelays(): readonly string[];
  /** The ownRecord pool (sockets.ts). */
  ownPool(): RelayPool;
  /** False: the record is signed (my card carries it) but published nowhere. */
  publish(): boolean;
}

export class OwnRecord {
  readonly #ctx: SyncContext;
  readonly #d: OwnRecordDeps;
  readonly #deviceId: string;
  #own: SignedRecord | null = null;
  #publishing: Promise<void> | null = null;

  constructor(ctx: SyncContext, deps: OwnRecordDeps) {
    this.#ctx = ctx;
    this.#d = deps;
    this.#deviceId = recordDeviceId(deps.deviceId);
  }

  async load(): Promise<void> {
    const own = await this.#ctx.store.getSetting<JsonValue>(SETTING_OWN_RECORD);
    if (!own) return;
    try {
      const rec = parseInboxRecord(own);
      if (rec.pubkey === this.#ctx.me) this.#own = rec;
    } catch {
      // a damaged copy: start() fetches and republishes
    }
  }

  /** The record as last adopted, null before the first one. */
  current(): SignedRecord | null {
    return this.#own;
  }

  /** A record of mine seen on a relay: merged and republished when it differs from mine. */
  async seen(rec: SignedRecord): Promise<void> {
    if (!this.#own || rec.createdAt > this.#own.createdAt || !sameData(rec, this.#own)) await this.sync(rec);
  }

  /** Merges, signs and publishes when the result differs from what the relay has. Serialized. */
  async sync(fromRelay: SignedRecord | null, change?: (data: InboxRecordData) => InboxRecordData): Promise<void> {
    const run = (): Promise<void> => this.#syncOnce(fromRelay, change);
    const next = (this.#publishing ?? Promise.resolve()).then(run, run);
    this.#publishing = next.catch(() => {});
    await next;
  }

  async #syncOnce(fromRelay: SignedRecord | null, change?: (data: InboxRecordData) => InboxRecordData): Promise<void> {
    const ctx = this.#ctx;
    let data: InboxRecordData = fromRelay ? recordData(fromRelay) : { devices: [], removed: [] };
    if (this.#own) data = mergeInboxRecords(data, recordData(this.#own));
    if (change) data = change(data);
    const cur = data.devices.find((d) => d.id === this.#deviceId);
    const want = this.#myDevice(Math.max(ctx.nowS(), (cur?.addedAt ?? 0) + 1));
    // A device removed from another device stays out: it never certifies itself again (issue 14 §4).
    const removedHere = !cur && data.removed.some((r) => r.id === this.#deviceId);
    if (!removedHere && (!cur || cur.ek !== want.ek || cur.label !== want.label || JSON.stringify(cur.relays) !== JSON.stringify(want.relays))) {
      data = upsertDevice(data, want);
    }
    const newestAt = Math.max(fromRelay?.createdAt ?? 0, this.#own?.createdAt ?? 0);
    if (fromRelay && sameData(data, fromRelay)) {
      if (!this.#own || fromRelay.createdAt > this.#own.createdAt) await this.#adopt(fromRelay);
      return;
    }
    const signed = await ctx.signer.signEvent(buildInboxRecord(data, Math.max(ctx.nowS(), newestAt + 1)));
    const rec = parseInboxRecord(signed);
    await this.#adopt(rec);
    if (!this.#d.publish()) return;
    const results = await this.#d.ownPool().publish(rec.event, { relays: [...this.#d.lookupRelays()] });
    if (!results.some((r) => r.status === 'ok')) ctx.emit({ type: 'error', code: 'RELAY_UNREACHABLE', message: 'inbox record not published yet' });
  }

  #myDevice(addedAt: number): InboxDevice {
    return { id: this.#deviceId, ek: this.#ctx.ekHex, addedAt, label: safeLabel(this.#d.deviceLabel), relays: [...this.#d.relays()] };
  }

  async #adopt(rec: SignedRecord): Promise<void> {
    const changed = !this.#own || !sameData(rec, this.#own);
    this.#own = rec;
    await this.#ctx.store.setSetting(SETTING_OWN_RECORD, JSON.parse(JSON.stringify(rec.event)) as JsonValue);
    if (changed) {
      this.#ctx.resubscribe();
      this.#ctx.emit({ type: 'devices' });
    }
  }

  /**
   * Removes another device of mine (a lost phone): my record is republished without it, with a
   * removal marker that keeps it out of later merges, so contacts stop sealing to it. This device
   * cannot remove itself (INVALID_INPUT); an id the record does not list is NOT_FOUND.
   */
  async remove(id: string): Promise<void> {
    const dev = this.#own?.devices.find((d) => d.id === id);
    if (!dev) throw userError('NOT_FOUND', m.err_device_gone());
    if (dev.ek === this.#ctx.ekHex) throw userError('INVALID_INPUT', m.err_device_self());
    // A device removed elsewhere must not take the others with it (the identity would be left with none).
    if (!this.#own?.devices.some((d) => d.ek === this.#ctx.ekHex)) throw userError('INVALID_INPUT', m.err_device_removed());
    await this.sync(null, (data) => removeDevice(data, id, Math.max(this.#ctx.nowS(), dev.addedAt)));
  }

  /** The devices my record certifies (this one marked). */
  devices(): OwnDevice[] {
    return (this.#own?.devices ?? []).map((d) => ({ id: d.id, label: d.label, addedAt: d.addedAt, current: d.ek === this.#ctx.ekHex, ek: d.ek }));
  }

  /** My other devices: they get a copy of what I send and may write to pair mailboxes of mine. */
  otherDevices(): InboxDevice[] {
    return (this.#own?.devices ?? []).filter((d) => d.ek !== this.#ctx.ekHex);
  }

  /** My contact card link; '' until my record exists. */
  card(): string {
    if (!this.#own) return '';
    const payload = encodeContactCard(this.#own.event);
    return this.#d.origin ? contactCardLink(this.#d.origin, payload) : `web+veil:c=${payload}`;
  }
}
