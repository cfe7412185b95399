/**
 * The locked inbox (issue 13 §2; docs/storage.md "Reading while locked"). With "check while locked"
 * on, the page leaves the service worker a read plan in `meta` ('locked-read': the envelope relays,
 * this device's intro bucket tags for the days ahead, when each relay was last read while locked,
 * whether the "unlock to read" notification was shown) and the
 * worker keeps what it reads in `locked-inbox`, as the relay sent it. Both are PLAIN: the worker has
 * no key. What that tells a stolen disk is in docs/storage.md. Everything here works while locked.
 */
import { VeilError } from '../../shared/errors';
import type { NostrEventJson } from '../../shared/nostr';
import type { StoreContext } from '../context';
import type { LockedEnvelopeRecord } from '../schema';

/** Envelopes kept at most; a wake that finds more keeps the newest (the relays keep the rest for a while). */
export const MAX_LOCKED_ENVELOPES = 5_000;
/** Relays in a plan at most (an envelope relay list is bounded far below). */
const MAX_PLAN_RELAYS = 16;
const PLAN_KEY = 'locked-read';
/** Intro tags kept per relay at most (days ahead). */
const MAX_PLAN_DAYS = 32;

/** What the locked worker reads. */
export interface LockedReadPlan {
  /** Normalized envelope relay URLs. */
  relays: string[];
  /** Per relay, per UTC day: this device's intro bucket tag (64 hex), for the days ahead the page computed. */
  intro: Record<string, Record<string, string>>;
  /** Per relay: the last locked read that completed (s). */
  readAt: Record<string, number>;
  /** The "unlock to read" notification was shown since the app was last unlocked. */
  notified: boolean;
}

function parsePlan(value: unknown): LockedReadPlan | null {
  if (typeof value !== 'string') return null;
  try {
    const v = JSON.parse(value) as Partial<LockedReadPlan>;
    if (!Array.isArray(v.relays) || !v.relays.every((r) => typeof r === 'string') || v.relays.length > MAX_PLAN_RELAYS) return null;
    const readAt: Record<string, number> = {};
    for (const [k, t] of Object.entries(v.readAt ?? {})) if (v.relays.includes(k) && Number.isSafeInteger(t) && t > 0) readAt[k] = t;
    const intro: Record<string, Record<string, string>> = {};
    for (const [relay, days] of Object.entries(v.intro ?? {})) {
      if (!v.relays.includes(relay) || typeof days !== 'object' || days === null) continue;
      const ok = Object.entries(days).filter(([day, tag]) => /^\d{1,7}$/.test(day) && typeof tag === 'string' && /^[0-9a-f]{64}$/.test(tag));
      intro[relay] = Object.fromEntries(ok.slice(0, MAX_PLAN_DAYS));
    }
    return { relays: v.relays, intro, readAt, notified: v.notified === true };
  } catch {
    return null; // a damaged record: no plan (the page writes a new one)
  }
}

export class LockedInboxRepo {
  readonly #c: StoreContext;

  constructor(c: StoreContext) {
    this.#c = c;
  }

  /** The plan the page left; null when reading while locked is off. */
  async plan(): Promise<LockedReadPlan | null> {
    return parsePlan((await this.#c.get('meta', PLAN_KEY))?.value);
  }

  /** Writes the plan; null turns reading while locked off and deletes what was kept. */
  async setPlan(plan: LockedReadPlan | null, now = Date.now()): Promise<void> {
    if (plan && (plan.relays.length > MAX_PLAN_RELAYS || !plan.relays.every((r) => typeof r === 'string'))) throw new VeilError('INVALID_INPUT', 'bad locked read plan');
    await this.#c.tx(['meta', 'locked-inbox'], 'readwrite', async (tx) => {
      if (!plan) {
        await tx.objectStore('meta').delete(PLAN_KEY);
        await tx.objectStore('locked-inbox').clear();
        return;
      }
      await tx.objectStore('meta').put({ key: PLAN_KEY, value: JSON.stringify(plan), updatedAt: now });
    });
  }

  /**
   * Keeps envelopes (already verified by the caller); one already kept is skipped. Returns how many
   * are new. Beyond MAX_LOCKED_ENVELOPES the oldest by created_at are dropped.
   */
  async add(items: readonly { event: NostrEventJson; relay: string }[], now = Date.now()): Promise<number> {
    if (items.length === 0) return 0;
    return this.#c.one('locked-inbox', 'readwrite', async (store) => {
      let added = 0;
      for (const { event, relay } of items) {
        if (await store.getKey(event.id)) continue;
        await store.put({ id: event.id, event, relay, storedAt: now });
        added++;
      }
      const n = await store.count();
      if (n > MAX_LOCKED_ENVELOPES) {
        const all = (await store.getAll()).sort(byCreated);
        for (const r of all.slice(0, n - MAX_LOCKED_ENVELOPES)) await store.delete(r.id);
      }
      return added;
    });
  }

  /** Every kept envelope, oldest first (created_at, then id). */
  async list(): Promise<LockedEnvelopeRecord[]> {
    return (await this.#c.one('locked-inbox', 'readonly', (store) => store.getAll())).sort(byCreated);
  }

  async count(): Promise<number> {
    return this.#c.one('locked-inbox', 'readonly', (store) => store.count());
  }

  /** Deletes envelopes once they are opened (or dropped). */
  async remove(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.#c.one('locked-inbox', 'readwrite', async (store) => {
      for (const id of ids) await store.delete(id);
    });
  }
}

function byCreated(a: LockedEnvelopeRecord, b: LockedEnvelopeRecord): number {
  return a.event.created_at - b.event.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
