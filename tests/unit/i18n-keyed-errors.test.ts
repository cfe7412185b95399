/**
 * Sentences written below the app (crypto, store, sync backup) carry a message key (shared/errors.ts
 * `userKey`), and the app shows them in its language (app/errors.ts `describeError`): in English the
 * keyed sentence is the thrower's own text, word for word; in Spanish it is translated; every key thrown
 * is known to the app.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { describeError, keyedSentence } from '../../src/lib/app/errors';
import { openBackup, parseBackupHeader } from '../../src/lib/crypto/backup';
import { decodeNpub, parseContactInput } from '../../src/lib/crypto/nip19';
import { decodeVerifyPayload, parseSafetyNumberText } from '../../src/lib/crypto/safety-number';
import { overwriteGetLocale } from '../../src/lib/paraglide/runtime';
import { isVeilError, type VeilError } from '../../src/lib/shared/errors';
import { rejected } from '../helpers/error-code';

function thrown(f: () => unknown): VeilError {
  try {
    f();
  } catch (e) {
    if (isVeilError(e)) return e;
    throw e;
  }
  throw new Error('did not throw');
}

const NPUB = 'npub1sg6plzptd64u62a878hep2kev88swjh3tw00gjsfl8f237lmu63q0uf63m';

async function errors(): Promise<VeilError[]> {
  return [
    thrown(() => decodeNpub('nsec1' + NPUB.slice(5))),
    thrown(() => decodeNpub(NPUB.slice(0, -3))),
    thrown(() => decodeNpub(NPUB.slice(0, 10) + 'b' + NPUB.slice(11))),
    thrown(() => decodeNpub(NPUB.slice(0, 10).toUpperCase() + NPUB.slice(10))),
    thrown(() => decodeNpub(NPUB.slice(0, -1) + (NPUB.endsWith('q') ? 'p' : 'q'))),
    thrown(() => parseContactInput('nsec1vl029mgpspedva04g90vltkh6fvh240zqtv9k0t9af8935ke9laqsnlfe5')),
    thrown(() => parseContactInput('ncryptsec1qgg9947rlpvqu76pj5ecreduf9jxhselq2nae2kghhvd5g7dgjtcxfqtd67p9m0w57lspw8gsq6yphnm8623nsl8xn9j4jdzz84zm3frztj3z7s35vpzmqf6ksu8r89qk5z2zxfmu5gv8th8wclt0h4p')),
    thrown(() => parseContactInput('ab'.repeat(31))),
    thrown(() => parseSafetyNumberText('12345')),
    thrown(() => decodeVerifyPayload('nope')),
    thrown(() => parseBackupHeader(new Uint8Array(64))),
    await rejected(openBackup(new Uint8Array(64), ''))
  ];
}

describe('keyed user errors', () => {
  afterEach(() => overwriteGetLocale(() => 'en'));

  it('every keyed error thrown is known to the app, and in English it is the thrower\u2019s own sentence', async () => {
    overwriteGetLocale(() => 'en');
    const all = await errors();
    const keys = new Set<string>();
    for (const e of all) {
      expect(e.userKey, e.message).toBeDefined();
      keys.add(e.userKey!.key);
      expect(keyedSentence(e), e.userKey!.key).toBe(e.user);
      expect(describeError(e)).toBe(e.user);
    }
    expect(keys.size).toBeGreaterThanOrEqual(9);
  });

  it('in Spanish every one of them is translated', async () => {
    overwriteGetLocale(() => 'es');
    for (const e of await errors()) {
      const es = describeError(e);
      expect(es, e.userKey!.key).not.toBe(e.user);
      expect(es.length).toBeGreaterThan(10);
    }
  });
});
