/**
 * Repository of `contacts`: key = blind(pubkey); state plain (index `by-state`), everything naming the
 * person sealed. The state is sealed too (issue 16 item 6): the sealed copy is the one believed, so a
 * disk writer who flips the plain state (unblocks someone) changes nothing but the index; records
 * written before carry no sealed state and are believed as they are until they are next written.
 */
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
  /** The state as last written here (absent in records written before it was sealed). */
  state?: ContactState;
}

/** Attempts of a write that another write overtook between its read and its write (merged again on top). */
const WRITE_TRIES = 5;

/** Whether the record was written since `old` was read (each write seals anew, with a fresh nonce). */
function changedSince(cur: ContactRecord | undefined, old: ContactRecord | undefined): boolean {
  if (!cur || !old) return cur !== old;
  return cur.updatedAt !== old.updatedAt || cur.sealed.length !== old.sealed.length || cur.sealed.some((b, i) => b !== old.sealed[i]);
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
    state: s.state ?? rec.state,
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
    // Merged onto the record as it is when written: if another write (this tab's inbound pipeline, a
    // lookup, another tab) lands between the read and the write, the merge is made again on top of it,
    // so neither its details nor its state are lost. The state is sealed with the rest.
    for (let attempt = 1; ; attempt++) {
      const old = await this.#c.get('contacts', id);
      const prev = old ? await this.#open(old) : undefined;
      const secret: ContactSecret = {
        pubkey,
        eks: eks ?? prev?.eks ?? [],
        relays: relays ?? prev?.relays ?? [],
        protocol: input.protocol ?? prev?.protocol ?? 'veil',
        state: input.state ?? prev?.state ?? old?.state ?? 'request'
      };
      const pn = petname === null ? undefined : (petname ?? prev?.petname);
      if (pn !== undefined) secret.petname = pn;
      const pf = profile ?? prev?.profile;
      if (pf !== undefined) secret.profile = pf;
      const vf = verified === null ? undefined : (verified ?? prev?.verified);
      if (vf !== undefined) secret.verified = vf;
      const sealed = await this.#c.vault.seal('contacts', id, 'data', secret);
      const now = Date.now();
      const rec: ContactRecord = { id, state: secret.state!, addedAt: old?.addedAt ?? now, updatedAt: now, sealed };
      const written = await this.#c.one('contacts', 'readwrite', async (store, changes) => {
        const cur = await store.get(id);
        if (changedSince(cur, old) && attempt < WRITE_TRIES) return false;
        await store.put(rec);
        changes.push({ store: 'contacts', key: id });
        return true;
      });
      if (written) return view(rec, secret);
    }
  }

  async get(pubkey: string): Promise<Contact | undefined> {
    const rec = await this.#c.get('contacts', await contactKey(this.#c, pubkey));
    return rec ? view(rec, await this.#open(rec)) : undefined;
  }

  async list(state?: ContactState): Promise<Contact[]> {
    this.#c.requireUnlocked();
    // Every record, filtered by the sealed state: the plain index may have been changed on disk.
    const recs = await this.#c.one('contacts', 'readonly', async (store) => store.getAll());
    const all = (await openEach(recs, async (r) => view(r, await this.#open(r)))).ok;
    return state === undefined ? all : all.filter((c) => c.state === state);
  }

  async setState(pubkey: string, state: ContactState): Promise<void> {
    contactState(state);
    const id = await contactKey(this.#c, pubkey);
    for (let attempt = 1; ; attempt++) {
      const before = await this.#c.get('contacts', id);
      const secret: ContactSecret = before ? await this.#open(before) : { pubkey, eks: [], relays: [], protocol: 'veil' };
      const sealed = await this.#c.vault.seal('contacts', id, 'data', { ...secret, state });
      const now = Date.now();
      const done = await this.#c.one('contacts', 'readwrite', async (store, changes) => {
        const cur = await store.get(id);
        // Another tab rewrote the contact since it was read: seal again from theirs (its details win).
        if (changedSince(cur, before) && attempt < WRITE_TRIES) return false;
        await store.put({ id, state, addedAt: cur?.addedAt ?? now, updatedAt: now, sealed });
        changes.push({ store: 'contacts', key: id });
        return true;
      });
      if (done) return;
    }
  }

  async delete(pubkey: string): Promise<void> {
    await this.#c.delete('contacts', await contactKey(this.#c, pubkey));
  }
}
