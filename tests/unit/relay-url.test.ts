import { describe, expect, it } from 'vitest';
import { isRelayUrl, normalizeRelayUrl, relayInfoUrl } from '../../src/lib/relay/url';
import { isVeilError } from '../../src/lib/shared/errors';

describe('normalizeRelayUrl', () => {
  it.each([
    ['wss://relay.example.com', 'wss://relay.example.com'],
    ['WSS://Relay.Example.COM/', 'wss://relay.example.com'],
    ['  wss://relay.example.com:443/  ', 'wss://relay.example.com'],
    ['ws://127.0.0.1:80/', 'ws://127.0.0.1'],
    ['ws://127.0.0.1:7777', 'ws://127.0.0.1:7777'],
    ['wss://relay.example.com:444/', 'wss://relay.example.com:444'],
    ['wss://relay.example.com/inbox///', 'wss://relay.example.com/inbox'],
    ['wss://relay.example.com/path?x=1#frag', 'wss://relay.example.com/path?x=1'],
    ['ws://[::1]:7777/', 'ws://[::1]:7777']
  ])('%s -> %s', (input, out) => {
    expect(normalizeRelayUrl(input)).toBe(out);
    expect(normalizeRelayUrl(out)).toBe(out); // idempotent
  });

  it.each([
    ['https://relay.example.com', /ws:\/\/ or wss:\/\//],
    ['relay.example.com', /ws:\/\/ or wss:\/\//],
    ['wss://user:pw@relay.example.com', /credentials/],
    ['wss://user@relay.example.com', /credentials/],
    ['wss://relay.example.com/a b', /spaces or control/],
    ['wss://relay.exa\nmple.com', /spaces or control/],
    ['wss://', /not a valid URL|no host/],
    ['', /empty/],
    ['wss://' + 'a'.repeat(600) + '.com', /longer than 512/]
  ])('rejects %j', (input, why) => {
    let err: unknown;
    try {
      normalizeRelayUrl(input);
    } catch (e) {
      err = e;
    }
    expect(isVeilError(err, 'RELAY_URL_INVALID')).toBe(true);
    expect((err as Error).message).toMatch(why);
  });

  it('rejects non-strings', () => {
    expect(isRelayUrl(42)).toBe(false);
    expect(isRelayUrl(null)).toBe(false);
    expect(isRelayUrl('wss://ok.example')).toBe(true);
  });

  it('maps to the NIP-11 http(s) address', () => {
    expect(relayInfoUrl('wss://relay.example.com/x')).toBe('https://relay.example.com/x');
    expect(relayInfoUrl('ws://127.0.0.1:7777')).toBe('http://127.0.0.1:7777');
  });
});
