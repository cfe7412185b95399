/**
 * nip49.ts: ncryptsec round trip, NFKC passphrases, the key security byte, typed errors for
 * malformed and hostile inputs, and the event loop staying responsive during scrypt.
 */
import { describe, expect, it } from 'vitest';
import * as ntNip49 from 'nostr-tools/nip49';
import { decryptNcryptsec, encryptNcryptsec, inspectNcryptsec, scryptMemoryBytes } from '../../src/lib/crypto/nip49';
import { bech32Decode, bech32Encode } from '../../src/lib/crypto/bech32';
import { generateSecretKey } from '../../src/lib/crypto/keys';
import { bytesToHex } from '../../src/lib/shared/bytes';
import { isVeilError } from '../../src/lib/shared/errors';

const fails = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: unknown) => e
  );

function withByte(ncryptsec: string, index: number, value: number): string {
  const { bytes } = bech32Decode(ncryptsec, 200);
  const b = Uint8Array.from(bytes);
  b[index] = value;
  return bech32Encode('ncryptsec', b);
}

describe('NIP-49 ncryptsec', () => {
  it('round trips, interoperates with nostr-tools both ways, and keeps the key security byte', async () => {
    const sk = generateSecretKey();
    const enc = await encryptNcryptsec(sk, 'correct horse', { logN: 8, keySecurity: 1 });
    expect(enc.startsWith('ncryptsec1')).toBe(true);
    expect(inspectNcryptsec(enc)).toEqual({ logN: 8, keySecurity: 1, memoryBytes: 256 * 1024 });
    expect(bytesToHex(await decryptNcryptsec(enc, 'correct horse'))).toBe(bytesToHex(sk));
    expect(bytesToHex(ntNip49.decrypt(enc, 'correct horse'))).toBe(bytesToHex(sk));
    const theirs = ntNip49.encrypt(sk, 'pw', 8, 0);
    expect(bytesToHex(await decryptNcryptsec(theirs, 'pw'))).toBe(bytesToHex(sk));
    expect(inspectNcryptsec(theirs).keySecurity).toBe(0);
  });

  it('normalizes the passphrase to NFKC (composed, decomposed and compatibility forms agree)', async () => {
    const sk = generateSecretKey();
    const nfc = 'ÅΩẛ̣';
    const enc = await encryptNcryptsec(sk, nfc.normalize('NFD'), { logN: 6 });
    expect(bytesToHex(await decryptNcryptsec(enc, nfc.normalize('NFC')))).toBe(bytesToHex(sk));
    expect(bytesToHex(await decryptNcryptsec(enc, nfc.normalize('NFKD')))).toBe(bytesToHex(sk));
  });

  it('wrong passphrase → WRONG_PASSPHRASE; tampered ciphertext or AAD → WRONG_PASSPHRASE (authenticated)', async () => {
    const enc = await encryptNcryptsec(generateSecretKey(), 'pw', { logN: 6, keySecurity: 2 });
    expect(isVeilError(await fails(decryptNcryptsec(enc, 'pw ')), 'WRONG_PASSPHRASE')).toBe(true);
    expect(isVeilError(await fails(decryptNcryptsec(withByte(enc, 42, 1), 'pw')), 'WRONG_PASSPHRASE')).toBe(true);
    expect(isVeilError(await fails(decryptNcryptsec(withByte(enc, 60, 0), 'pw')), 'WRONG_PASSPHRASE')).toBe(true);
  });

  it('malformed → INVALID_KEY: checksum, length, version, key security byte, prefix, log_n 0', async () => {
    const enc = await encryptNcryptsec(generateSecretKey(), 'pw', { logN: 6 });
    const typo = enc.slice(0, 30) + (enc[30] === 'q' ? 'p' : 'q') + enc.slice(31);
    for (const bad of [typo, enc.slice(0, -1), withByte(enc, 0, 1), withByte(enc, 42, 3), withByte(enc, 1, 0), 'nsec1abc', '', 'x'.repeat(10_000)]) {
      expect(isVeilError(await fails(decryptNcryptsec(bad, 'pw')), 'INVALID_KEY')).toBe(true);
    }
    const otherHrp = bech32Encode('ncryptsek', bech32Decode(enc, 200).bytes);
    expect(isVeilError(await fails(decryptNcryptsec(otherHrp, 'pw')), 'INVALID_KEY')).toBe(true);
  });

  it('a hostile log_n is refused before any work: KDF_TOO_COSTLY, with the memory it would take', async () => {
    const enc = await encryptNcryptsec(generateSecretKey(), 'pw', { logN: 6 });
    const t0 = performance.now();
    for (const logN of [21, 30, 64, 255]) {
      const e = await fails(decryptNcryptsec(withByte(enc, 1, logN), 'pw'));
      expect(isVeilError(e, 'KDF_TOO_COSTLY')).toBe(true);
    }
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(scryptMemoryBytes(20)).toBe(2 ** 30);
    // The cap is an option: a device that can afford less can say so.
    expect(isVeilError(await fails(decryptNcryptsec(enc, 'pw', { maxLogN: 5 })), 'KDF_TOO_COSTLY')).toBe(true);
  });

  it('scrypt yields to the event loop (log_n 14): timers keep firing while it runs', async () => {
    const sk = generateSecretKey();
    const enc = await encryptNcryptsec(sk, 'pw', { logN: 14 });
    let ticks = 0;
    let maxGap = 0;
    let last = performance.now();
    let running = true;
    const tick = () => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
      ticks++;
      if (running) setImmediate(tick);
    };
    setImmediate(tick);
    const progress: number[] = [];
    const out = await decryptNcryptsec(enc, 'pw', { asyncTick: 10, onProgress: (p) => progress.push(p) });
    running = false;
    expect(bytesToHex(out)).toBe(bytesToHex(sk));
    expect(ticks).toBeGreaterThan(3);
    expect(progress.length).toBeGreaterThan(1);
    // Loose bound: the tick is 10 ms; a shared CI core may add scheduling noise.
    expect(maxGap).toBeLessThan(250);
  });
});
