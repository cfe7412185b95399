/**
 * Cover envelopes (docs/design.md §5; src/lib/camouflage): sealed to a throwaway key (nobody can
 * open them), with a random nonce like every intro, a payload cut from public notes in a size class
 * drawn like this device's real envelopes, into a bucket this device really reads on that relay
 * today (mostly the shared bucket; a small share into the intro bucket, which every reader scans,
 * so intros are not always real). Used by Live mode's cover schedule and Private mode's empty slots.
 */
import { sealEnvelope } from '../crypto/envelope';
import { generateSecretKey, getXOnlyPublicKey } from '../crypto/keys';
import { epochDay } from '../crypto/mailbox';
import type { NostrEvent } from '../relay/types';
import { cryptoRandom } from '../shared/random';
import { ClassHistogram, classOfContentLength } from '../camouflage/classes';
import { CoverSampler } from '../camouflage/sampler';
import type { SyncContext } from './context';

/** Share of cover that goes to the intro bucket (real intros are rare; every reader trial-opens these). */
export const INTRO_COVER_SHARE = 0.02;
const SETTING_CLASSES = 'sync.cover-classes';

export interface CoverDeps {
  /** A tag of my read plan on `relay` for `day`: a shared bucket, or the intro bucket. */
  readTag(relay: string, day: number, kind: 'bucket' | 'intro'): string | undefined;
}

export class Cover {
  readonly #ctx: SyncContext;
  readonly #d: CoverDeps;
  readonly sampler = new CoverSampler();
  #classes = new ClassHistogram();

  constructor(ctx: SyncContext, deps: CoverDeps) {
    this.#ctx = ctx;
    this.#d = deps;
  }

  async load(): Promise<void> {
    const c = await this.#ctx.store.getSetting<number[]>(SETTING_CLASSES);
    if (Array.isArray(c)) this.#classes = new ClassHistogram(c);
  }

  /** The size classes of real envelopes this device just queued (cover follows them). */
  async recordReal(events: readonly { kind: number; content: string }[]): Promise<void> {
    for (const e of events) if (e.kind === 1067) this.#classes.record(classOfContentLength(e.content.length));
    await this.#ctx.store.setSetting(SETTING_CLASSES, this.#classes.counts());
  }

  /** One cover envelope for `relay`, or null when this device reads nothing there today. */
  async envelope(relay: string): Promise<NostrEvent | null> {
    const nowS = this.#ctx.nowS();
    const day = epochDay(nowS);
    const intro = cryptoRandom() < INTRO_COVER_SHARE;
    const tag = this.#d.readTag(relay, day, intro ? 'intro' : 'bucket') ?? this.#d.readTag(relay, day, 'bucket');
    if (!tag) return null;
    const throwaway = generateSecretKey();
    try {
      const event = await sealEnvelope({
        recipientEk: getXOnlyPublicKey(throwaway),
        mailbox: tag,
        payload: { type: 'cover', bytes: this.sampler.payload(this.#classes.sample()) },
        nowSeconds: nowS
      });
      return event as NostrEvent;
    } finally {
      throwaway.fill(0);
    }
  }
}
