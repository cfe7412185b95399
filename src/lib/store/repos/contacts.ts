/** Repository of `contacts`: key = blind(pubkey); state plain (index `by-state`), everything naming the person sealed. */
import { openEach, type StoreContext } from '../context';
import type { ContactRecord, ContactState } from '../schema';
import type { Contact, ContactInput, Profile, Protocol, VerifiedKeys } from '../types';
import { MAX_CONTACT_RELAYS, MAX_EKS, contactState, hex64, list, optText, protocol, storeRelayUrl, validProfile, validVerified } from '../validate';

/** Sealed in `contacts.sealed`. */
interface ContactSecret {
  pubkey: string;
  eks: string[];
  relays: string[];
  petname?: string;
  profile?: Profile;
  protocol: Protocol;
  /** Safety number compared (spec 0006): the key-set id verified and when. */
  verified?: VerifiedKeys;
}

/** The blind index a contact (and its peer routing record) is stored under. */
export function contactKey(c: StoreContext, pubkey: string): Promise<string> {
  return c.vault.blind('contact', hex64(pubkey, 'pubkey'));
}

function view(rec: ContactRecord, s: ContactSecret): Contact {
  const c: Contact = {
    pubkey: s.pubkey,
    eks: s.eks,
    relays: s.relays,
    state: rec.state,
    protocol: s.protocol,
    addedAt: rec.addedAt,
    updatedAt: rec.updatedAt
  };
  if (s.petname !== undefined) c.petname = s.petname;
  if (s.profile !== undefined) c.profile = s.profile;
  if (s.verified !== undefined) c.verified = s.verified;
  return c;
}

export class ContactsRepo {
  readonly #c: StoreContext;

  constructor(c: StoreContext) {
    this.#c = c;
  }

  #open(rec: ContactRecord): Promise<ContactSecret> {
    return this.#c.vault.open<ContactSecret>('contacts', rec.id, 'data', rec.sealed);
  }

  async upsert(input: ContactInput): Promise<Contact> {
    const pubkey = hex64(input.pubkey, 'pubkey');
    const eks = input.eks === undefined ? undefined : list(input.eks, MAX_EKS, 'eks', (k) => hex64(k, 'ek'));
    const relays = input.relays === undefined ? undefined : list(input.relays, MAX_CONTACT_RELAYS, 'relays', storeRelayUrl);
    const petname = input.petname === null ? null : optText(input.petname, 256, 'petname');
    const profile = validProfile(input.profile);
    const verified = validVerified(input.verified);
    if (input.state !== undefined) contactState(input.state);
    if (input.protocol !== undefined) protocol(input.protocol);

    const id = await contactKey(this.#c, pubkey);
    const old = await this.#c.get('contacts', id);
    const prev = old ? await this.#open(old) : undefined;
    const secret: ContactSecret = {
      pubkey,
      eks: eks ?? prev?.eks ?? [],
      relays: relays ?? prev?.relays ?? [],
      protocol: input.protocol ?? prev?.protocol ?? 'veil'
    };
    const pn = petname === null ? undefined : (petname ?? prev?.petname);
    if (pn !== undefined) secret.petname = pn;
    const pf = profile ?? prev?.profile;
    if (pf !== undefined) secret.profile = pf;
    const vf = verified === null ? undefined : (verified ?? prev?.verified);
    if (vf !== undefined) secret.verified = vf;
    const sealed = await this.#c.vault.seal('contacts', id, 'data', secret);
    const now = Date.now();
    const rec: ContactRecord = { id, state: input.state ?? old?.state ?? 'request', addedAt: old?.addedAt ?? now, updatedAt: now, sealed };
    await this.#c.one('contacts', 'readwrite', async (store, changes) => {
      // Keep a state change another tab made meanwhile unless this call sets the state.
      const cur = await store.get(id);
      if (cur && input.state === undefined) rec.state = cur.state;
      await store.put(rec);
      changes.push({ store: 'contacts', key: id });
    });
    return view(rec, secret);
  }

  async get(pubkey: string): Promise<Contact | undefined> {
    const rec = await this.#c.get('contacts', await contactKey(this.#c, pubkey));
    return rec ? view(rec, await this.#open(rec)) : undefined;
  }

  async list(state?: ContactState): Promise<Contact[]> {
    this.#c.requireUnlocked();
    const recs = await this.#c.one('contacts', 'readonly', async (store) =>
      state === undefined ? store.getAll() : store.index('by-state').getAll(state)
    );
    return (await openEach(recs, async (r) => view(r, await this.#open(r)))).ok;
  }

  async setState(pubkey: string, state: ContactState): Promise<void> {
    contactState(state);
    const id = await contactKey(this.#c, pubkey);
    const minimal = await this.#c.vault.seal('contacts', id, 'data', { pubkey, eks: [], relays: [], protocol: 'veil' } satisfies ContactSecret);
    const now = Date.now();
    await this.#c.one('contacts', 'readwrite', async (store, changes) => {
      const cur = await store.get(id);
      await store.put(cur ? { ...cur, state, updatedAt: now } : { id, state, addedAt: now, updatedAt: now, sealed: minimal });
      changes.push({ store: 'contacts', key: id });
    });
  }


  async delete(pubkey: string): Promise<void> {
    await this.#c.delete('contacts', await contactKey(this.#c, pubkey));
  }
}
