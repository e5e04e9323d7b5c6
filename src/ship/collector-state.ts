/** What the shipper knows of the collector, for /status. Times are ms since the epoch. */
export interface CollectorState {
  lastSuccessMs: number | undefined;
  lastError: string | undefined;
  lastErrorMs: number | undefined;
  consecutiveFailures: number;
  /** When the current streak of failures began. */
  failingSinceMs: number | undefined;
  /** Requests waiting out a retry delay. */
  retrying: number;
  /** When the first of them is due. */
  nextAttemptMs: number | undefined;
}

/** The collector state before any attempt. */
export function initialCollectorState(): CollectorState {
  return {
    lastSuccessMs: undefined,
    lastError: undefined,
    lastErrorMs: undefined,
    consecutiveFailures: 0,
    failingSinceMs: undefined,
    retrying: 0,
    nextAttemptMs: undefined,
  };
}
