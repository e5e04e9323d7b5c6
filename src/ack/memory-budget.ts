/**
 * Counts the bytes of encoded records held until the collector acknowledges them: in the
 * batch being filled, sealed and waiting, in flight or waiting to retry. That is the data
 * in memory — a record's encoded form, with its metadata and parsed fields, is several
 * times its line — so it is what TAILSHIP_MEMORY_LIMIT bounds. Tailers ask before
 * reading; at the limit they stop, and the files on disk are the buffer. Acks release
 * room and wake them. (The file bytes behind those records: unacknowledged-bytes.ts; docs/architecture.md, "Memory".)
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

/**
 * The budget tailship actually reads to: TAILSHIP_MEMORY_LIMIT, or less when that is more
 * than it can use — a batch in every request slot, as many sealed and waiting for a slot,
 * and the one being filled. Reading further ahead while the collector is slow or down
 * gains nothing (a free slot is refilled from the waiting batches, and those from the
 * files at disk or page-cache speed), it only copies bytes from the files, which are
 * the buffer already, into this process. Measured with the collector down and 2 GiB
 * written (Node 20, before the image's runtime tuning): peak RSS 171 MiB reading to the
 * full default 64 MiB, 122 MiB reading to the 9 MiB this gives with the default batches,
 * with the same drain time.
 */
export function readAheadLimit(memoryLimitBytes: number, batchMaxBytes: number, maxInFlight: number): number {
  return Math.min(memoryLimitBytes, (2 * maxInFlight + 1) * batchMaxBytes);
}
