/**
 * Names through real relays (issue 14 §3): Alice's envelope relay and her lookup relay are two
 * relays. An older kind 0 of hers (another client's, with `about`) is on the lookup relay: the form
 * reads it; saving publishes a new kind 0 that keeps `about`, to the lookup relay ONLY (the envelope
 * relay holds nothing of hers), sent on the own-record sockets (the socket that carried it never read
 * envelopes nor named anyone but her). Bob, her contact, reads her new name from the lookup relay.
 * Saving while not running, or with no lookup relay reachable, fails with its sentence.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { finalizeEvent } from 'nostr-tools/pure';
import { bytesToHex, randomBytes } from '../../src/lib/shared/bytes';
import { envelopeKey } from '../../src/lib/crypto/envelope';
import { generateSecretKey, getXOnlyPublicKey } from '../../src/lib/crypto/keys';
import { encodeNpub } from '../../src/lib/crypto/nip19';
import { LocalSigner } from '../../src/lib/crypto/signer';
import { VeilStore } from '../../src/lib/store/db';
import { Messenger } from '../../src/lib/sync/messenger';
import { startRelay, type TestRelay } from '../helpers/relay';
import { RawClient } from '../helpers/raw-ws';
import { freshPlatform, TEST_ITERATIONS } from '../helpers/store-idb';
import { FAST_TIMING } from '../helpers/timing';
import { untilChecked } from '../helpers/until';

/** Every socket a messenger opened, with the URL and each message it sent. */
interface SpiedSocket {
  url: string;
  sent: unknown[][];
  /** Frames received (parsed). */
  received: unknown[][];
}

