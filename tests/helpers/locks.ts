/**
 * Web Locks for Node tests (Node 20 has no navigator.locks): `ifAvailable` and waiting requests, in
 * memory, as the page and the service worker share "veil-sockets".
 */
import type { LockManagerLike } from '../../src/lib/sync/worker-flush';

/** Web Locks with `ifAvailable` and waiting requests, in memory (Node 20 has no navigator.locks). */
export class Locks implements LockManagerLike {
  readonly #held = new Set<string>();
  readonly #waiting = new Map<string, Array<() => void>>();
  request<T>(name: string, options: { ifAvailable?: true }, callback: (lock: unknown) => Promise<T>): Promise<T> {
    if (this.#held.has(name) && options.ifAvailable) return callback(null);
    const run = async (): Promise<T> => {
      this.#held.add(name);
      try {
        return await callback({ name });
      } finally {
        this.#held.delete(name);
        this.#waiting.get(name)?.shift()?.();
      }
    };
    if (!this.#held.has(name)) return run();
    return new Promise<void>((go) => this.#waiting.set(name, [...(this.#waiting.get(name) ?? []), go])).then(run);
  }
  /** Holds `name` (a page owning the sockets) until the returned function is called; it resolves once freed. */
  hold(name: string): () => Promise<void> {
    let release!: () => void;
    const held = this.request(name, {}, () => new Promise<void>((r) => (release = r)));
    return () => (release(), held);
  }
}

