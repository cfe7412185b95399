/**
 * The traffic-privacy choices in the app layer (src/lib/app/privacy.svelte.ts): the state mirrors what
 * the messenger holds, a change made here is announced to the other tabs, a change announced by another
 * tab is applied here (it may hold the sockets), and failures reach the person as errors.ts sentences.
 * The daily cover bound shown beside each rate follows COVER_RATES and a really sealed envelope.
 */
import { describe, expect, it } from 'vitest';
import { finalizeEvent } from 'nostr-tools/pure';
import {
  COVER_EVENT_BYTES,
  COVER_RATE_ORDER,
  coverBudgetText,
  coverBytesPerDay,
  PrivacyState,
  type CoverRate,
  type PrivacyChoices,
  type PrivacyCommands,
  type PrivacyMode
} from '../../src/lib/app/privacy.svelte';
import { COVER_RATES } from '../../src/lib/camouflage/schedule';
import { bucketPoint, pairTagKey } from '../../src/lib/crypto/bucket';
import { chatMessageTemplate, sealEnvelope } from '../../src/lib/crypto/envelope';
import { generateSecretKey, getXOnlyPublicKey } from '../../src/lib/crypto/keys';
import { derivePairKey, epochDay } from '../../src/lib/crypto/mailbox';
import { bytesToHex } from '../../src/lib/shared/bytes';
import { describeError, ERROR_SENTENCES } from '../../src/lib/app/errors';
import { VeilError } from '../../src/lib/shared/errors';

/** A messenger's privacy part in memory: every call recorded; `fail` makes the next store write throw. */
class FakeMessenger implements PrivacyCommands {
  choices: PrivacyChoices = { mode: 'live', publishRecord: true, coverRate: 'default' };
  calls: string[] = [];
  fail: VeilError | null = null;

  privacy(): PrivacyChoices {
    return { ...this.choices };
  }
  async setPrivacyMode(mode: PrivacyMode): Promise<void> {
    this.calls.push(`mode:${mode}`);
    this.#write();
    this.choices.mode = mode;
  }
  async setPublishRecord(on: boolean): Promise<void> {
    this.calls.push(`record:${on}`);
    this.#write();
    this.choices.publishRecord = on;
  }
  async setCoverRate(rate: CoverRate): Promise<void> {
    this.calls.push(`cover:${rate}`);
    this.#write();
    this.choices.coverRate = rate;
  }
  #write(): void {
    const f = this.fail;
    this.fail = null;
    if (f) throw f;
  }
}

function setup(start?: Partial<PrivacyChoices>) {
  const m = new FakeMessenger();
  Object.assign(m.choices, start);
  let source: FakeMessenger | null = m;
  const announced: PrivacyChoices[] = [];
  const state = new PrivacyState(() => source, (c) => announced.push(c));
  return { m, state, announced, lock: () => (source = null) };
}

