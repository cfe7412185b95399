/**
 * Telling "the signer is unavailable" from "this ciphertext is garbage" (issue 11). A NIP-07
 * extension rejects with a plain error both when the user says no and when a decryption fails (bad
 * MAC: a junk gift wrap); a NIP-46 bunker answers both with an error. Treating every rejection as
 * "try again later" retried every junk wrap at every start (a prompt each). So:
 * - timed out, unavailable, closed: the signer is unavailable (retry later);
 * - rejected, while the signer is known to work (it decrypted something in the last WORKS_FOR_MS
 *   and has not failed to answer since): the ciphertext is the problem, decrypt failed;
 * - rejected, not known to work: one probe, a NIP-44 payload sealed here to my own key with a
 *   throwaway key; if the signer opens it, the ciphertext was the problem. A failed probe is not
 *   repeated for PROBE_RETRY_MS (rejections meanwhile are "unavailable").
 */
import { bytesToHex } from '../shared/bytes';
import { isVeilError } from '../shared/errors';
import { generateSecretKey, getXOnlyPublicKey } from '../crypto/keys';
import { getConversationKey, nip44Encrypt } from '../crypto/nip44';
import type { Signer } from '../crypto/signer';

/** How long after a failed probe rejections count as "unavailable" without probing again (ms). */
export const PROBE_RETRY_MS = 5 * 60_000;
/** How long a decryption proves the signer works (permissions can be revoked meanwhile) (ms). */
export const WORKS_FOR_MS = 5 * 60_000;
const PROBE_TEXT = 'veil signer check';

export class SignerCheck {
  readonly #me: string;
  readonly #now: () => number;
  /** When the signer last answered a decryption; undefined after it failed to answer. */
  #worksAt: number | undefined;
  #probeFailedAt: number | undefined;
  #probe: Promise<boolean> | undefined;
  /** Probes sent (a prompt each on some signers): for the debug screen and tests. */
  probes = 0;

  constructor(me: string, now: () => number) {
    this.#me = me;
    this.#now = now;
  }

  /** `signer` with its decryptions watched: an answer proves it works, no answer that it may not. `asked` runs at each call. */
  watch(signer: Signer, asked?: () => void): Signer {
    const w: Signer = {
      kind: signer.kind,
      getPublicKey: () => signer.getPublicKey(),
      signEvent: (t) => signer.signEvent(t),
      close: () => signer.close()
    };
    const observe = (f: ((peer: string, ct: string) => Promise<string>) | undefined) =>
      f &&
      (async (peer: string, ct: string): Promise<string> => {
        asked?.();
        try {
          const out = await f.call(signer, peer, ct);
          this.#worksAt = this.#now();
          return out;
        } catch (e) {
          if (isVeilError(e) && e.code.startsWith('SIGNER_') && e.code !== 'SIGNER_REJECTED') this.#worksAt = undefined;
          throw e;
        }
      });
    const n44 = observe(signer.nip44Decrypt);
    const n04 = observe(signer.nip04Decrypt);
    if (n44) w.nip44Decrypt = n44;
    if (n04) w.nip04Decrypt = n04;
    return w;
  }

  /** What a SIGNER_REJECTED from `signer` means: the ciphertext failed, or the signer is not available now. */
  async rejection(signer: Signer): Promise<'DECRYPT_FAILED' | 'SIGNER_UNAVAILABLE'> {
    if (this.#worksAt !== undefined && this.#now() - this.#worksAt < WORKS_FOR_MS) return 'DECRYPT_FAILED';
    if (this.#probeFailedAt !== undefined && this.#now() - this.#probeFailedAt < PROBE_RETRY_MS) return 'SIGNER_UNAVAILABLE';
    this.#probe ??= this.#runProbe(signer).finally(() => (this.#probe = undefined));
    return (await this.#probe) ? 'DECRYPT_FAILED' : 'SIGNER_UNAVAILABLE';
  }

  async #runProbe(signer: Signer): Promise<boolean> {
    if (!signer.nip44Decrypt) return false;
    const sk = generateSecretKey();
    try {
      const ct = nip44Encrypt(PROBE_TEXT, getConversationKey(sk, this.#me));
      this.probes++;
      const ok = (await signer.nip44Decrypt(bytesToHex(getXOnlyPublicKey(sk)), ct)) === PROBE_TEXT;
      if (ok) this.#worksAt = this.#now();
      else this.#probeFailedAt = this.#now();
      return ok;
    } catch {
      this.#probeFailedAt = this.#now();
      return false;
    } finally {
      sk.fill(0);
    }
  }
}
