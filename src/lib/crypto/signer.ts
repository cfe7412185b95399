/**
 * The Signer interface hides where the identity key lives (DESIGN.md §2, §6): in this tab
 * (LocalSigner, from a decrypted ncryptsec), in a NIP-07 browser extension, or in a NIP-46 bunker.
 *
 * A remote signer is untrusted output like anything else (§7): every event it returns is verified
 * (id, signature), must be signed by the identity's pubkey, and must be exactly the template that was
 * asked for — an extension that signs something else is refused. Platform objects (the
 * `window.nostr`-like object, the WebSocket constructor or a relay pool) are passed in; this module
 * never touches `window`.
 */
import { finalizeEvent } from 'nostr-tools/pure';
import { AbstractSimplePool } from 'nostr-tools/abstract-pool';
import { BUNKER_REGEX, BunkerSigner, parseBunkerInput, type BunkerPointer } from 'nostr-tools/nip46';
import { verifyEvent as ntVerifyEvent } from 'nostr-tools/pure';
import { bytesToHex } from '../shared/bytes';
import { VeilError, isVeilError } from '../shared/errors';
import { assertSecretKey, generateSecretKey, getXOnlyPublicKey, xOnlyFromHex } from './keys';
import { normalizeRelayUrl } from './mailbox';
import { nip04Decrypt } from './nip04';
import { getConversationKey, nip44Decrypt, nip44Encrypt } from './nip44';
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

/**
 * Runs `p` with a deadline. Timeout → SIGNER_TIMEOUT; no relay reachable → SIGNER_UNAVAILABLE; any
 * other rejection that is not already a VeilError → SIGNER_REJECTED (extensions reject when the user
 * says no; bunkers answer with an error string).
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
          // nostr-tools' BunkerSigner publishes with Promise.any: no relay took the request.
          if (cause instanceof AggregateError) throw new VeilError('SIGNER_UNAVAILABLE', `${what}: could not reach the signer`, { cause });
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

  constructor(secretKey: Uint8Array) {
    assertSecretKey(secretKey);
    this.#sk = Uint8Array.from(secretKey);
    this.#pubkey = bytesToHex(getXOnlyPublicKey(this.#sk));
  }

  #key(): Uint8Array {
    if (!this.#sk) throw new VeilError('SIGNER_UNAVAILABLE', 'signer is closed');
    return this.#sk;
  }

  async getPublicKey(): Promise<string> {
    this.#key();
    return this.#pubkey;
  }

  async signEvent(template: EventTemplate): Promise<VerifiedEvent> {
    const t = checkTemplate(template);
    return verifyEvent(finalizeEvent(t, this.#key()), UNBOUNDED_EVENT_LIMITS); // the one door to a VerifiedEvent
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
      this.nip44Encrypt = async (peer, plaintext) => {
        this.#open();
        xOnlyFromHex(peer, 'peer pubkey');
        checkText(plaintext, 'plaintext');
        return checkText(await guard(() => n44.encrypt(peer, plaintext), this.#timeoutMs, 'nip44_encrypt'), 'ciphertext');
      };
      this.nip44Decrypt = async (peer, ciphertext) => {
        this.#open();
        xOnlyFromHex(peer, 'peer pubkey');
        checkText(ciphertext, 'ciphertext');
        return checkText(await guard(() => n44.decrypt(peer, ciphertext), this.#timeoutMs, 'nip44_decrypt'), 'plaintext');
      };
    }
    const n04 = nostr.nip04;
    if (n04 && typeof n04.decrypt === 'function') {
      this.nip04Decrypt = async (peer, ciphertext) => {
        this.#open();
        xOnlyFromHex(peer, 'peer pubkey');
        checkText(ciphertext, 'ciphertext');
        return checkText(await guard(() => n04.decrypt(peer, ciphertext), this.#timeoutMs, 'nip04_decrypt'), 'plaintext');
      };
    }
  }

  #open(): void {
    if (this.#closed) throw new VeilError('SIGNER_UNAVAILABLE', 'signer is closed');
  }

  async getPublicKey(): Promise<string> {
    this.#open();
    if (!this.#pubkey) this.#pubkey = checkPubkey(await guard(() => this.#nostr.getPublicKey(), this.#timeoutMs, 'getPublicKey'));
    return this.#pubkey;
  }

  async signEvent(template: EventTemplate): Promise<VerifiedEvent> {
    const t = checkTemplate(template);
    const pubkey = await this.getPublicKey();
    const raw = await guard(() => this.#nostr.signEvent(checkTemplate(t)), this.#timeoutMs, 'signEvent');
    return checkSignedEvent(raw, t, pubkey);
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}

/** A parsed `bunker://` URL (NIP-46), validated and bounded. */
export interface BunkerUrl {
  /** The remote signer's pubkey (may differ from the identity's). */
  pubkey: string;
  /** 1..8 normalized ws/wss relays. */
  relays: string[];
  secret: string | null;
}

