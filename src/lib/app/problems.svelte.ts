/**
 * Background failures the person has to know about, as one banner (BackgroundProblem.svelte). Today:
 * a full disk (or another storage failure) while messages arrive or the outbox updates. Nothing is
 * lost then (the message is not marked seen and its relay's read point stays, so it is read again;
 * inbound.ts), but the person should free space, so it is said, once, until saving works again.
 * Relay trouble is not reported here: the relay screen shows it per relay.
 */
import type { VeilErrorCode } from '../shared/errors';
import { BACKGROUND_SENTENCES } from './errors';

export class Problems {
  /** The sentence shown now, or '' when there is nothing to say. */
  text = $state('');
  code = $state<VeilErrorCode | null>(null);

  /** A background `error` event from the Messenger; only the ones with a sentence above are shown. */
  report(code: VeilErrorCode): void {
    const sentence = BACKGROUND_SENTENCES[code];
    if (!sentence) return;
    this.code = code;
    this.text = sentence;
  }

  /** Saving works again (a message was stored): the banner goes. */
  resolved(): void {
    this.code = null;
    this.text = '';
  }
}
