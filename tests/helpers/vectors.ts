/**
 * Loads a third-party conformance vector file from tests/vectors/ and checks its sha256 against the value
 * recorded here and in tests/vectors/README.md (source, version and licence of each file are listed there).
 * The directory is found from this file's own location, so tests read nothing outside the repository and do not
 * depend on the working directory. A missing file or a wrong hash throws, so the test fails loudly instead of
 * passing on nothing.
 */
import { createHash } from 'node:crypto';
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Absolute path of tests/vectors/ (this file lives in tests/helpers/). */
export const VECTORS_DIR = fileURLToPath(new URL('../vectors/', import.meta.url));

export const VECTOR_SHA256: Record<string, string> = {
  'nip44.vectors.json': '269ed0f69e4c192512cc779e78c555090cebc7c785b609e338a62afc3ce25040',
  'nip44.extended-prefix.vectors.json': '25f4df2d3a3e4ecd2a70ec17c32f59960f78fa303113938c40d1c6d4211bd6d4',
  'nip17-nip59-examples.json': 'e564fd09f3d2c2744a78357a89b0d2785561ff7ed83fc5c9b1756a7fc6b77230',
  'nip19-nip49.vectors.json': '5f911932b52c8cf90e84173bc4bc71e8ce647fa92f132874bb9b3f92e63d5af1',
  'wycheproof-aes-gcm.json': '985e5ecc172e181eaf49e89508b9470dcf478002eb7e8559c707eb42dc97dfe7',
  'wycheproof-ecdh-secp256k1-jwk.json': 'e68d019c7db56dc48cc69abb1d018ebf1cf12621689834fd658baf66c36f5268',
  'bip340-test-vectors.csv': 'a17adbd2c19032ddc12e63b5f35d5224a9295e9f82397d2632a301696b3cac9f'
};

/** Absolute path of a file in tests/vectors/ (also for our own, regenerable envelope-v1.json). */
export function vectorPath(name: string): string {
  if (!/^\w[\w.-]*$/.test(name)) throw new Error(`not a vector file name: ${name}`);
  return fileURLToPath(new URL(name, new URL('../vectors/', import.meta.url)));
}

/** Reads a third-party vector file as text after checking its published sha256. */
export function loadVectorText(name: string): string {
  const file = vectorPath(name);
  if (!existsSync(file)) throw new Error(`conformance vectors missing: ${file}`);
  const expected = VECTOR_SHA256[name];
  if (!expected) throw new Error(`no published sha256 for ${name}`);
  const buf = readFileSync(file);
  const got = createHash('sha256').update(buf).digest('hex');
  if (got !== expected) throw new Error(`sha256 mismatch for ${name}: got ${got}, expected ${expected}`);
  return buf.toString('utf8');
}

/** Reads and parses a third-party JSON vector file after checking its published sha256. */
export function loadVectors<T = unknown>(name: string): T {
  return JSON.parse(loadVectorText(name)) as T;
}

/** The sha256 recorded for our own vector file `name` in tests/vectors/README.md (its "**sha256**" line). */
export function recordedSha256(name: string): string {
  const readme = readFileSync(vectorPath('README.md'), 'utf8');
  const section = readme.split('\n### ').find((s) => s.startsWith(`\`${name}\``));
  const hash = section?.match(/\*\*sha256\*\*[\s\S]*?`([0-9a-f]{64})`/)?.[1];
  if (!hash) throw new Error(`no sha256 recorded for ${name} in tests/vectors/README.md`);
  return hash;
}

/** Parses our own vector file after checking its sha256 against the README; throws on any difference. */
export function checkedOwnVectors<T>(name: string, buf: Buffer): T {
  const got = createHash('sha256').update(buf).digest('hex');
  const expected = recordedSha256(name);
  if (got !== expected) throw new Error(`sha256 mismatch for ${name}: got ${got}, expected ${expected}`);
  return JSON.parse(buf.toString('utf8')) as T;
}