const MAX_BUNKER_URL_CHARS = 2048;

/**
 * Parses a `bunker://<remote-signer-pubkey>?relay=…&secret=…` URL (NIP-46 "Direct connection
 * initiated by remote-signer"). Only that form: a NIP-05 name is not looked up here (that would be a
 * network request from a leaf module). Errors: INVALID_INPUT.
 */
export async function parseBunkerUrl(input: string): Promise<BunkerUrl> {
  if (typeof input !== 'string' || input.length > MAX_BUNKER_URL_CHARS) throw new VeilError('INVALID_INPUT', 'invalid bunker URL');
  const s = input.trim();
  // Checked before parseBunkerInput, which would otherwise try the text as a NIP-05 name over the network.
  if (!BUNKER_REGEX.test(s)) throw new VeilError('INVALID_INPUT', 'not a bunker:// URL');
  let bp: BunkerPointer | null;
  try {
    bp = await parseBunkerInput(s);
  } catch (cause) {
    throw new VeilError('INVALID_INPUT', 'invalid bunker URL', { cause });
  }
  if (!bp) throw new VeilError('INVALID_INPUT', 'invalid bunker URL');
  try {
    xOnlyFromHex(bp.pubkey, 'bunker pubkey');
  } catch (cause) {
    throw new VeilError('INVALID_INPUT', 'bunker URL has an invalid pubkey', { cause });
  }
  const relays: string[] = [];
  for (const r of bp.relays) {
    let n: string;
    try {
      n = normalizeRelayUrl(r);
    } catch (cause) {
      throw new VeilError('INVALID_INPUT', 'bunker URL has an invalid relay', { cause });
    }
    if (!relays.includes(n)) relays.push(n);
  }
  if (relays.length === 0 || relays.length > 8) throw new VeilError('INVALID_INPUT', 'bunker URL needs 1..8 relays');
  if (bp.secret !== null && bp.secret.length > 256) throw new VeilError('INVALID_INPUT', 'bunker secret too long');
  return { pubkey: bp.pubkey, relays, secret: bp.secret };
}

export interface Nip46Options {
  /** A nostr-tools pool to talk through; else one is made with `WebSocket`. */
  pool?: AbstractSimplePool;
  /** WebSocket constructor (the page's, or `ws` in Node). Needed when no pool is given. */
  WebSocket?: unknown;
  /** The client's session key for this bunker (persist it to reconnect); fresh when absent. */
  clientSecretKey?: Uint8Array;
  timeoutMs?: number;
  /** Called with a URL when the bunker asks the user to authorize in a browser (NIP-46 auth_url). */
  onauth?: (url: string) => void;
}

/** A NIP-46 remote signer ("bunker"), on nostr-tools' BunkerSigner. */
export class Nip46Signer implements Signer {
  readonly kind = 'nip46' as const;
  readonly #bunker: BunkerSigner;
  readonly #ownPool: AbstractSimplePool | undefined;
  readonly #relays: string[];
  readonly #timeoutMs: number;
  readonly clientSecretKey: Uint8Array;
  #pubkey: string | undefined;
  #closed = false;

  private constructor(bunker: BunkerSigner, ownPool: AbstractSimplePool | undefined, relays: string[], timeoutMs: number, clientSk: Uint8Array) {
    this.#bunker = bunker;
    this.#ownPool = ownPool;
    this.#relays = relays;
    this.#timeoutMs = timeoutMs;
    this.clientSecretKey = clientSk;
  }

