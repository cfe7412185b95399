/**
 * scripts/serve.mjs sends what docs/deploy.md says a host must send: framing refused by header (the
 * <meta> CSP cannot), nosniff, no referrer; deep links get index.html, missing assets a real 404.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWeb, type WebServer } from '../helpers/web';

describe('static server headers', () => {
  let web: WebServer & { dir: string };
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'veil-serve-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Veil</title>');
    mkdirSync(join(dir, '_app', 'immutable'), { recursive: true });
    writeFileSync(join(dir, '_app', 'immutable', 'a.js'), 'export {};');
    web = { ...(await startWeb({ dir, relays: ['ws://127.0.0.1:1'] })), dir };
  });
  afterAll(async () => web?.stop());

  const expectSecurityHeaders = (h: Headers) => {
    expect(h.get('content-security-policy')).toBe("frame-ancestors 'none'");
    expect(h.get('x-frame-options')).toBe('DENY');
    expect(h.get('x-content-type-options')).toBe('nosniff');
    expect(h.get('referrer-policy')).toBe('no-referrer');
    expect(h.get('cross-origin-opener-policy')).toBe('same-origin');
  };

  it.each(['/', '/chat/abc', '/_app/immutable/a.js', '/veil-config.json', '/missing.js'])('%s carries the security headers', async (path) => {
    const res = await fetch(web.url + path);
    expectSecurityHeaders(res.headers);
  });

  it('serves deep links the app, missing assets a 404, hashed assets as immutable', async () => {
    const deep = await fetch(web.url + '/chat/abc');
    expect(deep.status).toBe(200);
    expect(await deep.text()).toContain('<title>Veil</title>');
    expect(deep.headers.get('cache-control')).toBe('no-cache');
    expect((await fetch(web.url + '/missing.js')).status).toBe(404);
    const asset = await fetch(web.url + '/_app/immutable/a.js');
    expect(asset.headers.get('cache-control')).toContain('immutable');
  });

  it('points the app at the given relays, for lookups too unless told otherwise (no internet for `npm start`)', async () => {
    expect(await (await fetch(web.url + '/veil-config.json')).json()).toEqual({ relays: ['ws://127.0.0.1:1'], lookupRelays: ['ws://127.0.0.1:1'] });
    const other = await startWeb({ dir: web.dir, relays: ['ws://127.0.0.1:1'], lookupRelays: ['ws://127.0.0.1:2', 'ws://127.0.0.1:3'] });
    try {
      expect(await (await fetch(other.url + '/veil-config.json')).json()).toEqual({
        relays: ['ws://127.0.0.1:1'],
        lookupRelays: ['ws://127.0.0.1:2', 'ws://127.0.0.1:3']
      });
    } finally {
      await other.stop();
    }
  });
});
