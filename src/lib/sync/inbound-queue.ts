/**
 * The inbound queues (issue 11 "Bounded inbound work"): events wait here between the relay pool and
 * the inbound pipeline. One lane per relay, taken in turn, so a relay that streams junk gets one
 * slot in every round and cannot starve another relay's real envelopes; each lane holds at most
 * `perSource` tasks and drops (and counts) the rest, so memory is bounded however fast a relay
 * sends. A dropped event was not marked seen: the next read of that relay brings it again.
 * At most `concurrency` tasks run at once (1 for envelopes; a few for gift wraps, whose opening
 * waits on the signer).
 */

export interface QueuedTask {
  run(): Promise<void>;
  /** Called instead of `run` when the task is dropped (a full lane). */
  dropped?(): void;
}

export interface QueueStats {
  /** Waiting now, over all lanes. */
  queued: number;
  running: number;
  /** The most that ever waited at once. */
  peakQueued: number;
  processed: number;
  dropped: number;
  /** Per source (relay): finished and dropped tasks. */
  processedBy: Record<string, number>;
  droppedBy: Record<string, number>;
  /** Per source: tasks that threw (a message not stored: a full disk); like a drop, their read must be repeated. */
  failedBy: Record<string, number>;
}

interface Item {
  seq: number;
  task: QueuedTask;
}

export class FairQueue {
  readonly #perSource: number;
  readonly #concurrency: number;
  readonly #onError: (e: unknown) => void;
  readonly #lanes = new Map<string, Item[]>();
  /** Sources with waiting tasks, in the order they get their next turn. */
  readonly #turns: string[] = [];
  /** Sequence numbers of tasks not finished yet, in push order (a Set keeps insertion order). */
  readonly #unfinished = new Set<number>();
  #waiters: { upTo: number; resolve: () => void }[] = [];
  #seq = 0;
  #running = 0;
  #queued = 0;
  #peak = 0;
  #processed = 0;
  #dropped = 0;
  readonly #processedBy = new Map<string, number>();
  readonly #droppedBy = new Map<string, number>();
  readonly #failedBy = new Map<string, number>();

  constructor(opts: { perSource: number; concurrency: number; onError(e: unknown): void }) {
    this.#perSource = opts.perSource;
    this.#concurrency = opts.concurrency;
    this.#onError = opts.onError;
  }

  /**
   * Whether the lane of `source` has room now. When it has none the event is counted as dropped for
   * `source` (as `push` would), so a caller can refuse it before spending any work on it.
   */
  admit(source: string): boolean {
    if ((this.#lanes.get(source)?.length ?? 0) < this.#perSource) return true;
    this.#dropped++;
    this.#droppedBy.set(source, (this.#droppedBy.get(source) ?? 0) + 1);
    return false;
  }

  /** Tasks of `source` waiting (not running yet). */
  waiting(source: string): number {
    return this.#lanes.get(source)?.length ?? 0;
  }

  /** Queues `task` in the lane of `source`; false (and `task.dropped()`) when that lane is full. */
  push(source: string, task: QueuedTask): boolean {
    let lane = this.#lanes.get(source);
    if (lane && lane.length >= this.#perSource) {
      this.#dropped++;
      this.#droppedBy.set(source, (this.#droppedBy.get(source) ?? 0) + 1);
      try {
        task.dropped?.();
      } catch (e) {
        this.#onError(e);
      }
      return false;
    }
    if (!lane) this.#lanes.set(source, (lane = []));
    if (lane.length === 0) this.#turns.push(source);
    const seq = ++this.#seq;
    lane.push({ seq, task });
    this.#unfinished.add(seq);
    this.#queued++;
    this.#peak = Math.max(this.#peak, this.#queued);
    this.#pump();
    return true;
  }

  /** Resolves once every task pushed before this call has finished or been dropped. */
  drained(): Promise<void> {
    const upTo = this.#seq;
    if (this.#done(upTo)) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ upTo, resolve }));
  }

  stats(): QueueStats {
    return {
      queued: this.#queued,
      running: this.#running,
      peakQueued: this.#peak,
      processed: this.#processed,
      dropped: this.#dropped,
      processedBy: Object.fromEntries(this.#processedBy),
      droppedBy: Object.fromEntries(this.#droppedBy),
      failedBy: Object.fromEntries(this.#failedBy)
    };
  }

  #done(upTo: number): boolean {
    const first = this.#unfinished.values().next();
    return first.done === true || first.value > upTo;
  }

  #pump(): void {
    while (this.#running < this.#concurrency && this.#turns.length > 0) {
      const source = this.#turns.shift()!;
      const lane = this.#lanes.get(source)!;
      const item = lane.shift()!;
      if (lane.length > 0) this.#turns.push(source);
      else this.#lanes.delete(source);
      this.#queued--;
      this.#running++;
      void this.#run(source, item);
    }
  }

  async #run(source: string, item: Item): Promise<void> {
    try {
      await item.task.run();
    } catch (e) {
      this.#failedBy.set(source, (this.#failedBy.get(source) ?? 0) + 1);
      this.#onError(e);
    } finally {
      this.#running--;
      this.#processed++;
      this.#processedBy.set(source, (this.#processedBy.get(source) ?? 0) + 1);
      this.#unfinished.delete(item.seq);
      if (this.#waiters.length > 0) {
        const ready = this.#waiters.filter((w) => this.#done(w.upTo));
        this.#waiters = this.#waiters.filter((w) => !this.#done(w.upTo));
        for (const w of ready) w.resolve();
      }
      this.#pump();
    }
  }
}
