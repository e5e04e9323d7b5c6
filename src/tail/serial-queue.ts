/**
 * Runs the tail side's discovery work — events, poll ticks, truncations, closes — one task
 * at a time, in order, so two looks at one file never interleave. A task never rejects
 * the queue: an unexpected error (EIO) goes to `onError` and the next task runs, instead
 * of an unhandled rejection ending the process.
 */
export class SerialQueue {
  readonly #onError: (error: unknown) => void;
  #tail: Promise<void> = Promise.resolve();
  #pending = 0;
  /** Keys of `runOnce` tasks queued and not started. */
  readonly #queued = new Set<string>();

  constructor(onError: (error: unknown) => void) {
    this.#onError = onError;
  }

  /** Queues `task`; resolves when it has run. */
  run(task: () => Promise<void>): Promise<void> {
    this.#pending++;
    const next = this.#tail
      .then(task)
      .catch((error: unknown) => this.#onError(error))
      .finally(() => this.#pending--);
    this.#tail = next;
    return next;
  }

  /** Queues `task` unless one with the same key is queued and not started yet. */
  runOnce(key: string, task: () => Promise<void>): void {
    if (this.#queued.has(key)) return;
    this.#queued.add(key);
    void this.run(() => {
      this.#queued.delete(key);
      return task();
    });
  }

  /** Undefined when nothing is queued; else resolves when what is queued now has run. */
  get drained(): Promise<void> | undefined {
    return this.#pending > 0 ? this.#tail : undefined;
  }
}
