/**
 * Settings → File server (app/file-server.svelte.ts, issue 15 §1): the person's own Blossom server,
 * saved only once it answers from the page, else the host's, else none.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { FileServerChoice, SETTING_FILE_SERVER, fetchProbe, type FileServerStore } from '../../src/lib/app/file-server.svelte';
import { isVeilError } from '../../src/lib/shared/errors';

class Settings implements FileServerStore {
  readonly values = new Map<string, unknown>();
  async getSetting(key: string) {
    return this.values.get(key);
  }
  async setSetting(key: string, value: string) {
    this.values.set(key, value);
  }
}

const code = (e: unknown) => (isVeilError(e) ? e.code : e);

function setup(answers = true) {
  const store = new Settings();
  const probed: string[] = [];
  let changed = 0;
  let locked = false;
  const choice = new FileServerChoice(
    () => (locked ? null : store),
    async (base) => (probed.push(base), answers),
    () => changed++
  );
  return { store, probed, choice, changed: () => changed, lock: () => (locked = true) };
}

describe('the file server attachments go to', () => {
  it("is the host's until the person chooses one, theirs after (saved, normalized, other tabs told), and the host's again on request", async () => {
    const { store, probed, choice, changed } = setup();
    choice.host = 'http://127.0.0.1:3000';
    await choice.load();
    expect(choice.current).toBe('http://127.0.0.1:3000');
    expect(await choice.choose('  https://Blossom.Example.com/  ')).toBe('https://blossom.example.com');
    expect(probed).toEqual(['https://blossom.example.com']);
    expect(store.values.get(SETTING_FILE_SERVER)).toBe('https://blossom.example.com');
    expect(choice.current).toBe('https://blossom.example.com');
    expect(changed()).toBe(1);
    // a new session reads it back
    const next = new FileServerChoice(() => store, async () => true);
    next.host = 'http://127.0.0.1:3000';
    await next.load();
    expect(next.current).toBe('https://blossom.example.com');
    await choice.useHost();
    expect(choice.current).toBe('http://127.0.0.1:3000');
    expect(store.values.get(SETTING_FILE_SERVER)).toBe('');
    expect(changed()).toBe(2);
  });

  it('without a host server, attaching is off until the person sets one', async () => {
    const { choice } = setup();
    await choice.load();
    expect(choice.current).toBe('');
    await choice.choose('https://files.example');
    expect(choice.current).toBe('https://files.example');
  });

  it('refuses what is not a file server address, without asking anything', async () => {
    const { store, probed, choice } = setup();
    for (const bad of ['blossom.example.com', 'http://blossom.example.com', 'wss://relay.example', 'https://u:p@x.example', 'https://x.example/?q=1', 'javascript:alert(1)', `https://${'a'.repeat(520)}.example`])
      expect(await choice.choose(bad).catch(code), bad).toBe('INVALID_INPUT');
    expect(probed).toEqual([]);
    expect(store.values.size).toBe(0);
  });

  it('a server that does not answer from the page is not saved, and the old choice stays', async () => {
    const { store, choice, changed } = setup(false);
    store.values.set(SETTING_FILE_SERVER, 'https://old.example');
    await choice.load();
    expect(await choice.choose('https://down.example').catch(code)).toBe('FILE_UNAVAILABLE');
    expect(store.values.get(SETTING_FILE_SERVER)).toBe('https://old.example');
    expect(choice.current).toBe('https://old.example');
    expect(changed()).toBe(0);
  });

  it('a stored value that is no usable address is ignored; locked, nothing is saved; clear forgets the session', async () => {
    const { store, choice, lock } = setup();
    choice.host = 'https://host.example';
    store.values.set(SETTING_FILE_SERVER, 'http://evil.example');
    await choice.load();
    expect(choice.current).toBe('https://host.example');
    store.values.set(SETTING_FILE_SERVER, 'https://mine.example');
    await choice.load();
    expect(choice.current).toBe('https://mine.example');
    choice.clear();
    expect(choice.current).toBe('https://host.example');
    const failing = new FileServerChoice(() => ({ getSetting: () => Promise.reject(new Error('disk')), setSetting: async () => {} }), async () => true);
    failing.host = 'https://host.example';
    await failing.load(); // an unreadable choice: the host's server, no rejection
    expect(failing.current).toBe('https://host.example');
    lock();
    expect(await choice.choose('https://other.example').catch(code)).toBe('VAULT_LOCKED');
    expect(await choice.useHost().catch(code)).toBe('VAULT_LOCKED');
    expect(store.values.get(SETTING_FILE_SERVER)).toBe('https://mine.example');
  });
});

describe('the probe', () => {
  it('any HTTP answer counts (a Blossom server answers HEAD /upload with 405 or 200); no server there does not', async () => {
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.writeHead(405).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const probe = fetchProbe(fetch, 5_000);
    expect(await probe(base)).toBe(true);
    expect(seen).toEqual(['HEAD /upload']);
    await new Promise<void>((r) => server.close(() => r()));
    expect(await probe(base)).toBe(false);
  });
});
