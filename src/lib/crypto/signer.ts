/**
 * The Signer interface hides where the identity key lives (docs/design.md §2, §6): in this tab
 * (LocalSigner, from a decrypted ncryptsec), in a NIP-07 browser extension, or in a NIP-46 bunker.
 *
 * A remote signer is untrusted output like anything else (§7): every event it returns is verified
 * (id, signature), must be signed by the identity's pubkey, and must be exactly the template that was
 * asked for — an extension that signs something else is refused. Platform objects (the
 * `window.nostr`-like object, the NIP-46 transport) are passed in; this module never touches
 * `window` and opens no socket.
 */
import { bytesToHex, hexToBytes, randomBytes } from '../shared/bytes';
import { eventId } from '../shared/trusted-event';
import { jsCurve, type Curve } from './curve';
import { VeilError, isVeilError } from '../shared/errors';
import { assertSecretKey, generateSecretKey, getXOnlyPublicKey, xOnlyFromHex } from './keys';
import { nip04Decrypt } from './nip04';
import { getConversationKey, nip44Decrypt, nip44Encrypt } from './nip44';
import { Nip46Session, type BunkerUrl, type Nip46Transport } from './nip46';
import { UNBOUNDED_EVENT_LIMITS, verifyEvent, type VerifiedEvent } from './nostr-event';

export type { VerifiedEvent };

/** What a caller asks a signer to sign (NIP-01 fields without pubkey, id, sig). */
export interface EventTemplate {
  kind: number;
  created_at: number;
  tags: string[][];
  content: string;
}

export interface Signer {
  readonly kind: 'local' | 'nip07' | 'nip46';
  /** The identity's x-only pubkey, lowercase hex (validated). */
  getPublicKey(): Promise<string>;
  /** Signs a template; the result is verified and matches the template and the identity. */
  signEvent(template: EventTemplate): Promise<VerifiedEvent>;
  /** NIP-44 v2 with the identity key, when the signer offers it (needed for NIP-17 interop). */
  nip44Encrypt?(peerPubkeyHex: string, plaintext: string): Promise<string>;
  nip44Decrypt?(peerPubkeyHex: string, ciphertext: string): Promise<string>;
  /** Legacy NIP-04 decryption (reading old kind 4 DMs only; Veil never encrypts NIP-04). */
  nip04Decrypt?(peerPubkeyHex: string, ciphertext: string): Promise<string>;
  /** Releases the key or the connection. The signer must not be used afterwards. */
  close(): Promise<void>;
  /**
   * Signers holding the key in this page (LocalSigner) sign and check on `curve` from now on: the
   * scan's WebAssembly one once it loads (sync/wiring.ts). Same signatures for the same aux; others ignore it.
   */
  useCurve?(curve: Pick<Curve, 'signSchnorr' | 'verifySchnorr'>): void;
}

/** Default time to wait for an extension or a bunker (a person may have to click "allow"). */
export const DEFAULT_SIGNER_TIMEOUT_MS = 60_000;
/** Largest template content we send to a signer (bunker requests travel through relays). */
export const MAX_TEMPLATE_CONTENT_CHARS = 256 * 1024;
const MAX_NIP44_TEXT_CHARS = 512 * 1024;

/** Checks a template's shape and bounds; returns a clean copy. Errors: INVALID_EVENT, TOO_LARGE. */
export function checkTemplate(t: EventTemplate): EventTemplate {
  if (typeof t !== 'object' || t === null) throw new VeilError('INVALID_EVENT', 'template must be an object');
  const { kind, created_at, tags, content } = t;
  if (!Number.isInteger(kind) || kind < 0 || kind > 65535) throw new VeilError('INVALID_EVENT', 'bad kind');
  if (!Number.isSafeInteger(created_at) || created_at < 0) throw new VeilError('INVALID_EVENT', 'bad created_at');
  if (typeof content !== 'string') throw new VeilError('INVALID_EVENT', 'content must be a string');
  if (content.length > MAX_TEMPLATE_CONTENT_CHARS) throw new VeilError('TOO_LARGE', 'content too large');
  if (!Array.isArray(tags) || tags.length > 2000) throw new VeilError('INVALID_EVENT', 'bad tags');
  const tagsCopy = tags.map((tag) => {
    if (!Array.isArray(tag) || tag.some((x) => typeof x !== 'string')) throw new VeilError('INVALID_EVENT', 'bad tag');
    return [...tag];
  });
  return { kind, created_at, tags: tagsCopy, content };
}

