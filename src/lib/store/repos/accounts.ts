/** Repository of `accounts`: key = random local id; pubkey, signer and profile sealed. */
import { VeilError } from '../../shared/errors';
import { openEach, randomId, type StoreContext } from '../context';
import type { AccountRecord } from '../schema';
import type { Account, AccountInput, Profile, SignerInfo } from '../types';
import { hex64, localId, validProfile, validSigner } from '../validate';

/** Sealed in `accounts.sealed`. */
interface AccountSecret {
  pubkey: string;
  signer: SignerInfo;
  profile?: Profile;
}

export class AccountsRepo {
  readonly #c: StoreContext;

  constructor(c: StoreContext) {
    this.#c = c;
  }

  #secret(input: AccountInput): AccountSecret {
    const secret: AccountSecret = { pubkey: hex64(input.pubkey, 'pubkey'), signer: validSigner(input.signer) };
    const profile = validProfile(input.profile);
    if (profile) secret.profile = profile;
    return secret;
  }

  async put(input: AccountInput): Promise<string> {
    const secret = this.#secret(input);
    let id = input.id === undefined ? undefined : localId(input.id, 'account id');
    if (id === undefined) id = (await this.list()).find((a) => a.pubkey === secret.pubkey)?.id ?? randomId();
    await this.#c.putSealed('accounts', id, secret);
    return id;
  }

  /** The sealed record of an existing account with new fields, to be written in another write's transaction (a passphrase change). */
  async sealed(input: AccountInput & { id: string }): Promise<AccountRecord> {
    const id = localId(input.id, 'account id');
    const old = await this.#c.get('accounts', id);
    if (!old) throw new VeilError('NOT_FOUND', 'no such account');
    return { id, createdAt: old.createdAt, updatedAt: Date.now(), sealed: await this.#c.vault.seal('accounts', id, 'data', this.#secret(input)) };
  }

  async #view(rec: AccountRecord): Promise<Account> {
    const s = await this.#c.vault.open<AccountSecret>('accounts', rec.id, 'data', rec.sealed);
    return { id: rec.id, ...s, createdAt: rec.createdAt, updatedAt: rec.updatedAt };
  }

  async get(id: string): Promise<Account | undefined> {
    localId(id, 'account id');
    this.#c.requireUnlocked();
    const rec = await this.#c.get('accounts', id);
    return rec ? this.#view(rec) : undefined;
  }

  async list(): Promise<Account[]> {
    this.#c.requireUnlocked();
    const recs = await this.#c.one('accounts', 'readonly', async (store) => store.getAll());
    const { ok } = await openEach(recs, (r) => this.#view(r));
    return ok.sort((a, b) => a.createdAt - b.createdAt);
  }

}