  /**
   * Connects to the bunker named by a `bunker://` URL: sends NIP-46 `connect` (with the URL's
   * secret) and waits for the answer. Errors: INVALID_INPUT, SIGNER_UNAVAILABLE, SIGNER_REJECTED,
   * SIGNER_TIMEOUT.
   */
  static async connect(bunkerUrl: string, opts: Nip46Options = {}): Promise<Nip46Signer> {
    const bp = await parseBunkerUrl(bunkerUrl);
    const timeoutMs = opts.timeoutMs ?? DEFAULT_SIGNER_TIMEOUT_MS;
    let pool = opts.pool;
    let ownPool: AbstractSimplePool | undefined;
    if (!pool) {
      if (typeof opts.WebSocket !== 'function') throw new VeilError('SIGNER_UNAVAILABLE', 'NIP-46 needs a pool or a WebSocket constructor');
      // nostr-tools verifies every event the pool delivers before handing it on.
      ownPool = pool = new AbstractSimplePool({
        verifyEvent: ntVerifyEvent,
        websocketImplementation: opts.WebSocket as typeof WebSocket,
        maxWaitForConnection: 5000
      });
    }
    const clientSk = opts.clientSecretKey ? Uint8Array.from(opts.clientSecretKey) : generateSecretKey();
    assertSecretKey(clientSk, 'client secret key');
    const bunker = BunkerSigner.fromBunker(clientSk, { pubkey: bp.pubkey, relays: bp.relays, secret: bp.secret }, {
      pool,
      ...(opts.onauth ? { onauth: opts.onauth } : {})
    });
    const signer = new Nip46Signer(bunker, ownPool, bp.relays, timeoutMs, clientSk);
    try {
      await guard(() => bunker.connect(), timeoutMs, 'connect');
    } catch (e) {
      await signer.close();
      throw e;
    }
    return signer;
  }

  #open(): void {
    if (this.#closed) throw new VeilError('SIGNER_UNAVAILABLE', 'signer is closed');
  }

  async getPublicKey(): Promise<string> {
    this.#open();
    if (!this.#pubkey) this.#pubkey = checkPubkey(await guard(() => this.#bunker.getPublicKey(), this.#timeoutMs, 'get_public_key'));
    return this.#pubkey;
  }

  async signEvent(template: EventTemplate): Promise<VerifiedEvent> {
    const t = checkTemplate(template);
    const pubkey = await this.getPublicKey();
    // sendRequest, not BunkerSigner.signEvent: we verify ourselves, against the template too.
    const resp = await guard(() => this.#bunker.sendRequest('sign_event', [JSON.stringify(t)]), this.#timeoutMs, 'sign_event');
    if (typeof resp !== 'string' || resp.length > MAX_TEMPLATE_CONTENT_CHARS * 2) throw new VeilError('INVALID_EVENT', 'bad bunker response');
    let raw: unknown;
    try {
      raw = JSON.parse(resp);
    } catch (cause) {
      throw new VeilError('INVALID_EVENT', 'bunker returned invalid JSON', { cause });
    }
    return checkSignedEvent(raw, t, pubkey);
  }

  async nip44Encrypt(peerPubkeyHex: string, plaintext: string): Promise<string> {
    this.#open();
    xOnlyFromHex(peerPubkeyHex, 'peer pubkey');
    checkText(plaintext, 'plaintext');
    return checkText(await guard(() => this.#bunker.nip44Encrypt(peerPubkeyHex, plaintext), this.#timeoutMs, 'nip44_encrypt'), 'ciphertext');
  }

  async nip44Decrypt(peerPubkeyHex: string, ciphertext: string): Promise<string> {
    this.#open();
    xOnlyFromHex(peerPubkeyHex, 'peer pubkey');
    checkText(ciphertext, 'ciphertext');
    return checkText(await guard(() => this.#bunker.nip44Decrypt(peerPubkeyHex, ciphertext), this.#timeoutMs, 'nip44_decrypt'), 'plaintext');
  }

  async nip04Decrypt(peerPubkeyHex: string, ciphertext: string): Promise<string> {
    this.#open();
    xOnlyFromHex(peerPubkeyHex, 'peer pubkey');
    checkText(ciphertext, 'ciphertext');
    return checkText(await guard(() => this.#bunker.nip04Decrypt(peerPubkeyHex, ciphertext), this.#timeoutMs, 'nip04_decrypt'), 'plaintext');
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#bunker.close();
    if (this.#ownPool) {
      this.#ownPool.close(this.#relays);
      this.#ownPool.destroy();
    }
  }
}
