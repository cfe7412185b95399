import { describeError } from './errors';

/**
 * One form submission at a time: `busy` while it runs, `error` (a sentence for people) when it fails.
 * What was typed is the component's and stays, to be corrected.
 */
export class FormAction {
  busy = $state(false);
  error = $state('');

  async run(event: SubmitEvent | null, task: () => Promise<void>): Promise<void> {
    event?.preventDefault();
    if (this.busy) return;
    this.error = '';
    this.busy = true;
    try {
      await task();
    } catch (err) {
      this.error = describeError(err);
    } finally {
      this.busy = false;
    }
  }
}