describe('PrivacyState', () => {
  it('shows what the messenger holds once unlocked', () => {
    const { state } = setup({ mode: 'private', publishRecord: false, coverRate: 'high' });
    expect([state.mode, state.publishRecord, state.coverRate]).toEqual(['live', true, 'default']); // defaults before unlocking
    state.refresh();
    expect([state.mode, state.publishRecord, state.coverRate]).toEqual(['private', false, 'high']);
  });

  it('switches the mode and the record choice, and tells the other tabs', async () => {
    const { m, state, announced } = setup();
    state.refresh();
    await state.setPrivacyMode('private');
    expect(state.mode).toBe('private');
    await state.setPublishRecord(false);
    expect(state.publishRecord).toBe(false);
    expect(m.calls).toEqual(['mode:private', 'record:false']);
    expect(announced).toEqual([
      { mode: 'private', publishRecord: true, coverRate: 'default' },
      { mode: 'private', publishRecord: false, coverRate: 'default' }
    ]);
  });

  it('a failed change keeps what holds, announces nothing, and throws words for people', async () => {
    const { m, state, announced } = setup();
    state.refresh();
    m.fail = new VeilError('STORAGE_FAILED', 'transaction aborted');
    const err = await state.setPrivacyMode('private').catch((e: unknown) => e);
    expect(describeError(err)).toBe(ERROR_SENTENCES.STORAGE_FAILED);
    expect(state.mode).toBe('live');
    m.fail = new VeilError('INVALID_INPUT', 'unknown privacy mode');
    await expect(state.setPublishRecord(false)).rejects.toBeInstanceOf(VeilError);
    expect(state.publishRecord).toBe(true);
    expect(announced).toEqual([]);
  });

  it('refuses to change anything while locked', async () => {
    const { m, state, lock } = setup();
    lock();
    const err = await state.setPrivacyMode('private').catch((e: unknown) => e);
    expect(describeError(err)).toBe(ERROR_SENTENCES.VAULT_LOCKED);
    expect(m.calls).toEqual([]);
  });

  it("applies another tab's change here, only what differs, without announcing it back", async () => {
    const { m, state, announced } = setup();
    state.refresh();
    await state.adopt({ mode: 'private', publishRecord: true, coverRate: 'default' });
    expect(m.calls).toEqual(['mode:private']);
    expect(state.mode).toBe('private');
    await state.adopt({ mode: 'private', publishRecord: false, coverRate: 'default' });
    expect(m.calls).toEqual(['mode:private', 'record:false']);
    expect(state.publishRecord).toBe(false);
    expect(announced).toEqual([]);
  });

  it("a failure while applying another tab's change leaves the state at what holds, and does not throw", async () => {
    const { m, state } = setup();
    state.refresh();
    m.fail = new VeilError('STORAGE_FAILED', 'transaction aborted');
    await state.adopt({ mode: 'private', publishRecord: false, coverRate: 'default' });
    // The mode failed; the record choice after it was not attempted.
    expect(m.calls).toEqual(['mode:private']);
    expect([state.mode, state.publishRecord]).toEqual(['live', true]);
  });

  it('sets the cover rate and tells the other tabs; a failure keeps the rate that holds', async () => {
    const { m, state, announced } = setup();
    state.refresh();
    await state.setCoverRate('low');
    expect(state.coverRate).toBe('low');
    expect(m.calls).toEqual(['cover:low']);
    expect(announced).toEqual([{ mode: 'live', publishRecord: true, coverRate: 'low' }]);
    m.fail = new VeilError('INVALID_INPUT', 'unknown cover rate');
    await expect(state.setCoverRate('high')).rejects.toBeInstanceOf(VeilError);
    expect(state.coverRate).toBe('low');
    expect(announced).toHaveLength(1);
  });

  it("applies another tab's cover rate here, without announcing it back", async () => {
    const { m, state, announced } = setup();
    state.refresh();
    await state.adopt({ mode: 'live', publishRecord: true, coverRate: 'off' });
    expect(m.calls).toEqual(['cover:off']);
    expect(state.coverRate).toBe('off');
    await state.adopt({ mode: 'live', publishRecord: true, coverRate: 'off' });
    expect(m.calls).toEqual(['cover:off']); // nothing differs: nothing applied
    expect(announced).toEqual([]);
  });

  it('refuses to change the cover rate while locked', async () => {
    const { m, state, lock } = setup();
    lock();
    const err = await state.setCoverRate('high').catch((e: unknown) => e);
    expect(describeError(err)).toBe(ERROR_SENTENCES.VAULT_LOCKED);
    expect(m.calls).toEqual([]);
  });
});

describe('the daily cover bound beside each rate', () => {
  it('is the daily budget of COVER_RATES times one class-1 envelope, in every rate the settings offer', () => {
    expect([...COVER_RATE_ORDER].sort()).toEqual(Object.keys(COVER_RATES).sort());
    for (const r of COVER_RATE_ORDER) expect(coverBytesPerDay(r)).toBe(COVER_RATES[r].perDay * COVER_EVENT_BYTES);
    expect(COVER_RATE_ORDER.map(coverBudgetText)).toEqual(['nothing', 'up to 87 KB a day', 'up to 236 KB a day', 'up to 1.09 MB a day']);
  });

  it('uses the size of a really sealed class-1 envelope event (what scripts/bandwidth.ts measures)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const me = generateSecretKey();
    const them = generateSecretKey();
    const themEk = getXOnlyPublicKey(them);
    const day = epochDay(now);
    const inner = finalizeEvent(chatMessageTemplate({ text: 'See you at eight?', recipients: [bytesToHex(getXOnlyPublicKey(generateSecretKey()))], createdAt: now }), generateSecretKey());
    const ev = await sealEnvelope({
      recipientEk: themEk,
      mailbox: bucketPoint('wss://relay.example.com', day, 0, 0),
      payload: { type: 'event', event: inner },
      nowSeconds: now,
      pairTagKey: pairTagKey(derivePairKey(me, themEk), getXOnlyPublicKey(me), themEk, day)
    });
    expect(ev.content.length).toBe(1368); // the smallest size class
    expect(new TextEncoder().encode(JSON.stringify(ev)).length).toBe(COVER_EVENT_BYTES);
  });
});
