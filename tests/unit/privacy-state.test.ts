/**
 * The traffic-privacy choices in the app layer (src/lib/app/privacy.svelte.ts): the state mirrors what
 * the messenger holds, a change made here is announced to the other tabs, a change announced by another
 * tab is applied here (it may hold the sockets), and failures reach the person as errors.ts sentences.
 */
import { describe, expect, it } from 'vitest';
import { PrivacyState, type PrivacyChoices, type PrivacyCommands, type PrivacyMode } from '../../src/lib/app/privacy.svelte';
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
    const { state } = setup({ mode: 'private', publishRecord: false, coverRate: 'default' });
    expect([state.mode, state.publishRecord]).toEqual(['live', true]); // defaults before unlocking
    state.refresh();
    expect([state.mode, state.publishRecord]).toEqual(['private', false]);
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
});
