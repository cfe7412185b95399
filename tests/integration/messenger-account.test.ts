/**
 * Issue 14 §4 through a real local relay: block → unblock → a message from them is stored again
 * (their mailboxes are read again); and removing a device: my record is republished without it, a
 * contact's messenger stops sealing to it, and the removed device does not certify itself again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToHex, randomBytes } from '../../src/lib/shared/bytes';
import { envelopeKey } from '../../src/lib/crypto/envelope';
import { generateSecretKey } from '../../src/lib/crypto/keys';
import { encodeNpub } from '../../src/lib/crypto/nip19';
import { Messenger } from '../../src/lib/sync/messenger';
import type { ChatMessage } from '../../src/lib/sync/types';
import { startRelay, type TestRelay } from '../helpers/relay';
import { untilChecked } from '../helpers/until';
import { veilClient, type VeilClient } from '../helpers/veil-client';

let relay: TestRelay;
const clients: VeilClient[] = [];

async function client(name: string, deps?: VeilClient['deps']): Promise<VeilClient> {
  let c: VeilClient;
  if (deps) {
    const m = await Messenger.create(deps);
    await m.start();
    c = { name, m, pubkey: deps.identity, deps };
  } else c = await veilClient(name, [relay.url]);
  clients.push(c);
  return c;
}

const until = <T>(check: () => Promise<T | undefined | false>, what: string): Promise<T> => untilChecked(clients.map((c) => c.m), check, what);

async function history(c: VeilClient, conversationId: string): Promise<ChatMessage[]> {
  return (await c.m.pageMessages(conversationId, { limit: 200 })).reverse();
}

async function chatWith(c: VeilClient, peer: string): Promise<string | undefined> {
  return [...(await c.m.listChats('accepted')), ...(await c.m.listChats('request'))].find((s) => s.peer === peer)?.id;
}

beforeAll(async () => {
  relay = await startRelay();
});

afterAll(async () => {
  for (const c of clients) await c.m.stop();
  await relay.stop();
});

describe('account controls with a real relay', () => {
  let alice: VeilClient;
  let bob: VeilClient;
  let convA: string;
  let convB: string;

  it('block → unblock: their mailboxes are read again and a new message from them is stored', async () => {
    alice = await client('alice');
    bob = await client('bob');
    convB = await bob.m.startChat(encodeNpub(alice.pubkey));
    await bob.m.send(convB, 'hello alice');
    convA = await until(() => chatWith(alice, bob.pubkey), 'the request reaches Alice');
    await alice.m.accept(bob.pubkey);
    await alice.m.send(convA, 'hi bob');
    await until(async () => (await history(bob, convB)).some((m) => m.text === 'hi bob'), 'Bob gets the answer');

    await alice.m.block(bob.pubkey);
    expect((await alice.m.contact(bob.pubkey))?.state).toBe('blocked');
    expect(await alice.m.listChats('accepted')).toEqual([]);

    await alice.m.unblock(bob.pubkey);
    expect((await alice.m.contact(bob.pubkey))?.state).toBe('accepted');
    expect((await alice.m.listChats('accepted')).map((c) => c.peer)).toEqual([bob.pubkey]);
    await bob.m.send(convB, 'after unblock');
    await until(async () => (await history(alice, convA)).some((m) => m.text === 'after unblock'), 'a message after unblock is stored');
    // Unblocking someone who is not blocked changes nothing.
    await alice.m.unblock(bob.pubkey);
    expect((await alice.m.contact(bob.pubkey))?.state).toBe('accepted');
  });

  it('remove a device: the record is republished without it and the contact stops sealing to it', async () => {
    const alice2 = await client('alice2', {
      ...alice.deps,
      store: (await veilClient('alice2-store', [relay.url], { start: false })).deps.store,
      deviceId: bytesToHex(randomBytes(8)),
      ek: envelopeKey(generateSecretKey())
    });
    const ek2 = bytesToHex(alice2.deps.ek.publicKey);
    await until(async () => ((await bob.m.contact(alice.pubkey))?.eks.includes(ek2) ? true : undefined), 'Bob knows both of Alice’s devices');
    await until(async () => (alice.m.ownDevices().length === 2 ? true : undefined), 'Alice lists both devices');

    // Before: one outbox entry (one sealed copy set) per device of Alice.
    const before = await bob.m.send(convB, 'to both devices');
    expect(await bob.deps.store.listOutboxByMessage(before)).toHaveLength(2);

    const other = alice.m.ownDevices().find((d) => !d.current)!;
    expect(other.ek).toBe(ek2);
    const self = alice.m.ownDevices().find((d) => d.current)!;
    await expect(alice.m.removeDevice(self.id)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await alice.m.removeDevice(other.id);
    expect(alice.m.ownDevices().map((d) => d.ek)).toEqual([bytesToHex(alice.deps.ek.publicKey)]);

    await until(async () => {
      const eks = (await bob.m.contact(alice.pubkey))?.eks;
      return eks && eks.length === 1 && !eks.includes(ek2) ? true : undefined;
    }, 'Bob drops the removed device');
    const after = await bob.m.send(convB, 'to the remaining device');
    expect(await bob.deps.store.listOutboxByMessage(after)).toHaveLength(1);
    await until(async () => (await history(alice, convA)).some((m) => m.text === 'to the remaining device'), 'the remaining device still receives');

    // The removed device adopts the record and, when it publishes again, does not add itself back.
    await until(async () => (alice2.m.ownDevices().every((d) => !d.current) ? true : undefined), 'the removed device sees its removal');
    // …and cannot remove the devices that remain.
    await expect(alice2.m.removeDevice(self.id)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await alice2.m.setPublishRecord(true);
    expect(alice2.m.ownDevices().map((d) => d.ek)).toEqual([bytesToHex(alice.deps.ek.publicKey)]);
    expect((await bob.m.contact(alice.pubkey))?.eks).toEqual([bytesToHex(alice.deps.ek.publicKey)]);
  });
});
