/**
 * The NIP-59 and NIP-17 examples open with nostr-tools and with our unwrapGiftWrap (nip17.ts, on our
 * nip44 glue), with a secret key and with a LocalSigner. Tampered variants are rejected, including
 * a rumor whose pubkey differs from its seal's signer (impersonation).
 */
import { describe, expect, it } from 'vitest';
import { unwrapEvent } from 'nostr-tools/nip59';
import { finalizeEvent, getEventHash } from 'nostr-tools/pure';
import { decodeNsec } from '../../../src/lib/crypto/nip19';
import { getConversationKey, nip44Encrypt } from '../../../src/lib/crypto/nip44';
import { unwrapFailureOf, unwrapGiftWrap } from '../../../src/lib/crypto/nip17';
import { LocalSigner } from '../../../src/lib/crypto/signer';
import { generateSecretKey, getXOnlyPublicKey } from '../../../src/lib/crypto/keys';
import { bytesToHex, hexToBytes } from '../../../src/lib/shared/bytes';
import { isVeilError } from '../../../src/lib/shared/errors';
import { loadVectors } from '../../helpers/vectors';

type Ev = { id: string; pubkey: string; created_at: number; kind: number; tags: string[][]; content: string; sig: string };
interface X {
  nip59_example: { author_privkey_hex: string; recipient_privkey_hex: string; ephemeral_wrapper_privkey_hex: string; events: Ev[] };
  nip17_example: { message: string; sender_nsec: string; receiver_nsec: string; gift_wraps_receiver_then_sender: Ev[] };
}
const x = loadVectors<X>('nip17-nip59-examples.json');
const pk = (sk: Uint8Array) => bytesToHex(getXOnlyPublicKey(sk));

async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => null,
    (e: unknown) => e
  );
}

describe('NIP-59 example', () => {
  const ex = x.nip59_example;
  const [rumor, seal, wrap] = ex.events as [Ev, Ev, Ev];
  const recipient = hexToBytes(ex.recipient_privkey_hex);

  it('opens with nostr-tools', () => {
    const r = unwrapEvent(wrap, recipient);
    expect(r.content).toBe(rumor.content);
    expect(r.pubkey).toBe(pk(hexToBytes(ex.author_privkey_hex)));
  });

  it('opens with unwrapGiftWrap (secret key and LocalSigner) to the published seal and rumor', async () => {
    for (const who of [recipient, new LocalSigner(recipient)]) {
      const out = await unwrapGiftWrap(wrap, who);
      expect(out.seal.id).toBe(seal.id);
      expect(out.rumor.id).toBe(rumor.id);
      expect(out.rumor.content).toBe('Are you going to the party tonight?');
      expect(out.sender).toBe(pk(hexToBytes(ex.author_privkey_hex)));
      expect(out.wrap.pubkey).toBe(pk(hexToBytes(ex.ephemeral_wrapper_privkey_hex)));
    }
  });

  it('rejects a wrap with a flipped signature, the wrong recipient, and a non-1059 kind', async () => {
    const badSig = { ...wrap, sig: (wrap.sig[0] === '0' ? '1' : '0') + wrap.sig.slice(1) };
    expect(unwrapFailureOf(await failure(unwrapGiftWrap(badSig, recipient)))).toBe('wrap-signature');
    const other = await failure(unwrapGiftWrap(wrap, generateSecretKey()));
    expect(isVeilError(other, 'DECRYPT_FAILED')).toBe(true);
    expect(unwrapFailureOf(await failure(unwrapGiftWrap(seal, recipient)))).toBe('wrap-kind');
  });
});

describe('NIP-17 example ("Hola, que tal?")', () => {
  const ex = x.nip17_example;
  const sender = decodeNsec(ex.sender_nsec);
  const receiver = decodeNsec(ex.receiver_nsec);
  const [toReceiver, toSender] = ex.gift_wraps_receiver_then_sender as [Ev, Ev];

  it('both wraps open with nostr-tools and with our glue, from the sender', async () => {
    for (const [w, sk] of [
      [toReceiver, receiver],
      [toSender, sender]
    ] as const) {
      expect(unwrapEvent(w, sk).content).toBe(ex.message);
      const out = await unwrapGiftWrap(w, sk);
      expect(out.rumor.content).toBe(ex.message);
      expect(out.rumor.kind).toBe(14);
      expect(out.sender).toBe(pk(sender));
      expect(out.rumor.tags.some((t) => t[0] === 'p' && t[1] === pk(receiver))).toBe(true);
    }
  });
});

describe('forged gift wraps', () => {
  const alice = generateSecretKey();
  const mallory = generateSecretKey();
  const bob = generateSecretKey();

  function rumorBy(authorPub: string) {
    const r = { pubkey: authorPub, created_at: 1700000000, kind: 14, tags: [['p', pk(bob)]], content: 'hi' };
    return { ...r, id: getEventHash(r) };
  }
  function sealAndWrap(rumor: object, sealSigner: Uint8Array, sealTags: string[][] = [], sealKind = 13) {
    const seal = finalizeEvent(
      { kind: sealKind, created_at: 1700000000, tags: sealTags, content: nip44Encrypt(JSON.stringify(rumor), getConversationKey(sealSigner, pk(bob))) },
      sealSigner
    );
    const eph = generateSecretKey();
    return finalizeEvent(
      { kind: 1059, created_at: 1700000000, tags: [['p', pk(bob)]], content: nip44Encrypt(JSON.stringify(seal), getConversationKey(eph, pk(bob))) },
      eph
    );
  }

  it('a genuine wrap opens', async () => {
    const out = await unwrapGiftWrap(sealAndWrap(rumorBy(pk(alice)), alice), bob);
    expect(out.sender).toBe(pk(alice));
  });

  it('Mallory seals a rumor claiming to be from Alice → rumor-author-mismatch', async () => {
    const e = await failure(unwrapGiftWrap(sealAndWrap(rumorBy(pk(alice)), mallory), bob));
    expect(isVeilError(e, 'INVALID_EVENT')).toBe(true);
    expect(unwrapFailureOf(e)).toBe('rumor-author-mismatch');
  });

  it('a seal with tags, or of another kind, is rejected', async () => {
    expect(unwrapFailureOf(await failure(unwrapGiftWrap(sealAndWrap(rumorBy(pk(alice)), alice, [['p', pk(bob)]]), bob)))).toBe('seal-tags');
    expect(unwrapFailureOf(await failure(unwrapGiftWrap(sealAndWrap(rumorBy(pk(alice)), alice, [], 14), bob)))).toBe('seal-kind');
  });

  it('a rumor whose id does not match its content is rejected', async () => {
    const r = { ...rumorBy(pk(alice)), content: 'changed' };
    expect(unwrapFailureOf(await failure(unwrapGiftWrap(sealAndWrap(r, alice), bob)))).toBe('rumor-malformed');
  });
});
