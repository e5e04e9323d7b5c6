// The result of one delivery attempt, as a value: expected failures are not exceptions.

export type SendOutcome =
  /**
   * Accepted. `dropped`: the collector said it discarded some records for good and must
   * not be sent them again (OTLP partial success): counted and logged, not retried.
   */
  | { readonly kind: 'delivered'; readonly dropped?: { readonly records: number; readonly reason: string } }
  /** Transient: try the same records again after a backoff (or `retryAfterMs`). */
  | { readonly kind: 'retry'; readonly reason: string; readonly status?: number; readonly retryAfterMs?: number }
  /** The collector refused the body for its size: send the records in halves. */
  | { readonly kind: 'split'; readonly reason: string; readonly status: number }
  /** Permanent: the records go to the dead-letter file and their offsets are acked. */
  | { readonly kind: 'reject'; readonly reason: string; readonly status?: number }
  /**
   * Per-record results in a successful response (Elasticsearch bulk): `retry` and
   * `reject` hold indexes into the request's records; the rest were delivered.
   */
  | {
      readonly kind: 'partial';
      readonly retry: readonly number[];
      readonly reject: ReadonlyArray<{ readonly index: number; readonly reason: string }>;
      readonly retryAfterMs?: number;
    };

const RETRY_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

/**
 * The generic reading of an HTTP status (the `ndjson` and `json` protocols, and the
 * fallback for the others): 2xx delivered; 3xx, 408, 429, 5xx and 401/403 retried (a Secret
 * may be rotated under us); 413 split; other 4xx rejected.
 */
export function classifyStatus(status: number, body: string, retryAfterMs: number | undefined): SendOutcome {
  if (status >= 200 && status < 300) return { kind: 'delivered' };
  const reason = `HTTP ${status}${body ? `: ${firstKiB(body)}` : ''}`;
  if (status === 413) return { kind: 'split', reason, status };
  // A 3xx means a URL that needs fixing, not data to throw away: keep it in the files.
  if (RETRY_STATUSES.has(status) || status >= 500 || status < 400 || status === 401 || status === 403) {
    return retryAfterMs === undefined
      ? { kind: 'retry', reason, status }
      : { kind: 'retry', reason, status, retryAfterMs };
  }
  return { kind: 'reject', reason, status };
}

/** The first KiB of a response body, for dead letters and logs. */
export function firstKiB(text: string): string {
  return text.length > 1024 ? text.slice(0, 1024) : text;
}
