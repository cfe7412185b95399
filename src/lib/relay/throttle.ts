/**
 * Calls `fire` at once, then at most once per `ms` while it keeps being poked, the latest poke last
 * (./connection.ts: a relay's NOTICEs reach status listeners at most once a second).
 */
export class Throttle {
  readonly #ms: number;
  readonly #fire: () => void;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #pending = false;

  constructor(ms: number, fire: () => void) {
    this.#ms = ms;
    this.#fire = fire;
  }

  poke(): void {
    if (this.#timer) {
      this.#pending = true;
      return;
    }
    this.#fire();
    this.#arm();
  }

  cancel(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pending = false;
  }

  #arm(): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (!this.#pending) return;
      this.#pending = false;
      this.#fire();
      this.#arm();
    }, this.#ms);
  }
}
