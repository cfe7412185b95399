/**
 * Which tab runs the relay sockets (one at a time, shared with the service worker's flush and read):
 * the Web Lock SOCKETS_LOCK, held until `release` is called. Where Web Locks are missing, the tab
 * just runs them.
 */
import { SOCKETS_LOCK } from '../sync/worker-tags';

/** Waits for the lock, then `run`s unless `wanted()` turned false meanwhile; `onHeld` gets the release. */
export function claimSocketsLock(run: () => Promise<void>, wanted: () => boolean, onHeld: (release: () => void) => void): void {
  if (!('locks' in navigator)) return void run();
  void navigator.locks.request(SOCKETS_LOCK, async () => {
    if (!wanted()) return;
    await run();
    await new Promise<void>((release) => onHeld(release));
  });
}
