/**
 * NIP-46 ("Nostr Connect") without the sockets (docs/design.md §7: crypto does no I/O). This module
 * parses `bunker://` URLs, seals each JSON-RPC request into a kind 24133 event (NIP-44 v2 under the
 * client key), opens the answers and matches them to their requests by the id inside the
 * ciphertext: matching needs the conversation key, so it lives here.
 *
 * The relays are reached through a `Nip46Transport` that sync/ injects (relay/nip46-transport.ts
 * implements it on the relay pool, which verifies every event's id and signature before handing it
 * on). A transport that lied could not forge an answer either: NIP-44 authenticates the content
 * under the client/remote-signer key pair.
 */
import { finalizeEvent } from 'nostr-tools/pure';
import { bytesToHex, randomBytes } from '../shared/bytes';
import { VeilError } from '../shared/errors';
import type { NostrEventJson } from '../shared/nostr';
import { getXOnlyPublicKey, xOnlyFromHex } from './keys';
import { normalizeRelayUrl } from './mailbox';
import { getConversationKey, nip44Decrypt, nip44Encrypt } from './nip44';

export const NIP46_KIND = 24133;

/** A parsed `bunker://` URL (NIP-46), validated and bounded. */
export interface BunkerUrl {
  /** The remote signer's pubkey (may differ from the identity's). */
  pubkey: string;
  /** 1..8 normalized ws/wss relays. */
  relays: string[];
  secret: string | null;
}

const MAX_BUNKER_URL_CHARS = 2048;
/** The form nostr-tools accepts too: 64 hex pubkey, then an optional query. */
const BUNKER_REGEX = /^bunker:\/\/([0-9a-f]{64})\??([?/\w:.=&%-]*)$/;

/**
 * Parses a `bunker://<remote-signer-pubkey>?relay=…&secret=…` URL (NIP-46 "Direct connection
 * initiated by remote-signer"). Only that form: a NIP-05 name is never looked up (that would be a
 * network request). Errors: INVALID_INPUT.
 */
export function parseBunkerUrl(input: string): BunkerUrl {
  if (typeof input !== 'string' || input.length > MAX_BUNKER_URL_CHARS) throw new VeilError('INVALID_INPUT', 'invalid bunker URL');
  const match = BUNKER_REGEX.exec(input.trim());
  if (!match) throw new VeilError('INVALID_INPUT', 'not a bunker:// URL');
  const pubkey = match[1]!;
  try {
    xOnlyFromHex(pubkey, 'bunker pubkey');
  } catch (cause) {
    throw new VeilError('INVALID_INPUT', 'bunker URL has an invalid pubkey', { cause });
  }
  let query: URLSearchParams;
  try {
    query = new URLSearchParams(match[2]!.replace(/^[/?]+/, ''));
  } catch (cause) {
    throw new VeilError('INVALID_INPUT', 'invalid bunker URL', { cause });
  }
  const relays: string[] = [];
  for (const r of query.getAll('relay')) {
    let n: string;
    try {
      n = normalizeRelayUrl(r);
    } catch (cause) {
      throw new VeilError('INVALID_INPUT', 'bunker URL has an invalid relay', { cause });
    }
    if (!relays.includes(n)) relays.push(n);
  }
  if (relays.length === 0 || relays.length > 8) throw new VeilError('INVALID_INPUT', 'bunker URL needs 1..8 relays');
  const secret = query.get('secret');
  if (secret !== null && secret.length > 256) throw new VeilError('INVALID_INPUT', 'bunker secret too long');
  return { pubkey, relays, secret };
}

/** What the transport hands back: an event whose id and signature the relay layer verified. */
export interface Nip46IncomingEvent {
  readonly pubkey: string;
  readonly kind: number;
  readonly content: string;
}

/**
 * The relays' side of NIP-46, implemented outside crypto (relay/nip46-transport.ts) and injected
 * by sync/. It carries events and knows nothing of their content.
 */
export interface Nip46Transport {
  /**
   * Delivers every kind 24133 event authored by `remote` that p-tags `client`, each verified (id
   * and signature) before delivery. Resolves once the subscription is live.
   */
  listen(filter: { remote: string; client: string }, onevent: (event: Nip46IncomingEvent) => void): Promise<void>;
  /** Publishes a signed request; resolves once a relay accepted it, rejects when none did. */
  publish(event: NostrEventJson): Promise<void>;
  /** Ends the subscription and closes the sockets. */
  close(): void;
}

/** A NIP-46 answer, after decryption. `result: 'auth_url'` carries the URL in `error`. */
export interface Nip46Response {
  id: string;
  result?: string;
  error?: string;
}

/** Largest decrypted answer accepted (a signed event of at most 256 KiB content, JSON-escaped). */
const MAX_RESPONSE_CHARS = 1024 * 1024;

