import type { AckQueue, AckSegment } from '../ack/ack-queue.js';

/** A sealed batch: encoded records and, per file, the ack segment it completes. */
export interface Batch<F> {
  readonly seq: number;
  readonly fragments: readonly F[];
  /** Sum of the fragments' sizes: the body size before compression. */
  readonly bytes: number;
  readonly acks: ReadonlyArray<{ readonly queue: AckQueue; readonly segment: AckSegment }>;
}

/**
 * Collects records until a limit is reached. Pure: the linger timer lives in the shell.
 * Per file only the highest end offset is kept, since a batch carries a contiguous run
 * of each file's lines.
 */
export class BatchBuilder<F> {
  readonly maxBytes: number;
  readonly maxEvents: number;
  #fragments: F[] = [];
  #bytes = 0;
  #ends = new Map<AckQueue, number>();
  #seq = 0;

  constructor(maxBytes: number, maxEvents: number) {
    this.maxBytes = maxBytes;
    this.maxEvents = maxEvents;
  }

  get count(): number {
    return this.#fragments.length;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Would adding `size` bytes overflow the open batch? (An empty batch takes anything.) */
  wouldOverflow(size: number): boolean {
    return this.#fragments.length > 0 && this.#bytes + size > this.maxBytes;
  }

  get full(): boolean {
    return this.#fragments.length >= this.maxEvents || this.#bytes >= this.maxBytes;
  }

  add(fragment: F, size: number, queue: AckQueue, end: number): void {
    this.#fragments.push(fragment);
    this.#bytes += size;
    this.#ends.set(queue, end);
  }

  /** Closes the open batch, registering its ack segments in read order. */
  seal(): Batch<F> | undefined {
    if (this.#fragments.length === 0) return undefined;
    const acks = [...this.#ends].map(([queue, end]) => ({ queue, segment: queue.add(end) }));
    const batch: Batch<F> = { seq: ++this.#seq, fragments: this.#fragments, bytes: this.#bytes, acks };
    this.#fragments = [];
    this.#bytes = 0;
    this.#ends = new Map();
    return batch;
  }
}
