/**
 * Aggregates a storm of events into at most one report per interval: the first event
 * is reported at once, those that follow within the interval are counted and reported
 * together with the first event after it. Pure: time is passed in.
 */
export class RateLimit {
  readonly intervalMs: number;
  #count = 0;
  #lastReportMs = -Infinity;

  constructor(intervalMs: number) {
    this.intervalMs = intervalMs;
  }

  /** Records one event; returns how many events to report now (0: stay quiet). */
  hit(nowMs: number): number {
    this.#count++;
    if (nowMs - this.#lastReportMs < this.intervalMs) return 0;
    const n = this.#count;
    this.#count = 0;
    this.#lastReportMs = nowMs;
    return n;
  }

  /** Events counted but not reported yet. */
  get unreported(): number {
    return this.#count;
  }
}
