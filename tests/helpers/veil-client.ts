/**
 * One Veil Messenger for integration tests: a fresh fake-indexeddb store with its vault, a new
 * identity and envelope key, real `ws` sockets to `relays`, the short test timing. Started unless
 * `start: false`; `fetch` for file downloads. `deps` lets a test build it again on the same store ("the app was reopened").
 */
import WebSocket from 'ws';
import { generateSecretKey as ntSecretKey, getPublicKey } from 'nostr-tools/pure';
import { bytesToHex, randomBytes } from '../../src/lib/shared/bytes';
import { envelopeKey } from '../../src/lib/crypto/envelope';
import { generateSecretKey } from '../../src/lib/crypto/keys';
import { LocalSigner } from '../../src/lib/crypto/signer';
import { VeilStore } from '../../src/lib/store/db';
import { Messenger } from '../../src/lib/sync/messenger';
import { freshPlatform, TEST_ITERATIONS } from './store-idb';
import { FAST_TIMING } from './timing';

export interface VeilClient {
  name: string;
  m: Messenger;
  pubkey: string;
  deps: Parameters<typeof Messenger.create>[0];
}

export async function veilClient(name: string, relays: string[], opts: { start?: boolean; fetch?: typeof fetch } = {}): Promise<VeilClient> {
  const sk = ntSecretKey();
  const store = await VeilStore.open(freshPlatform(), `veil-${name}-${bytesToHex(randomBytes(4))}`);
  await store.setupVault('correct horse battery staple', { iterations: TEST_ITERATIONS });
  const deps = {
    store,
    signer: new LocalSigner(sk),
    identity: getPublicKey(sk),
    deviceId: bytesToHex(randomBytes(8)),
    ek: envelopeKey(generateSecretKey()),
    WebSocket,
    relays,
    deviceLabel: name,
    queryTimeoutMs: 3000,
    timing: FAST_TIMING,
    ...(opts.fetch ? { fetch: opts.fetch } : {})
  };
  const m = await Messenger.create(deps);
  if (opts.start !== false) await m.start();
  return { name, m, pubkey: getPublicKey(sk), deps };
}
