/**
 * Runtime configuration (src/lib/app/config.ts): /veil-config.json overrides the build's envelope and
 * lookup relays, each list on its own; anything unusable falls back to the build's defaults and nothing throws.
 * The build defaults here are vitest.config.ts's (ws://127.0.0.1:7777 and ws://127.0.0.1:7778).
 */
import { describe, expect, it } from 'vitest';
import { loadRuntimeConfig } from '../../src/lib/app/config';

const DEFAULTS = { relays: ['ws://127.0.0.1:7777'], lookupRelays: ['ws://127.0.0.1:7778'], fileServer: '' };

/** A fetch that answers /veil-config.json with `body` (and records what was asked). */
function serving(body: string, init: { status?: number; type?: string } = {}) {
  const asked: string[] = [];
  const fetchImpl = (async (input: RequestInfo | URL) => {
    asked.push(String(input));
    return new Response(body, { status: init.status ?? 200, headers: { 'content-type': init.type ?? 'application/json' } });
  }) as typeof fetch;
  return { fetchImpl, asked };
}

describe('loadRuntimeConfig', () => {
  it('takes both lists from the host', async () => {
    const { fetchImpl, asked } = serving(JSON.stringify({ relays: ['wss://a.example'], lookupRelays: ['wss://b.example', 'ws://127.0.0.1:9'] }));
    expect(await loadRuntimeConfig(fetchImpl)).toEqual({ relays: ['wss://a.example'], lookupRelays: ['wss://b.example', 'ws://127.0.0.1:9'], fileServer: '' });
    expect(asked).toEqual(['/veil-config.json']);
  });

  it('keeps the build default for a list the host does not give', async () => {
    expect(await loadRuntimeConfig(serving(JSON.stringify({ relays: ['wss://a.example'] })).fetchImpl)).toEqual({
      relays: ['wss://a.example'],
      lookupRelays: DEFAULTS.lookupRelays,
      fileServer: ''
    });
    expect(await loadRuntimeConfig(serving(JSON.stringify({ lookupRelays: ['wss://b.example'] })).fetchImpl)).toEqual({
      relays: DEFAULTS.relays,
      lookupRelays: ['wss://b.example'],
      fileServer: ''
    });
  });

  it('validates lookup relays like relays: bad entries dropped, nothing usable means the default', async () => {
    const bad = ['https://web.example', 'wss://user:pw@c.example', 42, 'not a url', 'wss://' + 'x'.repeat(600)];
    expect(await loadRuntimeConfig(serving(JSON.stringify({ relays: [...bad, 'wss://a.example'], lookupRelays: [...bad, 'wss://b.example'] })).fetchImpl)).toEqual({
      relays: ['wss://a.example'],
      lookupRelays: ['wss://b.example'],
      fileServer: ''
    });
    expect(await loadRuntimeConfig(serving(JSON.stringify({ relays: bad, lookupRelays: bad })).fetchImpl)).toEqual(DEFAULTS);
    expect(await loadRuntimeConfig(serving(JSON.stringify({ relays: 'wss://a.example', lookupRelays: { a: 1 } })).fetchImpl)).toEqual(DEFAULTS);
  });

  it('caps each list at 32 relays', async () => {
    const many = Array.from({ length: 40 }, (_, i) => `wss://r${i}.example`);
    const config = await loadRuntimeConfig(serving(JSON.stringify({ relays: many, lookupRelays: many })).fetchImpl);
    expect(config.relays).toEqual(many.slice(0, 32));
    expect(config.lookupRelays).toEqual(many.slice(0, 32));
  });

  it('an explicit empty lookup list stands: lookups go to the envelope relays', async () => {
    expect(await loadRuntimeConfig(serving(JSON.stringify({ relays: ['wss://a.example'], lookupRelays: [] })).fetchImpl)).toEqual({
      relays: ['wss://a.example'],
      lookupRelays: [],
      fileServer: ''
    });
    // An empty envelope list is no use: the default stays.
    expect((await loadRuntimeConfig(serving(JSON.stringify({ relays: [] })).fetchImpl)).relays).toEqual(DEFAULTS.relays);
  });

  it.each([
    ['a missing file', serving('not found', { status: 404, type: 'text/plain' })],
    ['an HTML fallback page', serving('<!doctype html>', { type: 'text/html' })],
    ['broken JSON', serving('{"relays": [')],
    ['JSON that is not an object', serving('null')],
    ['an oversized file', serving(JSON.stringify({ relays: ['wss://a.example'], pad: 'x'.repeat(20_000) }))]
  ])('falls back to the build defaults on %s', async (_name, { fetchImpl }) => {
    expect(await loadRuntimeConfig(fetchImpl)).toEqual(DEFAULTS);
  });

  it('takes a file server that is https or this machine, else none (no attach button)', async () => {
    const at = async (fileServer: unknown) => (await loadRuntimeConfig(serving(JSON.stringify({ fileServer })).fetchImpl)).fileServer;
    expect(await at('https://blossom.example/')).toBe('https://blossom.example');
    expect(await at('http://127.0.0.1:7779')).toBe('http://127.0.0.1:7779');
    for (const bad of ['http://blossom.example', 'https://u:p@b.example', 'javascript:alert(1)', 42, null, 'https://' + 'x'.repeat(600)]) expect(await at(bad), String(bad)).toBe('');
  });

  it('falls back when the fetch itself fails', async () => {
    const failing = (async () => {
      throw new TypeError('offline');
    }) as typeof fetch;
    expect(await loadRuntimeConfig(failing)).toEqual(DEFAULTS);
  });
});
