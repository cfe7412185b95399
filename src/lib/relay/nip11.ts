/**
 * NIP-11 relay information, fetched over HTTP(S) with `Accept: application/nostr+json`.
 * The document is untrusted: the fetch has a timeout, the body a size bound, and only known
 * fields of the expected types are kept.
 */
import { readStreamBounded } from '../shared/bounded-read';
import { VeilError, isVeilError } from '../shared/errors';
import { cleanRelayText } from './reasons';
import { relayInfoUrl } from './url';
import type { FetchLike } from './types';

export interface RelayLimits {
  max_message_length?: number;
  max_subscriptions?: number;
  max_limit?: number;
  default_limit?: number;
  max_subid_length?: number;
  max_event_tags?: number;
  max_content_length?: number;
  min_pow_difficulty?: number;
  created_at_lower_limit?: number;
  created_at_upper_limit?: number;
  auth_required?: boolean;
  payment_required?: boolean;
  restricted_writes?: boolean;
}

export interface RelayInfo {
  name?: string;
  software?: string;
  version?: string;
  supported_nips: number[];
  limitation: RelayLimits;
}

export interface FetchInfoOptions {
  /** Default 5000 ms, for the whole request including the body. */
  timeoutMs?: number;
  /** Default 64 KiB. */
  maxBytes?: number;
}

const NUMBER_LIMITS = [
  'max_message_length',
  'max_subscriptions',
  'max_limit',
  'default_limit',
  'max_subid_length',
  'max_event_tags',
  'max_content_length',
  'min_pow_difficulty',
  'created_at_lower_limit',
  'created_at_upper_limit'
] as const;
const BOOLEAN_LIMITS = ['auth_required', 'payment_required', 'restricted_writes'] as const;

/** Keeps only well-typed NIP-11 fields; throws RELAY_PROTOCOL if `doc` is not an object. */
export function parseRelayInfo(doc: unknown): RelayInfo {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw new VeilError('RELAY_PROTOCOL', 'relay information is not a JSON object');
  const d = doc as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' ? cleanRelayText(v).slice(0, 100) : undefined);
  const nips = Array.isArray(d.supported_nips)
    ? d.supported_nips.filter((n): n is number => Number.isSafeInteger(n) && (n as number) >= 0).slice(0, 200)
    : [];
  const limitation: RelayLimits = {};
  const l = typeof d.limitation === 'object' && d.limitation !== null ? (d.limitation as Record<string, unknown>) : {};
  for (const k of NUMBER_LIMITS) {
    const v = l[k];
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) limitation[k] = v;
  }
  for (const k of BOOLEAN_LIMITS) {
    const v = l[k];
    if (typeof v === 'boolean') limitation[k] = v;
  }
  return { name: text(d.name), software: text(d.software), version: text(d.version), supported_nips: nips, limitation };
}

/**
 * Fetches a relay's NIP-11 document through the given `fetch`. Throws RELAY_TIMEOUT,
 * RELAY_UNREACHABLE (network error or HTTP status), TOO_LARGE or RELAY_PROTOCOL.
 */
export async function fetchRelayInfo(relayUrl: string, fetchImpl: FetchLike, opts: FetchInfoOptions = {}): Promise<RelayInfo> {
  const maxBytes = opts.maxBytes ?? 64 * 1024;
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, opts.timeoutMs ?? 5000);
  try {
    const res = await fetchImpl(relayInfoUrl(relayUrl), {
      headers: { Accept: 'application/nostr+json' },
      signal: controller.signal
    });
    if (!res.ok) throw new VeilError('RELAY_UNREACHABLE', `relay information request failed (HTTP ${res.status})`);
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (declared > maxBytes) throw new VeilError('TOO_LARGE', 'relay information document is too large');
    const body = await readBounded(res, maxBytes);
    let doc: unknown;
    try {
      doc = JSON.parse(body);
    } catch {
      throw new VeilError('RELAY_PROTOCOL', 'relay information is not JSON');
    }
    return parseRelayInfo(doc);
  } catch (e) {
    if (timedOut) throw new VeilError('RELAY_TIMEOUT', 'relay information request timed out');
    if (isVeilError(e)) throw e;
    throw new VeilError('RELAY_UNREACHABLE', 'relay information request failed');
  } finally {
    clearTimeout(timer);
  }
}

async function readBounded(res: Awaited<ReturnType<FetchLike>>, maxBytes: number): Promise<string> {
  if (!res.body) {
    const text = await res.text();
    if (new TextEncoder().encode(text).length > maxBytes) throw new VeilError('TOO_LARGE', 'relay information document is too large');
    return text;
  }
  return new TextDecoder().decode(await readStreamBounded(res.body, maxBytes, 'relay information document'));
}
