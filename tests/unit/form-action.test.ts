/** FormAction: busy while a submission runs, one at a time, and a sentence for people when it fails. */
import { describe, expect, it } from 'vitest';
import { FormAction } from '../../src/lib/app/form-action.svelte';
import { VeilError, userError } from '../../src/lib/shared/errors';

describe('FormAction', () => {
  it('is busy while the task runs, and clears the previous error', async () => {
    const form = new FormAction();
    await form.run(null, async () => {
      throw new VeilError('WRONG_PASSPHRASE', 'tag mismatch');
    });
    expect(form.error).toBe('That passphrase is not right. Try again: nothing changes until it is.');
    let release!: () => void;
    const p = form.run(null, () => new Promise<void>((r) => (release = r)));
    expect(form.busy).toBe(true);
    expect(form.error).toBe('');
    release();
    await p;
    expect(form.busy).toBe(false);
  });

  it('ignores a second submission while one runs', async () => {
    const form = new FormAction();
    let runs = 0;
    let release!: () => void;
    const first = form.run(null, () => {
      runs++;
      return new Promise<void>((r) => (release = r));
    });
    await form.run(null, async () => {
      runs++;
    });
    release();
    await first;
    expect(runs).toBe(1);
  });

  it('shows what the thrower wrote for people, never developer text', async () => {
    const form = new FormAction();
    await form.run(null, async () => {
      throw userError('INVALID_INPUT', 'That is your own key.');
    });
    expect(form.error).toBe('That is your own key.');
    await form.run(null, async () => {
      throw new VeilError('INVALID_INPUT', 'invalid tag value');
    });
    expect(form.error).not.toContain('invalid tag value');
  });
});
