import { isVeilError, type VeilError } from '../../src/lib/shared/errors';

/** What a promise settles to, as a code: 'none' when it resolves, the VeilError code when it rejects with one. */
export async function errorCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'none';
  } catch (e) {
    return isVeilError(e) ? e.code : `not a VeilError: ${String(e)}`;
  }
}

/** The error `f` throws, or null when it returns. */
export function caught(f: () => unknown): unknown {
  try {
    f();
    return null;
  } catch (e) {
    return e;
  }
}

/** What a promise settles to, as text to compare two paths by: its value as JSON, or "error CODE message". */
export async function settled(p: Promise<unknown>): Promise<string> {
  try {
    return JSON.stringify(await p);
  } catch (e) {
    return `error ${isVeilError(e) ? e.code : 'other'} ${(e as Error).message}`;
  }
}

/** The VeilError `p` rejects with; a resolve, or any other error, fails the test. */
export async function rejected(p: Promise<unknown>): Promise<VeilError> {
  try {
    await p;
  } catch (e) {
    if (isVeilError(e)) return e;
    throw e;
  }
  throw new Error('did not reject');
}