function spyingWebSocket(log: SpiedSocket[]): typeof WebSocket {
  return class extends WebSocket {
    readonly #entry: SpiedSocket;
    constructor(url: string) {
      super(url);
      this.#entry = { url, sent: [], received: [] };
      log.push(this.#entry);
      this.on('message', (data) => this.#entry.received.push(JSON.parse(String(data)) as unknown[]));
    }
    override send(data: unknown, ...rest: unknown[]): void {
      this.#entry.sent.push(JSON.parse(String(data)) as unknown[]);
      (super.send as (...a: unknown[]) => void)(data, ...rest);
    }
  } as unknown as typeof WebSocket;
}

interface Client {
  m: Messenger;
  store: VeilStore;
  pubkey: string;
  sk: Uint8Array;
  sockets: SpiedSocket[];
  deps: Parameters<typeof Messenger.create>[0];
}

const clients: Client[] = [];
let envRelay: TestRelay;
let lookupRelay: TestRelay;

async function client(name: string, opts: { lookup?: string[]; start?: boolean; sk?: Uint8Array } = {}): Promise<Client> {
  const store = await VeilStore.open(freshPlatform(), `veil-names-${name}`);
  await store.setupVault('correct horse battery staple', { iterations: TEST_ITERATIONS });
  const sk = opts.sk ?? generateSecretKey();
  const pubkey = bytesToHex(getXOnlyPublicKey(sk));
  const sockets: SpiedSocket[] = [];
  const deps = {
    store,
    signer: new LocalSigner(sk),
    identity: pubkey,
    deviceId: bytesToHex(randomBytes(8)),
    ek: envelopeKey(generateSecretKey()),
    WebSocket: spyingWebSocket(sockets),
    relays: [envRelay.url],
    lookupRelays: opts.lookup ?? [lookupRelay.url],
    timing: FAST_TIMING,
    queryTimeoutMs: 2_000
  };
  const m = await Messenger.create(deps);
  if (opts.start !== false) await m.start();
  const c = { m, store, pubkey, sk, sockets, deps };
  clients.push(c);
  return c;
}

async function eventsOn(relay: TestRelay, filter: object): Promise<{ id: string; [k: string]: unknown }[]> {
  const raw = await RawClient.open(relay.url);
  try {
    return await raw.query('q', filter);
  } finally {
    raw.close();
  }
}

beforeAll(async () => {
  [envRelay, lookupRelay] = await Promise.all([startRelay(), startRelay()]);
});

afterAll(async () => {
  for (const c of clients) {
    await c.m.stop();
    c.store.close();
  }
  await envRelay.stop();
  await lookupRelay.stop();
});

describe('my profile and the lookup relays', () => {
  it('reads my older kind 0, publishes the new one to the lookup relay only, on the own-record sockets, keeping its other fields', async () => {
    const aliceSk = generateSecretKey();
    const alicePk = bytesToHex(getXOnlyPublicKey(aliceSk));
    // Another client published her profile before.
    const older = finalizeEvent({ kind: 0, created_at: Math.floor(Date.now() / 1000) - 3600, tags: [], content: JSON.stringify({ name: 'alice_old', about: 'I garden', nip05: 'alice@example.com' }) }, aliceSk);
    const raw = await RawClient.open(lookupRelay.url);
    expect(await raw.publish(older)).toEqual([true, '']);
    raw.close();

    const alice = await client('alice', { sk: aliceSk });
    expect(alice.pubkey).toBe(alicePk);
    expect(await alice.m.ownProfile()).toEqual({ displayName: 'alice_old', createdAt: older.created_at });
    // Bob has her as a contact already (his chat list shows the name her older profile had, or her npub).
    const bob = await client('bob');
    await bob.m.startChat(encodeNpub(alicePk));

    const saved = await alice.m.saveOwnProfile({ displayName: ' Alice Liddell ', picture: 'https://example.com/alice.png' });
    expect(saved).toMatchObject({ displayName: 'Alice Liddell', picture: 'https://example.com/alice.png' });
    expect(saved.createdAt).toBeGreaterThan(older.created_at);

    // On the lookup relay: the new kind 0 replaced the old one, with her other fields kept.
    const onLookup = await eventsOn(lookupRelay, { kinds: [0], authors: [alicePk] });
    expect(onLookup).toHaveLength(1);
    expect(JSON.parse(onLookup[0]!.content as string)).toEqual({ about: 'I garden', nip05: 'alice@example.com', name: 'Alice Liddell', display_name: 'Alice Liddell', picture: 'https://example.com/alice.png' });
    // On the envelope relay: no profile at all, and nothing signed by her.
    expect(await eventsOn(envRelay, { kinds: [0] })).toEqual([]);
    expect(await eventsOn(envRelay, { authors: [alicePk] })).toEqual([]);

    // The socket that carried it: to the lookup relay, never reading envelopes, naming no one but her.
    const carriers = alice.sockets.filter((s) => s.sent.some((m) => m[0] === 'EVENT' && (m[1] as { kind: number }).kind === 0));
    expect(carriers.map((s) => s.url)).toEqual([lookupRelay.url]);
    for (const s of carriers) {
      for (const m of s.sent.filter((x) => x[0] === 'REQ')) {
        for (const f of m.slice(2) as { kinds?: number[]; authors?: string[] }[]) {
          expect(f.kinds).not.toContain(1067);
          expect(f.authors).toEqual([alicePk]);
        }
      }
    }
    // No socket to the envelope relay ever sent a kind 0 or named her as an author.
    for (const s of alice.sockets.filter((x) => x.url === envRelay.url)) {
      expect(JSON.stringify(s.sent)).not.toContain(alicePk);
    }

    // Kept on the device: the messenger made again on her store (not started) shows it, opening no socket.
    const opened = alice.sockets.length;
    expect(await (await Messenger.create(alice.deps)).ownProfile()).toEqual(saved);
    expect(alice.sockets).toHaveLength(opened);

    // Bob, her contact, reads her new name from the lookup relay (his live profile subscription).
    await untilChecked(clients.map((c) => c.m), async () => (await bob.m.listChats('accepted')).find((c) => c.peer === alicePk && c.name === 'Alice Liddell'), 'Bob sees her name');

    // Clearing the name keeps the picture and her other fields.
    await alice.m.saveOwnProfile({ displayName: '', picture: 'https://example.com/alice.png' });
    const cleared = await eventsOn(lookupRelay, { kinds: [0], authors: [alicePk] });
    expect(JSON.parse(cleared[0]!.content as string)).toEqual({ about: 'I garden', nip05: 'alice@example.com', picture: 'https://example.com/alice.png' });
  });

  it('refuses a bad form, a save while not connected, and a save no lookup relay accepted, each with its sentence', async () => {
    const carol = await client('carol', { start: false });
    await expect(carol.m.saveOwnProfile({ displayName: 'Carol', picture: 'http://example.com/c.png' })).rejects.toMatchObject({ code: 'INVALID_INPUT', user: expect.stringContaining('https://') });
    await expect(carol.m.saveOwnProfile({ displayName: 'Carol', picture: '' })).rejects.toMatchObject({ code: 'RELAY_UNREACHABLE', user: expect.stringContaining('another Veil tab') });
    // Not running: nothing is read either.
    expect(await carol.m.ownProfile()).toBeNull();
    expect(carol.sockets).toEqual([]);

    const dave = await client('dave', { lookup: ['ws://127.0.0.1:1'] });
    await expect(dave.m.saveOwnProfile({ displayName: 'Dave', picture: '' })).rejects.toMatchObject({ code: 'RELAY_UNREACHABLE', user: expect.stringContaining('not published') });
    expect(await dave.m.ownProfile()).toBeNull();
  });

  it("a profile that arrived before its author became a contact shows once they are one", async () => {
    const erin = await client('erin');
    await erin.m.saveOwnProfile({ displayName: 'Erin', picture: '' });
    // Frank, a Veil user who does not know Erin yet, reads every inbox record and so, soon after,
    // the profiles of the Veil users he saw: Erin's kind 0 reaches him while she is a stranger.
    const frank = await client('frank');
    await untilChecked(
      clients.map((c) => c.m),
      async () => frank.sockets.some((s) => s.received.some((m) => m[0] === 'EVENT' && (m[2] as { kind?: number; pubkey?: string }).kind === 0 && (m[2] as { pubkey?: string }).pubkey === erin.pubkey)) || undefined,
      "Erin's kind 0 at Frank"
    );
    // Only now does she become his contact: the name she published shows without another read.
    await frank.m.startChat(encodeNpub(erin.pubkey));
    await untilChecked(clients.map((c) => c.m), async () => (await frank.m.listChats('accepted')).find((c) => c.peer === erin.pubkey && c.name === 'Erin'), "Erin's name at Frank");
  });

  it('a fresh start asks for profiles only after the records: the filter names every Veil user seen, never just my contacts', async () => {
    const [gina, hal, ivy, alice] = [await client('gina'), await client('hal'), await client('ivy'), await client('alice-fresh')];
    await alice.m.startChat(encodeNpub(hal.pubkey));
    await alice.m.stop();
    // The next page load: a new Messenger on her store, its sockets watched from the first frame.
    const log: SpiedSocket[] = [];
    const again = await Messenger.create({ ...alice.deps, WebSocket: spyingWebSocket(log) });
    clients.push({ ...alice, m: again, sockets: log });
    await again.start();
    const profileReqs = (): string[][] => log.flatMap((s) => s.sent.filter((m) => m[0] === 'REQ').flatMap((m) => (m.slice(2) as { kinds?: number[]; authors?: string[] }[]).filter((f) => f.kinds?.includes(0) && !f.authors?.includes(alice.pubkey)).map((f) => f.authors ?? [])));
    const first = await untilChecked(clients.map((c) => c.m), async () => profileReqs()[0], 'a profile REQ after the restart');
    expect(first).toContain(hal.pubkey);
    expect(first).toEqual(expect.arrayContaining([gina.pubkey, ivy.pubkey]));
    for (const authors of profileReqs()) expect(authors.length).toBeGreaterThan(1);
  });
});
