/**
 * The retries waiting out their delay: each wait can be cut short at once (stop), and
 * how many wait and which is due first are known for /status. `onChange` is called
 * whenever a wait begins or ends.
 */
export class RetryWaits {
  /** How to wake each waiting retry, and when it is due (ms). */
  readonly #sleepers = new Map<() => void, number>();
  readonly #onChange: () => void;

  constructor(onChange: () => void) {
    this.#onChange = onChange;
  }

  get count(): number {
    return this.#sleepers.size;
  }

  /**
   * The earliest due time among the retries still waiting, computed from them each time:
   * a running minimum reset only when no retry waits would show, with several batches
   * retrying, a time already past while a later retry is still pending.
   */
  get nextDueMs(): number | undefined {
    let next: number | undefined;
    for (const due of this.#sleepers.values()) if (next === undefined || due < next) next = due;
    return next;
  }

  /** Resolves after `delayMs`, or at once when `wakeAll` is called meanwhile. */
  wait(delayMs: number): Promise<void> {
    const due = Date.now() + delayMs;
    return new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#sleepers.delete(wake);
        this.#onChange();
        resolve();
      };
      const timer = setTimeout(wake, delayMs);
      this.#sleepers.set(wake, due);
      this.#onChange();
    });
  }

  /** Ends every wait now. */
  wakeAll(): void {
    for (const wake of [...this.#sleepers.keys()]) wake();
  }
}