/**
 * Verifies what a remote signer returned: a valid event (id, signature), by `pubkey`, with exactly
 * the fields of `template`. Errors: INVALID_EVENT, INVALID_SIGNATURE.
 */
export function checkSignedEvent(raw: unknown, template: EventTemplate, pubkey: string): VerifiedEvent {
  const ev = verifyEvent(raw);
  if (ev.pubkey !== pubkey) throw new VeilError('INVALID_SIGNATURE', 'signer signed with a different key');
  if (
    ev.kind !== template.kind ||
    ev.created_at !== template.created_at ||
    ev.content !== template.content ||
    JSON.stringify(ev.tags) !== JSON.stringify(template.tags)
  )
    throw new VeilError('INVALID_EVENT', 'signer returned a different event than requested');
  return ev;
}

function checkPubkey(pk: unknown): string {
  if (typeof pk !== 'string') throw new VeilError('INVALID_KEY', 'signer returned no pubkey');
  xOnlyFromHex(pk, 'signer pubkey');
  return pk;
}

function checkText(s: unknown, what: string): string {
  if (typeof s !== 'string') throw new VeilError('INVALID_INPUT', `${what} must be a string`);
  if (s.length > MAX_NIP44_TEXT_CHARS) throw new VeilError('TOO_LARGE', `${what} too large`);
  return s;
}

const closedError = () => new VeilError('SIGNER_UNAVAILABLE', 'signer is closed');
const ENCRYPT = ['plaintext', 'ciphertext'] as const;
const DECRYPT = ['ciphertext', 'plaintext'] as const;

/** Checks the peer key and the input text, runs `call`, checks its answer is bounded text. */
async function peerCall(peer: string, text: string, io: readonly [string, string], call: () => Promise<unknown>): Promise<string> {
  xOnlyFromHex(peer, 'peer pubkey');
  checkText(text, io[0]);
  return checkText(await call(), io[1]);
}

/**
 * Runs `p` with a deadline (NIP-07). Timeout → SIGNER_TIMEOUT; any other rejection that is not
 * already a VeilError → SIGNER_REJECTED (extensions reject when the user says no).
 */
