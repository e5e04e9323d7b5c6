/**
 * Counts bytes read but not yet acknowledged. Tailers ask before reading; at the limit
 * they stop, and the files on disk are the buffer. Acks release room and wake them.
 */
export class MemoryBudget {
  readonly limitBytes: number;
  #used = 0;
  #waiters: Array<() => void> = [];

  constructor(limitBytes: number) {
    this.limitBytes = limitBytes;
  }

  get usedBytes(): number {
    return this.#used;
  }

  get exhausted(): boolean {
    return this.#used >= this.limitBytes;
  }

  reserve(bytes: number): void {
    this.#used += bytes;
  }

  release(bytes: number): void {
    this.#used = Math.max(0, this.#used - bytes);
    if (!this.exhausted && this.#waiters.length > 0) {
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const wake of waiters) wake();
    }
  }

  /** Calls `wake` once, the next time room is released (or now, if there is room). */
  onRoom(wake: () => void): void {
    if (!this.exhausted) wake();
    else this.#waiters.push(wake);
  }
}
