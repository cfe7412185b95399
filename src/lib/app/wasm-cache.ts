/**
 * The WebAssembly files are not precached (issue 12 §6: the 1.2 MB secp256k1 module was 65% of the
 * precache): the page keeps each in a cache of its own on first use, so it opens offline afterwards.
 * A file of another version (another hashed name) is dropped when a new one is stored. Where the
 * Cache API is missing or refuses (an insecure origin, storage blocked), it is a plain fetch.
 */
const CACHE = 'veil-wasm';

/**
 * The bytes at `url` (same origin), from the cache `name` when stored before; TypeError when
 * unavailable. One cache per file: storing a file drops every other entry of its cache.
 */
export async function cachedBytes(url: string, name = CACHE): Promise<Uint8Array> {
  const cache = await globalThis.caches?.open(name).catch(() => undefined);
  const hit = await cache?.match(url);
  if (hit) return new Uint8Array(await hit.arrayBuffer());
  const res = await fetch(url);
  if (!res.ok) throw new TypeError(`${url} not available`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (cache) {
    try {
      for (const old of await cache.keys()) if (old.url !== new URL(url, location.href).href) await cache.delete(old);
      await cache.put(url, new Response(bytes, { headers: { 'content-type': 'application/wasm' } }));
    } catch {
      // a full disk: the next start fetches it again
    }
  }
  return bytes;
}
