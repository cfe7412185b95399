/**
 * A NIP-46 bunker's auth_url in the app layer (src/lib/app/bunker-auth.svelte.ts, issue 11 §9):
 * https only (plain http on loopback), no user name in front of the host, the host offered in a
 * prompt, and the one `open` call made by approve(), never by request(). Refusals are sentences.
 */
import { describe, expect, it } from 'vitest';
import { BunkerAuth, checkAuthUrl, MAX_AUTH_URL_CHARS } from '../../src/lib/app/bunker-auth.svelte';
import { XSS_PAYLOADS } from '../e2e/xss-payloads';

function auth() {
  const opened: string[] = [];
  return { opened, a: new BunkerAuth((href) => opened.push(href)) };
}

describe('checkAuthUrl', () => {
  it('accepts https and loopback http, with the host to show', () => {
    expect(checkAuthUrl('https://signer.example/approve?r=1')).toEqual({ ok: true, href: 'https://signer.example/approve?r=1', host: 'signer.example' });
    expect(checkAuthUrl('https://signer.example:8443/a')).toMatchObject({ ok: true, host: 'signer.example:8443' });
    expect(checkAuthUrl('http://127.0.0.1:5000/approve')).toMatchObject({ ok: true, host: '127.0.0.1:5000' });
    expect(checkAuthUrl('http://localhost/approve')).toMatchObject({ ok: true, host: 'localhost' });
    expect(checkAuthUrl('http://[::1]:9/x')).toMatchObject({ ok: true, host: '[::1]:9' });
    // An internationalized host is shown as the URL parser's punycode: a look-alike cannot pass as ASCII.
    expect(checkAuthUrl('https://аpple.example/x')).toMatchObject({ ok: true, host: 'xn--pple-43d.example' });
  });

  it.each([
    ['http://signer.example/approve', 'is not https (http://signer.example)'],
    ['http://127.0.0.2/x', 'is not https (http://127.0.0.2)'],
    ['javascript:alert(1)', 'is not https (javascript:)'],
    ['data:text/html,<script>alert(1)</script>', 'is not https (data:)'],
    ['ftp://signer.example/', 'is not https (ftp://signer.example)'],
    ['https://accounts.example@evil.example/', 'hides its host behind a user name (evil.example)'],
    ['not a url', 'is not a web address'],
    ['', 'is empty'],
    [`https://signer.example/${'a'.repeat(MAX_AUTH_URL_CHARS)}`, `is longer than ${MAX_AUTH_URL_CHARS} characters`]
  ])('refuses %s with a sentence', (url, why) => {
    const r = checkAuthUrl(url);
    expect(r).toEqual({ ok: false, message: `Your signer asked Veil to open an address that ${why}. Veil did not open it; approve the request in your signer itself.` });
  });

  it('never accepts a payload of the XSS table that is not an https address', () => {
    for (const p of XSS_PAYLOADS) {
      const r = checkAuthUrl(p);
      if (r.ok) expect(new URL(r.href).protocol, p).toBe('https:');
    }
  });
});

describe('BunkerAuth', () => {
  it('offers the host and opens only on approve, once', () => {
    const { a, opened } = auth();
    a.request('https://signer.example/approve');
    expect(a.pending).toEqual({ href: 'https://signer.example/approve', host: 'signer.example' });
    expect(opened).toEqual([]);
    a.approve();
    a.approve();
    expect(opened).toEqual(['https://signer.example/approve']);
    expect(a.pending).toBeNull();
  });

  it('a refused address is said, never opened, and replaces an older offer', () => {
    const { a, opened } = auth();
    a.request('https://signer.example/approve');
    a.request('javascript:window.__xss=1');
    expect(a.pending).toBeNull();
    expect(a.refused).toMatch(/^Your signer asked Veil to open an address that is not https \(javascript:\)/);
    a.approve();
    expect(opened).toEqual([]);
    a.dismiss();
    expect(a.refused).toBe('');
  });

  it('dismiss drops the offer without opening it', () => {
    const { a, opened } = auth();
    a.request('https://signer.example/approve');
    a.dismiss();
    a.approve();
    expect(opened).toEqual([]);
  });
});
