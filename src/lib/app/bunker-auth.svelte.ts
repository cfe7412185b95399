/**
 * A NIP-46 bunker's `auth_url` (issue 11 §9): the signer asks the user to approve a request on a web
 * page. The address is the bunker's word, so it is never opened on its own: it must be https (plain
 * http only on this machine's loopback, where nothing crosses a network), carry no user name or
 * password, and is shown by its host in a prompt; it opens in a new tab, without opener or referrer,
 * only when the user clicks. Anything else is refused with a sentence saying so. Runs in Node.
 */

/** Longest address accepted (crypto/nip46.ts passes at most this many characters). */
export const MAX_AUTH_URL_CHARS = 2048;
/** Longest part of a refused address shown back in the sentence. */
const SHOWN_CHARS = 60;

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

export type AuthUrlCheck = { ok: true; href: string; host: string } | { ok: false; message: string };

/** Cut for display: a refused address is the bunker's text, shown only as a short excerpt. */
function excerpt(s: string): string {
  return s.length > SHOWN_CHARS ? `${s.slice(0, SHOWN_CHARS)}…` : s;
}

/** Decides whether an auth_url may be offered to the user, and with which host. */
export function checkAuthUrl(raw: string): AuthUrlCheck {
  const refuse = (why: string): AuthUrlCheck => ({ ok: false, message: `Your signer asked Veil to open an address that ${why}. Veil did not open it; approve the request in your signer itself.` });
  if (typeof raw !== 'string' || raw.length === 0) return refuse('is empty');
  if (raw.length > MAX_AUTH_URL_CHARS) return refuse(`is longer than ${MAX_AUTH_URL_CHARS} characters`);
  let u: URL;
  try {
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- parsed once, not UI state
    u = new URL(raw);
  } catch {
    return refuse('is not a web address');
  }
  const loopbackHttp = u.protocol === 'http:' && LOOPBACK.has(u.hostname);
  if (u.protocol !== 'https:' && !loopbackHttp) return refuse(`is not https (${excerpt(u.protocol + (u.host ? `//${u.host}` : ''))})`);
  if (u.username || u.password) return refuse(`hides its host behind a user name (${excerpt(u.host)})`);
  if (!u.host) return refuse('has no host');
  return { ok: true, href: u.href, host: u.host };
}

/** What the prompt shows (components/BunkerAuthPrompt.svelte) and does. */
export class BunkerAuth {
  /** The pending approval, until the user opens or dismisses it. */
  pending = $state<{ href: string; host: string } | null>(null);
  /** Why the last auth_url was refused; '' when none was. */
  refused = $state('');

  readonly #open: (href: string) => void;

  /** `open` opens a new tab: by default window.open without opener or referrer (tests pass their own). */
  constructor(open: (href: string) => void = (href) => void window.open(href, '_blank', 'noopener,noreferrer')) {
    this.#open = open;
  }

  /** A bunker's auth_url arrived: offer it, or say why not. Opens nothing. */
  request(raw: string): void {
    const c = checkAuthUrl(raw);
    if (c.ok) {
      this.pending = { href: c.href, host: c.host };
      this.refused = '';
    } else {
      this.pending = null;
      this.refused = c.message;
    }
  }

  /** The user clicked "Open": the one place the address is opened. */
  approve(): void {
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    this.#open(p.href);
  }

  dismiss(): void {
    this.pending = null;
    this.refused = '';
  }
}
