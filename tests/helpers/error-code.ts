import { isVeilError } from '../../src/lib/shared/errors';

/** What a promise settles to, as a code: 'none' when it resolves, the VeilError code when it rejects with one. */
export async function errorCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'none';
  } catch (e) {
    return isVeilError(e) ? e.code : `not a VeilError: ${String(e)}`;
  }
}
