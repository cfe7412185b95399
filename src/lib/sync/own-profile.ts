/**
 * My public profile (kind 0, NIP-01 metadata: `name`, `display_name`, `picture`; issue 14 §3) and the
 * local nicknames of my contacts.
 *
 * The profile is public and linked to my npub, so it is identity-linked traffic: read and published
 * ONLY on the lookup relays, on the ownRecord sockets (sockets.ts; never an envelope socket, never in
 * a filter beside a contact's key), and only through the identity gate (identity-gate.ts), like my
 * inbox record and my 10050 list. Saving keeps every other field of the kind 0 it replaces (another
 * client's `about`, `nip05`, …). The last one published or found is kept in the sealed setting
 * `sync.own-profile`.
 *
 * A nickname (the contact's `petname`) never leaves this device: it is sealed with the contact.
 */
import type { TrustedEvent } from '../shared/trusted-event';
import { userError } from '../shared/errors';
import type { RelayPool } from '../relay/pool';
import type { JsonValue } from '../store';
import type { SyncContext } from './context';
import {
  buildProfileEvent,
  checkName,
  checkOwnProfile,
  MAX_PROFILE_JSON_CHARS,
  ownProfileView,
  profileContent,
  profileFields,
  PROFILE_KIND,
  type OwnProfileInput,
  type OwnProfileView
} from './profile';
import { m } from '../paraglide/messages';

export type { OwnProfileInput, OwnProfileView };

const SETTING_OWN_PROFILE = 'sync.own-profile';

/** A kind 0 of mine: its content and created_at. */
interface Known {
  content: string;
  createdAt: number;
}

export interface OwnProfileDeps {
  /** The lookup relays (spec 0005 §Roles): where my profile is read and published. */
  lookupRelays(): readonly string[];
  /** The ownRecord pool: identity-linked, never an envelope socket. */
  ownPool(): RelayPool;
  /** Opens the ownRecord pool's sockets (the gate is checked again after it). */
  openOwn(): Promise<void>;
}


function newer(a: Known | null, b: Known | null): Known | null {
  if (!a) return b;
  if (!b) return a;
  return b.createdAt > a.createdAt ? b : a;
}

export class OwnProfile {
  readonly #ctx: SyncContext;
  readonly #d: OwnProfileDeps;
  #known: Known | null = null;

  constructor(ctx: SyncContext, deps: OwnProfileDeps) {
    this.#ctx = ctx;
    this.#d = deps;
  }

  async load(): Promise<void> {
    const v = await this.#ctx.store.getSetting<JsonValue>(SETTING_OWN_PROFILE);
    const o = v && typeof v === 'object' && !Array.isArray(v) ? (v as { content?: unknown; createdAt?: unknown }) : {};
    if (typeof o.content === 'string' && o.content.length <= MAX_PROFILE_JSON_CHARS && Number.isSafeInteger(o.createdAt)) {
      this.#known = { content: o.content, createdAt: o.createdAt as number };
    }
  }

  /** What is stored, null when no profile of mine is known. */
  current(): OwnProfileView | null {
    return this.#known ? ownProfileView(this.#known.content, this.#known.createdAt) : null;
  }

  /**
   * My profile: the stored one, else my newest kind 0 read from the lookup relays (ownRecord sockets,
   * through the identity gate) and stored. Null when none is found, or when not running (nothing read).
   */
  async fetch(): Promise<OwnProfileView | null> {
    if (this.#known || !this.#ctx.running()) return this.current();
    const found = await this.#gated(() => this.#query());
    if (found) await this.#adopt(found);
    return this.current();
  }

  /**
   * Signs my new kind 0 (merged onto the newest one known, here or on the lookup relays) and publishes
   * it to the lookup relays only. Errors: INVALID_INPUT, TOO_LARGE (the form), RELAY_UNREACHABLE
   * (not connected here, or no lookup relay accepted it), the signer's.
   */
  async save(input: OwnProfileInput): Promise<OwnProfileView> {
    const fields = checkOwnProfile(input);
    if (!this.#ctx.running()) throw userError('RELAY_UNREACHABLE', m.err_profile_not_connected());
    return this.#gated(async () => {
      const base = newer(this.#known, await this.#query());
      const content = profileContent(fields, base ? profileFields(base.content) : undefined);
      // Replaceable: strictly newer than the kind 0 it replaces, even within one second.
      const createdAt = Math.max(this.#ctx.nowS(), (base?.createdAt ?? 0) + 1);
      const event = await this.#ctx.signer.signEvent(buildProfileEvent(content, createdAt));
      const results = await this.#d.ownPool().publish(event, { relays: [...this.#d.lookupRelays()] });
      if (!results.some((r) => r.status === 'ok')) throw userError('RELAY_UNREACHABLE', m.err_profile_not_published());
      await this.#adopt({ content, createdAt });
      return this.current()!;
    });
  }

  /** Runs `task` through the identity gate on the ownRecord sockets; its result or failure. */
  #gated<T>(task: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#ctx.identityGate.run(async () => resolve(await task()), 0, reject, { prepare: () => this.#d.openOwn() });
    });
  }

  /** My newest kind 0 on the lookup relays (by author, my key alone in the filter), null when none. */
  #query(): Promise<Known | null> {
    const me = this.#ctx.me;
    let best: TrustedEvent | null = null;
    return new Promise((resolve) => {
      const sub = this.#d.ownPool().subscribe(
        [{ kinds: [PROFILE_KIND], authors: [me], limit: 1 }],
        {
          onevent: (ev) => {
            if (ev.pubkey !== me || ev.kind !== PROFILE_KIND || ev.content.length > MAX_PROFILE_JSON_CHARS) return;
            // NIP-01 replaceable events: the newest wins; on a tie, the lowest id.
            if (!best || ev.created_at > best.created_at || (ev.created_at === best.created_at && ev.id < best.id)) best = ev;
          },
          oneose: () => {
            const b = best as TrustedEvent | null;
            resolve(b ? { content: b.content, createdAt: b.created_at } : null);
            // oneose may come before subscribe() returns (every relay down): close once `sub` is set.
            queueMicrotask(() => sub.close());
          }
        },
        { relays: [...this.#d.lookupRelays()] }
      );
    });
  }

  async #adopt(k: Known): Promise<void> {
    this.#known = k;
    await this.#ctx.store.setSetting(SETTING_OWN_PROFILE, { content: k.content, createdAt: k.createdAt });
  }
}

/**
 * Sets a contact's nickname (`petname`, sealed with the contact, never published); '' clears it, and
 * the chat shows their profile name again. Errors: NOT_FOUND (not a contact), INVALID_INPUT, TOO_LARGE.
 */
export async function setNickname(ctx: SyncContext, peer: string, name: string): Promise<void> {
  const nickname = checkName(name, 'A nickname');
  if (!(await ctx.store.getContact(peer))) throw userError('NOT_FOUND', m.err_contact_gone());
  await ctx.store.upsertContact({ pubkey: peer, petname: nickname === '' ? null : nickname });
  ctx.emit({ type: 'chats' });
}
