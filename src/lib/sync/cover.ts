/**
 * Cover envelopes (docs/design.md §5; src/lib/camouflage): sealed to a throwaway key (nobody can
 * open them), with a random nonce like every intro, a payload cut from public notes in a size class
 * drawn like this device's real envelopes, into a bucket this device really reads on that relay
 * today (mostly the shared bucket; into the intro bucket as often as this device's real sends go
 * there, within bounds, so intros are not always real). Used by Live mode's cover schedule and Private mode's empty slots.
 */
import { sealEnvelope } from '../crypto/envelope';
import { generateSecretKey } from '../crypto/keys';
import { epochDay } from '../crypto/mailbox';
import type { NostrEvent } from '../relay/types';
import { cryptoRandom } from '../shared/random';
import { ClassHistogram, classOfContentLength } from '../camouflage/classes';
import { CoverSampler } from '../camouflage/sampler';
import type { SessionShapeState } from '../camouflage/session-shape';
import type { JsonValue } from '../store';
import type { SyncContext } from './context';
import type { Sockets } from './sockets';
import { Timer } from './timing';
import type { Parts } from './wiring';

/**
 * Share of cover that goes to the intro bucket: the share of this device's own real sends that went
 * there (first messages), smoothed towards INTRO_PRIOR over INTRO_PRIOR_WEIGHT sends, within
 * [INTRO_SHARE_MIN, INTRO_SHARE_MAX] (every reader trial-opens intro envelopes, so the share is capped).
 * A fixed 2% was told apart from real traffic where a tenth of the sends were first messages.
 */
export const INTRO_PRIOR = 0.05;
export const INTRO_PRIOR_WEIGHT = 20;
export const INTRO_SHARE_MIN = 0.01;
export const INTRO_SHARE_MAX = 0.2;
const SETTING_CLASSES = 'sync.cover-classes';
const SETTING_INTROS = 'sync.cover-intros';
const SETTING_SESSION = 'sync.cover-session';

/** The intro share for `intro` first messages among `sends` real sends. */
export function introShare(intro: number, sends: number): number {
  const s = (intro + INTRO_PRIOR * INTRO_PRIOR_WEIGHT) / (sends + INTRO_PRIOR_WEIGHT);
  return Math.min(INTRO_SHARE_MAX, Math.max(INTRO_SHARE_MIN, s));
}

export interface CoverDeps {
  /** A tag of my read plan on `relay` for `day`: a shared bucket, or the intro bucket. */
  readTag(relay: string, day: number, kind: 'bucket' | 'intro'): string | undefined;
}

export class Cover {
  readonly #ctx: SyncContext;
  readonly #d: CoverDeps;
  readonly sampler = new CoverSampler();
  #classes = new ClassHistogram();
  /** Real sends so far and how many of them went to an intro bucket. */
  #sends = { all: 0, intro: 0 };

  constructor(ctx: SyncContext, deps: CoverDeps) {
    this.#ctx = ctx;
    this.#d = deps;
  }

  /** The session shape of the Live cover schedule as saved (camouflage/session-shape.ts; unknown until load()). */
  savedSessionShape: unknown = undefined;

  async load(): Promise<void> {
    this.savedSessionShape = await this.#ctx.store.getSetting(SETTING_SESSION);
    const c = await this.#ctx.store.getSetting<number[]>(SETTING_CLASSES);
    if (Array.isArray(c)) this.#classes = new ClassHistogram(c);
    const i = await this.#ctx.store.getSetting<{ all: number; intro: number }>(SETTING_INTROS);
    if (i && Number.isSafeInteger(i.all) && Number.isSafeInteger(i.intro) && i.intro >= 0 && i.intro <= i.all) this.#sends = { all: i.all, intro: i.intro };
  }

  /** The size classes of real envelopes this device just queued, and whether that send went to an intro bucket (cover follows both). */
  async recordReal(events: readonly { kind: number; content: string }[], intro = false): Promise<void> {
    for (const e of events) if (e.kind === 1067) this.#classes.record(classOfContentLength(e.content.length));
    this.#sends = { all: this.#sends.all + 1, intro: this.#sends.intro + (intro ? 1 : 0) };
    await this.#ctx.store.setSetting(SETTING_CLASSES, this.#classes.counts());
    await this.#ctx.store.setSetting(SETTING_INTROS, this.#sends);
  }

  saveSessionShape(state: SessionShapeState): Promise<void> {
    return this.#ctx.store.setSetting(SETTING_SESSION, state as unknown as JsonValue);
  }

  /** One cover envelope for `relay`, or null when this device reads nothing there today. */
  async envelope(relay: string): Promise<NostrEvent | null> {
    const nowS = this.#ctx.nowS();
    const day = epochDay(nowS);
    const intro = cryptoRandom() < introShare(this.#sends.intro, this.#sends.all);
    const tag = this.#d.readTag(relay, day, intro ? 'intro' : 'bucket') ?? this.#d.readTag(relay, day, 'bucket');
    if (!tag) return null;
    const throwaway = generateSecretKey();
    try {
      const event = await sealEnvelope({
        recipientEk: this.#ctx.curve.xOnlyPublicKey(throwaway),
        mailbox: tag,
        payload: { type: 'cover', bytes: this.sampler.payload(this.#classes.sample()) },
        nowSeconds: nowS
      }, this.#ctx.curve);
      return event as NostrEvent;
    } finally {
      throwaway.fill(0);
    }
  }
}

/** Public notes for cover payloads: one REQ for recent kind 1, the same from every reader, no pubkey in it. */
export function readPublicNotes(sockets: Pick<Sockets, 'envelope'>, cover: Pick<Cover, 'sampler'>): void {
  const pool = sockets.envelope();
  if (!pool) return;
  const sub = pool.subscribe([{ kinds: [1], limit: 100 }], { onevent: (ev) => cover.sampler.offer(JSON.stringify(ev)), oneose: () => sub.close() });
}

/**
 * Live mode's cover schedule run for `ms`, then stopped (the service worker's wake, issue 13 §4): a wake
 * is a short session, and its cover follows the same session shape as the app's, so a wake that
 * publishes is not necessarily one that had a message queued. Nothing in Private mode or with cover off.
 */
export function coverFor(p: Pick<Parts, 'ctx' | 'liveCover' | 'relays'>, ms: number): Promise<void> {
  const { privacy, timers } = p.ctx;
  if (ms <= 0 || privacy.mode !== 'live' || privacy.coverRate === 'off') return Promise.resolve();
  p.liveCover.start(p.relays.list(), privacy.coverRate);
  return new Promise<void>((r) => new Timer(timers).set(r, ms)).finally(() => p.liveCover.stop());
}
