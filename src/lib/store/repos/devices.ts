/** Repository of `devices`: this browser's envelope keys (EK secret and label sealed), key = random device id. */
import { abytes, bytesToHex, hexToBytes } from '../../shared/bytes';
import { randomId, type StoreContext } from '../context';
import type { DeviceRecord } from '../schema';
import type { Device, DeviceInput } from '../types';
import { localId, text } from '../validate';

/** Sealed in `devices.sealed`. */
interface DeviceSecret {
  label: string;
  /** hex */
  secretKey: string;
  accountId?: string;
}

export class DevicesRepo {
  readonly #c: StoreContext;

  constructor(c: StoreContext) {
    this.#c = c;
  }

  async put(input: DeviceInput): Promise<string> {
    abytes(input.secretKey, 32, 'device secret key');
    const id = input.id === undefined ? randomId() : localId(input.id, 'device id');
    const secret: DeviceSecret = { label: text(input.label, 256, 'device label'), secretKey: bytesToHex(input.secretKey) };
    if (input.accountId !== undefined) secret.accountId = localId(input.accountId, 'account id');
    await this.#c.putSealed('devices', id, secret);
    return id;
  }

  async #view(rec: DeviceRecord): Promise<Device> {
    const s = await this.#c.vault.open<DeviceSecret>('devices', rec.id, 'data', rec.sealed);
    const d: Device = { id: rec.id, label: s.label, secretKey: hexToBytes(s.secretKey, 32), createdAt: rec.createdAt, updatedAt: rec.updatedAt };
    if (s.accountId !== undefined) d.accountId = s.accountId;
    return d;
  }

  async get(id: string): Promise<Device | undefined> {
    localId(id, 'device id');
    this.#c.requireUnlocked();
    const rec = await this.#c.get('devices', id);
    return rec ? this.#view(rec) : undefined;
  }

  async list(): Promise<Device[]> {
    this.#c.requireUnlocked();
    const recs = await this.#c.one('devices', 'readonly', async (store) => store.getAll());
    return Promise.all(recs.map((r) => this.#view(r)));
  }

}
