/**
 * What the chat does with a file message: save it as a download, or show a picture in the page. The
 * Messenger downloads, checks and decrypts (sync/stored-content.ts); here the bytes meet the browser.
 */
import { userError } from '$lib/shared/errors';
import { m as words } from '$lib/paraglide/messages';
import type { Messenger } from '$lib/sync/messenger';
import { PREVIEW_TYPES } from './attach';
import { saveBytes } from './download';
import type { TransferWatch } from './conversation.svelte';

export class FileActions {
  readonly #messenger: () => Messenger;

  constructor(messenger: () => Messenger) {
    this.#messenger = messenger;
  }

  /** Downloads and decrypts a file message (followed and cancelled through `watch`) and hands it to the browser as a download. */
  async download(messageId: string, watch: TransferWatch): Promise<void> {
    const { bytes, mimeType } = await this.#messenger().downloadFile(messageId, watch);
    saveBytes(bytes, mimeType);
  }

  /**
   * Downloads and decrypts an image message for the chat to show: a `blob:` URL of this tab (in memory
   * only; the chat releases it). Errors: download's, and INVALID_INPUT when it is no picture Veil shows.
   */
  async openImage(messageId: string, watch: TransferWatch): Promise<string> {
    const { bytes, mimeType } = await this.#messenger().downloadFile(messageId, watch);
    if (!mimeType || !PREVIEW_TYPES.test(mimeType)) throw userError('INVALID_INPUT', words.err_not_an_image());
    return URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: mimeType }));
  }
}