/** Seals one JSON-RPC request for `remote` into a signed kind 24133 event by the client key. */
export function sealNip46Request(
  clientSk: Uint8Array,
  remote: string,
  request: { id: string; method: string; params: string[] },
  createdAt: number
): NostrEventJson {
  const content = nip44Encrypt(JSON.stringify(request), getConversationKey(clientSk, remote));
  const { id, pubkey, created_at, kind, tags, sig } = finalizeEvent({ kind: NIP46_KIND, created_at: createdAt, tags: [['p', remote]], content }, clientSk);
  return { id, pubkey, created_at, kind, tags, content, sig };
}

/**
 * Opens an answer from `remote`: right kind and author, NIP-44 authenticated under the client
 * key, a JSON object with a string id and string result/error. Anything else → null.
 */
export function openNip46Response(clientSk: Uint8Array, remote: string, event: Nip46IncomingEvent): Nip46Response | null {
  if (event.kind !== NIP46_KIND || event.pubkey !== remote) return null;
  let body: unknown;
  try {
    body = JSON.parse(nip44Decrypt(event.content, getConversationKey(clientSk, remote), { maxPayloadChars: MAX_RESPONSE_CHARS * 2 }));
  } catch {
    return null;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  const { id, result, error } = body as Record<string, unknown>;
  if (typeof id !== 'string' || id.length > 64) return null;
  if (result !== undefined && result !== null && typeof result !== 'string') return null;
  if (error !== undefined && error !== null && typeof error !== 'string') return null;
  return { id, ...(typeof result === 'string' ? { result } : {}), ...(typeof error === 'string' && error ? { error } : {}) };
}

/** A URL the bunker may ask the user to open: http(s) only, so `javascript:` never reaches a window. */
function authUrl(text: string | undefined): string | null {
  if (!text || text.length > 2048) return null;
  try {
    const u = new URL(text);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : null;
  } catch {
    return null;
  }
}

interface Pending {
  resolve(result: string): void;
  reject(e: VeilError): void;
  authed: boolean;
}

export interface Nip46SessionOptions {
  /** Called with a URL when the bunker asks the user to authorize in a browser (NIP-46 auth_url). */
  onauth?: (url: string) => void;
}

/**
 * One client session with one remote signer: request ids, the pending table and deadlines.
 * `request` errors: SIGNER_UNAVAILABLE (no relay took the request, or closed), SIGNER_REJECTED
 * (the bunker answered with an error), SIGNER_TIMEOUT.
 */
export class Nip46Session {
  readonly clientPubkey: string;
  readonly #clientSk: Uint8Array;
  readonly #remote: string;
  readonly #transport: Nip46Transport;
  readonly #opts: Nip46SessionOptions;
  readonly #pending = new Map<string, Pending>();
  #closed = false;

  constructor(clientSk: Uint8Array, remote: string, transport: Nip46Transport, opts: Nip46SessionOptions = {}) {
    this.#clientSk = clientSk;
    this.#remote = remote;
    this.#transport = transport;
    this.#opts = opts;
    this.clientPubkey = bytesToHex(getXOnlyPublicKey(clientSk));
  }

  /** Starts listening for answers. */
  async open(): Promise<void> {
    try {
      await this.#transport.listen({ remote: this.#remote, client: this.clientPubkey }, (ev) => this.#receive(ev));
    } catch (cause) {
      throw new VeilError('SIGNER_UNAVAILABLE', 'could not listen on the bunker relays', { cause });
    }
  }

  /** Sends one request and waits for its answer (see the class comment for errors). */
  async request(method: string, params: string[], timeoutMs: number): Promise<string> {
    if (this.#closed) throw new VeilError('SIGNER_UNAVAILABLE', 'signer is closed');
    const id = bytesToHex(randomBytes(12));
    const event = sealNip46Request(this.#clientSk, this.#remote, { id, method, params }, Math.floor(Date.now() / 1000));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const answer = new Promise<string>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, authed: false });
      timer = setTimeout(() => reject(new VeilError('SIGNER_TIMEOUT', `${method}: no answer from the signer in time`)), timeoutMs);
    });
    const sent = this.#transport.publish(event).catch((cause: unknown) => {
      throw new VeilError('SIGNER_UNAVAILABLE', `${method}: could not reach the signer`, { cause });
    });
    try {
      // The deadline covers the publish too; an answer may even overtake the relay's OK.
      return await Promise.race([answer, sent.then(() => answer)]);
    } finally {
      clearTimeout(timer);
      this.#pending.delete(id);
    }
  }

  #receive(event: Nip46IncomingEvent): void {
    const res = openNip46Response(this.#clientSk, this.#remote, event);
    const p = res && this.#pending.get(res.id);
    if (!res || !p) return;
    if (res.result === 'auth_url') {
      const url = authUrl(res.error);
      if (url && !p.authed) {
        p.authed = true;
        this.#opts.onauth?.(url);
      }
      return; // the real answer follows once the user approved
    }
    if (res.error !== undefined) p.reject(new VeilError('SIGNER_REJECTED', 'the signer refused or failed'));
    else if (res.result !== undefined) p.resolve(res.result);
  }

  /** Rejects what is pending and closes the transport. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const p of this.#pending.values()) p.reject(new VeilError('SIGNER_UNAVAILABLE', 'signer is closed'));
    this.#pending.clear();
    this.#transport.close();
  }
}
