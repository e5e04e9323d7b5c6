/** One batch's share of one file: everything before `end` that the batch carries. */
export interface AckSegment {
  readonly end: number;
  acked: boolean;
}

/**
 * Per-file ordering of acknowledgements.
 *
 * Invariant: segments are added in read order (increasing `end`), and `committed` is the
 * `end` of the longest prefix of segments that are all acked — the offset below which
 * every byte has reached the collector, whatever order the responses came back in. A
 * checkpoint written at `committed` can never skip an unacknowledged line
 * (docs/architecture.md, "Checkpoints").
 */
export class AckQueue {
  #segments: AckSegment[] = [];
  #head = 0;
  #committed: number;

  constructor(committed: number) {
    this.#committed = committed;
  }

  get committed(): number {
    return this.#committed;
  }

  /** Number of segments not yet acknowledged in order. */
  get pending(): number {
    return this.#segments.length - this.#head;
  }

  add(end: number): AckSegment {
    const segment: AckSegment = { end, acked: false };
    this.#segments.push(segment);
    return segment;
  }

  /** Marks a segment delivered and advances `committed` over the acked prefix. */
  ack(segment: AckSegment): void {
    segment.acked = true;
    while (this.#head < this.#segments.length && this.#segments[this.#head]!.acked) {
      this.#committed = this.#segments[this.#head]!.end;
      this.#head++;
    }
    // Compact now and then so a long-lived queue does not grow without bound.
    if (this.#head > 1024 && this.#head * 2 > this.#segments.length) {
      this.#segments = this.#segments.slice(this.#head);
      this.#head = 0;
    }
  }
}