async function guard<T>(p: () => Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new VeilError('SIGNER_TIMEOUT', `${what}: no answer from the signer in time`)), timeoutMs);
  });
  try {
    return await Promise.race([
      Promise.resolve()
        .then(p)
        .catch((cause: unknown) => {
          if (isVeilError(cause)) throw cause;
          throw new VeilError('SIGNER_REJECTED', `${what}: the signer refused or failed`, { cause });
        }),
      deadline
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The identity key held in this tab (decrypted from an ncryptsec). `close()` wipes it. */
export class LocalSigner implements Signer {
  readonly kind = 'local' as const;
  #sk: Uint8Array | undefined;
  readonly #pubkey: string;
  #curve: Pick<Curve, 'signSchnorr' | 'verifySchnorr'> = jsCurve;

  constructor(secretKey: Uint8Array) {
    assertSecretKey(secretKey);
    this.#sk = Uint8Array.from(secretKey);
    this.#pubkey = bytesToHex(getXOnlyPublicKey(this.#sk));
  }

  #key(): Uint8Array {
    if (!this.#sk) throw closedError();
    return this.#sk;
  }

  async getPublicKey(): Promise<string> {
    this.#key();
    return this.#pubkey;
  }

  useCurve(curve: Pick<Curve, 'signSchnorr' | 'verifySchnorr'>): void {
    this.#curve = curve;
  }

  /** NIP-01 id, BIP-340 signature with fresh aux randomness, then the full check (a faulty signature never leaves). */
  async signEvent(template: EventTemplate): Promise<VerifiedEvent> {
    const t = checkTemplate(template);
    const unsigned = { pubkey: this.#pubkey, created_at: t.created_at, kind: t.kind, tags: t.tags, content: t.content };
    const id = eventId(unsigned);
    const sig = bytesToHex(this.#curve.signSchnorr(hexToBytes(id, 32), this.#key(), randomBytes(32)));
    return verifyEvent({ id, ...unsigned, sig }, UNBOUNDED_EVENT_LIMITS, this.#curve.verifySchnorr); // the one door to a VerifiedEvent
  }

  async nip44Encrypt(peerPubkeyHex: string, plaintext: string): Promise<string> {
    return nip44Encrypt(checkText(plaintext, 'plaintext'), getConversationKey(this.#key(), peerPubkeyHex));
  }

  async nip44Decrypt(peerPubkeyHex: string, ciphertext: string): Promise<string> {
    return nip44Decrypt(checkText(ciphertext, 'ciphertext'), getConversationKey(this.#key(), peerPubkeyHex));
  }

  async nip04Decrypt(peerPubkeyHex: string, ciphertext: string): Promise<string> {
    return nip04Decrypt(this.#key(), peerPubkeyHex, checkText(ciphertext, 'ciphertext'));
  }

  async close(): Promise<void> {
    this.#sk?.fill(0);
    this.#sk = undefined;
  }
}

/** The shape of NIP-07's `window.nostr` that Veil uses. */
export interface Nip07Like {
  getPublicKey(): Promise<string>;
  signEvent(event: EventTemplate): Promise<unknown>;
  nip44?: {
    encrypt(pubkey: string, plaintext: string): Promise<string>;
    decrypt(pubkey: string, ciphertext: string): Promise<string>;
  };
  /** Only `decrypt` is used (reading legacy kind 4 DMs). */
  nip04?: {
    decrypt(pubkey: string, ciphertext: string): Promise<string>;
  };
}

/**
 * A NIP-07 extension. The caller passes `window.nostr` in (this module never reads `window`).
 * nip44Encrypt/nip44Decrypt exist only when the extension offers `nostr.nip44`.
 */
export class Nip07Signer implements Signer {
  readonly kind = 'nip07' as const;
  readonly #nostr: Nip07Like;
  readonly #timeoutMs: number;
  #pubkey: string | undefined;
  #closed = false;
  nip44Encrypt?: (peerPubkeyHex: string, plaintext: string) => Promise<string>;
  nip44Decrypt?: (peerPubkeyHex: string, ciphertext: string) => Promise<string>;
  nip04Decrypt?: (peerPubkeyHex: string, ciphertext: string) => Promise<string>;

  constructor(nostr: Nip07Like, opts: { timeoutMs?: number } = {}) {
    if (!nostr || typeof nostr.getPublicKey !== 'function' || typeof nostr.signEvent !== 'function')
      throw new VeilError('SIGNER_UNAVAILABLE', 'no NIP-07 extension');
    this.#nostr = nostr;
    this.#timeoutMs = opts.timeoutMs ?? DEFAULT_SIGNER_TIMEOUT_MS;
    const n44 = nostr.nip44;
    if (n44 && typeof n44.encrypt === 'function' && typeof n44.decrypt === 'function') {
      this.nip44Encrypt = async (peer, plaintext) =>
        peerCall(peer, plaintext, ENCRYPT, () => this.#guard(() => n44.encrypt(peer, plaintext), 'nip44_encrypt'));
      this.nip44Decrypt = async (peer, ciphertext) =>
        peerCall(peer, ciphertext, DECRYPT, () => this.#guard(() => n44.decrypt(peer, ciphertext), 'nip44_decrypt'));
    }
    const n04 = nostr.nip04;
    if (n04 && typeof n04.decrypt === 'function') {
      this.nip04Decrypt = async (peer, ciphertext) =>
        peerCall(peer, ciphertext, DECRYPT, () => this.#guard(() => n04.decrypt(peer, ciphertext), 'nip04_decrypt'));
    }
  }

  async #guard<T>(p: () => Promise<T>, what: string): Promise<T> {
    if (this.#closed) throw closedError();
    return guard(p, this.#timeoutMs, what);
  }

  async getPublicKey(): Promise<string> {
    if (this.#closed) throw closedError();
    if (!this.#pubkey) this.#pubkey = checkPubkey(await this.#guard(() => this.#nostr.getPublicKey(), 'getPublicKey'));
    return this.#pubkey;
  }

  async signEvent(template: EventTemplate): Promise<VerifiedEvent> {
    const t = checkTemplate(template);
    const pubkey = await this.getPublicKey();
    const raw = await this.#guard(() => this.#nostr.signEvent(checkTemplate(t)), 'signEvent');
    return checkSignedEvent(raw, t, pubkey);
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}

export interface Nip46Options {
  /** The client's session key for this bunker (persist it to reconnect); fresh when absent. */
  clientSecretKey?: Uint8Array;
  timeoutMs?: number;
  /** Called with a URL when the bunker asks the user to authorize in a browser (NIP-46 auth_url). */
  onauth?: (url: string) => void;
}

/**
 * A NIP-46 remote signer ("bunker"). The requests are sealed and matched in ./nip46.ts; the
 * relays are reached through the injected transport (this module opens no socket).
 */
export class Nip46Signer implements Signer {
  readonly kind = 'nip46' as const;
  readonly #session: Nip46Session;
  readonly #timeoutMs: number;
  readonly clientSecretKey: Uint8Array;
  #pubkey: string | undefined;
  #closed = false;

  private constructor(session: Nip46Session, timeoutMs: number, clientSk: Uint8Array) {
    this.#session = session;
    this.#timeoutMs = timeoutMs;
    this.clientSecretKey = clientSk;
  }

  /**
   * Connects to the bunker named by a parsed `bunker://` URL through `transport` (which the signer
   * then owns): sends NIP-46 `connect` (with the URL's secret) and waits for the answer. Errors:
   * SIGNER_UNAVAILABLE, SIGNER_REJECTED, SIGNER_TIMEOUT.
   */
  static async connect(bunker: BunkerUrl, transport: Nip46Transport, opts: Nip46Options = {}): Promise<Nip46Signer> {
    const timeoutMs = opts.timeoutMs ?? DEFAULT_SIGNER_TIMEOUT_MS;
    const clientSk = opts.clientSecretKey ? Uint8Array.from(opts.clientSecretKey) : generateSecretKey();
    let session: Nip46Session;
    try {
      assertSecretKey(clientSk, 'client secret key');
      session = new Nip46Session(clientSk, bunker.pubkey, transport, opts.onauth ? { onauth: opts.onauth } : {});
    } catch (e) {
      transport.close();
      throw e;
    }
    const signer = new Nip46Signer(session, timeoutMs, clientSk);
    try {
      await session.open();
      await session.request('connect', [bunker.pubkey, bunker.secret ?? ''], timeoutMs);
    } catch (e) {
      await signer.close();
      throw e;
    }
    return signer;
  }

  async #call(method: string, params: string[]): Promise<string> {
    if (this.#closed) throw closedError();
    return this.#session.request(method, params, this.#timeoutMs);
  }

  async getPublicKey(): Promise<string> {
    if (this.#closed) throw closedError();
    if (!this.#pubkey) this.#pubkey = checkPubkey(await this.#call('get_public_key', []));
    return this.#pubkey;
  }

  async signEvent(template: EventTemplate): Promise<VerifiedEvent> {
    const t = checkTemplate(template);
    const pubkey = await this.getPublicKey();
    // The answer is verified here, against the template and the identity too.
    const resp = await this.#call('sign_event', [JSON.stringify(t)]);
    if (resp.length > MAX_TEMPLATE_CONTENT_CHARS * 2) throw new VeilError('INVALID_EVENT', 'bad bunker response');
    let raw: unknown;
    try {
      raw = JSON.parse(resp);
    } catch (cause) {
      throw new VeilError('INVALID_EVENT', 'bunker returned invalid JSON', { cause });
    }
    return checkSignedEvent(raw, t, pubkey);
  }

  async nip44Encrypt(peerPubkeyHex: string, plaintext: string): Promise<string> {
    return peerCall(peerPubkeyHex, plaintext, ENCRYPT, () => this.#call('nip44_encrypt', [peerPubkeyHex, plaintext]));
  }

  async nip44Decrypt(peerPubkeyHex: string, ciphertext: string): Promise<string> {
    return peerCall(peerPubkeyHex, ciphertext, DECRYPT, () => this.#call('nip44_decrypt', [peerPubkeyHex, ciphertext]));
  }

  async nip04Decrypt(peerPubkeyHex: string, ciphertext: string): Promise<string> {
    return peerCall(peerPubkeyHex, ciphertext, DECRYPT, () => this.#call('nip04_decrypt', [peerPubkeyHex, ciphertext]));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#session.close();
  }
}
