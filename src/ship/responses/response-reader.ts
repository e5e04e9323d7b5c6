import type { SendOutcome } from '../send-outcome.js';

/** A collector's response, as a response reader sees it. */
export interface CollectorResponse {
  readonly status: number;
  readonly body: string;
  /** Parsed Retry-After, in ms from now. */
  readonly retryAfterMs: number | undefined;
}

/**
 * The second half of a collector protocol (the first is its encoder): what a response
 * to a request of `count` records means for those records. Pure. Per-record results
 * (`partial`) are indexes into the request's records, in request order.
 */
export type ResponseReader = (response: CollectorResponse, count: number) => SendOutcome;
